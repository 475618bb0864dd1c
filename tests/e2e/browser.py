"""Debian's headless Chromium, driven by Playwright, for the tests that look at pages as a person.

``make test`` installs chromium with apt-get. Where no browser can be installed, these tests are
skipped with a message saying so; CI sets ``TOCSIN_REQUIRE_BROWSER=1`` (``.ci/run``), which turns
that skip into a failure, so CI always runs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_BROWSER = "TOCSIN_REQUIRE_BROWSER"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes say: without these, Chromium tries to reach Google's hosts.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_browser(executable: str = CHROMIUM) -> Iterator[Any]:
    """A launched Chromium, closed afterwards; skips (or fails in CI) when there is none."""
    if not Path(executable).exists():
        message = (
            "chromium is not installed, so the browser tests cannot run: `make test` installs "
            "Debian's chromium with apt-get (sudo when not root)"
        )
        if os.environ.get(REQUIRE_BROWSER) == "1":
            pytest.fail(message + f"; {REQUIRE_BROWSER}=1 requires it")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()
