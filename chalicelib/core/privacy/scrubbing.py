"""Erasing one person from a record by its structure, never by substring.

Three rules, and nothing else is touched:

- a field that holds a contact id, a number or an address is replaced when its value *is* the
  person's (``contact_id: c-bo`` is erased; ``contact_id: c-bob`` is not);
- free text loses the person's id only as a whole token (``paged c-bo.`` loses it;
  ``critical`` keeps the ``al`` it contains, ``c-bob`` keeps its ``c-bo``), and their number and
  address wherever they are written, in any common form (``+1 (202) 555-0101``);
- fields that hold Tocsin's own words (a channel, a status, a severity) are left as they are,
  even when the person's id happens to be that word.

A :class:`Layout` says which keys of a document are which; keys it does not name are free text,
so a field added later is scrubbed rather than forgotten.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where numbers are matched: the functions that never erase skip it
    import phonenumbers

_ID_CHARS = r"A-Za-z0-9_\-"
# An address: its whole local part and domain, so "bada@x.com" is never read as "ada@x.com".
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_DIGITS = re.compile(r"\d+")
_MIN_NATIONAL_DIGITS = 4  # a number written in text has at least this many digits


@dataclass(frozen=True)
class Person:
    """What identifies the person being erased: none of it may be left in any record."""

    contact_id: str
    phone: str | None = None  # E.164
    email: str | None = None


def new_pseudonym() -> str:
    """One per erasure, not derived from the person (so it cannot be reversed): a valid id."""
    return f"erased-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Layout:
    """Which keys of a document hold ids (exact), Tocsin's own words (kept) or a document of
    a known layout; every other key holds free text (whole tokens), at any depth."""

    ids: frozenset[str] = frozenset()
    kept: frozenset[str] = frozenset()
    nested: Mapping[str, Layout] = field(default_factory=dict)


FREE = Layout()  # free JSON (an event's details, a foreign payload): every string is text
EVENT = Layout(
    kept=frozenset({"type", "action", "severity", "status", "occurred_at"}),
)
RESPONSE_STATE = Layout(
    ids=frozenset({"paged", "paged_by_step", "acknowledged_by", "declined_by"}),
    kept=frozenset({"policy_id", "step", "due_at", "stopped"}),
)
TIMELINE_DATA = Layout(
    ids=frozenset(
        {
            "contact_id",
            "by",
            "requested_by",
            "paged",
            "acknowledged_by",
            "declined_by",
            "covers",
            "contacts",  # a canary round's
        }
    ),
    kept=frozenset(
        {
            "channel",
            "from",
            "to",
            "step",
            "notice",
            "status",
            "kind",
            "event_id",
            "incident_id",
            "message_id",
            "policy_id",
            "rule_id",
            "plan_id",
            "playbook_version",
            "format",
            "code",
            "via",
            "retryable",
            "unusable",
            "jobs",
            "steps",
            "due_at",
            "have",
            "needed",
            "people",
            "messages",
            "recipients",
            "item",  # a checklist tick's item and role (who ticked it is ``contact_id``)
            "role",
            "answer",  # an answer's verb, its credential's kind and why it did not count
            "credential",
            "why",
            "hold_id",
            "canary",
            "heartbeat",
            "round_incident_id",
        }
    ),
    nested={"event": EVENT},
)


class Scrubber:
    """Replaces one person by a pseudonym: the id by the pseudonym itself (records still
    name *someone*, and stay valid), a number or an address by ``<pseudonym>``."""

    def __init__(self, person: Person, pseudonym: str) -> None:
        self.person = person
        self.pseudonym = pseudonym
        self.mask = f"<{pseudonym}>"
        # Not inside a longer id, an address ("al@x.com") or a dotted name ("bob.al"); a
        # sentence's final full stop still ends the token ("paged al.").
        self._id = re.compile(
            rf"(?<![{_ID_CHARS}.@]){re.escape(person.contact_id)}"
            rf"(?![{_ID_CHARS}@]|\.[A-Za-z0-9])"
        )
        self._email = person.email.casefold() if person.email else None
        self._phone = _parsed(person.phone) if person.phone else None

    def exact(self, value: str) -> str:
        """A field that holds one id, number or address: replaced only when it is the person's."""
        if value == self.person.contact_id:
            return self.pseudonym
        if value and (value == self.person.phone or value.casefold() == self._email):
            return self.mask
        return value

    def text(self, value: str) -> str:
        """Free text: the person's address and number wherever written, their id as a token."""
        if self._email and "@" in value:
            value = _EMAIL.sub(self._mask_if_theirs, value)
        if self.person.phone and self._may_hold_number(value):
            value = self._replace_numbers(value)
        return self._id.sub(self.pseudonym, value)

    def key_part(self, value: str) -> str:
        """Part of a key of a record that mentions the person (``sent-c-ada-sms-0``,
        ``ack-ada@example.com``): their id, number or address between '-' or '#' separators
        (in free text '-' would belong to the id)."""
        value = self.text(value)
        literals = [(self.person.contact_id, self.pseudonym, 0)]
        if self.person.email:
            literals.append((self.person.email, self.mask, re.IGNORECASE))
        if self.person.phone:
            literals.append((self.person.phone, self.mask, 0))
        for literal, replacement, flags in literals:
            value = re.sub(
                rf"(?<![^#-]){re.escape(literal)}(?![^#-])", replacement, value, flags=flags
            )
        return value

    def document(self, value: Any, layout: Layout = FREE) -> Any:
        """A decoded JSON document, scrubbed key by key as ``layout`` says."""
        if isinstance(value, Mapping):
            scrubbed: dict[str, Any] = {}
            for key, item in value.items():
                if key in layout.kept:
                    scrubbed[key] = item
                elif key in layout.ids:
                    scrubbed[key] = self._ids(item)
                elif key in layout.nested:
                    scrubbed[key] = self.document(item, layout.nested[key])
                else:
                    scrubbed[self.text(key) if isinstance(key, str) else key] = self.document(item)
            return scrubbed
        if isinstance(value, list | tuple):
            return [self.document(item, layout) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _ids(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.exact(value)
        if isinstance(value, list | tuple):
            return [self._ids(item) for item in value]
        return self.document(value)

    def _mask_if_theirs(self, match: re.Match[str]) -> str:
        return self.mask if match.group(0).casefold() == self._email else match.group(0)

    def _may_hold_number(self, value: str) -> bool:
        """Cheap: the number's national digits appear in the text's digits, however the
        number was spaced (finding numbers in text is the costly part)."""
        assert self.person.phone is not None
        national = (
            str(self._phone.national_number) if self._phone else self.person.phone.lstrip("+")
        )
        return len(national) >= _MIN_NATIONAL_DIGITS and national in "".join(_DIGITS.findall(value))

    def _replace_numbers(self, value: str) -> str:
        assert self.person.phone is not None
        spans: list[tuple[int, int]] = []
        if self._phone is not None:
            import phonenumbers

            region = phonenumbers.region_code_for_number(self._phone)
            spans = [
                (match.start, match.end)
                for match in phonenumbers.PhoneNumberMatcher(
                    value, region, leniency=phonenumbers.Leniency.POSSIBLE
                )
                if phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
                == self.person.phone
            ]
        for start, end in reversed(spans):
            value = value[:start] + self.mask + value[end:]
        # The bare digits of the E.164 form, as some AWS errors print them ("12025550101").
        digits = self.person.phone.lstrip("+")
        return re.sub(rf"(?<![\d+]){digits}(?!\d)", self.mask, value)


def _parsed(phone: str) -> phonenumbers.PhoneNumber | None:
    import phonenumbers

    try:
        return phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
