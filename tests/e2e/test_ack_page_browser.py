"""The acknowledgement page in a real browser: Debian's headless Chromium, driven by Playwright,
against the local stack over HTTP, as a person on call would open it from a text message."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.core.wording.phrases import say
from local.stack import LOG_DIR, LocalStack, free_port
from tests.conftest import LOCAL_KEY

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


def post(url: str, document: Any) -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {LOCAL_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_the_person_on_call_acknowledges_by_pressing_the_button_on_their_phone(
    stack: LocalStack, browser: Any
) -> None:
    accepted = post(
        f"{stack.api_url}/v1/events",
        {
            "source": "monitoring",
            "type": "it.outage",
            "severity": "critical",
            "summary": "Checkout is failing",
            "dedup_key": "browser-test",
        },
    )
    link = None
    deadline = time.monotonic() + 30
    while link is None and time.monotonic() < deadline:
        for message in stack.outbox():
            found = re.search(r"http://127\.0\.0\.1:\d+/a/[a-z2-7]{16}", message["body"])
            canary = message["destination"] == "+12025550110"  # the hourly canary round's
            if message["channel"] == "sms" and found and not canary:
                link = found.group(0)
        time.sleep(0.2)
    assert link is not None and link.startswith(stack.api_url)

    page = browser.new_page(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page.goto(link)
    assert page.locator("h1").inner_text() == "Checkout is failing"
    # Whoever is on call now gets the page in their own language (en, da, nb or zh-Hant).
    language = page.locator("html").get_attribute("lang") or "en"
    button = page.get_by_role("button", name=say(language, "button_ack"))
    button.click()
    page.wait_for_load_state()
    status = page.get_by_role("status").inner_text()
    assert status == say(language, "acknowledged", title="Checkout is failing")
    assert button.count() == 0
    page.screenshot(path=str(LOG_DIR / "ack-page.png"))  # to look at: .local/ack-page.png
    page.close()

    with urllib.request.urlopen(
        urllib.request.Request(
            f"{stack.api_url}/v1/events/{accepted['event_id']}",
            headers={"Authorization": f"Bearer {LOCAL_KEY}"},
        ),
        timeout=10,
    ) as response:
        incident_id = json.load(response)["incident_id"]
    with urllib.request.urlopen(
        urllib.request.Request(
            f"{stack.api_url}/v1/incidents/{incident_id}",
            headers={"Authorization": f"Bearer {LOCAL_KEY}"},
        ),
        timeout=10,
    ) as response:
        timeline = json.load(response)["timeline"]
    acknowledged = [entry for entry in timeline if entry["kind"] == "acknowledged"]
    assert [entry["data"]["via"] for entry in acknowledged] == ["link"]
