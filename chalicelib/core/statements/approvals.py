"""What an approval, a rejection, an edit or a publication of a statement is allowed to do,
decided over plain values. Pure: the desk reads, asks here, and writes.

Each refusal says why, as the error the caller gets (403: not this person, not this
credential; 409: not in this state), and nothing changes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from chalicelib.core.credentials import Answerer, Credential
from chalicelib.core.errors import Conflict, Forbidden
from chalicelib.core.statements.ports import Approval, Statement, StatementState

# Statements are approved by link, API or CLI with a personal key (a console later); never by
# SMS reply: a text proves a phone, not that the person read the words that will go out.
APPROVING_CREDENTIALS = frozenset({Credential.PERSONAL_KEY, Credential.LINK, Credential.CONSOLE})


def check_person(who: Answerer, roles: Collection[str], allowed: Collection[str], what: str) -> str:
    """The contact id of a person who may act on statements whose ``allowed`` roles are these;
    Forbidden otherwise."""
    if not who.person_bound or who.contact_id is None:
        raise Forbidden(
            f"to {what} a statement you need your own credential (a personal key); "
            f"{who.describe()} answers for nobody in particular"
        )
    if who.credential not in APPROVING_CREDENTIALS:
        raise Forbidden(
            f"statements are never approved by {who.credential.value}: use the link, "
            "the API or the tocsin command with your personal key"
        )
    if not set(roles) & set(allowed):
        raise Forbidden(
            f"{who.contact_id} may not {what} statements of this plan: "
            f"it takes one of the roles {', '.join(allowed)}"
        )
    return who.contact_id


def approved(statement: Statement, who: Answerer, digest: str | None, now: datetime) -> Statement:
    """The statement with ``who``'s approval added (approved once enough people did)."""
    person = str(who.contact_id)
    _require_open(statement, "approved")
    if statement.state is StatementState.APPROVED:
        raise Conflict(
            f"statement {statement.statement_id} already has its {statement.required} "
            "approvals; publish it"
        )
    if person in statement.approved_by:
        when = next(a.at for a in statement.approvals if a.contact_id == person)
        raise Conflict(
            f"{person} already approved statement {statement.statement_id} "
            f"(at {when:%H:%M:%S} UTC); another approval must come from another person"
        )
    if digest is not None and digest != statement.digest:
        raise Conflict(
            f"statement {statement.statement_id} is not the text you read (digest "
            f"{statement.digest}, not {digest}): read it again before approving"
        )
    approval = Approval(person, now, who.credential.value, who.holder, who.via, statement.digest)
    approvals = (*statement.approvals, approval)
    enough = len(approvals) >= statement.required
    return replace(
        statement,
        approvals=approvals,
        state=StatementState.APPROVED if enough else StatementState.DRAFT,
        version=statement.version + 1,
    )


def rejected(statement: Statement, person: str, reason: str, now: datetime) -> Statement:
    _require_open(statement, "rejected")
    return replace(
        statement,
        state=StatementState.REJECTED,
        settled_at=now,
        settled_by=person,
        reason=reason,
        version=statement.version + 1,
    )


def edited(statement: Statement, subject: str, body: str) -> Statement:
    _require_open(statement, "edited")
    if statement.frozen:
        raise Conflict(
            f"statement {statement.statement_id} is frozen: {statement.approved_by[0]} approved "
            "its text. Draft a new one that replaces it (POST .../statements with "
            f'"replaces": "{statement.statement_id}"); that one needs its own approvals'
        )
    return replace(statement, subject=subject, body=body, version=statement.version + 1)


def publishable(statement: Statement) -> None:
    """Raises unless ``statement`` may go out now."""
    if statement.state is StatementState.PUBLISHED:
        return
    _require_open(statement, "published")
    if statement.state is not StatementState.APPROVED:
        raise Conflict(
            f"statement {statement.statement_id} has {len(statement.approvals)} of the "
            f"{statement.required} approvals it needs (distinct people); nothing was sent"
        )
    if any(approval.digest != statement.digest for approval in statement.approvals):
        raise Conflict(f"statement {statement.statement_id} changed after it was approved")


def published(statement: Statement, person: str, now: datetime) -> Statement:
    return replace(
        statement,
        state=StatementState.PUBLISHED,
        settled_at=now,
        settled_by=person,
        version=statement.version + 1,
    )


def superseded(statement: Statement, by: str, now: datetime) -> Statement:
    return replace(
        statement,
        state=StatementState.SUPERSEDED,
        settled_at=now,
        settled_by=by,
        version=statement.version + 1,
    )


def _require_open(statement: Statement, what: str) -> None:
    if statement.state.is_settled or statement.state is StatementState.PUBLISHED:
        by = f" by {statement.settled_by}" if statement.settled_by else ""
        raise Conflict(
            f"statement {statement.statement_id} was {statement.state.value}{by}; "
            f"it cannot be {what}"
        )


def is_outdated_by(older: Statement, newer: Statement) -> bool:
    """Published, or still waiting and written before it: for the same readers, out of date."""
    same = (older.audience, older.language) == (newer.audience, newer.language)
    if not same or older.statement_id == newer.statement_id:
        return False
    if older.state is StatementState.PUBLISHED:
        return True
    return older.state in (StatementState.DRAFT, StatementState.APPROVED) and (
        older.created_at <= newer.created_at
    )
