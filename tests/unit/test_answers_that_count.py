"""Answers that count (issue 19), on the fakes: only a credential bound to the person, and only
someone a level of the escalation has paged, count toward the quorum; every other answer is
recorded with who made it and why it does not count, and changes nothing.

The demo's data breach (crisis-cell, escalation crisis-core): level 1 pages the executives and
IT security (Ada, Chen, Dina, Fay) and two of them must acknowledge; level 2 pages legal and
communications (Dina, Bo). The plan also informs communications and HR at once (Bo, Emil).
"""

from __future__ import annotations

import pytest

from chalicelib.core.access import ApiKey, Scope
from chalicelib.core.activation.manual import ManualRequest
from chalicelib.core.credentials import Answerer, Credential
from chalicelib.core.errors import Forbidden, InvalidRequest
from chalicelib.core.model import EventStatus, ResponseState, Severity, Stop
from chalicelib.core.response.next_step import StepOutcome
from chalicelib.core.response.state import NotCounted, why_not_counted
from fakes import MemoryWorld
from tests.unit.conftest import BO, DEMO, incident_of, post, story, texts

ARN = "arn:aws:iam::123456789012:user/ops"


@pytest.fixture
def breach(org: MemoryWorld) -> str:
    return incident_of(org, post(org, DEMO)).incident_id


def state(org: MemoryWorld, incident_id: str) -> ResponseState:
    incident = org.incidents.get(incident_id)
    assert incident is not None
    return incident.response


# --- who is bound to whom (pure) ---------------------------------------------------------------


def test_only_the_persons_own_credentials_are_bound_to_them() -> None:
    bound = [
        Answerer.by_link("c-ada"),
        Answerer.by_sms("c-ada"),
        Answerer.by_personal_key("ada-phone", "c-ada"),
        Answerer("c-ada", Credential.CONSOLE, "c-ada", "console"),
    ]
    unbound = [
        Answerer.by_shared_key("ops-bot", "c-ada"),
        Answerer.by_aws(ARN, "c-ada"),
        Answerer.by_event("grafana"),
    ]
    assert [a.person_bound for a in bound] == [True] * 4
    assert [a.person_bound for a in unbound] == [False] * 3
    assert [a.describe() for a in unbound] == [
        "key ops-bot",
        f"AWS principal {ARN}",
        "grafana",
    ]


def test_a_personal_key_answers_for_its_person_only_and_a_shared_key_must_name_one() -> None:
    personal = ApiKey("ada-phone", frozenset({Scope.RESOLVE}), contact_id="c-ada")
    assert personal.answerer(None) == Answerer.by_personal_key("ada-phone", "c-ada")
    assert personal.answerer("c-ada").person_bound
    with pytest.raises(Forbidden, match="c-ada's personal key: it answers only for c-ada"):
        personal.answerer("c-bo")
    shared = ApiKey("ops-bot", frozenset({Scope.RESOLVE}))
    with pytest.raises(InvalidRequest) as unnamed:
        shared.answerer(None)
    assert unnamed.value.field == "for" and "not a personal key" in unnamed.value.message
    named = shared.answerer("c-ada")
    assert (named.contact_id, named.person_bound, named.holder) == ("c-ada", False, "ops-bot")
    # Resolving acts on the incident: a shared key may name nobody.
    assert shared.answerer(None, person_needed=False).contact_id is None


def test_why_an_answer_does_not_count(org: MemoryWorld) -> None:
    policy = org.playbooks.load().escalations["crisis-core"]
    paged = ResponseState("core", step=1, paged=("c-bo",), paged_by_step=(("c-ada",), ("c-bo",)))

    def why(answerer: Answerer, alerted: bool = True) -> NotCounted | None:
        return why_not_counted(paged, policy, answerer, alerted)

    assert why(Answerer.by_link("c-ada")) is None  # paged at an earlier level
    assert why(Answerer.by_sms("c-bo")) is None  # paged at the current level
    assert why(Answerer.by_link("c-emil")) is NotCounted.NOT_AT_LEVEL  # informed only
    assert why(Answerer.by_personal_key("k", "c-zed"), alerted=False) is NotCounted.NOT_PAGED
    assert why(Answerer.by_shared_key("bot", "c-ada")) is NotCounted.NOT_BOUND
    assert why(Answerer.by_aws(ARN, "c-bo")) is NotCounted.NOT_BOUND
    assert why(Answerer.by_event("grafana")) is NotCounted.NOT_A_PERSON
    # Without an escalation policy, everyone the plan alerted counts.
    assert why_not_counted(ResponseState(), None, Answerer.by_link("c-emil"), True) is None


