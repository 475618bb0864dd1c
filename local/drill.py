"""``make drill``: a simulation drill of the demo's plan (crisis-cell) on a local stack of its
own, answered by a script: Ada acknowledges through the API with her personal key, Bo through
the link in his text, Chen says he can't respond, Dina stays silent. Fay, Emil and the others
are off the roster: nothing reaches them. When the script ends (and the delivery receipts are
in) Ada resolves the drill's incident, so its report has a resolution; the report is written to
``.local/drill-report.html`` (charts as inline SVG), ``.md`` and ``.json``; then the report's
Markdown tables and the register's line, with each target's pass or fail, are printed.

:func:`scripted_drill`, :func:`finish_drill` and :func:`register_lines` run over any transport
(the local stack's HTTP here, the app in process in ``tests/e2e/test_drill_script.py``). Times
are real here (the stack's clock), so the figures vary a little from run to run;
``tests/e2e/test_reports.py`` checks every figure of a scripted drill on an injected clock.
Never deployed (the local stack's).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from local.stack import PROJECT, LocalStack, free_port
from tocsin_cli.drills import target_text

PLAN = "crisis-cell"
ROSTER = ("c-ada", "c-bo", "c-chen", "c-dina")  # Dina stays silent
TARGETS = [
    {"role": "executive", "acknowledged": "50%", "within": "15m"},
    {"acknowledged": "75%", "within": "15m"},
]
BO_PHONE = "+12025550102"
_LINK = re.compile(r"https?://\S+/a/[A-Za-z0-9_-]+")
TIME_LIMIT = 90.0
RECEIPT_WAIT = 10.0  # the stand-ins' delivery receipts arrive a moment after each send
OUT = PROJECT / ".local"
FORMATS = ("html", "md", "json")

# (method, url, headers, body) -> (status, body): the tocsin command's transport shape
Send = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, bytes]]


@dataclass(frozen=True)
class DrillScript:
    send: Send
    api_url: str
    keys: Mapping[str, str]  # contact id -> personal key (activate, resolve, read)
    messages: Callable[[], Sequence[tuple[str, str]]]  # (destination, body) of all sent
    settle: Callable[[], None]  # returns once the drill's messages have been sent


def scripted_drill(script: DrillScript) -> str:
    """Start the simulation drill and answer it as scripted; the drill's id."""
    started = _call(script, "POST", "/v1/drills", "c-ada", {
        "plan": PLAN, "kind": "simulation", "roster": list(ROSTER), "targets": TARGETS,
    })  # fmt: skip
    drill_id, incident_id = str(started["drill_id"]), str(started["incident_id"])
    script.settle()
    _call(script, "POST", f"/v1/incidents/{incident_id}/acknowledge", "c-ada")
    link = next(
        found.group(0)
        for destination, body in script.messages()
        if destination == BO_PHONE and (found := _LINK.search(body))
    )
    status, _ = script.send(
        "POST",
        script.api_url + urlsplit(link).path,
        {"Content-Type": "application/x-www-form-urlencoded"},
        b"answer=ack",
    )
    if status != 200:
        raise RuntimeError(f"Bo's link answered {status}")
    _call(script, "POST", f"/v1/incidents/{incident_id}/decline", "c-chen")
    return drill_id


def register_lines(script: DrillScript, drill_id: str) -> list[str]:
    """The register's line of the drill, its raw counts and each target's result, as
    ``tocsin drill list`` shows them."""
    drill = _call(script, "GET", f"/v1/drills/{drill_id}", "c-ada")
    counts = drill["counts"] or {}
    median = counts.get("median_ack_seconds")
    lines = [
        f"{drill['drill_id']} {drill['created_at'][:16]} {drill['kind']} {drill['plan']} "
        f"{drill['state']} roster {drill['roster_size']}",
        f"  reached {counts.get('reached')}, delivered {counts.get('delivered')}, acknowledged "
        f"{counts.get('acknowledged')}, declined {counts.get('declined')}, silent "
        f"{counts.get('silent')}, median time to acknowledge "
        + ("-" if median is None else f"{median:.1f} s"),
    ]
    if drill["results"]:
        lines.append(f"  targets: {drill['verdict']}")
        lines += [f"    {target_text(result)}" for result in drill["results"]]
    return lines


