"""A person's on-call shifts as a calendar feed that calendar apps subscribe to.

``tocsin oncall calendar CONTACT`` issues a private link, ``/v1/calendars/{token}``. The token is
the only credential (calendar apps send no keys), so it is 32 random bytes, stored only as its
SHA-256 digest, revocable, and it expires. Each person has one link at a time: issuing a new one
revokes the old. A link that is unknown answers 404; one that was revoked, has expired, or whose
person was erased answers 410; neither says whose it was.

The feed holds every shift the person has in any schedule, overrides included (declared in the
playbook or entered with the API), from a week ago to 60 days ahead: the same shifts, computed
the same way, as ``tocsin oncall show`` and ``GET /v1/oncall/{schedule}`` give.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.core.errors import Gone, InvalidInput, NotFound
from chalicelib.core.oncall.ical import CalendarEvent, render_calendar
from chalicelib.core.oncall.shifts import OverrideSource, Shift, coverage
from chalicelib.core.playbook.rotations import OnCallSchedule
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory

TOKEN_PREFIX = "cal_"  # noqa: S105 - a prefix that says what a token is, not a secret
_TOKEN = re.compile(r"cal_[A-Za-z0-9_-]{43}")
DEFAULT_LIFETIME = timedelta(days=365)
MAX_LIFETIME = timedelta(days=730)
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=60)
REFRESH = timedelta(hours=1)
CALENDAR_NAME = "Tocsin on call"
UNKNOWN = "no such calendar"
NO_LONGER = "this calendar link no longer works (revoked or expired): ask for a new one"


@dataclass(frozen=True)
class CalendarToken:
    """What is stored for a link: never the token itself."""

    digest: str
    contact_id: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class IssuedCalendar:
    token: str  # shown once; only its digest is kept
    expires_at: datetime


class CalendarTokenStore(Protocol):
    def issue(self, token: CalendarToken) -> None:
        """Store ``token`` as its person's link, revoking the one they had."""
        ...

    def find(self, digest: str) -> CalendarToken | None: ...

    def revoke(self, contact_id: str, now: datetime) -> bool:
        """Revoke the person's link; False when they have none."""
        ...


def token_digest(token: str) -> str:
    """32 random bytes need no stretching: a plain SHA-256, as for API keys."""
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalCalendars:
    def __init__(
        self,
        tokens: CalendarTokenStore,
        playbooks: PlaybookSource,
        overrides: OverrideSource,
        directory: ContactDirectory,
        clock: Clock,
    ) -> None:
        self._tokens = tokens
        self._playbooks = playbooks
        self._overrides = overrides
        self._directory = directory
        self._clock = clock

    def issue(self, contact_id: str, lifetime: timedelta = DEFAULT_LIFETIME) -> IssuedCalendar:
        if not timedelta(days=1) <= lifetime <= MAX_LIFETIME:
            raise InvalidInput(f"a calendar link lasts 1 to {MAX_LIFETIME.days} days")
        if contact_id not in self._directory.get_contacts([contact_id]):
            raise NotFound(f"no contact {contact_id!r}")
        now = self._clock.now()
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        expires = now + lifetime
        self._tokens.issue(CalendarToken(token_digest(token), contact_id, now, expires))
        return IssuedCalendar(token, expires)

    def revoke(self, contact_id: str) -> None:
        if not self._tokens.revoke(contact_id, self._clock.now()):
            raise NotFound(f"{contact_id} has no calendar link")

    def feed(self, token: str) -> str:
        """The person's shifts as iCalendar text; NotFound or Gone, never naming anyone."""
        found = self._tokens.find(token_digest(token)) if _TOKEN.fullmatch(token) else None
        if found is None:
            raise NotFound(UNKNOWN)
        now = self._clock.now()
        person = found.contact_id
        if not found.is_usable(now) or person not in self._directory.get_contacts([person]):
            raise Gone(NO_LONGER)
        start, end = feed_window(now)
        events = [
            _event(schedule, shift, person)
            for schedule in self._playbooks.load().oncall.values()
            for shift in self.shifts_of(person, schedule, start, end)
        ]
        events.sort(key=lambda event: (event.start, event.uid))
        return render_calendar(CALENDAR_NAME, events, now, REFRESH)

    def shifts_of(
        self, person: str, schedule: OnCallSchedule, start: datetime, end: datetime
    ) -> list[Shift]:
        stored = self._overrides.overrides(schedule.schedule_id, start, end)
        return [s for s in coverage(schedule, stored, start, end) if s.contact_id == person]


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """From midnight UTC a week ago (a fixed point all day, so events keep their start from one
    fetch to the next) to 60 days ahead."""
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - FEED_PAST, midnight + FEED_AHEAD + timedelta(days=1)


def _event(schedule: OnCallSchedule, shift: Shift, person: str) -> CalendarEvent:
    # The UID is stable for a shift and names nobody: a digest of person, schedule and start.
    seed = f"{person}|{schedule.schedule_id}|{shift.start.isoformat()}"
    uid = hashlib.sha256(seed.encode()).hexdigest()[:32] + "@tocsin"
    lines = [schedule.description] if schedule.description else []
    lines.append(f"Schedule {schedule.schedule_id} ({schedule.timezone}), from {shift.source}.")
    return CalendarEvent(
        uid=uid,
        start=shift.start,
        end=shift.end,
        summary=f"On call: {schedule.schedule_id}",
        description="\n".join(lines),
    )