# --- the quorum, on the demo's crisis ----------------------------------------------------------


def test_one_insider_and_one_outsider_do_not_make_a_quorum_of_two(
    org: MemoryWorld, breach: str
) -> None:
    first = org.responses.acknowledge(breach, Answerer.by_link("c-ada"))
    assert (first.outcome, first.have, first.needed) == ("counted", 1, 2)
    # Bo (communications) got the plan's SMS with his own link, but level 1 did not page him.
    outsider = org.responses.acknowledge(breach, Answerer.by_link("c-bo"))
    assert (outsider.outcome, outsider.why) == ("not_counted", NotCounted.NOT_AT_LEVEL)
    assert outsider.say("da") == (
        f"Registreret: {DEMO['summary']}. Det tæller ikke med blandt de nødvendige "
        "kvitteringer: du blev orienteret, ikke kaldt på dette niveau."
    )
    after = state(org, breach)
    assert after.acknowledged_by == ("c-ada",) and after.stopped is None
    assert story(org, breach, "not_counted") == [
        "c-bo acknowledged via link; not counted: c-bo was informed, not paged at a level of "
        "crisis-core so far"
    ]
    # Nobody else acknowledges: ten minutes on, level 2 (legal, communications) is paged...
    org.clock.advance(minutes=11)
    assert org.escalator.tick().escalated == 1
    org.run_queues()
    # ...and now that a level has paged Bo, his acknowledgement counts: two of two.
    counted = org.responses.acknowledge(breach, Answerer.by_sms("c-bo"))
    assert (counted.outcome, counted.have, counted.needed) == ("acknowledged", 2, 2)
    assert state(org, breach).stopped is Stop.ACKNOWLEDGED


def test_a_shared_key_cannot_complete_a_quorum(org: MemoryWorld, breach: str) -> None:
    org.responses.acknowledge(breach, Answerer.by_personal_key("ada-phone", "c-ada"))
    relayed = org.responses.acknowledge(breach, Answerer.by_shared_key("chat-bot", "c-chen"))
    assert (relayed.outcome, relayed.counted) == ("not_counted", False)
    assert relayed.message.endswith(
        "it was made with key chat-bot, not with c-chen's own link, reply code or personal key."
    )
    assert state(org, breach).acknowledged_by == ("c-ada",)
    org.clock.advance(minutes=11)
    assert org.escalator.tick().escalated == 1  # still escalating
    # Chen herself, by text: now the quorum is there.
    assert org.responses.acknowledge(breach, Answerer.by_sms("c-chen")).outcome == "acknowledged"


def test_aws_credentials_are_recorded_with_their_principal_and_never_count(
    org: MemoryWorld, breach: str
) -> None:
    for contact_id in ("c-ada", "c-chen"):
        answer = org.responses.acknowledge(breach, Answerer.by_aws(ARN, contact_id))
        assert answer.why is NotCounted.NOT_BOUND
    assert state(org, breach).acknowledged_by == ()
    assert story(org, breach, "not_counted") == [
        f"AWS principal {ARN} acknowledged for {who} via cli; not counted: made with AWS "
        f"principal {ARN}, not with {who}'s own link, reply code or personal key"
        for who in ("c-ada", "c-chen")
    ]
    entry = next(e for e in org.incidents.timeline(breach) if e.kind == "not_counted")
    assert entry.data["by"] == ARN and entry.data["credential"] == "aws credentials"
    assert (entry.data["contact_id"], entry.data["person_bound"]) == ("c-ada", False)


