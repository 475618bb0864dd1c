"""Each non-HTTP function imported as Lambda imports it (its blueprint's module, never
``app.py``: aws/chalice#1566) still runs the app's middleware: framing and metrics."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

# Every function but the API, as `chalice package` names their handlers (infra/chalice.out).
HANDLERS = [
    "chalicelib.handlers.queues.evaluate_events",
    "chalicelib.handlers.queues.dispatch_notifications",
    "chalicelib.handlers.delivery.track_deliveries",
    "chalicelib.handlers.delivery.track_sms_status",
    "chalicelib.handlers.cloud.receive_aws_events",
    "chalicelib.handlers.cloud.receive_alarm_messages",
    "chalicelib.handlers.schedules.fire_scheduled_triggers",
    "chalicelib.handlers.escalation.escalate_due_incidents",
    "chalicelib.handlers.escalation.answer_sms_replies",
    "chalicelib.handlers.erasure.erase_contacts",
    "chalicelib.handlers.spending.report_held_messages",
    "chalicelib.handlers.watch.check_heartbeats",
    "chalicelib.handlers.watch.run_canaries",
    "chalicelib.handlers.watch.check_social_channels",
    "chalicelib.handlers.site.publish_site",
]

_PROBE = """
import importlib, json, sys
module, name = sys.argv[1].rsplit(".", 1)
handler = getattr(importlib.import_module(module), name)
print(json.dumps([f.__name__ for f in handler.middleware_handlers]))
"""


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_function_imported_by_its_own_module_runs_the_apps_middleware(handler: str) -> None:
    env = {"TOCSIN_STAGE": "local", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, handler],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert "observe_invocation" in json.loads(probe.stdout.strip().splitlines()[-1])


def test_the_list_is_every_function_of_the_handlers_package() -> None:
    import chalicelib.handlers

    found = set()
    for module in pkgutil.iter_modules(chalicelib.handlers.__path__):
        loaded = importlib.import_module(f"chalicelib.handlers.{module.name}")
        found |= {
            f"{loaded.__name__}.{name}"
            for name, value in vars(loaded).items()
            if hasattr(type(value), "middleware_handlers")
        }
    assert found == set(HANDLERS)
