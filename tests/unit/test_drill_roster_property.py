"""The roster is a hard guarantee: whatever the roster, the plan, its escalation levels and
on-call rotations, the fallbacks, updates, reassessment, check-ins and "I need help" answers,
no message of a drill reaches anyone off its roster (hypothesis)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.core.checkins.plan_step import plan_checkin_id
from chalicelib.core.checkins.values import AnsweredBy
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import TocsinError
from chalicelib.core.model import Channel, Contact
from chalicelib.core.playbook.drill_request import parse_drill_request
from chalicelib.core.updates.rhythm import UpdateRequest
from fakes import MemoryWorld, RecordingChannel
from fakes.world import _example
from tests.unit.conftest import SENDER

PLAYBOOK, EXAMPLE_PEOPLE = _example()
PLANS = sorted(PLAYBOOK.plans)
ROLES = sorted(PLAYBOOK.roles)
LANGUAGES = ["en", "da", "nb", "zh-Hant", "fr"]
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@st.composite
def people(draw: st.DrawFn) -> tuple[Contact, ...]:
    """The example's people (the on-call rotations name them), and up to 12 more, each with
    random roles, channels and language."""
    extra = []
    for n in range(draw(st.integers(0, 12))):
        has_phone, has_email = draw(st.booleans()), draw(st.booleans())
        extra.append(
            Contact(
                contact_id=f"c-x{n}",
                name=f"Extra {n}",
                roles=tuple(draw(st.lists(st.sampled_from(ROLES), max_size=3, unique=True))),
                language=draw(st.sampled_from(LANGUAGES)),
                phone=f"+120255501{20 + n:02d}" if has_phone else None,
                email=f"x{n}@example.com" if has_email else None,
                labels=("hq",) if draw(st.booleans()) else (),
            )
        )
    return (*EXAMPLE_PEOPLE, *extra)


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["tick", "ack", "decline", "update", "help", "event", "resolve"]),
        st.integers(0, 40),  # whom (an index into everyone) or how many minutes pass
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    everyone=people(),
    plan=st.sampled_from(PLANS),
    kind=st.sampled_from(["simulation", "full-scale"]),
    picks=st.lists(st.integers(0, 40), min_size=1, max_size=6),
    by_role=st.lists(st.sampled_from(ROLES), max_size=2),
    actions=ACTIONS,
)
def test_no_drill_message_reaches_anyone_off_its_roster(
    everyone: tuple[Contact, ...],
    plan: str,
    kind: str,
    picks: list[int],
    by_role: list[str],
    actions: list[tuple[str, int]],
) -> None:
    channels = {channel: RecordingChannel(channel) for channel in Channel}
    org = MemoryWorld(NOW, PLAYBOOK, everyone, senders=channels)
    roster_entries = sorted({everyone[i % len(everyone)].contact_id for i in picks})
    roster_entries += [f"role:{role}" for role in by_role]
    request = parse_drill_request(
        {"plan": plan, "kind": kind, "roster": roster_entries}, org.clock.now()
    )
    drill = org.drills.run(request, everyone[picks[0] % len(everyone)].contact_id).drill
    incident_id = drill.incident_id or ""
    roster = set(drill.roster)
    assert set(roster_entries) - {e for e in roster_entries if e.startswith("role:")} <= roster
    org.run_queues()
    for action, n in actions:
        person = everyone[n % len(everyone)].contact_id
        answerer = Answerer.by_personal_key("key", person)
        with contextlib.suppress(TocsinError):
            if action == "tick":
                org.clock.advance(minutes=1 + n)
                org.escalator.tick()
                org.checkin_reminders.tick()
                org.update_desk.tick()
            elif action == "ack":
                org.responses.acknowledge(incident_id, answerer)
            elif action == "decline":
                org.responses.decline(incident_id, answerer)
            elif action == "update":
                org.update_desk.post(incident_id, answerer, UpdateRequest({"en": "Still going"}))
            elif action == "help":  # "I need help" in the plan's check-in, if it has one
                org.checkins.answer(plan_checkin_id(incident_id), person, 2, AnsweredBy.API)
            elif action == "event":  # a real event meanwhile: reaches whom its plan says
                org.ingest.accept(
                    {"source": "monitoring", "type": "cyber.data_breach", "action": "trigger",
                     "severity": "critical", "summary": "A real breach",
                     "metrics": {"affected_people": 60000}},
                    SENDER,
                )  # fmt: skip
            elif action == "resolve":
                org.responses.resolve(incident_id, answerer)
        org.run_queues()
    sent_for_drills = [
        sent
        for recorder in channels.values()
        for sent in recorder.sent
        if (found := org.incidents.get(sent.incident_id)) is not None and found.drill_id
    ]
    addresses = _addresses(everyone)
    for sent in sent_for_drills:
        assert sent.channel is not Channel.BROADCAST, sent
        owners = {addresses[part] for part in sent.destination.split(";") if part in addresses}
        assert owners and owners <= roster, (sent.destination, roster)
    sent_entries = [
        entry
        for incident in {s.incident_id for s in sent_for_drills} | {incident_id}
        for entry in org.incidents.timeline(incident)
        if entry.kind == "notification_sent"
    ]
    assert {entry.data["contact_id"] for entry in sent_entries} <= roster


def _addresses(everyone: tuple[Contact, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for person in everyone:
        for channel in (Channel.SMS, Channel.EMAIL, Channel.PUSH):
            for part in (person.destination(channel) or "").split(";"):
                if part:
                    found[part] = person.contact_id
    return found
