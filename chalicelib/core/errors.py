"""Tocsin's error tree. Edges translate these into HTTP answers or retries.

TocsinError
├── InvalidInput            caller's fault, never retried (HTTP 4xx)
│   ├── InvalidRequest      fields of a request body are wrong: every one, each with its field
│   │   └── InvalidEvent    ... of an event (its own code, as integrations expect)
│   ├── PayloadTooLarge
│   ├── IdempotencyKeyReused  an Idempotency-Key already used for another request (422)
│   └── UnsupportedMediaType
├── AuthenticationFailed    no key, a wrong key, a bad or replayed signature (401)
├── Forbidden               a valid key without the scope for this (403)
├── RateLimited             the key sent too much; retry after (429)
├── NotFound                (404)
├── Gone                    it existed but can no longer be used: an expired link (410)
├── Conflict                the thing is not in a state that allows this (409)
├── InvalidPolicy           a policy document is wrong (names the path)
│   └── InvalidPolicies     several are: every error, each with its path
├── SendError               a channel could not hand a message to AWS
│   ├── PermanentSendError  retrying cannot help (bad number, opted out, rejected)
│   └── TransientSendError  throttled or unavailable: retry with backoff
│       └── SendOutcomeUnknown  the call may have reached AWS, its answer was lost: retry,
│                               and say it may arrive twice
└── TransientError          a dependency failed for now: retry the whole unit of work

``api/errors.py`` gives every class its HTTP status in one table; a test fails when a class here
has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self


class TocsinError(Exception):
    """Base of every error Tocsin raises on purpose."""


class InvalidInput(TocsinError):
    """The caller sent something Tocsin cannot accept."""


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field of a request: its dotted path and what is wrong, never its value."""

    field: str
    message: str


class InvalidRequest(InvalidInput):
    """Fields of a request body are wrong. ``field`` and ``message`` are the first problem;
    ``problems`` holds every one, so a caller can fix them all after one answer."""

    def __init__(self, field: str, message: str, more: Sequence[FieldProblem] = ()) -> None:
        extra = f" (and {len(more)} more)" if more else ""
        super().__init__(f"{field}: {message}{extra}")
        self.field = field
        self.message = message
        self.problems: tuple[FieldProblem, ...] = (FieldProblem(field, message), *more)

    @classmethod
    def of(cls, problems: Sequence[FieldProblem]) -> Self:
        """One error carrying every problem (at least one)."""
        first, *rest = problems
        return cls(first.field, first.message, rest)


class InvalidEvent(InvalidRequest):
    """Fields of an event are wrong; ``field`` is the first one's dotted path."""


class PayloadTooLarge(InvalidInput):
    """The request body is larger than Tocsin accepts."""


class IdempotencyKeyReused(InvalidInput):
    """The ``Idempotency-Key`` was used within its 24 hours for a different request."""


class UnsupportedMediaType(InvalidInput):
    """The request body is not in a format the endpoint reads."""


class AuthenticationFailed(TocsinError):
    """No credential, or one that is not valid here."""


class Forbidden(TocsinError):
    """The caller is known but may not do this."""


class RateLimited(TocsinError):
    """Too many requests for this key; ``retry_after`` seconds until it may send again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(TocsinError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Gone(TocsinError):
    """It existed but can no longer be used (an expired acknowledgement link)."""


class Conflict(TocsinError):
    """The request is valid but the thing is not in a state that allows it (approved twice)."""


class InvalidPolicy(TocsinError):
    """A policy document is wrong; ``path`` locates the problem."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class InvalidPolicies(InvalidPolicy):
    """Every error found in a playbook, so that one validation run shows them all."""

    def __init__(self, errors: list[InvalidPolicy]) -> None:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first.path, first.message + more)
        self.errors = errors


class SendError(TocsinError):
    """A channel could not hand a message to its AWS API."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class PermanentSendError(SendError):
    """Retrying the same send cannot succeed."""


class TransientSendError(SendError):
    """The send may succeed later (throttling, service unavailable)."""


class SendOutcomeUnknown(TransientSendError):
    """The request may have reached AWS and been accepted, but no answer came (a read timeout,
    a connection closed mid-answer): sending again may send twice, so it is said each time."""


class TransientError(TocsinError):
    """A dependency failed for now; the unit of work should be retried."""
