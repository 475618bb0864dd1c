"""The operator console in a real browser: Debian's headless Chromium, driven by Playwright,
against the local stack, as a crisis manager would use it on a laptop and on a phone. Signs in
with the local stack's personal key, opens the incident, acknowledges, approves a statement,
resolves; no page scrolls sideways at phone width, the browser logs no error, and a
``<script>`` in an event summary shows as text."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.settings import LOCAL_CONSOLE_KEY
from local.stack import LOG_DIR, LocalStack, free_port
from tests.conftest import LOCAL_KEY, PROJECT

pytestmark = pytest.mark.stack

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
HOSTILE = "<script>window.pwned=1</script> Customer database exposed"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


def call(url: str, document: Any = None) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode() if document is not None else None,
        method="POST" if document is not None else "GET",
        headers={"Authorization": f"Bearer {LOCAL_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def open_incident(stack: LocalStack) -> str:
    accepted = call(f"{stack.api_url}/v1/events", {**DEMO, "summary": HOSTILE})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        incident_id = call(f"{stack.api_url}/v1/events/{accepted['event_id']}")["incident_id"]
        if incident_id:
            return str(incident_id)
        time.sleep(0.2)
    raise AssertionError("the event opened no incident")


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_crisis_manager_signs_in_acknowledges_approves_and_resolves_on_a_phone(
    stack: LocalStack, browser: Any
) -> None:
    incident_id = open_incident(stack)
    page = browser.new_page(viewport=PHONE)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{stack.api_url}/console")
    assert page.url.startswith(f"{stack.api_url}/console/signin")
    page.get_by_label("Your personal API key").fill(LOCAL_CONSOLE_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Open now").count() == 1
    assert no_sideways_scroll(page)
    page.screenshot(path=str(LOG_DIR / "console-incidents.png"), full_page=True)

    page.get_by_role("link", name=HOSTILE).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == HOSTILE  # the markup shows as text
    assert page.evaluate("window.pwned === undefined")
    assert no_sideways_scroll(page)

    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert "You acknowledged: it counts" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Acknowledge").count() == 0

    page.get_by_role("button", name="Approve staff-en-1").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Statement approved."
    assert "approvals 1 of 2 (c-ada)" in page.get_by_label("statement staff-en-1").inner_text()
    assert no_sideways_scroll(page)

    page.get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text().startswith("Resolved")
    assert "resolved" in page.locator("p.meta").first.inner_text()

    for path in ("/console/oncall", "/console/checkins", "/console/statements"):
        page.goto(stack.api_url + path)
        assert no_sideways_scroll(page), path
    assert problems == []
    page.close()

    incident = call(f"{stack.api_url}/v1/incidents/{incident_id}")
    kinds = {(e["kind"], e["data"].get("via")) for e in incident["timeline"]}
    assert ("acknowledged", "console") in kinds and ("resolved", "console") in kinds
