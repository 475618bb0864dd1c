"""Each Lambda function imports the module its handler names (``app`` for the API, the
blueprint's own module for the others: ``bench/coldstart.py``). What only some work needs is
imported on first use, never at a cold start: the dark site's feeds (feedgen, lxml) and the
phone-number matcher erasure uses (phonenumbers)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.coldstart import PROJECT, handler_modules

HEAVY_ON_FIRST_USE = ("feedgen", "lxml", "phonenumbers")
_LOADED = "import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"


def loaded_by(module: str) -> set[str]:
    """Every module a fresh interpreter holds after importing ``module``."""
    done = subprocess.run(
        [sys.executable, "-c", _LOADED.format(module=module)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


ENTRY_MODULES = sorted(set(handler_modules().values()))


def test_every_function_s_entry_module_is_known() -> None:
    modules = handler_modules()
    assert modules["api_handler"] == "app"
    assert modules["dispatch_notifications"] == "chalicelib.handlers.queues"
    assert modules["answer_sms_replies"] == "chalicelib.handlers.escalation"


@pytest.mark.parametrize("module", ENTRY_MODULES)
def test_an_entry_module_leaves_what_it_may_never_need_to_first_use(module: str) -> None:
    loaded = loaded_by(module)
    assert module in loaded
    assert not [name for name in HEAVY_ON_FIRST_USE if name in loaded]
