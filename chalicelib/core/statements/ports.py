"""A statement, its approvals, and where statements are kept.

    draft ──approve (1st: text frozen)──▶ draft, frozen ──approve (Nth person)──▶ approved
      │                                                                              │
      ├──edit (no approval yet)──▶ draft                                       publish ▼
      └──reject / a newer draft replaces it──▶ rejected / superseded        published
                                                     a newer one published ──▶ superseded

StatementStore.add()          -> a new statement with its timeline entries, once per id
StatementStore.save()         -> the statement at its next version, only if nobody moved it
                                 meanwhile (the stored version is one less), with its entries
StatementStore.claim_outlet() -> True once per statement and outlet: each channel sends once
SocialPoster.post()           -> the approved text posted to Slack, Teams or Mastodon, once
SocialPoster.check()          -> whether an outlet's webhook or token still works, posting nothing
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.core.model import TimelineEntry
from chalicelib.core.playbook.audiences import Outlet, StatementKind

DRAFTED_BY_TOCSIN = "tocsin"  # the initial drafts, written at activation


class StatementState(StrEnum):
    DRAFT = "draft"  # being written or approved (frozen once anyone approved it)
    APPROVED = "approved"  # enough distinct people approved it: it may be published
    PUBLISHED = "published"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer draft replaced it, or a newer statement was published

    @property
    def is_settled(self) -> bool:
        """Nothing more can be done with it but read it."""
        return self in (StatementState.REJECTED, StatementState.SUPERSEDED)


@dataclass(frozen=True)
class Approval:
    """One person's approval of one text (``digest``), with the credential they used."""

    contact_id: str
    at: datetime
    credential: str
    holder: str  # the key's name
    via: str  # api, cli, link
    digest: str


@dataclass(frozen=True)
class Statement:
    incident_id: str
    statement_id: str  # <audience>-<language>-<n>, unique within the incident
    audience: str
    language: str
    kind: StatementKind
    subject: str
    body: str
    state: StatementState
    required: int  # distinct approvals needed (the plan's, when it was drafted)
    roles: tuple[str, ...]  # who may approve, reject and publish it
    created_at: datetime
    created_by: str  # a contact id, or "tocsin" for the drafts made at activation
    approvals: tuple[Approval, ...] = ()
    replaces: str | None = None
    settled_at: datetime | None = None  # published, rejected or superseded, when
    settled_by: str | None = None  # ... and by whom (a contact id, or the statement that won)
    reason: str = ""  # why it was rejected
    version: int = 1

    @property
    def digest(self) -> str:
        """What approvers approve: the exact subject and body (16 hex characters)."""
        text = f"{self.subject}\n\n{self.body}".encode()
        return hashlib.sha256(text).hexdigest()[:16]

    @property
    def frozen(self) -> bool:
        """Its text can no longer change: someone approved it."""
        return bool(self.approvals)

    @property
    def approved_by(self) -> tuple[str, ...]:
        return tuple(approval.contact_id for approval in self.approvals)

    def document(self) -> dict[str, Any]:
        """As the API shows it."""
        return {
            "statement_id": self.statement_id,
            "incident_id": self.incident_id,
            "audience": self.audience,
            "language": self.language,
            "kind": self.kind.value,
            "state": self.state.value,
            "subject": self.subject,
            "body": self.body,
            "digest": self.digest,
            "frozen": self.frozen,
            "approvals_required": self.required,
            "approvals": [
                {
                    "contact_id": a.contact_id,
                    "at": a.at.isoformat(),
                    "credential": a.credential,
                    "via": a.via,
                }
                for a in self.approvals
            ],
            "roles": list(self.roles),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "replaces": self.replaces,
            "settled_at": self.settled_at.isoformat() if self.settled_at else None,
            "settled_by": self.settled_by,
            "reason": self.reason or None,
        }


class StatementStore(Protocol):
    def add(self, statement: Statement, entries: Sequence[TimelineEntry]) -> bool:
        """Store a new statement and its entries; False when its id is taken."""
        ...

    def get(self, incident_id: str, statement_id: str) -> Statement | None: ...

    def list(self, incident_id: str) -> list[Statement]:
        """Oldest first."""
        ...

    def save(self, statement: Statement, entries: Sequence[TimelineEntry]) -> bool:
        """Store ``statement`` (at ``version``) if the stored one is at ``version - 1``."""
        ...

    def claim_outlet(self, incident_id: str, statement_id: str, outlet: str, now: datetime) -> bool:
        """True once: this call may send the statement through ``outlet``."""
        ...

    def release_outlet(self, incident_id: str, statement_id: str, outlet: str) -> None:
        """The send failed: a later publish may try that outlet again."""
        ...


@dataclass(frozen=True)
class PostReceipt:
    """The platform took the post: its id (Mastodon's status id; "" for a webhook, which gives
    none) and how many requests it took (retries after 429 or 5xx)."""

    post_id: str
    attempts: int = 1


@dataclass(frozen=True)
class OutletHealth:
    """What a check of one outlet found. ``verified``: the platform itself said the credential
    works (Mastodon); a webhook cannot be asked without posting, so only its secret and URL
    were checked."""

    outlet: str
    ok: bool
    detail: str
    verified: bool = False


class SocialPoster(Protocol):
    """Posts to chat and social platforms (the outlet's address names the secret holding its
    webhook URL, or its instance and access token). ``post`` retries 429 and 5xx answers
    itself, with backoff; it raises PermanentSendError (a revoked token, a gone webhook, a text
    refused), TransientSendError (still failing: publish again later) or SendOutcomeUnknown
    (the answer was lost: the post may be up)."""

    def post(self, outlet: Outlet, text: str, key: str) -> PostReceipt:
        """``key``: the same for every try of one statement to one outlet (Idempotency-Key)."""
        ...

    def check(self, outlet: Outlet) -> OutletHealth: ...
