"""Drafts: from the plan's templates (the initial holding statement at activation, an update, a
closing statement) or from a person's own words; and the requests that ask for them. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.core.errors import FieldProblem, InvalidRequest
from chalicelib.core.model import Incident
from chalicelib.core.playbook.audiences import Audience, StatementKind, StatementPolicy
from chalicelib.core.statements.ports import DRAFTED_BY_TOCSIN, Statement, StatementState
from chalicelib.core.wording.languages import language_candidates
from chalicelib.core.wording.statement_text import (
    MAX_BODY,
    MAX_SUBJECT,
    render_statement,
    statement_variables,
)

_DRAFT_FIELDS = frozenset({"audience", "language", "kind", "subject", "body", "replaces"})
_EDIT_FIELDS = frozenset({"subject", "body"})


@dataclass(frozen=True)
class DraftRequest:
    """``POST .../statements``: every field optional but the audience (or what it replaces);
    without a subject or body, the template's words are used."""

    audience: str | None = None
    language: str | None = None
    kind: StatementKind | None = None
    subject: str | None = None
    body: str | None = None
    replaces: str | None = None


def statement_id(audience: str, language: str, number: int) -> str:
    """``staff-en-2``: readable on a call, unique within the incident."""
    return f"{audience}-{language}-{number}"


def from_template(
    incident: Incident,
    audience: Audience,
    language: str,
    kind: StatementKind,
    policy: StatementPolicy,
    number: int,
    now: datetime,
    by: str,
) -> Statement:
    template = audience.templates[language][kind]
    variables = statement_variables(incident, now, now + audience.update_every, audience.timezone)
    subject, body = render_statement(template.subject, template.body, variables)
    return Statement(
        incident_id=incident.incident_id,
        statement_id=statement_id(audience.audience_id, language, number),
        audience=audience.audience_id,
        language=language,
        kind=kind,
        subject=subject,
        body=body,
        state=StatementState.DRAFT,
        required=policy.approvals,
        roles=policy.roles,
        created_at=now,
        created_by=by,
    )


def tocsin_drafts(
    incident: Incident,
    audiences: Sequence[Audience],
    policy: StatementPolicy,
    kind: StatementKind,
    existing: Sequence[Statement],
    now: datetime,
) -> list[Statement]:
    """Tocsin's drafts of ``kind`` for each audience and language: the holding statement at
    activation (number 1), an update with each update posted to the responders (the next
    number), and the closing statement at resolution, once, only for an audience that heard
    from us (a statement of the incident was published to it)."""
    drafts = []
    for audience in audiences:
        name = audience.audience_id
        if kind is StatementKind.CLOSING and (
            not any(s.audience == name and s.state is StatementState.PUBLISHED for s in existing)
            or any(s.audience == name and s.kind is StatementKind.CLOSING for s in existing)
        ):
            continue
        for language in audience.languages:
            number = 1 + sum(1 for s in existing if (s.audience, s.language) == (name, language))
            drafts.append(
                from_template(
                    incident, audience, language, kind, policy, number, now, DRAFTED_BY_TOCSIN
                )
            )
    return drafts


def audience_language(audience: Audience, wanted: str | None) -> str:
    """The audience's language closest to ``wanted`` (its first one when none is asked)."""
    if wanted is None:
        return audience.languages[0]
    for candidate in language_candidates(wanted):
        if candidate in audience.templates:
            return candidate
    raise InvalidRequest(
        "language",
        f"audience {audience.audience_id} has statements in {', '.join(audience.languages)}",
    )


def parse_draft(document: Any) -> DraftRequest:
    problems = _unknown(document, _DRAFT_FIELDS)
    fields = document if isinstance(document, Mapping) else {}
    kind: StatementKind | None = None
    if "kind" in fields:
        try:
            kind = StatementKind(fields["kind"])
        except (ValueError, TypeError):
            allowed = ", ".join(k.value for k in StatementKind)
            problems.append(FieldProblem("kind", f"must be one of {allowed}"))
    texts = {name: _text(fields, name, problems) for name in ("audience", "language", "replaces")}
    subject, body = _words(fields, problems)
    if texts["audience"] is None and texts["replaces"] is None and not problems:
        problems.append(FieldProblem("audience", "is required (or name what it replaces)"))
    if problems:
        raise InvalidRequest.of(problems)
    return DraftRequest(
        texts["audience"], texts["language"], kind, subject, body, texts["replaces"]
    )


def parse_edit(document: Any) -> tuple[str | None, str | None]:
    """``PUT .../statements/{id}``: a new subject, body, or both."""
    problems = _unknown(document, _EDIT_FIELDS)
    fields = document if isinstance(document, Mapping) else {}
    subject, body = _words(fields, problems)
    if subject is None and body is None and not problems:
        problems.append(FieldProblem("body", "give the new subject, body or both"))
    if problems:
        raise InvalidRequest.of(problems)
    return subject, body


def _unknown(document: Any, allowed: frozenset[str]) -> list[FieldProblem]:
    if not isinstance(document, Mapping):
        return [FieldProblem("$", "the request must be a JSON object")]
    return [FieldProblem(str(name), "unknown field") for name in sorted(set(document) - allowed)]


def _text(fields: Mapping[str, Any], name: str, problems: list[FieldProblem]) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        problems.append(FieldProblem(name, "must be a short non-empty string"))
        return None
    return value.strip()


def _words(
    fields: Mapping[str, Any], problems: list[FieldProblem]
) -> tuple[str | None, str | None]:
    subject, body = fields.get("subject"), fields.get("body")
    if subject is not None and (
        not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT
    ):
        problems.append(
            FieldProblem("subject", f"must be one line of 1 to {MAX_SUBJECT} characters")
        )
        subject = None
    elif isinstance(subject, str) and "\n" in subject.strip():
        problems.append(FieldProblem("subject", "must be one line"))
        subject = None
    if body is not None and (not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY):
        problems.append(FieldProblem("body", f"must be 1 to {MAX_BODY} characters of text"))
        body = None
    return (
        subject.strip() if isinstance(subject, str) else None,
        body.strip() + "\n" if isinstance(body, str) else None,
    )


def next_kind(existing: Sequence[Statement], audience: str) -> StatementKind:
    """An update once the audience has heard from us; the initial statement before."""
    spoken = any(s.audience == audience and s.state is StatementState.PUBLISHED for s in existing)
    return StatementKind.UPDATE if spoken else StatementKind.INITIAL
