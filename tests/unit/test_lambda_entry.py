"""Each non-HTTP function imported as Lambda imports it (its blueprint's module, never
``app.py``: aws/chalice#1566) still runs the app's middleware: framing and metrics; the same
middleware, once, where the app is imported too (the API, the local stack)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from typing import Any

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

# argv: "app first", "app after" or "alone" (the app imported before the handlers' modules, as
# the API and the local stack do; after them; or never, as in a deployed function), then the
# handlers. Prints the middleware each handler runs, and the app's for every invocation.
_PROBE = """
import importlib, json, sys
order, handlers = sys.argv[1], sys.argv[2:]
if order == "app first":
    import app
found = {}
for handler in handlers:
    module, name = handler.rsplit(".", 1)
    found[handler] = getattr(importlib.import_module(module), name)
if order == "app after":
    import app
app = sys.modules.get("app")
print(json.dumps({
    "app_loaded": app is not None,
    "runs": {name: [f.__name__ for f in h.middleware_handlers] for name, h in found.items()},
    "apps": [f.__name__ for f, kind in app.app.middleware_handlers if kind == "all"] if app else [],
}))
"""


def _probe(order: str, *handlers: str) -> dict[str, Any]:
    env = {"TOCSIN_STAGE": "local", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, order, *handlers],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-2000:]
    return dict(json.loads(probe.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_function_imported_by_its_own_module_runs_the_apps_middleware(handler: str) -> None:
    alone = _probe("alone", handler)
    assert not alone["app_loaded"]  # its cold start does not pay for every route of the API
    assert alone["runs"] == {handler: ["observe_invocation"]}


@pytest.mark.parametrize("order", ["app first", "app after"])
def test_with_the_app_every_function_runs_the_apps_middleware_once(order: str) -> None:
    # The app registers each blueprint: its middleware replaces the blueprint's own, the same.
    found = _probe(order, *HANDLERS)
    assert found["app_loaded"]
    assert found["apps"] == ["observe_invocation"]
    assert found["runs"] == {handler: found["apps"] for handler in HANDLERS}


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
