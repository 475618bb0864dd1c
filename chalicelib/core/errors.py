"""Tocsin's error tree. Edges translate these into HTTP answers or retries.

TocsinError
├── InvalidInput            caller's fault, never retried (HTTP 4xx)
│   ├── InvalidEvent        a field of an event is wrong (names the field)
│   ├── PayloadTooLarge
│   └── UnsupportedMediaType
├── AuthenticationFailed    no key, a wrong key, a bad or replayed signature (401)
├── Forbidden               a valid key without the scope for this (403)
├── RateLimited             the key sent too much; retry after (429)
├── NotFound                (404)
├── Conflict                the thing is not in a state that allows this (409)
├── InvalidPolicy           a policy document is wrong (names the path)
│   └── InvalidPolicies     several are: every error, each with its path
├── SendError               a channel could not hand a message to AWS
│   ├── PermanentSendError  retrying cannot help (bad number, opted out, rejected)
│   └── TransientSendError  throttled or unavailable: retry with backoff
└── TransientError          a dependency failed for now: retry the whole unit of work
"""

from __future__ import annotations


class TocsinError(Exception):
    """Base of every error Tocsin raises on purpose."""


class InvalidInput(TocsinError):
    """The caller sent something Tocsin cannot accept."""


class InvalidEvent(InvalidInput):
    """One field of an event is wrong; ``field`` is its dotted path."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PayloadTooLarge(InvalidInput):
    """The request body is larger than Tocsin accepts."""


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


class TransientError(TocsinError):
    """A dependency failed for now; the unit of work should be retried."""
