"""What a check-in asks, and a request to start one (``POST /v1/checkins``, ``tocsin checkin
start``, or a response plan's ``checkin`` step, checked with the playbook), read and checked
field by field: every problem is named at once, and nothing is started unless all is
right.

    {"question": "Are you safe?" | {"en": "...", "da": "..."},      default: "Are you safe?"
     "options": ["I am safe", {"en": "I need help", "da": "..."}],  2 to 9; default safe / help
     "help_option": 2,                          the option that is an incident (default: none,
                                                or 2 with the default options)
     "audience": {"roles": [], "teams": [], "labels": [], "contacts": [], "everyone": false},
     "channels": ["sms", "email"] | "chain": ["sms", "voice", "email"]     (default: that chain)
     "deadline": "2h",                          1m to 7d after the start (default 1h)
     "remind": {"every": "15m", "times": 3, "then_lead": true},
     "responders": {"role" | "team" | "schedule" | "escalation": "id"},
     "status": "actual" | "exercise"}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from chalicelib.core.errors import FieldProblem, InvalidPolicy, InvalidRequest
from chalicelib.core.fields import read_count, read_duration, read_identifier, read_identifiers
from chalicelib.core.model import Channel, EventStatus
from chalicelib.core.people import is_contact_id, is_label
from chalicelib.core.wording.checkin_words import DEFAULT_OPTIONS, DEFAULT_QUESTION, in_language
from chalicelib.core.wording.templates import LANGUAGE_TAG

MIN_OPTIONS, MAX_OPTIONS = 2, 9
MAX_QUESTION, MAX_OPTION = 300, 60
MAX_DEADLINE = timedelta(days=7)
RESPONDER_KINDS = ("role", "team", "schedule", "escalation")
DEFAULT_CHAIN = (Channel.SMS, Channel.VOICE, Channel.EMAIL)
_FIELDS = frozenset(
    {
        "question",
        "options",
        "help_option",
        "audience",
        "channels",
        "chain",
        "deadline",
        "remind",
        "responders",
        "status",
    }
)
_T = TypeVar("_T")


@dataclass(frozen=True)
class CheckinOption:
    number: int  # 1..9: the digit that chooses it
    texts: Mapping[str, str] = field(hash=False)  # language -> words
    needs_help: bool = False  # choosing it opens an incident that pages the responders

    def text(self, language: str) -> str:
        return in_language(self.texts, language)


@dataclass(frozen=True)
class Audience:
    """Who is asked: everyone, or the holders of these roles, the members of these teams, the
    people carrying these labels (a building, a floor, first aiders) and these people."""

    roles: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    everyone: bool = False
    labels: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.everyone:
            return "everyone"
        parts = [f"role {r}" for r in self.roles] + [f"team {t}" for t in self.teams]
        parts += [f"label {label}" for label in self.labels]
        parts += [f"contact {c}" for c in self.contacts]
        return ", ".join(parts)


@dataclass(frozen=True)
class Reminders:
    every: timedelta | None = None  # None: no reminders
    times: int = 0
    then_lead: bool = False  # after the last, tell each silent person's lead (reports_to)


@dataclass(frozen=True)
class CheckinRequest:
    question: Mapping[str, str] = field(hash=False)
    options: tuple[CheckinOption, ...]
    audience: Audience
    channels: tuple[Channel, ...]
    chain: bool
    deadline: timedelta
    reminders: Reminders
    responders: tuple[str, str]  # (kind, id): ("role", "hr"), ("escalation", "crisis-core")
    exercise: bool


def parse_checkin_request(document: Any) -> CheckinRequest:
    if not isinstance(document, Mapping):
        raise InvalidRequest("$", "the request must be a JSON object")
    problems: list[FieldProblem] = [
        FieldProblem(str(name), "unknown field") for name in sorted(set(document) - _FIELDS)
    ]

    def read(name: str, parse: Callable[[], _T], default: _T) -> _T:
        try:
            return parse()
        except InvalidPolicy as error:
            problems.append(FieldProblem(error.path, error.message))
        except InvalidRequest as error:
            problems.extend(error.problems)
        return default

    nothing: tuple[CheckinOption, ...] = ()
    options = read("options", lambda: _options(document), nothing)
    if "help_option" in document:
        number = read("help_option", lambda: read_count(document["help_option"], "help_option"), 0)
        if number and not any(o.number == number for o in options) and options:
            problems.append(FieldProblem("help_option", f"there is no option {number}"))
        options = tuple(
            CheckinOption(o.number, o.texts, needs_help=o.number == number) for o in options
        )
    if "channels" in document and "chain" in document:
        problems.append(FieldProblem("chain", "give channels (all at once) or a chain, not both"))
    name = "chain" if "chain" in document or "channels" not in document else "channels"
    request = CheckinRequest(
        question=read("question", lambda: _texts(document.get("question"), "question"), {}),
        options=options,
        audience=read("audience", lambda: _audience(document.get("audience")), Audience()),
        channels=read(name, lambda: _channels(document.get(name, None), name), DEFAULT_CHAIN),
        chain=name == "chain",
        deadline=read("deadline", lambda: _deadline(document.get("deadline", "1h")), MAX_DEADLINE),
        reminders=read("remind", lambda: _reminders(document.get("remind")), Reminders()),
        responders=read("responders", lambda: _responders(document.get("responders")), ("", "")),
        exercise=read("status", lambda: _exercise(document.get("status", "actual")), False),
    )
    if problems:
        raise InvalidRequest.of(problems)
    return request


def _texts(value: Any, path: str, limit: int = MAX_QUESTION) -> Mapping[str, str]:
    """A text, or a text per language (``{"en": ..., "da": ...}``); None: the default question."""
    if value is None:
        return DEFAULT_QUESTION
    texts = {"en": value} if isinstance(value, str) else value
    if not isinstance(texts, Mapping) or not texts:
        raise InvalidRequest(path, "must be a text, or an object of texts by language")
    for language, text in texts.items():
        if not isinstance(language, str) or not LANGUAGE_TAG.fullmatch(language):
            raise InvalidRequest(f"{path}.{language}", "is not a language tag such as 'en'")
        if not isinstance(text, str) or not text.strip() or len(text) > limit:
            raise InvalidRequest(f"{path}.{language}", f"must be 1 to {limit} characters")
    return {language: " ".join(text.split()) for language, text in texts.items()}


def _options(document: Mapping[str, Any]) -> tuple[CheckinOption, ...]:
    given = document.get("options")
    if given is None:
        languages = DEFAULT_OPTIONS.items()
        helps = "help_option" not in document
        return tuple(
            CheckinOption(n + 1, {lang: pair[n] for lang, pair in languages}, helps and n == 1)
            for n in range(2)
        )
    if not isinstance(given, list) or not MIN_OPTIONS <= len(given) <= MAX_OPTIONS:
        count = len(given) if isinstance(given, list) else "not a list"
        raise InvalidRequest(
            "options", f"must be a list of {MIN_OPTIONS} to {MAX_OPTIONS} answers; got {count}"
        )
    return tuple(
        CheckinOption(index + 1, _texts(text, f"options[{index}]", MAX_OPTION))
        for index, text in enumerate(given)
    )


def _audience(value: Any) -> Audience:
    if not isinstance(value, Mapping):
        raise InvalidRequest("audience", "is required: roles, teams, labels, contacts, or everyone")
    unknown = sorted(set(value) - {"roles", "teams", "labels", "contacts", "everyone"})
    if unknown:
        raise InvalidRequest(f"audience.{unknown[0]}", "unknown field")
    everyone = value.get("everyone", False)
    if not isinstance(everyone, bool):
        raise InvalidRequest("audience.everyone", "must be true or false")
    contacts = read_identifiers(value.get("contacts", []), "audience.contacts")
    for index, contact_id in enumerate(contacts):
        if not is_contact_id(contact_id):
            raise InvalidRequest(f"audience.contacts[{index}]", "is not a contact id")
    labels = read_identifiers(value.get("labels", []), "audience.labels")
    for index, label in enumerate(labels):
        if not is_label(label):
            raise InvalidRequest(f"audience.labels[{index}]", "is not a label such as 'building-a'")
    audience = Audience(
        roles=read_identifiers(value.get("roles", []), "audience.roles"),
        teams=read_identifiers(value.get("teams", []), "audience.teams"),
        contacts=contacts,
        everyone=everyone,
        labels=labels,
    )
    named = audience.roles or audience.teams or audience.labels or audience.contacts
    if not (audience.everyone or named):
        raise InvalidRequest(
            "audience", "is empty: name roles, teams, labels, contacts, or everyone"
        )
    return audience


def _channels(value: Any, path: str) -> tuple[Channel, ...]:
    if value is None:
        return DEFAULT_CHAIN
    if not isinstance(value, list) or not value:
        raise InvalidRequest(path, "must be a list of channels")
    found: list[Channel] = []
    for index, name in enumerate(value):
        if name not in ("sms", "email", "voice", "push") or Channel(name) in found:
            raise InvalidRequest(f"{path}[{index}]", "must be sms, email, voice or push, once")
        found.append(Channel(name))
    return tuple(found)


def _deadline(value: Any) -> timedelta:
    deadline = read_duration(value, "deadline")
    if not timedelta(minutes=1) <= deadline <= MAX_DEADLINE:
        raise InvalidRequest("deadline", "must be between 1m and 7d")
    return deadline


def _reminders(value: Any) -> Reminders:
    if value is None:
        return Reminders()
    if not isinstance(value, Mapping) or set(value) - {"every", "times", "then_lead"}:
        raise InvalidRequest("remind", "must be an object of every, times and then_lead")
    every = read_duration(value.get("every", "15m"), "remind.every")
    if every < timedelta(minutes=1):
        raise InvalidRequest("remind.every", "must be at least 1m")
    then_lead = value.get("then_lead", False)
    if not isinstance(then_lead, bool):
        raise InvalidRequest("remind.then_lead", "must be true or false")
    times = read_count(value.get("times", 1), "remind.times", minimum=0)
    if times > 20:
        raise InvalidRequest("remind.times", "must be at most 20")
    return Reminders(every=every, times=times, then_lead=then_lead)


def _responders(value: Any) -> tuple[str, str]:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise InvalidRequest(
            "responders", f"is required: exactly one of {', '.join(RESPONDER_KINDS)}"
        )
    ((kind, name),) = value.items()
    if kind not in RESPONDER_KINDS:
        raise InvalidRequest(f"responders.{kind}", "unknown field")
    return kind, read_identifier(name, f"responders.{kind}")


def _exercise(value: Any) -> bool:
    if value not in (EventStatus.ACTUAL.value, EventStatus.EXERCISE.value):
        raise InvalidRequest("status", "must be actual or exercise")
    return bool(value == EventStatus.EXERCISE.value)
