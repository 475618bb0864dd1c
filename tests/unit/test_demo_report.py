"""``make demo``'s account of an incident: people counted as people (the stakeholder topic
apart), the title and AWS message ids whole, each person's reply code, and when level 2 is due."""

from __future__ import annotations

from typing import Any

from local.demo import _settled, read_people, report

TITLE = "Customer database exposed: records of 60,000 people accessible without authentication"
SMS_ID = "747b1a40-7f10-46b6-8db8-be3ecb8242b7"
EMAIL_ID = "biaodbwkiuasyjnk-zhleithx-spny-ybin-dumv-vgpzukknluzx-dmejxo"
TOPIC_ID = "f75264c9-43ec-49ae-8314-bb1926989b27"


def sent(at: str, contact_id: str, channel: str, message_id: str) -> dict[str, Any]:
    return {
        "at": at,
        "kind": "notification_sent",
        "summary": f"{channel} handed to AWS for {contact_id}",
        "data": {"contact_id": contact_id, "channel": channel, "message_id": message_id},
    }


INCIDENT: dict[str, Any] = {
    "incident_id": "inc_01M8SKH0QR3MM9R944K3P90JP1",
    "title": TITLE,
    "status": "open",
    "timeline": [
        {"at": "2026-12-02T02:00:00+00:00", "kind": "event_received", "summary": "", "data": {}},
        {
            "at": "2026-12-02T02:00:01+00:00",
            "kind": "paged",
            "summary": "level 1 of 2 (crisis-core): paging c-ada, c-chen",
            "data": {
                "step": 0,
                "policy_id": "crisis-core",
                "paged": ["c-ada", "c-chen"],
                "jobs": 1,
                "due_at": "2026-12-02T02:10:01+00:00",
            },
        },
        sent("2026-12-02T02:00:01.200000+00:00", "c-ada", "sms", SMS_ID),
        sent("2026-12-02T02:00:01.300000+00:00", "c-ada", "email", EMAIL_ID),
        sent("2026-12-02T02:00:01.400000+00:00", "c-chen", "sms", "chen-sms-1"),
        sent("2026-12-02T02:00:01.500000+00:00", "@stakeholders", "broadcast", TOPIC_ID),
    ],
}
OUTBOX = [
    {"message_id": SMS_ID, "destination": "+12025550101"},
    {"message_id": EMAIL_ID, "destination": "ada@example.com"},
    {"message_id": "chen-sms-1", "destination": "+12025550103"},
    {"message_id": TOPIC_ID, "destination": "arn:aws:sns:us-east-1:123456789012:stakeholders"},
]
CODES = {"c-ada": "3455", "c-chen": "9244"}


def printed() -> str:
    return "\n".join(report(INCIDENT, OUTBOX, read_people(), CODES))


def test_people_are_counted_as_people_and_the_topic_apart() -> None:
    assert (
        "Reached 2 people with 3 messages, and the stakeholder topic with 1 statement. "
        "Trigger to first send: 1200 ms; to last: 1500 ms." in printed()
    )


def test_the_title_and_every_message_id_are_shown_whole() -> None:
    text = printed()
    assert f"Who was reached ({TITLE}):" in text
    for message_id in (SMS_ID, EMAIL_ID, TOPIC_ID):
        assert message_id in text


def test_the_cost_is_reported_as_the_api_gives_it_an_estimate() -> None:
    cost = {
        "sms_messages": 5,
        "sms_parts": 6,
        "voice_calls": 0,
        "voice_minutes": 0,
        "emails": 6,
        "push": 0,
        "statements": 1,
        "estimated_usd": 0.0534,
        "currency": "USD",
        "prices": "an estimate from the price table: AWS list prices, 2025",
    }
    text = "\n".join(report({**INCIDENT, "cost": cost}, OUTBOX, read_people(), CODES))
    assert text.splitlines()[-1] == (
        "Cost: 5 SMS (6 parts), 6 emails, 0 push, 1 statement: about $0.0534 "
        "(an estimate from the price table; see policies/budget.yaml)."
    )
    assert "Cost:" not in printed()  # an incident without a cost (an older API) prints none


def test_each_persons_reply_code_is_on_their_rows_and_the_topic_has_none() -> None:
    [ada] = [line for line in printed().splitlines() if SMS_ID in line]
    assert "Ada Example" in ada and " 3455 " in ada
    [topic] = [line for line in printed().splitlines() if TOPIC_ID in line]
    assert "(stakeholder topic)" in topic and not any(code in topic for code in CODES.values())


def test_it_says_when_level_two_is_due_and_how_to_stop_it() -> None:
    text = printed()
    assert "Escalation crisis-core paged Ada Example, Chen Example." in text
    assert "Level 2 is due at 02:10:01 UTC (10 min later) unless they acknowledge first" in text
    assert "(Ada Example: 3455 ACK)" in text
    assert "or tocsin ack with their personal key." in text


def test_with_a_quorum_it_says_how_many_must_acknowledge() -> None:
    incident = {**INCIDENT, "acknowledgements": {"needed": 2, "counted": [], "not_counted": []}}
    text = "\n".join(report(incident, OUTBOX, read_people(), CODES))
    assert "Level 2 is due at 02:10:01 UTC (10 min later) unless 2 of them acknowledge" in text


def test_the_demo_waits_for_the_plan_and_the_first_level_not_for_statements() -> None:
    planned = {"at": "", "kind": "planned", "summary": "", "data": {"jobs": 2}}
    incident = {**INCIDENT, "plan_id": "crisis-cell"}  # its statements wait for approvals
    incident["timeline"] = [*INCIDENT["timeline"][:2], planned, *INCIDENT["timeline"][2:4]]
    assert _settled(incident) is None  # 2 of 3 messages to people
    incident["timeline"] = [*INCIDENT["timeline"][:2], planned, *INCIDENT["timeline"][2:-1]]
    assert _settled(incident) is incident  # no statement goes out at activation
