"""``make drill-report``: start the stack, run an exercise of the IT major-incident plan with
scripted answers (the duty officer can't respond, so IT security is paged at once; one of them
acknowledges; it is resolved), then write its after-action report to ``.local/drill-report.html``
(and ``.json``, ``.md``) and print the report's tables; stop.

Times are real here (the stack's clock), so the figures vary by a few milliseconds from run to
run; ``tests/e2e/test_reports.py`` runs a scripted exercise on an injected clock and checks
every figure exactly.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

from local.demo import request, wait_for
from local.stack import PROJECT, LocalStack, free_port

TIME_LIMIT = 60.0
RECEIPT_WAIT = 10.0  # the stand-ins' delivery receipts arrive a moment after each send
OUT = PROJECT / ".local"
DRILL = {
    "source": "drills",
    "type": "it.outage",
    "severity": "critical",
    "status": "exercise",
    "summary": "Drill: payments API down",
    "dedup_key": f"drill-{int(time.time())}",
}
ANSWERING = ("c-fay", "c-chen")


def main() -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    deadline = time.monotonic() + TIME_LIMIT
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as stack:
        key = os.environ.get("TOCSIN_LOCAL_API_KEY", "local-dev-key")
        keys = _answer_keys(stack)
        body = json.dumps(DRILL).encode()
        event_id = request("POST", f"{stack.api_url}/v1/events", key, body)["event_id"]
        event = wait_for(
            lambda: _decided(request("GET", f"{stack.api_url}/v1/events/{event_id}", key)),
            "the decision",
            deadline,
        )
        if event["status"] != "activated":
            print(f"The drill was not activated: {event['reason']}")
            return 1
        incident = f"{stack.api_url}/v1/incidents/{event['incident_id']}"
        wait_for(lambda: _sent_to(request("GET", incident, key), "c-fay"), "the page", deadline)
        request("POST", f"{incident}/decline", keys["c-fay"], b"{}")  # level 2 at once
        wait_for(lambda: _sent_to(request("GET", incident, key), "c-chen"), "level 2", deadline)
        request("POST", f"{incident}/acknowledge", keys["c-chen"], b"{}")
        request("POST", f"{incident}/resolve", keys["c-chen"], b"{}")
        _await_receipts(f"{incident}/report", key, time.monotonic() + RECEIPT_WAIT)
        OUT.mkdir(exist_ok=True)
        for chosen in ("html", "md", "json"):
            text = _text(f"{incident}/report?format={chosen}", key)
            (OUT / f"drill-report.{chosen}").write_text(text, encoding="utf-8")
    markdown = (OUT / "drill-report.md").read_text(encoding="utf-8")
    print(markdown)
    print(f"Wrote {OUT / 'drill-report.html'} (and .md, .json).")
    return 0


def _await_receipts(url: str, key: str, until: float) -> None:
    """Until every SMS and email alert has its receipt (voice calls get none here), or the
    time is up: the report then says what is still unknown."""
    while time.monotonic() < until:
        reach = request("GET", url, key)["reach"]
        if all(c["unknown"] == 0 for c in reach if c["channel"] in ("sms", "email")):
            return
        time.sleep(0.2)


def _answer_keys(stack: LocalStack) -> dict[str, str]:
    """A personal key (resolve scope) for each scripted responder."""
    import boto3

    from chalicelib.core.access import ApiKey, Scope
    from chalicelib.settings import Settings
    from chalicelib.storage.api_keys import DynamoApiKeyStore, generate_api_key

    env = stack.environment()
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_url,
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    store = DynamoApiKeyStore(client, Settings.from_environment(env).config_table)
    made = {}
    for contact_id in ANSWERING:
        made[contact_id] = generate_api_key()
        owned = ApiKey(f"{contact_id}-drill", frozenset({Scope.RESOLVE}), contact_id=contact_id)
        store.add(made[contact_id], owned, datetime.now(UTC))
    return made


def _text(url: str, key: str) -> str:
    call = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(call, timeout=10) as response:
        return str(response.read().decode("utf-8"))


def _decided(event: dict[str, Any]) -> dict[str, Any] | None:
    return event if event["status"] != "pending" else None


def _sent_to(incident: dict[str, Any], contact_id: str) -> bool:
    return any(
        e["kind"] == "notification_sent" and e["data"].get("contact_id") == contact_id
        for e in incident["timeline"]
    )


if __name__ == "__main__":
    sys.exit(main())
