"""The demo's second act: the statements the breach drafted, waiting for approval; two people
approve each with their own keys (one tries twice and is refused); one publishes; what reached
the staff topic and the customer list; and the dark site, live with the public statement, timed
from its second approval to the site showing it. Never deployed (the local stack's)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

from local.stack import LocalStack

APPROVERS = {"c-bo": "Bo Example (communications)", "c-dina": "Dina Example (legal)"}
PUBLISHED = ("staff-en-1", "customers-en-1")
PUBLIC = "public-en-1"  # the dark site's statement (audience public: channels [{site: public}])
SITE_FILES = ("index.html", "da/index.html", "feed.atom", "status.json", "cap.xml")


def statements_act(
    stack: LocalStack, incident_id: str, key: str, keys: dict[str, str]
) -> list[str]:
    """Approve and publish the staff (English) and customer statements; the lines to print."""
    base = f"{stack.api_url}/v1/incidents/{incident_id}/statements"
    lines = ["", "Statements drafted at activation (nothing sent until two people approve):"]
    lines += _table(_call("GET", base, key)["statements"])
    bo, dina = keys["c-bo"], keys["c-dina"]
    for statement_id in PUBLISHED:
        path = f"{base}/{statement_id}"
        statement = _call("POST", f"{path}/approve", bo, {})
        lines.append(f"  {APPROVERS['c-bo']} approves {statement_id}: {_state(statement)}")
        if statement_id == PUBLISHED[0]:
            for action in ("approve", "publish"):  # the same person again; one approval only
                lines.append(
                    "  Bo tries to " + action + " again: " + _refused(f"{path}/{action}", bo)
                )
        statement = _call("POST", f"{path}/approve", dina, {})
        lines.append(f"  {APPROVERS['c-dina']} approves {statement_id}: {_state(statement)}")
        published = _call("POST", f"{path}/publish", bo, {})
        lines.append(f"  Bo publishes {statement_id}: sent {', '.join(published['sent'])}")
    lines += ["", "Statements now:"]
    lines += _table(_call("GET", base, key)["statements"])
    for message in stack.outbox():
        if message["channel"] == "broadcast" or message["destination"].startswith("customer-"):
            lines += ["", f"Sent to {message['destination']}: {message.get('subject', '')}"]
            lines += [f"  | {line}" for line in str(message["body"]).rstrip().splitlines()]
    return lines


def site_act(stack: LocalStack, incident_id: str, keys: dict[str, str]) -> list[str]:
    """The dark site: dark before; the public statement approved by two people and published;
    the time from the second approval until the site's page shows it; the site's size."""
    path = f"{stack.api_url}/v1/incidents/{incident_id}/statements/{PUBLIC}"
    with urllib.request.urlopen(stack.site_url, timeout=5) as response:
        dark = "There are no current incidents" in response.read().decode()
    lines = ["", f"Dark site {stack.site_url} before: {'dark' if dark else 'not dark'}"]
    _call("POST", f"{path}/approve", keys["c-bo"], {})
    statement = _call("POST", f"{path}/approve", keys["c-dina"], {})
    approved = time.monotonic()
    published = _call("POST", f"{path}/publish", keys["c-bo"], {})
    shown = _site_shows(stack, statement["subject"])
    lines.append(
        f"  {PUBLIC} approved by c-bo and c-dina; published: {', '.join(published['sent'])}"
    )
    return lines + _site_lines(stack, statement["subject"], shown - approved)


def _site_shows(stack: LocalStack, subject: str, timeout: float = 10.0) -> float:
    """When the dark site's page first carries ``subject`` (as a reader polling it sees it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(stack.site_url, timeout=5) as response:
            if subject in response.read().decode():
                return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError(f"the dark site did not show {subject!r} within {timeout} s")


def _site_lines(stack: LocalStack, subject: str, seconds: float) -> list[str]:
    sizes = {}
    for name in SITE_FILES:
        with urllib.request.urlopen(stack.site_url + name, timeout=5) as response:
            sizes[name] = len(response.read())
    listed = ", ".join(f"{name} {size:,} B" for name, size in sizes.items())
    return [
        "",
        f"Dark site {stack.site_url} shows {subject!r}: {seconds * 1000:.0f} ms from the "
        "second approval (publish included)",
        f"  Site size {sum(sizes.values()):,} bytes: {listed}",
    ]


def personal_keys(stack: LocalStack) -> dict[str, str]:
    """A personal key each for Bo and Dina (statements and read), as ``tocsin keys create NAME
    --scope statements --scope read --contact c-bo`` makes one."""
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
    for contact_id in APPROVERS:
        made[contact_id] = generate_api_key()
        scopes = frozenset({Scope.STATEMENTS, Scope.READ})
        store.add(
            made[contact_id],
            ApiKey(f"{contact_id}-laptop", scopes, contact_id=contact_id),
            datetime.now(UTC),
        )
    return made


def _call(method: str, url: str, key: str, document: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    body = json.dumps(document).encode() if document is not None else None
    call = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(call, timeout=10) as response:
        return json.load(response)


def _refused(url: str, key: str) -> str:
    try:
        _call("POST", url, key, {})
    except urllib.error.HTTPError as error:
        answer = json.load(error)["error"]
        return f"refused {error.code} {answer['code']}: {answer['message']}"
    raise RuntimeError("the demo expected a refusal")


def _state(statement: dict[str, Any]) -> str:
    count = f"{len(statement['approvals'])}/{statement['approvals_required']}"
    return f"{statement['state']} ({count} approvals{', frozen' if statement['frozen'] else ''})"


def _table(statements: list[dict[str, Any]]) -> list[str]:
    rows = [("Statement", "Kind", "State", "Approved by", "Subject")]
    for s in statements:
        approvers = ", ".join(a["contact_id"] for a in s["approvals"]) or "-"
        count = f"{len(s['approvals'])}/{s['approvals_required']}"
        rows.append(
            (s["statement_id"], s["kind"], s["state"], f"{count} {approvers}", s["subject"])
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
