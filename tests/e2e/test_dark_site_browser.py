"""The dark site in a real browser (Debian's headless Chromium, driven by Playwright), served
by the local stack from the S3 stand-in as CloudFront serves it from the bucket: dark first,
then the approved public statement, in each language, at phone width, with no JavaScript, by
keyboard; every link and feed resolves and reads as its reader reads it. The screenshot is kept
in .local/dark-site.png."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import feedparser  # type: ignore[import-untyped]
import jsonschema
import pytest
from capvalidator import Validator  # type: ignore[import-untyped]

from local.demo import request, wait_for
from local.demo_statements import personal_keys, site_act
from local.stack import LOG_DIR, LocalStack, free_port
from tests.conftest import LOCAL_KEY, PROJECT

pytestmark = pytest.mark.stack

DEMO = (PROJECT / "examples" / "events" / "demo.json").read_bytes()
STATUS_SCHEMA = json.loads((PROJECT / "docs" / "site-status.schema.json").read_text())
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as running:
        yield running


def read(page: Any, url: str, language: str) -> list[str]:
    """Open ``url`` as a reader; the console's errors (none expected)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    answer = page.goto(url)
    assert answer is not None and answer.status == 200
    assert page.locator("html").get_attribute("lang") == language
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return errors


def test_a_reader_sees_the_dark_page_then_the_approved_statement(
    stack: LocalStack, browser: Any
) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    assert read(page, stack.site_url, "en") == []
    assert "There are no current incidents" in page.locator("main").inner_text()

    accepted = request("POST", f"{stack.api_url}/v1/events", LOCAL_KEY, DEMO)
    event_url = f"{stack.api_url}/v1/events/{accepted['event_id']}"
    decided = wait_for(
        lambda: (e := request("GET", event_url, LOCAL_KEY))["status"] != "pending" and e,
        "the decision",
        time.monotonic() + 60,
    )
    lines = site_act(stack, decided["incident_id"], personal_keys(stack))
    assert any("ms from the second approval" in line for line in lines)

    for url, language in ((stack.site_url, "en"), (stack.site_url + "da/", "da")):
        assert read(page, url, language) == []
        assert page.locator("h1").count() == 1 and page.locator("main").count() == 1
    page.goto(stack.site_url)
    main = page.locator("main").inner_text()
    assert "We are responding to an incident" in main and "(UTC+01:00)" in main
    page.keyboard.press("Tab")  # keyboard: the first link takes the focus, visibly
    assert page.locator("a:focus").count() == 1
    page.screenshot(path=str(LOG_DIR / "dark-site.png"), full_page=True)

    hrefs = page.locator("a").evaluate_all("links => links.map(link => link.href)")
    assert len(hrefs) >= 5
    for href in hrefs:
        assert context.request.get(href).status == 200, href

    no_script = browser.new_context(viewport=PHONE, java_script_enabled=False).new_page()
    no_script.goto(stack.site_url)
    assert "We are responding to an incident" in no_script.locator("main").inner_text()
    context.close()


def test_the_feeds_beside_it_read_as_their_readers_read_them(stack: LocalStack) -> None:
    def fetch(name: str) -> tuple[bytes, str]:
        with urllib.request.urlopen(stack.site_url + name, timeout=5) as answer:
            return answer.read(), answer.headers["Content-Type"]

    atom, atom_type = fetch("feed.atom")
    assert atom_type.startswith("application/atom+xml") and not feedparser.parse(atom).bozo
    status, _ = fetch("status.json")
    jsonschema.validate(json.loads(status), STATUS_SCHEMA)
    cap, _ = fetch("cap.xml")
    valid, message = Validator(cap).schema()
    assert valid, message
