"""Validate a person's record (from a CSV row or the contacts API) into a Contact.

Numbers must be valid international numbers and come out in E.164 (``phonenumbers``); addresses
are normalised (``email-validator``, without DNS lookups). Reasons name the field, never its value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.core.errors import FieldProblem, InvalidRequest
from chalicelib.core.model import Channel, Contact
from chalicelib.core.working_hours import parse_windows

_T = TypeVar("_T")

MAX_DEVICES = 10  # push tokens a person may have (a push batch keeps room for one more)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")  # BCP 47, the common forms
_PUSH_TOKEN = re.compile(r"(apns|fcm):[A-Za-z0-9_:.\-]{8,4096}")
FIELDS = (
    "contact_id",
    "name",
    "roles",
    "language",
    "phone",
    "email",
    "teams",
    "timezone",
    "push_tokens",
    "consent",
    "opted_out",
    "reports_to",
    "labels",
    "working_hours",
)
MAX_LABELS = 20
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")  # a short slug: "building-a"


def contact_document(contact: Contact) -> dict[str, Any]:
    """The contact as plain JSON, field names as in the CSV and the API (plus ``unusable``,
    which only delivery events set). Storage keeps the same document."""
    return {
        "contact_id": contact.contact_id,
        "name": contact.name,
        "roles": list(contact.roles),
        "teams": list(contact.teams),
        "language": contact.language,
        "timezone": contact.timezone,
        "phone": contact.phone,
        "email": contact.email,
        "push_tokens": list(contact.push_tokens),
        "consent": sorted(contact.consents) if contact.consents is not None else None,
        "opted_out": sorted(contact.opted_out),
        "unusable": sorted(contact.unusable),
        "reports_to": contact.reports_to,
        "labels": list(contact.labels),
        "working_hours": list(contact.working_hours),
    }


def is_contact_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def is_label(text: str) -> bool:
    """A label is a short slug: lowercase letters, digits and inner '-', 1 to 32 characters."""
    return _LABEL.fullmatch(text) is not None


def contact_from_row(
    row: Mapping[str, Any], known_roles: set[str] | None, known_teams: set[str] | None
) -> Contact:
    """A contact from one CSV row or API document; :class:`InvalidRequest` with every problem,
    each naming its field (never its value), when it is refused."""

    def cell(name: str) -> str:
        value = row.get(name)
        if isinstance(value, list | tuple):
            return ";".join(str(item) for item in value)
        return str(value or "").strip()

    def cells(name: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(item.strip() for item in cell(name).split(";") if item.strip()))

    problems: list[FieldProblem] = []

    def check(field: str, ok: bool, message: str) -> None:
        if not ok:
            problems.append(FieldProblem(field, message))

    def read(field: str, parse: Callable[[], _T], default: _T) -> _T:
        try:
            return parse()
        except ValueError as invalid:
            problems.append(FieldProblem(field, str(invalid)))
            return default

    contact_id, name = cell("contact_id"), cell("name")
    roles, teams = cells("roles"), cells("teams")
    language = cell("language") or "en"
    timezone = cell("timezone") or "UTC"
    check("contact_id", bool(_ID.fullmatch(contact_id)), "must be letters, digits, '-' or '_'")
    check("name", bool(name), "is empty")
    check("roles", bool(roles), "names no role")
    unknown = sorted(set(roles) - known_roles) if known_roles is not None else []
    check(
        "roles",
        not unknown,
        f"unknown role {unknown[0]!r} (not in the playbook)" if unknown else "",
    )
    unknown = sorted(set(teams) - known_teams) if known_teams is not None else []
    check(
        "teams",
        not unknown,
        f"unknown team {unknown[0]!r} (not in the playbook)" if unknown else "",
    )
    check(
        "language",
        bool(_LANGUAGE.fullmatch(language)),
        "is not a BCP 47 tag such as 'en' or 'zh-Hant'",
    )
    check(
        "timezone",
        _is_timezone(timezone),
        "is not an IANA time zone such as 'Europe/Copenhagen'",
    )
    tokens = cells("push_tokens")
    check(
        "push_tokens",
        all(_PUSH_TOKEN.fullmatch(token) for token in tokens),
        "must be 'apns:<token>' or 'fcm:<token>'",
    )
    check("push_tokens", len(tokens) <= MAX_DEVICES, f"at most {MAX_DEVICES} devices a person")
    phone = read("phone", lambda: _phone(cell("phone")), None)
    email = read("email", lambda: _email(cell("email")), None)
    consent = read(
        "consent", lambda: _channels(cells("consent")) if cell("consent") else None, None
    )
    opted_out: frozenset[Channel] = read(
        "opted_out", lambda: _channels(cells("opted_out")), frozenset()
    )
    reports_to = cell("reports_to") or None
    check(
        "reports_to",
        reports_to is None or (bool(_ID.fullmatch(reports_to)) and reports_to != contact_id),
        "must be another contact's id",
    )
    labels = cells("labels")
    check(
        "labels",
        all(is_label(label) for label in labels),
        "must be short slugs: lowercase letters, digits and '-', 1 to 32 characters",
    )
    check("labels", len(labels) <= MAX_LABELS, f"at most {MAX_LABELS} labels a person")
    hours: tuple[str, ...] = read(
        "working_hours",
        lambda: tuple(w.describe() for w in parse_windows(cells("working_hours"))),
        (),
    )
    blank = not cell("phone") and not cell("email")
    check("phone", not blank, "no phone and no email: give at least one")
    if problems:
        raise InvalidRequest.of(problems)
    return Contact(
        contact_id=contact_id,
        name=name,
        roles=roles,
        language=language,
        phone=phone,
        email=email,
        teams=teams,
        timezone=timezone,
        push_tokens=tokens,
        consents=consent,
        opted_out=opted_out,
        reports_to=reports_to,
        labels=labels,
        working_hours=hours,
    )


def _is_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _channels(names: tuple[str, ...]) -> frozenset[Channel]:
    allowed = ", ".join(channel.value for channel in Channel)
    try:
        return frozenset(Channel(name.lower()) for name in names)
    except ValueError:
        raise ValueError(f"must list channels ({allowed})") from None


def _phone(raw: str) -> str | None:
    """E.164, or None when empty; ValueError when it is not a real international number."""
    if not raw:
        return None
    # Imported here, not at module load: every function imports app.py, and only contact
    # validation needs these two libraries (about 80 ms of cold start between them).
    import phonenumbers

    invalid = ValueError("is not a valid international number (+ and country code)")
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _email(raw: str) -> str | None:
    """The normalised address, or None when empty; ValueError when it is not an address."""
    if not raw:
        return None
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError:
        raise ValueError("is not a valid address") from None
