"""``make demo`` as a user runs it (``python -m local.demo``): a stack of its own, a crisis,
an honest account of who was reached, and its statements approved by two people."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.stack

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())


def test_make_demo_counts_people_shows_codes_ids_and_when_level_two_is_due() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "local.demo"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr[-2000:]
    assert f"Who was reached ({DEMO['summary']}):" in out
    assert "Reached 6 people with 11 messages." in out
    # The statements wait for two people, then reach the staff topic and the customer list.
    assert re.search(r"staff-en-1 +initial +draft +0/2 -", out)
    assert "Bo tries to approve again: refused 409 conflict: c-bo already approved" in out
    assert "Bo tries to publish again: refused 409 conflict: statement staff-en-1 has 1 of" in out
    assert re.search(r"staff-en-1 +initial +published +2/2 c-bo, c-dina", out)
    assert "Bo publishes customers-en-1: sent email:customer-notices@example.com" in out
    assert "Sent to customer-notices@example.com: Service notice:" in out
    ada = [line for line in out.splitlines() if "Ada Example" in line and " sms " in line]
    assert ada and re.search(
        r" \d{4} +[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", ada[0]
    )
    # The dark site: dark, then live with the public statement, timed from its approval.
    assert re.search(r"Dark site http://127\.0\.0\.1:\d+/_local/site/ before: dark", out)
    assert re.search(r"shows 'We are responding to an incident': \d+ ms from the second", out)
    assert re.search(r"Site size [\d,]+ bytes: index\.html", out)
    assert re.search(r"Level 2 is due at \d\d:\d\d:\d\d UTC \(10 min later\)", out)
