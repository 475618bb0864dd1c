# ruff: noqa: RUF001 - full-width punctuation is correct in Traditional Chinese
"""Check-ins (issue 31) on the fakes: "are you safe?" to the example contacts of both sites,
answered by a digit and by the link page, "I need help" paging the responders, reminders only
to the silent, the counts exact at every step."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.core.checkins.roll_call import NotAnOption
from chalicelib.core.checkins.tally import Tally, tally
from chalicelib.core.checkins.values import AnsweredBy, Checkin
from chalicelib.core.errors import InvalidRequest
from chalicelib.core.model import IncidentStatus
from chalicelib.core.playbook.checkin_request import parse_checkin_request
from chalicelib.core.response.replies import InboundSms
from fakes import MemoryWorld
from tests.unit.conftest import ADA, BO, CHEN, DINA, FAY, texts

SITES: dict[str, Any] = {
    "audience": {"teams": ["site-copenhagen", "site-oslo"]},
    "responders": {"role": "facilities"},
    "deadline": "1h",
    "remind": {"every": "10m", "times": 2},
}


def start(org: MemoryWorld, **changes: Any) -> Checkin:
    checkin = org.checkins.start(parse_checkin_request({**SITES, **changes}), "c-ada")
    org.run_queues()
    return checkin


def standing(org: MemoryWorld, checkin: Checkin) -> Tally:
    found = org.checkin_store.get(checkin.checkin_id)
    assert found is not None
    store = org.checkin_store
    return tally(found, store.audience(found.checkin_id), store.latest(found.checkin_id))


def sms(org: MemoryWorld, sender: str, body: str) -> str | None:
    return org.inbound.handle(InboundSms(sender, "+12025550100", body, "in-1")).answer


def test_everyone_on_both_sites_is_asked_once_in_their_language(org: MemoryWorld) -> None:
    checkin = start(org)
    assert texts(org, ADA) == [
        "TOCSIN CHECK-IN: Are you safe?\n1 I am safe\n2 I need help\n"
        f"Reply with the number of your answer\n{link_of(org, 'c-ada', checkin)}"
    ]
    assert texts(org, CHEN)[0].startswith("TOCSIN 安全確認: 您安全嗎？\n1 我很安全\n2 我需要幫助")
    assert [sent.destination for sent in org.email.sent] == ["emil@example.com"]  # no phone
    assert texts(org, FAY) == []  # not on a site
    now = standing(org, checkin)
    assert (now.asked, now.answered, now.silent) == (
        5,
        0,
        ("c-ada", "c-bo", "c-chen", "c-dina", "c-emil"),
    )
    org.run_queues()
    org.dispatch_queue.put_jobs([])  # a redelivery asks nobody twice
    assert len(texts(org, ADA)) == 1


def test_answers_by_digit_and_link_count_and_help_pages_the_responders(org: MemoryWorld) -> None:
    checkin = start(org)
    assert sms(org, ADA, "1") == "Recorded: I am safe. Reply with another number to change it."
    assert sms(org, CHEN, "7") == "7 不是可選的答案。請回覆 1, 2 之一。"
    now = standing(org, checkin)
    assert dict(now.counts) == {1: 1, 2: 0}
    answered = org.checkins.answer(checkin.checkin_id, "c-dina", 2, AnsweredBy.LINK, asked=True)
    help_id = answered.answer.help_incident
    assert help_id is not None
    org.run_queues()
    page = texts(org, FAY)
    assert len(page) == 1
    assert page[0].startswith(
        "TOCSIN HIGH: Dina Example answered 'I need help' at 03:00 CET by link: +12025550104"
    )
    incident = org.incidents.get(help_id)
    assert incident is not None and incident.response.policy_id == "@role:facilities"
    now = standing(org, checkin)
    assert dict(now.counts) == {1: 1, 2: 1}
    assert now.by_team["site-oslo"] == {"1": 0, "2": 1, "none": 1}
    assert now.by_team["site-copenhagen"] == {"1": 1, "2": 0, "none": 2}
    assert now.needing_help == (("c-dina", help_id),)
    # Ada changes her mind; every answer is kept, the latest counts
    org.clock.advance(timedelta(seconds=30))
    assert sms(org, ADA, "2") is not None
    assert dict(standing(org, checkin).counts) == {1: 0, 2: 2}
    assert [
        a.option for a in org.checkin_store.answers(checkin.checkin_id) if a.contact_id == "c-ada"
    ] == [1, 2]


def test_a_bare_digit_with_two_open_checkins_names_both_and_records_nothing(
    org: MemoryWorld,
) -> None:
    first = start(org)
    org.clock.advance(timedelta(minutes=1))
    second = start(org, question="Is the office reachable?", options=["Yes", "No", "Not sure"])
    answer = sms(org, ADA, "1")
    assert answer is not None and answer.startswith("You have 2 open check-ins:")
    assert standing(org, first).answered == standing(org, second).answered == 0
    newest, _ = re.findall(r"(\d{4}): ", answer)  # newest first
    code = newest
    assert sms(org, ADA, f"{code} 3") is not None
    assert dict(standing(org, second).counts) == {1: 0, 2: 0, 3: 1}


def test_reminders_reach_only_the_silent_and_stop_at_the_deadline(org: MemoryWorld) -> None:
    checkin = start(org)
    sms(org, ADA, "1")
    sms(org, BO, "1")
    before = {phone: len(texts(org, phone)) for phone in (ADA, BO, CHEN, DINA)}
    org.clock.advance(timedelta(minutes=10))
    report = org.checkin_reminders.tick()
    org.run_queues()
    assert report.reminded == 3  # Chen, Dina, Emil
    assert len(texts(org, ADA)) == before[ADA]  # she answered: no reminder
    assert len(texts(org, CHEN)) == before[CHEN] + 1
    assert texts(org, DINA)[-1].startswith("TOCSIN SJEKK PÅMINNELSE: Er du trygg?")
    sms(org, DINA, "1")  # answers after the reminder was queued: the next one skips her
    org.clock.advance(timedelta(minutes=10))
    assert org.checkin_reminders.tick().reminded == 2
    org.clock.advance(timedelta(minutes=10))
    assert org.checkin_reminders.tick().reminded == 0  # two rounds were asked for
    org.clock.advance(timedelta(hours=1))
    assert org.checkin_reminders.tick().closed == 1
    incident = org.incidents.get(checkin.incident_id)
    assert incident is not None and incident.status is IncidentStatus.RESOLVED
    assert sms(org, CHEN, "1") == "已於期限後記錄：我很安全。"
    assert standing(org, checkin).late == 1


def test_a_digit_that_is_no_option_changes_nothing(org: MemoryWorld) -> None:
    checkin = start(org)
    with pytest.raises(NotAnOption):
        org.checkins.answer(checkin.checkin_id, "c-ada", 3, AnsweredBy.API)
    assert standing(org, checkin).answered == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"options": ["Only one"]}, "options"),
        ({"options": [str(n) for n in range(10)]}, "options"),
        ({"audience": {}}, "audience"),
        ({"audience": {"roles": ["nobody-holds-this"]}}, "audience.roles[0]"),
        ({"audience": {"labels": ["Building A"]}}, "audience.labels[0]"),
        ({"audience": {"labels": ["hq", "nobody-has-this"]}}, "audience.labels[1]"),
        ({"responders": {"role": "ghosts"}}, "responders.role"),
        ({"deadline": "0m"}, "deadline"),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_asked(
    org: MemoryWorld, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        org.checkins.start(parse_checkin_request({**SITES, **changes}), "c-ada")
    assert refused.value.field == field
    assert org.dispatch_queue.bodies == [] and org.checkin_store.open_ids() == []


def test_a_label_chooses_the_audience_and_the_counts_group_by_label(org: MemoryWorld) -> None:
    checkin = start(org, audience={"labels": ["first-aider"], "roles": ["facilities"]})
    assert (texts(org, ADA) != [], texts(org, DINA) != [], texts(org, FAY) != []) == (
        True,
        True,
        True,
    )
    assert texts(org, BO) == [] and texts(org, CHEN) == []  # in hq, or nothing: not asked
    assert checkin.audience.describe() == "role facilities, label first-aider"
    org.checkins.answer(checkin.checkin_id, "c-dina", 2, AnsweredBy.API)
    now = standing(org, checkin)
    assert now.asked == 3 and now.silent == ("c-ada", "c-fay")
    assert now.by_label == {
        "first-aider": {"1": 0, "2": 1, "none": 1},
        "hq": {"1": 0, "2": 0, "none": 1},  # Ada is in hq too: every label she has counts
    }
    assert now.by_team["site-oslo"] == {"1": 0, "2": 1, "none": 0}


def link_of(org: MemoryWorld, contact_id: str, checkin: Checkin) -> str:
    found = org.responders.find(checkin.incident_id, contact_id)
    assert found is not None
    return f"http://127.0.0.1:8000/a/{found.token}"
