"""Where no browser can be installed, the browser tests skip with a message; CI fails instead."""

from __future__ import annotations

import pytest

from tests.e2e.browser import REQUIRE_BROWSER, launch_browser


def test_without_chromium_the_browser_tests_are_skipped_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(REQUIRE_BROWSER, raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        next(launch_browser("/nonexistent/chromium"))


def test_in_ci_a_missing_chromium_fails_the_browser_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_BROWSER, "1")
    with pytest.raises(pytest.fail.Exception, match="TOCSIN_REQUIRE_BROWSER=1 requires it"):
        next(launch_browser("/nonexistent/chromium"))


def test_ci_requires_the_browser() -> None:
    from tests.conftest import PROJECT

    assert f"export {REQUIRE_BROWSER}=1" in (PROJECT / ".ci" / "run").read_text()
