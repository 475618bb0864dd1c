"""What every ``tocsin`` command is given: where it points, where it writes, Tocsin's services."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from chalicelib.wiring import Container
from tocsin_cli.http import Transport
from tocsin_cli.stage import LOCAL_STAGE, Target


@dataclass
class Cli:
    target: Target
    out: TextIO = sys.stdout
    err: TextIO = sys.stderr
    _services: Container | None = field(default=None, repr=False)
    transport: Transport | None = field(default=None, repr=False)  # None: HTTP itself
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)  # --watch waits

    @property
    def services(self) -> Container:
        """Built on first use from the target: the same services the Lambdas run."""
        if self._services is None:
            self._services = self.target.container()
        return self._services

    def say(self, text: str = "") -> None:
        print(text, file=self.out)


class Command(Protocol):
    def __call__(self, arguments: argparse.Namespace, cli: Cli) -> int: ...


def common_options() -> argparse.ArgumentParser:
    """The options every command takes, before or after its name (``tocsin --api X keys
    list`` and ``tocsin keys list --api X`` mean the same)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("where Tocsin is")
    group.add_argument(
        "--stage",
        default=argparse.SUPPRESS,
        help=f"'{LOCAL_STAGE}' (default: the local stack) or a deployed stage",
    )
    group.add_argument(
        "--profile", default=argparse.SUPPRESS, help="AWS profile for a deployed stage"
    )
    group.add_argument(
        "--aws-endpoint",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="AWS endpoint for commands that talk to AWS (env TOCSIN_AWS_ENDPOINT; "
        "local default http://127.0.0.1:5000)",
    )
    group.add_argument(
        "--api",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="Tocsin's HTTP API for commands that go through it (env TOCSIN_API; "
        "local default http://127.0.0.1:8000)",
    )
    return common
