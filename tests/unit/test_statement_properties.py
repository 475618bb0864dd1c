"""Nothing reaches an audience without its approvals, whatever people ask in whatever order
(hypothesis): every message a statement channel took is the exact text of a statement that the
plan's number of distinct people approved, each with their own credential and one of the
plan's roles, and each statement went through each channel at most once."""

from __future__ import annotations

from collections import Counter

from hypothesis import event, given, settings
from hypothesis import strategies as st

from chalicelib.core.credentials import PERSON_BOUND, Answerer, Credential
from chalicelib.core.errors import TocsinError
from chalicelib.core.statements.drafting import DraftRequest
from chalicelib.core.statements.ports import Statement
from fakes import MemoryWorld
from tests.unit.conftest import DEMO, NIGHT, incident_of, post

CALLERS = [
    Answerer.by_personal_key("ada-laptop", "c-ada"),
    Answerer.by_personal_key("ada-phone", "c-ada"),  # the same person, a second key
    Answerer.by_personal_key("bo-laptop", "c-bo"),
    Answerer.by_personal_key("dina-laptop", "c-dina"),
    Answerer.by_personal_key("fay-laptop", "c-fay"),  # not in the statement roles
    Answerer.by_link("c-bo"),
    Answerer.by_sms("c-dina"),  # never approves a statement
    Answerer.by_shared_key("ops-bot", "c-ada"),  # answers for someone: never counts
    Answerer.by_aws("arn:aws:iam::123456789012:user/ops", "c-dina"),
]
ACTIONS = ["approve"] * 5 + ["publish"] * 3 + ["reject", "edit", "draft"]
STATEMENT_ROLES = {"c-ada": True, "c-bo": True, "c-dina": True, "c-fay": False}


@st.composite
def calls(draw: st.DrawFn) -> list[tuple[str, int, int, str | None]]:
    steps = st.tuples(
        st.sampled_from(ACTIONS),
        st.one_of(st.integers(0, 3), st.integers(0, len(CALLERS) - 1)),  # mostly approvers
        st.integers(0, 1),  # which statement (of those that exist by then)
        st.sampled_from([None, None, None, "stale-digest"]),  # sometimes not the text read
    )
    return draw(st.lists(steps, min_size=10, max_size=30))


@settings(max_examples=300, deadline=None)
@given(calls())
def test_no_sequence_of_calls_reaches_an_audience_without_its_approvals(
    sequence: list[tuple[str, int, int, str | None]],
) -> None:
    world = MemoryWorld.example(NIGHT)
    incident_id = incident_of(world, post(world, DEMO)).incident_id
    desk = world.statement_desk
    for action, caller, pick, digest in sequence:
        existing = desk.statements(incident_id)
        target = existing[pick % len(existing)]
        who = CALLERS[caller]
        world.clock.advance(minutes=1)
        try:
            if action == "approve":
                desk.approve(incident_id, target.statement_id, who, "0" * 16 if digest else None)
            elif action == "publish":
                desk.publish(incident_id, target.statement_id, who)
            elif action == "reject":
                desk.reject(incident_id, target.statement_id, who, "no")
            elif action == "edit":
                desk.edit(incident_id, target.statement_id, who, None, f"Edited at {pick}.\n")
            else:
                request = DraftRequest(replaces=target.statement_id, body=f"New words {pick}.")
                desk.draft(incident_id, who, request)
        except TocsinError:
            pass
        _every_message_was_approved(world, desk.statements(incident_id))
    event(f"reached an audience: {len(world.broadcast.sent) + len(world.email.sent) > 6}")


def _every_message_was_approved(world: MemoryWorld, statements: list[Statement]) -> None:
    sent = [*world.broadcast.sent, *world.email.sent]
    to_audiences = [s for s in sent if s.destination in ("@stakeholders", _CUSTOMERS)]
    outlets: Counter[tuple[str, str]] = Counter()
    for message in to_audiences:
        matching = [
            s
            for s in statements
            if s.body == message.message.body and s.subject == message.message.subject
        ]
        assert matching, f"an unapproved text reached {message.destination}"
        statement = next(s for s in matching if _approved_enough(s))
        outlets[(statement.statement_id, message.destination)] += 1
    assert all(count == 1 for count in outlets.values()), outlets


def _approved_enough(statement: Statement) -> bool:
    people = {a.contact_id for a in statement.approvals}
    return (
        len(people) == len(statement.approvals) >= statement.required
        and all(STATEMENT_ROLES[person] for person in people)
        and all(Credential(a.credential) in PERSON_BOUND for a in statement.approvals)
        and all(a.credential != Credential.SMS.value for a in statement.approvals)
        and all(a.digest == statement.digest for a in statement.approvals)
    )


_CUSTOMERS = "customer-notices@example.com"
