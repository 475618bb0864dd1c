"""Each deployed function imports only what it runs (issue #35: cold start).

Lambda imports the module a function's handler names, in a fresh interpreter: ``app`` for the
API, the blueprint's own module for every other function (aws/chalice#1566). Each is imported
here the same way, in a subprocess, and must not import what its function never runs: the API's
routes, the console, reports, drills, calendars and the heavy libraries behind them. The
composition root builds (and imports) each service on first use, so importing it imports none.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

_LOADED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(sys.modules)))
"""

# What the API runs only in the routes that need it (each imports it on first use).
NEVER_AT_THE_APIS_COLD_START = (
    "chalicelib.core.reports",
    "chalicelib.core.oncall",  # calendars, coverage
    "chalicelib.core.drills",
    "chalicelib.core.dropin",
    "chalicelib.core.checkins",
    "chalicelib.core.updates",
    "chalicelib.storage",  # adapters: built with the services, on first use
    "chalicelib.channels",
    "jinja2",  # the console's templates
    "yaml",
    "jsonschema",
    "jwt",
    "icalendar",
    "recurring_ical_events",
    "lxml",
    "feedgen",
    "markdown",
    "defusedxml",  # CAP
)
# What no non-HTTP function runs, or runs only from a service built on first use.
NEVER_IN_AN_EDGE = (
    "app",
    "chalicelib.api",  # the API's routes (and their auth, errors, console pages)
    "chalicelib.core.console",
    *NEVER_AT_THE_APIS_COLD_START,
)
# Besides those: what each function's own module must leave to its first use.
ALSO_NEVER = {
    "chalicelib.handlers.queues": ("chalicelib.core.drills", "chalicelib.integrations"),
    "chalicelib.handlers.escalation": ("chalicelib.core.drills", "chalicelib.core.response"),
    "chalicelib.handlers.watch": ("chalicelib.core.statements", "chalicelib.core.drills"),
    "chalicelib.handlers.delivery": ("chalicelib.core.activation", "chalicelib.core.drills"),
    "chalicelib.handlers.erasure": ("chalicelib.core.privacy", "chalicelib.core.drills"),
    "chalicelib.handlers.schedules": ("chalicelib.core.activation", "chalicelib.core.drills"),
    "chalicelib.handlers.spending": ("chalicelib.core.activation", "chalicelib.core.drills"),
    "chalicelib.handlers.cloud": ("chalicelib.core.messaging", "chalicelib.core.drills"),
    "chalicelib.handlers.site": ("chalicelib.core.activation", "chalicelib.core.drills"),
}
# Imported by the composition root itself: no service, no adapter.
BUILT_ON_FIRST_USE = (
    "chalicelib.storage",
    "chalicelib.channels",
    "chalicelib.core.activation",
    "chalicelib.core.messaging",
    "chalicelib.core.response",
    "chalicelib.core.playbook",
    "chalicelib.core.statements",
    "chalicelib.core.drills",
)


def loaded_by(module: str) -> list[str]:
    env = {"TOCSIN_STAGE": "local", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    probe = subprocess.run(
        [sys.executable, "-c", _LOADED, module],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-2000:]
    return list(json.loads(probe.stdout.strip().splitlines()[-1]))


def _under(modules: list[str], packages: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages)]


@pytest.mark.parametrize("module", sorted(ALSO_NEVER))
def test_a_functions_module_imports_nothing_its_function_does_not_run(module: str) -> None:
    loaded = loaded_by(module)
    assert module in loaded
    assert _under(loaded, (*NEVER_IN_AN_EDGE, *ALSO_NEVER[module])) == []


def test_the_api_imports_its_routes_and_none_of_what_they_run_until_they_run() -> None:
    loaded = loaded_by("app")
    assert "chalicelib.api.routes" in loaded
    assert "chalicelib.api.console.pages" in loaded
    assert _under(loaded, NEVER_AT_THE_APIS_COLD_START) == []


def test_the_composition_root_imports_no_service_until_one_is_used() -> None:
    assert _under(loaded_by("chalicelib.wiring"), BUILT_ON_FIRST_USE) == []


def test_the_list_names_every_function_module() -> None:
    import pkgutil

    import chalicelib.handlers

    found = {
        f"chalicelib.handlers.{m.name}" for m in pkgutil.iter_modules(chalicelib.handlers.__path__)
    }
    assert found == set(ALSO_NEVER)
