"""Which Tocsin the ``tocsin`` command talks to: the local stack, or a deployed stage.

Every command takes the same options: ``--stage`` and ``--profile`` (a deployed stack: your AWS
credentials, the tables and queues ``infra/`` deploys), ``--aws-endpoint`` (where AWS calls go:
the local stack's stand-in) and ``--api`` (Tocsin's HTTP API, for commands that go through it),
with the environment variables ``TOCSIN_AWS_ENDPOINT`` and ``TOCSIN_API`` as fallbacks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3

from chalicelib.core.errors import InvalidInput
from chalicelib.core.telemetry import NO_METER
from chalicelib.settings import Settings
from chalicelib.wiring import Container

LOCAL_STAGE = "local"
LOCAL_AWS = "http://127.0.0.1:5000"
LOCAL_API = "http://127.0.0.1:8000"
AWS_ENDPOINT_VARIABLE = "TOCSIN_AWS_ENDPOINT"
API_VARIABLE = "TOCSIN_API"


def table(stage: str, logical_name: str) -> str:
    """The physical name: the local stack's, or the one infra/ deploys for ``stage``."""
    return f"tocsin-{logical_name}" if stage == LOCAL_STAGE else f"tocsin-{stage}-{logical_name}"


@dataclass(frozen=True)
class Target:
    stage: str = LOCAL_STAGE
    profile: str | None = None
    aws_endpoint: str | None = LOCAL_AWS  # None: AWS itself
    api: str | None = LOCAL_API  # None: not known (a deployed stage without --api)

    @classmethod
    def chosen(
        cls,
        stage: str,
        profile: str | None,
        aws_endpoint: str | None,
        api: str | None,
        environ: Mapping[str, str] | None = None,
    ) -> Target:
        """From the options, then the environment, then the stage's defaults."""
        env = os.environ if environ is None else environ
        local = stage == LOCAL_STAGE
        aws = aws_endpoint or env.get(AWS_ENDPOINT_VARIABLE) or (LOCAL_AWS if local else None)
        http = api or env.get(API_VARIABLE) or (LOCAL_API if local else None)
        return cls(
            stage=stage,
            profile=profile,
            aws_endpoint=_checked_url(aws, "--aws-endpoint") if aws else None,
            api=_checked_url(http, "--api").rstrip("/") if http else None,
        )

    def session(self) -> boto3.Session:
        """The local stack's fake credentials, or the operator's AWS profile."""
        if self.stage == LOCAL_STAGE:
            return boto3.Session(
                aws_access_key_id="local",
                aws_secret_access_key="local",  # noqa: S106
                region_name="us-east-1",
            )
        return boto3.Session(profile_name=self.profile)

    def settings(self) -> Settings:
        if self.stage == LOCAL_STAGE:
            return Settings.from_environment({"TOCSIN_STAGE": LOCAL_STAGE})
        return Settings.from_environment(
            {
                "TOCSIN_STAGE": self.stage,
                "TOCSIN_CONFIG_TABLE": table(self.stage, "config"),
                "TOCSIN_CONTACTS_TABLE": table(self.stage, "contacts"),
                "TOCSIN_INCIDENTS_TABLE": table(self.stage, "incidents"),
                "TOCSIN_DISPATCH_QUEUE": table(self.stage, "dispatch"),
                "TOCSIN_INGEST_QUEUE": table(self.stage, "ingest"),
                "TOCSIN_ERASURE_QUEUE": table(self.stage, "erasure"),
                # The dark site is written by its own function, never the operator's session.
                "TOCSIN_SITE_FUNCTION": table(self.stage, "publish_site"),
            }
        )

    def container(self) -> Container:
        """The one way the command builds Tocsin's services: the same ones the Lambdas use."""
        # Figures are the functions' to publish: what the command does is not counted.
        return Container(
            self.settings(), self.session(), endpoint_url=self.aws_endpoint, meter=NO_METER
        )

    def describe_aws(self) -> str:
        if self.aws_endpoint:
            return f"the AWS endpoint {self.aws_endpoint}"
        return f"AWS (stage {self.stage}" + (f", profile {self.profile})" if self.profile else ")")

    def unreachable_hint(self) -> str:
        if self.stage == LOCAL_STAGE:
            return (
                "is the local stack running? Start it with `make run` (or `make run "
                "AWS_PORT=... API_PORT=...`), and point --aws-endpoint (TOCSIN_AWS_ENDPOINT) "
                "and --api (TOCSIN_API) at its ports"
            )
        return "check your network, --profile and the stage's region"


def _checked_url(value: str, option: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{option} must be a URL such as http://127.0.0.1:5000; got {value!r}")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise InvalidInput(f"{option} has an invalid port: {value!r}") from None
    return value
