"""``make demo``: start the stack, post a crisis, show who was reached and the timeline, then
the statements to staff and customers approved by two people and published; stop.

What it prints: the decision; every message with the person, the destination, the person's
reply code and AWS's whole message id; when the next escalation level is due; how many people
were reached; the statements drafted at activation, waiting for approval; two people approving
each (a second approval by the same person refused), one publishing, and what reached the
stakeholder topic and the customer list; the timeline (the cost estimate before the fan-out
among it); and what the messages cost (an estimate from the playbook's price table). Exits
non-zero when the crisis does not reach anyone within the time limit.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
import urllib.request
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from local.demo_statements import personal_keys, site_act, statements_act
from local.stack import PROJECT, LocalStack, free_port

DEMO_EVENT = PROJECT / "examples" / "events" / "demo.json"
CONTACTS = PROJECT / "examples" / "contacts.csv"
TIME_LIMIT = 60.0
STAKEHOLDERS = "@stakeholders"  # the "contact" of a broadcast: a topic, not a person


def request(method: str, url: str, key: str, body: bytes | None = None) -> Any:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    call = urllib.request.Request(url, data=body, method=method, headers=headers)
    with urllib.request.urlopen(call, timeout=10) as response:
        return json.load(response)


def wait_for(condition: Any, what: str, deadline: float) -> Any:
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"gave up waiting for {what}")


def main() -> int:
    started = time.monotonic()
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # a readable demo; logs in .local/
    deadline = started + TIME_LIMIT
    with LocalStack(aws_port=free_port(), api_port=free_port(), quiet=True) as stack:
        key = os.environ.get("TOCSIN_LOCAL_API_KEY", "local-dev-key")
        accepted = request("POST", f"{stack.api_url}/v1/events", key, DEMO_EVENT.read_bytes())
        event_id = accepted["event_id"]
        print(f"Posted {DEMO_EVENT.relative_to(PROJECT)}: 202 Accepted, event {event_id}")
        decision = wait_for(
            lambda: _decided(request("GET", f"{stack.api_url}/v1/events/{event_id}", key)),
            "the decision",
            deadline,
        )
        print(f"Decision: {decision['status']} ({decision['reason']})")
        if decision["status"] != "activated":
            return 1
        incident_url = f"{stack.api_url}/v1/incidents/{decision['incident_id']}"
        incident = wait_for(
            lambda: _settled(request("GET", incident_url, key)), "every notification", deadline
        )
        outbox = stack.outbox()
        codes = reply_codes(stack, incident["incident_id"], _people_sent_to(incident))
        keys = personal_keys(stack)  # Bo's and Dina's, to approve statements with
        spoken = statements_act(stack, incident["incident_id"], key, keys)
        site = site_act(stack, incident["incident_id"], keys)
        incident = request("GET", incident_url, key)  # with the statements on its timeline
    people = read_people()
    print("\n".join(report(incident, outbox, people, codes, spoken)))
    print("\n".join(site))
    print(f"Demo wall time: {time.monotonic() - started:.1f} s.")
    return 0 if len(_people_sent_to(incident)) >= 3 else 1


def report(
    incident: Mapping[str, Any],
    outbox: list[dict[str, Any]],
    people: Mapping[str, Mapping[str, str]],
    codes: Mapping[str, str],
    statements: Iterable[str] = (),
) -> list[str]:
    """The demo's account of an incident: who was reached, what comes next, the statements,
    the timeline."""
    lines = ["", f"Who was reached ({incident['title']}):"]
    lines += reached_table(incident, outbox, people, codes)
    lines += ["", *next_level(incident, people, codes), reach_summary(incident), *statements]
    lines += ["", f"Timeline of {incident['incident_id']} ({incident['status']}), times in UTC:"]
    for entry in incident["timeline"]:
        lines.append(f"  {entry['at'][11:23]}  {entry['kind']:<20} {entry['summary']}")
    lines.append("")
    if "cost" in incident:
        lines.append(cost_summary(incident))
    return lines


def cost_summary(incident: Mapping[str, Any]) -> str:
    """What its messages cost, as GET /v1/incidents/{id} reports it: an estimate."""
    cost = incident["cost"]
    parts = [f"{cost['sms_messages']} SMS ({_count(cost['sms_parts'], 'part')})"]
    if cost["voice_calls"]:
        minutes = _count(cost["voice_minutes"], "minute")
        parts.append(f"{_count(cost['voice_calls'], 'call')} ({minutes})")
    parts += [_count(cost["emails"], "email"), f"{cost['push']} push"]
    parts.append(_count(cost["statements"], "statement"))
    return (
        f"Cost: {', '.join(parts)}: about ${cost['estimated_usd']:.4f} "
        f"({cost['prices'].split(': ', 1)[0]}; see policies/budget.yaml)."
    )


def reached_table(
    incident: Mapping[str, Any],
    outbox: list[dict[str, Any]],
    people: Mapping[str, Mapping[str, str]],
    codes: Mapping[str, str],
) -> list[str]:
    by_message = {message["message_id"]: message for message in outbox}
    rows = [("Person", "Roles", "Channel", "Destination", "Reply code", "AWS message id")]
    for data in _sent(incident):
        contact_id = data["contact_id"]
        person = people.get(contact_id, {})
        topic = contact_id == STAKEHOLDERS
        rows.append(
            (
                "(stakeholder topic)" if topic else person.get("name", contact_id),
                person.get("roles", ""),
                data["channel"],
                by_message.get(data["message_id"], {}).get("destination", "?"),
                codes.get(contact_id, ""),
                data["message_id"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    table = [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return [table[0], "  " + "  ".join("-" * w for w in widths), *table[1:]]


def next_level(
    incident: Mapping[str, Any],
    people: Mapping[str, Mapping[str, str]],
    codes: Mapping[str, str],
) -> list[str]:
    """When the escalation pages its next level, unless those paged acknowledge first."""
    steps = [e for e in incident["timeline"] if e["kind"] in ("paged", "escalated")]
    if not steps:
        return []
    latest = steps[-1]["data"]
    paged = [people.get(c, {}).get("name", c) for c in latest["paged"]]
    lines = [f"Escalation {latest['policy_id']} paged {', '.join(paged)}."]
    if not latest.get("due_at"):
        return lines
    due = datetime.fromisoformat(latest["due_at"])
    minutes = round((due - datetime.fromisoformat(steps[-1]["at"])).total_seconds() / 60)
    following = "Level 2" if latest["step"] == 0 else "The next level"
    example = next(
        (f" ({paged[i]}: {codes[c]} ACK)" for i, c in enumerate(latest["paged"]) if c in codes), ""
    )
    needed = incident.get("acknowledgements", {}).get("needed", 1)
    who = "they" if needed == 1 else f"{needed} of them"
    lines.append(
        f"{following} is due at {due:%H:%M:%S} UTC ({minutes} min later) unless {who} acknowledge "
        f"first: a text with their reply code and ACK{example}, the link in their message, or "
        "tocsin ack with their personal key."
    )
    return lines


def reach_summary(incident: Mapping[str, Any]) -> str:
    sent = _sent(incident)
    people = _people_sent_to(incident)
    to_people = [data for data in sent if data["contact_id"] != STAKEHOLDERS]
    statements = len(sent) - len(to_people)
    text = f"Reached {len(people)} people with {len(to_people)} messages"
    if statements:
        text += f", and the stakeholder topic with {statements} statement" + (
            "s" if statements > 1 else ""
        )
    times = [
        datetime.fromisoformat(e["at"])
        for e in incident["timeline"]
        if e["kind"] == "notification_sent"
    ]
    if not times:
        return text + "."
    received = datetime.fromisoformat(incident["timeline"][0]["at"])
    return (
        f"{text}. Trigger to first send: {(min(times) - received).total_seconds() * 1000:.0f} ms; "
        f"to last: {(max(times) - received).total_seconds() * 1000:.0f} ms."
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def reply_codes(stack: LocalStack, incident_id: str, contact_ids: Iterable[str]) -> dict[str, str]:
    """Each person's reply code, as the stack stored it with their link (the demo's view of
    what the messages say; the timeline never holds codes)."""
    import boto3

    from chalicelib.settings import Settings
    from chalicelib.storage.responders import DynamoResponderRegistry

    env = stack.environment()
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_url,
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    registry = DynamoResponderRegistry(client, Settings.from_environment(env).incidents_table)
    found = {contact_id: registry.find(incident_id, contact_id) for contact_id in contact_ids}
    return {contact_id: item.code for contact_id, item in found.items() if item is not None}


def read_people() -> dict[str, dict[str, str]]:
    with CONTACTS.open(newline="", encoding="utf-8") as handle:
        return {row["contact_id"]: row for row in csv.DictReader(handle)}


def _sent(incident: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [e["data"] for e in incident["timeline"] if e["kind"] == "notification_sent"]


def _people_sent_to(incident: Mapping[str, Any]) -> list[str]:
    """Every person a message was handed to AWS for; the stakeholder topic is not a person."""
    people = dict.fromkeys(d["contact_id"] for d in _sent(incident))
    return [contact_id for contact_id in people if contact_id != STAKEHOLDERS]


def _decided(event: dict[str, Any]) -> dict[str, Any] | None:
    return event if event["status"] != "pending" else None


def _settled(incident: dict[str, Any]) -> dict[str, Any] | None:
    """The incident once every message it planned was handed over or failed: the plan's, the
    escalation's first level, and the statement to the stakeholder topic, when the plan has one
    (the demo knows from the example playbook the stack loaded)."""
    timeline = incident["timeline"]
    planned = next((e for e in timeline if e["kind"] == "planned"), None)
    if planned is None:
        return None
    expected = planned["data"]["jobs"] + sum(
        e["data"]["jobs"] for e in timeline if e["kind"] in ("paged", "escalated")
    )
    done = [e for e in timeline if e["kind"] in ("notification_sent", "notification_failed")]
    return incident if len(done) >= expected else None


if __name__ == "__main__":
    sys.exit(main())