def test_an_answer_that_does_not_count_never_holds_up_a_tick(org: MemoryWorld, breach: str) -> None:
    org.clock.advance(minutes=11)
    before = org.incidents.get(breach)
    assert before is not None
    for _ in range(3):  # a script relaying answers, again and again
        org.responses.acknowledge(breach, Answerer.by_shared_key("chat-bot", "c-ada"))
        org.responses.decline(breach, Answerer.by_shared_key("chat-bot", "c-ada"))
    assert state(org, breach).version == before.response.version
    assert org.escalator.advance(before).outcome is StepOutcome.PAGED  # not LOST_RACE
    assert len(story(org, breach, "not_counted")) == 2  # each kind once per step


def test_a_decline_that_does_not_count_pages_nobody_sooner(org: MemoryWorld, breach: str) -> None:
    for contact_id in ("c-ada", "c-chen", "c-dina"):
        org.responses.decline(breach, Answerer.by_link(contact_id))
    assert not org.responses.decline(breach, Answerer.by_aws(ARN, "c-fay")).escalating
    assert not org.responses.decline(breach, Answerer.by_link("c-bo")).escalating
    assert state(org, breach).step == 0
    # Fay herself: everyone level 1 paged has declined, so level 2 is paged at once.
    assert org.responses.decline(breach, Answerer.by_sms("c-fay")).escalating
    assert state(org, breach).step == 1


def test_the_levels_table_shows_who_each_level_paged_and_who_acknowledged(
    org: MemoryWorld, breach: str
) -> None:
    org.responses.acknowledge(breach, Answerer.by_link("c-ada"))
    org.responses.acknowledge(breach, Answerer.by_link("c-bo"))
    org.responses.decline(breach, Answerer.by_sms("c-fay"))
    org.clock.advance(minutes=11)
    org.escalator.tick()
    org.responses.acknowledge(breach, Answerer.by_sms("c-dina"))
    incident = org.incidents.get(breach)
    assert incident is not None
    standing = org.responses.standing(incident)
    assert (standing.policy_id, standing.needed, standing.counted) == (
        "crisis-core",
        2,
        ("c-ada", "c-dina"),
    )
    assert standing.escalation == "acknowledged" and standing.due_at is None
    rows = [(r.level, r.quorum, r.paged, r.acknowledged, r.declined) for r in standing.levels]
    assert rows == [
        (1, 2, ("c-ada", "c-chen", "c-dina", "c-fay"), ("c-ada", "c-dina"), ("c-fay",)),
        (2, 2, ("c-bo", "c-dina"), ("c-dina",), ()),
    ]
    [bo] = standing.not_counted
    assert (bo.contact_id, bo.answer, bo.why, bo.credential) == (
        "c-bo",
        "acknowledged",
        "not_at_level",
        "link",
    )


def test_without_an_escalation_policy_everyone_the_plan_alerted_counts(org: MemoryWorld) -> None:
    request = ManualRequest("Fire alarm, Oslo", Severity.CRITICAL, EventStatus.ACTUAL, "manual.x")
    incident = org.manual.request("site-emergency", "c-fay", request)
    org.run_queues()
    answer = org.responses.acknowledge(incident.incident_id, Answerer.by_link("c-emil"))
    assert (answer.outcome, answer.counted) == ("acknowledged", True)
    standing = org.responses.standing(answer.incident)
    assert (standing.escalation, standing.levels, standing.counted) == (
        "acknowledged",
        (),
        ("c-emil",),
    )


def test_the_reply_texted_to_an_uncounted_person_says_why(org: MemoryWorld, breach: str) -> None:
    from chalicelib.core.response.replies import InboundSms

    code = texts(org, BO)[0].split("Svar ")[1].split(" ")[0]
    outcome = org.inbound.handle(InboundSms(BO, "+12025550100", f"{code} ACK", "in-1"))
    assert (outcome.intent, outcome.contact_id) == ("ack", "c-bo")
    assert texts(org, BO)[-1].endswith("du blev orienteret, ikke kaldt på dette niveau.")


def test_tocsin_has_words_for_every_answer_in_every_language() -> None:
    from chalicelib.core.wording.phrases import PHRASES

    for language, phrases in PHRASES.items():
        assert set(phrases) == set(PHRASES["en"]), language
    for why in NotCounted:
        assert f"why_{why.value}" in PHRASES["en"]
