"""The budget gate's edges: SMS parts run out before messages do, a new hour, the reserve, a
playbook that names nobody to release, an incident resolved while its messages are held, a
released message that falls back, and the estimate recorded before a fan-out."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.activation.intake import Sender
from chalicelib.core.errors import Conflict, PermanentSendError
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.model import Channel, Contact, IncidentStatus, Message, SendReceipt
from chalicelib.core.playbook.document import Playbook, parse_playbook
from chalicelib.core.spend.cost import incident_cost
from chalicelib.core.spend.gate import Outgoing
from chalicelib.core.spend.ports import HoldState
from fakes import MemoryWorld, RecordingChannel, Sent

NOW = datetime(2026, 12, 2, 3, 5, tzinfo=UTC)
DUTY = Contact("c-duty", "Dee", ("duty",), phone="+12025550110", email="dee@example.com")
EVE = Contact("c-eve", "Eve", ("executive",), phone="+12025550111", email="eve@example.com")


def playbook(budget: dict[str, Any], notify: list[Any] | None = None) -> Playbook:
    return parse_playbook(
        {
            "roles": [{"id": "duty"}, {"id": "executive"}],
            "plans": [
                {
                    "id": "page",
                    "title": "Page",
                    "notify": notify or [{"role": "duty", "channels": ["sms"]}],
                }
            ],
            "rules": [{"id": "alerts", "match": {"types": ["it.alert"]}, "plan": "page"}],
            "settings": [{"id": "budget", **budget}],
        }
    )


SENDER = Sender(namespace="prometheus")


def storm(world: MemoryWorld, count: int, title: str = "Disk full") -> None:
    for number in range(count):
        world.ingest.accept(alert(number, title), SENDER)
    world.run_queues()


def alert(number: int, title: str = "Disk full") -> dict[str, Any]:
    return {
        "source": "prometheus",
        "type": "it.alert",
        "severity": "critical",
        "summary": f"{title} {number}",
        "dedup_key": f"k{number}",
    }


def sent(world: MemoryWorld, channel: Channel) -> list[Sent]:
    return [each for each in world.sent() if each.channel is channel]


def kinds(world: MemoryWorld, incident_id: str) -> list[str]:
    return [entry.kind for entry in world.incidents.timeline(incident_id)]


def every_entry(world: MemoryWorld) -> list[Any]:
    return [
        entry
        for incident in world.incidents.incidents()
        for entry in world.incidents.timeline(incident.incident_id)
    ]


def test_sms_parts_run_out_before_messages_do() -> None:
    budget = {"per_hour": {"sms": {"messages": 100, "parts": 5}}, "release": {"role": "executive"}}
    world = MemoryWorld(NOW, playbook(budget), [DUTY, EVE])
    storm(world, 6, title="Brand i serverrummet: køling nede på begge linjer " * 3)
    to_duty = [s for s in sent(world, Channel.SMS) if s.destination == DUTY.phone]
    parts = sum(incident_cost(world.incidents.timeline(s.incident_id)).sms_parts for s in to_duty)
    assert len(to_duty) == 2 and parts == 4  # two parts each; a third would pass five parts
    held = world.hold_desk.recent(HoldState.HELD)
    assert len(held) == 4 and all(hold.units == {Channel.SMS: 2} for hold in held)
    summary = next(e for e in world.incidents.timeline(held[0].incident_id) if e.kind == "held")
    assert "(sms: 100 messages and 5 parts an hour)" in summary.summary


def test_a_new_hour_has_a_new_budget_and_what_is_held_stays_held() -> None:
    budget = {"per_hour": {"sms": {"messages": 2}}, "release": {"role": "executive"}}
    world = MemoryWorld(NOW, playbook(budget), [DUTY, EVE])
    storm(world, 3)
    world.clock.current = NOW + timedelta(hours=1)
    storm(world, 6)  # k0..k2 are open: they join; k3..k5 open three more
    to_duty = [s for s in sent(world, Channel.SMS) if s.destination == DUTY.phone]
    assert len(to_duty) == 4  # two in each hour
    assert len(world.hold_desk.recent(HoldState.HELD)) == 2  # one from each hour, still waiting
    pages = [s for s in sent(world, Channel.SMS) if s.destination == EVE.phone]
    assert len(pages) == 2  # once an hour while messages are held


def test_the_page_draws_on_its_reserve_and_says_so_when_it_is_spent() -> None:
    people = [DUTY, *(replace(EVE, contact_id=f"c-exec-{n}") for n in range(3))]
    budget = {
        "per_hour": {"sms": {"messages": 1}},
        "release": {"role": "executive", "channels": ["sms"], "reserve": 2},
    }
    world = MemoryWorld(NOW, playbook(budget), people)
    storm(world, 3)
    pages = [s for s in sent(world, Channel.SMS) if s.destination == EVE.phone]
    assert len(pages) == 2  # the reserve: two of the three releasers
    failed = [entry for entry in every_entry(world) if entry.kind == "notification_failed"]
    assert [entry.summary for entry in failed] == ["sms to c-exec-2 failed: reserve_spent"]
    assert failed[0].data["detail"] == "the reserve of 2 sms messages an hour is spent"


def test_with_nobody_named_to_release_messages_are_held_and_the_timeline_says_so() -> None:
    world = MemoryWorld(NOW, playbook({"per_hour": {"sms": {"messages": 1}}}), [DUTY, EVE])
    storm(world, 2)
    [hold] = world.hold_desk.recent(HoldState.HELD)
    [entry] = [e for e in world.incidents.timeline(hold.incident_id) if e.kind == "budget_page"]
    assert "names nobody to release held messages (settings budget.release.role)" in entry.summary
    assert not [s for s in sent(world, Channel.SMS) if s.destination == EVE.phone]
    # Anyone may release then (a person: the API and the CLI ask for one).
    assert world.hold_desk.release(hold.hold_id, "c-duty", "test").state is HoldState.RELEASED


def test_alerts_of_an_incident_resolved_meanwhile_are_neither_held_nor_sent() -> None:
    budget = {"per_hour": {"sms": {"messages": 1}}, "release": {"role": "executive"}}
    world = MemoryWorld(NOW, playbook(budget), [DUTY, EVE])
    storm(world, 1)
    world.ingest.accept(alert(1), SENDER)
    world.decide_queued()
    [(incident_id, jobs)] = world.dispatch_queue.take_messages()
    incident = world.incidents.get(incident_id)
    assert incident is not None
    world.incidents.close(incident, replace(world.incidents.timeline(incident_id)[0], key="x"))
    # The dispatcher read the incident while it was open; it is resolved before the hold.
    gate = world.spend_gate
    claimed = [j for j in jobs if world.ledger.claim(j, NOW, NOW).granted]
    ready = [Outgoing(j, DUTY.phone or "", Message("x")) for j in claimed]
    admission = gate.admit(replace(incident, status=IncidentStatus.OPEN), ready)
    assert (admission.cleared, admission.held) == ([], 0)
    assert world.hold_desk.recent(HoldState.HELD) == []


class SmsThatStopsWorking(RecordingChannel):
    """An SMS channel that takes messages until the number is found not to be a mobile."""

    def __init__(self) -> None:
        super().__init__(Channel.SMS)
        self.failing = False

    def send(self, destination: str, message: Message, incident_id: str) -> SendReceipt:
        if self.failing:
            raise PermanentSendError("DESTINATION_PHONE_NUMBER_NOT_VERIFIED", "not a mobile")
        return super().send(destination, message, incident_id)


def test_a_released_message_that_fails_falls_back_along_its_chain_still_released() -> None:
    budget = {
        "per_hour": {"sms": {"messages": 1}, "email": {"messages": 1}},
        "release": {"role": "executive", "channels": ["email"]},
    }
    chain = [{"role": "duty", "chain": ["sms", "email"]}]
    sms = SmsThatStopsWorking()
    email = RecordingChannel(Channel.EMAIL)
    senders: dict[Channel, ChannelSender] = {Channel.SMS: sms, Channel.EMAIL: email}
    world = MemoryWorld(NOW, playbook(budget, chain), [DUTY, EVE], senders)
    storm(world, 2)  # k0: SMS sent; k1: SMS held; the page takes the reserve, not the budget
    [hold] = world.hold_desk.recent(HoldState.HELD)
    sms.failing = True
    world.hold_desk.release(hold.hold_id, "c-eve", "test")
    world.run_queues()
    timeline = world.incidents.timeline(hold.incident_id)
    assert [e.summary for e in timeline if e.kind == "fallback"] == [
        "sms to c-duty failed: DESTINATION_PHONE_NUMBER_NOT_VERIFIED; falling back to email"
    ]
    [sent] = [
        e for e in timeline if e.kind == "notification_sent" and e.data["contact_id"] == "c-duty"
    ]
    assert sent.data["channel"] == "email" and sent.data["hold_id"] == hold.hold_id
    assert world.hold_desk.recent(HoldState.HELD) == []  # the fallback was not held again


def test_the_estimate_is_on_the_timeline_before_a_fan_out_above_the_threshold() -> None:
    people = [replace(DUTY, contact_id=f"c-duty-{n}") for n in range(4)]
    world = MemoryWorld(NOW, playbook({"estimate_above": 3}), people)
    world.ingest.accept(alert(0), SENDER)
    world.decide_queued()
    [incident_id] = [incident.incident_id for incident in world.incidents.incidents()]
    [estimate] = [e for e in world.incidents.timeline(incident_id) if e.kind == "cost_estimate"]
    assert sent(world, Channel.SMS) == []  # recorded before anything is sent
    assert estimate.summary.startswith(
        "before the fan-out of 4 messages, estimated cost: 4 SMS (4 parts): about $0.0352"
    )
    world.run_queues()
    cost = incident_cost(world.incidents.timeline(incident_id))
    assert (cost.sms_messages, cost.sms_parts) == (4, 4)
    assert round(cost.estimated_usd, 4) == estimate.data["estimated_usd"] == 0.0352
    # At the threshold, no estimate.
    quiet = MemoryWorld(NOW, playbook({"estimate_above": 4}), people)
    quiet.ingest.accept(alert(0), SENDER)
    quiet.decide_queued()
    [quiet_id] = [incident.incident_id for incident in quiet.incidents.incidents()]
    assert "cost_estimate" not in kinds(quiet, quiet_id)


def test_a_release_that_died_before_queueing_is_finished_by_releasing_again() -> None:
    budget = {"per_hour": {"sms": {"messages": 1}}, "release": {"role": "executive"}}
    world = MemoryWorld(NOW, playbook(budget), [DUTY, EVE])
    storm(world, 2)
    [hold] = world.hold_desk.recent(HoldState.HELD)
    # The first release moved the hold, then its invocation died before queueing anything.
    assert world.holds.settle(hold.hold_id, HoldState.RELEASED, "c-eve", NOW) is not None
    assert world.dispatch_queued().sent == 0
    finished = world.hold_desk.release(hold.hold_id, "c-eve", "api")
    assert finished.queued and finished.settled_by == "c-eve"  # the first decision stands
    assert world.dispatch_queued().sent == 1
    assert len([s for s in sent(world, Channel.SMS) if s.destination == DUTY.phone]) == 2
    with pytest.raises(Conflict, match="already released"):
        world.hold_desk.release(hold.hold_id, "c-eve", "api")
    assert world.dispatch_queued().sent == 0