def await_receipts(
    script: DrillScript, incident_id: str, until: float, pause: Callable[[], None]
) -> bool:
    """Until every SMS and email alert has its receipt (voice calls get none here), pausing
    between looks, or ``until`` (``time.monotonic()``) has passed: False then, and the report
    says what is still unknown."""
    while True:
        reach = _call(script, "GET", f"/v1/incidents/{incident_id}/report", "c-ada")["reach"]
        if all(c["unknown"] == 0 for c in reach if c["channel"] in ("sms", "email")):
            return True
        if time.monotonic() > until:
            return False
        pause()


def finish_drill(script: DrillScript, drill_id: str) -> dict[str, str]:
    """Ada resolves the drill's incident (the drill finishes: its targets pass or fail for
    good); its report in each of ``FORMATS``."""
    incident_id = _call(script, "GET", f"/v1/drills/{drill_id}", "c-ada")["incident_id"]
    _call(script, "POST", f"/v1/incidents/{incident_id}/resolve", "c-ada")
    reports = {}
    for chosen in FORMATS:
        headers = {"Authorization": f"Bearer {script.keys['c-ada']}"}
        path = f"/v1/incidents/{incident_id}/report?format={chosen}"
        status, raw = script.send("GET", script.api_url + path, headers, None)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {raw[:300]!r}")
        reports[chosen] = raw.decode("utf-8")
    return reports


def _call(script: DrillScript, method: str, path: str, who: str, document: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {script.keys[who]}", "Content-Type": "application/json"}
    body = json.dumps(document).encode() if document is not None else None
    status, raw = script.send(method, script.api_url + path, headers, body)
    if status >= 300:
        raise RuntimeError(f"{method} {path} answered {status}: {raw[:300]!r}")
    return json.loads(raw) if raw else None


def make_keys(stack: LocalStack) -> dict[str, str]:
    """A personal key for each person on the roster (activate, resolve, read), as ``tocsin
    keys create NAME --scope activate --scope resolve --scope read --contact ID`` makes one."""
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
    scopes = frozenset({Scope.ACTIVATE, Scope.RESOLVE, Scope.READ})
    made = {}
    for contact_id in ROSTER:
        made[contact_id] = generate_api_key()
        store.add(
            made[contact_id],
            ApiKey(f"{contact_id}-drill", scopes, contact_id=contact_id),
            datetime.now(UTC),
        )
    return made


def main() -> int:
    from tocsin_cli.http import UrllibTransport

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    started = time.monotonic()
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as stack:

        def outbox() -> list[tuple[str, str]]:
            return [(m["destination"], str(m.get("body", ""))) for m in stack.outbox()]

        def settle() -> None:  # every roster member with a phone has their text
            deadline = time.monotonic() + TIME_LIMIT
            while time.monotonic() < deadline:
                if BO_PHONE in {destination for destination, _ in outbox()}:
                    return
                time.sleep(0.2)
            raise TimeoutError("the drill's messages were not sent in time")

        script = DrillScript(
            UrllibTransport().send, stack.api_url, make_keys(stack), outbox, settle
        )
        drill_id = scripted_drill(script)
        incident_id = _call(script, "GET", f"/v1/drills/{drill_id}", "c-ada")["incident_id"]
        await_receipts(
            script, incident_id, time.monotonic() + RECEIPT_WAIT, lambda: time.sleep(0.2)
        )
        reports = finish_drill(script, drill_id)
        lines = register_lines(script, drill_id)
        reached = sorted({destination for destination, _ in outbox()})
    OUT.mkdir(exist_ok=True)
    for chosen, text in reports.items():
        (OUT / f"drill-report.{chosen}").write_text(text, encoding="utf-8")
    print(f"Simulation drill of {PLAN}, roster {', '.join(ROSTER)}: Ada acknowledges (API), Bo")
    print("acknowledges (his link), Chen can't respond, Dina stays silent; Ada resolves it.")
    print("Sent to: " + ", ".join(reached))
    print()
    print(reports["md"])
    print("The register:")
    print("\n".join(lines))
    print(f"Wrote {OUT / 'drill-report.html'} (and .md, .json).")
    print(f"Drill wall time: {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
