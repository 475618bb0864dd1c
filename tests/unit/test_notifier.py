"""Planning who a response plan reaches (Notifier), on the fakes: one message per person and
channel, gaps said on the timeline, the statements drafted (never sent), and the first
escalation level."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.core.errors import TransientError
from chalicelib.core.ids import incident_id_for_event, new_event_id
from chalicelib.core.model import (
    EventStatus,
    Incident,
    IncidentStatus,
    ResponseState,
    Severity,
)
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, CHEN, DINA, FAY, NIGHT, inboxes, story, texts


def opened(org: MemoryWorld, plan_id: str, escalation: str | None = None) -> Incident:
    incident_id = incident_id_for_event(new_event_id(NIGHT))
    incident = Incident(
        incident_id,
        IncidentStatus.OPEN,
        "Gas leak, building B",
        "safety.accident",
        Severity.CRITICAL,
        EventStatus.ACTUAL,
        f"manual:{incident_id}",
        "manual",
        plan_id,
        NIGHT,
        NIGHT,
        playbook_version=org.playbooks.version,
        response=ResponseState.starting(escalation, NIGHT),
    )
    org.incidents.create(incident, [])
    return incident


def test_each_person_is_reached_once_per_channel_and_the_gaps_are_said(org: MemoryWorld) -> None:
    incident = opened(org, "crisis-cell")
    queued = org.notifier.notify(incident.incident_id)
    assert queued == 11  # 11 messages to 6 people; the statements are drafts
    org.run_queues()
    assert [len(texts(org, phone)) for phone in (ADA, BO, CHEN, DINA, FAY)] == [1] * 5
    assert len(inboxes(org)) == 6 and org.broadcast.sent == []
    assert len(org.statement_desk.statements(incident.incident_id)) == 5
    assert story(org, incident.incident_id, "planned", "unreachable") == [
        "11 notifications planned for 6 people",
    ]


def test_a_role_with_nobody_reachable_on_a_channel_is_on_the_timeline(org: MemoryWorld) -> None:
    incident = opened(org, "health-response")  # hr by sms and email: Emil has no phone
    org.notifier.notify(incident.incident_id)
    assert "role hr: no sms address" in story(org, incident.incident_id, "unreachable")


def test_an_escalation_plan_pages_its_first_level_and_informs_the_rest(
    org: MemoryWorld,
) -> None:
    incident = opened(org, "it-major-incident", escalation="it-major")
    queued = org.notifier.notify(incident.incident_id, incident)
    assert queued == 3  # the two executives by email, the duty officer by SMS
    org.run_queues()
    assert sorted(inboxes(org)) == ["ada@example.com", "dina@example.com"]
    assert len(texts(org, FAY)) == 1 and texts(org, ADA) == []
    assert story(org, incident.incident_id, "paged") == [
        "level 1 of 3 (it-major): paging c-fay; acknowledgement expected within 5m"
    ]


def test_notifying_again_sends_nothing_twice(org: MemoryWorld) -> None:
    incident = opened(org, "security-response")
    org.notifier.notify(incident.incident_id)
    org.notifier.notify(incident.incident_id)  # the invocation died after queueing, say
    org.run_queues()
    assert len(texts(org, CHEN)) == 1 and len(texts(org, FAY)) == 1
    assert story(org, incident.incident_id, "planned") == ["6 notifications planned for 4 people"]


def test_the_plan_comes_from_the_playbook_the_incident_started_with(org: MemoryWorld) -> None:
    incident = opened(org, "path-test")
    playbook = org.playbooks.load()
    quieter = replace(playbook.plans["path-test"], statements=None, targets=())
    org.playbooks.use(replace(playbook, plans={**playbook.plans, "path-test": quieter}))
    org.notifier.notify(incident.incident_id)
    org.run_queues()
    assert sorted(inboxes(org)) == ["chen@example.com", "fay@example.com"]  # version 1's plan


def test_an_incident_not_readable_yet_is_retried(org: MemoryWorld) -> None:
    with pytest.raises(TransientError):
        org.notifier.notify("inc_not_yet")
