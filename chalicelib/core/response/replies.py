"""Two-way SMS: replies to Tocsin's texts acknowledge, decline, stop or ask for help, or answer
a check-in with a digit ("2", or "4821 2" naming the check-in by its code: see
``checkins/sms_answers.py``).

End User Messaging publishes each inbound text to an SNS topic as JSON (``originationNumber``,
``messageBody``, ``previousPublishedMessageId``...). The sender must be a person Tocsin paged for
the incident: their number finds them, and the reply code (or the message they answered, or
their only open incident) finds the incident. Unknown numbers get no answer at all.

An answer that changes nothing (help, an unclear reply, "already acknowledged") is texted back
at most ``HELP_ANSWERS_PER_HOUR`` times per number per clock hour, so a phone's auto-responder
cannot start a loop; past that Tocsin stays silent (the handler logs it, without the number).
STOP is always recorded; the first HELP of the hour is always answered, as carriers require;
an acknowledgement or a decline that counts is always confirmed (each can happen only once).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import InvalidEvent, SendError, TocsinError
from chalicelib.core.json_text import UnreadableJson, read_json
from chalicelib.core.messaging.passes import ResponderPass, ResponderRegistry
from chalicelib.core.messaging.ports import ChannelSender
from chalicelib.core.messaging.receipts import DeliveryLedger
from chalicelib.core.model import Channel, IncidentStatus, Message
from chalicelib.core.ports import Clock, IncidentStore
from chalicelib.core.response.answers import Responses
from chalicelib.core.response.ports import CheckinReplies, PhoneOwners, ReplyBudget
from chalicelib.core.wording.phrases import say

_REPLY = re.compile(
    r"^\s*(?:(?P<code1>\d{4})\s+(?P<word1>[^\W\d_]+)|(?P<word2>[^\W\d_]+)(?:\s+(?P<code2>\d{4}))?)"
    r"\s*[.!]?\s*$"
)
ACK_WORDS = frozenset({"ack", "ok", "yes", "acknowledge", "acknowledged", "ja", "kvitter"})
DECLINE_WORDS = frozenset({"no", "nej", "nei", "decline", "cant", "unable"})
STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout"})
HELP_WORDS = frozenset({"help", "info", "hjælp", "hjelp"})
HELP_ANSWERS_PER_HOUR = 3
_CHECKIN = re.compile(r"^\s*(?:(?P<code>\d{4})\s+)?(?P<digit>\d)\s*[.!]?\s*$")  # "2", "4821 2"
_CHANGES = frozenset(
    {"acknowledged", "counted", "declined", "gate_approved", "gate_rejected"}
)  # answers confirmed whatever


@dataclass(frozen=True)
class Reply:
    """What an inbound SMS asks: ``intent`` is ack, decline, stop, help or unknown."""

    intent: str
    code: str | None = None


def parse_reply(body: str) -> Reply:
    """ "1234 ACK", "ack 1234", "ACK", "1234 NO", "STOP", "HELP"; anything else is unknown."""
    match = _REPLY.match(body.strip())
    if match is None:
        return Reply("unknown")
    word = (match.group("word1") or match.group("word2") or "").lower()
    code = match.group("code1") or match.group("code2")
    for intent, words in (
        ("stop", STOP_WORDS),
        ("help", HELP_WORDS),
        ("ack", ACK_WORDS),
        ("decline", DECLINE_WORDS),
    ):
        if word in words:
            return Reply(intent, code)
    return Reply("unknown", code)


@dataclass(frozen=True)
class InboundSms:
    origination: str
    destination: str
    body: str
    message_id: str
    replying_to: str | None = None  # the AWS message id of the text being answered


def parse_inbound_sms(payload: str | Mapping[str, Any]) -> InboundSms:
    """The JSON End User Messaging publishes for a text someone sent to our number."""
    try:
        document = read_json(payload) if isinstance(payload, str) else payload
    except UnreadableJson as problem:
        raise InvalidEvent("message", f"an inbound SMS must be JSON: it {problem}") from None
    if not isinstance(document, Mapping):
        raise InvalidEvent("message", "an inbound SMS must be a JSON object")
    for name in ("originationNumber", "messageBody"):
        if not isinstance(document.get(name), str):
            raise InvalidEvent(name, "is required (a string)")
    previous = document.get("previousPublishedMessageId")
    return InboundSms(
        origination=document["originationNumber"],
        destination=str(document.get("destinationNumber", "")),
        body=document["messageBody"][:1600],
        message_id=str(document.get("inboundMessageId", "")),
        replying_to=previous if isinstance(previous, str) and previous else None,
    )


@dataclass(frozen=True)
class ReplyOutcome:
    intent: str
    contact_id: str | None
    incident_id: str | None
    answer: str | None  # what we texted back (None: nothing)
    withheld: bool = False  # an answer was due, but the number had its answers this hour


class InboundReplies:
    def __init__(
        self,
        people: PhoneOwners,
        registry: ResponderRegistry,
        incidents: IncidentStore,
        sent: DeliveryLedger,
        responses: Responses,
        sms: ChannelSender | None,
        budget: ReplyBudget,
        clock: Clock,
        checkins: CheckinReplies | None = None,
    ) -> None:
        self._people = people
        self._registry = registry
        self._incidents = incidents
        self._sent = sent
        self._responses = responses
        self._sms = sms
        self._budget = budget
        self._clock = clock
        self._checkins = checkins

    def handle(self, sms: InboundSms) -> ReplyOutcome:
        owners = self._people.owners_of(sms.origination)
        reply = parse_reply(sms.body)
        if not owners:
            return ReplyOutcome(reply.intent, None, None, None)
        if reply.intent == "stop":
            for contact_id in owners:
                self._people.opt_out(contact_id, Channel.SMS)
            # End User Messaging confirms an opt-out itself; a text of ours would not arrive.
            return ReplyOutcome("stop", owners[0], None, None)
        language = self._language(owners[0])
        digit = _CHECKIN.match(sms.body)
        if digit is not None and self._checkins is not None:
            checkin = self._checkins.reply(owners, digit["code"], int(digit["digit"]), language)
            if checkin is not None:
                said = ReplyOutcome(
                    "checkin", checkin.contact_id, checkin.incident_id, checkin.text
                )
                return self._answer(sms, said, confirms_a_change=checkin.changed)
        if reply.intent in ("help", "unknown"):
            outcome = ReplyOutcome(reply.intent, owners[0], None, say(language, "help"))
            return self._answer(sms, outcome, first_help=reply.intent == "help")
        found = self._incident_for(owners, reply.code, sms.replying_to, language)
        if isinstance(found, str):
            return self._answer(sms, ReplyOutcome(reply.intent, owners[0], None, found))
        answerer = Answerer.by_sms(found.contact_id)
        changed = False
        try:
            if reply.intent == "ack":
                answer = self._responses.acknowledge(found.incident_id, answerer)
            else:
                answer = self._responses.decline(found.incident_id, answerer)
            text, changed = answer.say(self._language(found.contact_id)), answer.outcome in _CHANGES
        except TocsinError as error:
            text = str(error)
        outcome = ReplyOutcome(reply.intent, found.contact_id, found.incident_id, text)
        return self._answer(sms, outcome, confirms_a_change=changed)

    def _language(self, contact_id: str) -> str:
        contact = self._people.get_contacts([contact_id]).get(contact_id)
        return contact.language if contact else "en"

    def _incident_for(
        self, owners: list[str], code: str | None, replying_to: str | None, language: str
    ) -> ResponderPass | str:
        """The pass the reply is about, or what to tell the person when it is unclear."""
        now = self._clock.now()
        passes = [p for c in owners for p in self._registry.for_contact(c) if not p.expired(now)]
        if code is not None:
            passes = [p for p in passes if p.code == code]
            if not passes:
                return f"{say(language, 'no_code', code=code)} {say(language, 'help')}"
        elif replying_to is not None:
            job = self._sent.find_sent(replying_to)
            answered = [
                p
                for p in passes
                if job is not None
                and (p.incident_id, p.contact_id) == (job.incident_id, job.contact_id)
            ]
            passes = answered or passes
        open_passes = [p for p in passes if self._is_open(p.incident_id)]
        if len(open_passes) == 1:
            return open_passes[0]
        if not open_passes:
            return say(language, "none_open")
        codes = ", ".join(sorted({p.code for p in open_passes}))
        return say(language, "several", codes=codes)

    def _is_open(self, incident_id: str) -> bool:
        incident = self._incidents.get(incident_id)
        # Waiting at the gate, a reply from an approver approves (ACK) or rejects (NO) it.
        return incident is not None and incident.status in (
            IncidentStatus.OPEN,
            IncidentStatus.AWAITING_APPROVAL,
        )

    def _answer(
        self,
        sms: InboundSms,
        outcome: ReplyOutcome,
        first_help: bool = False,
        confirms_a_change: bool = False,
    ) -> ReplyOutcome:
        if self._sms is None or not outcome.answer:
            return outcome
        hour = self._clock.now().replace(minute=0, second=0, microsecond=0)
        if not confirms_a_change and not self._budget.spend(
            sms.origination, hour, HELP_ANSWERS_PER_HOUR, first_help
        ):
            return replace(outcome, answer=None, withheld=True)
        try:
            # Best effort: the acknowledgement is recorded whether or not this text arrives.
            self._sms.send(sms.origination, Message(body=outcome.answer), outcome.incident_id or "")
        except SendError as error:
            return replace(outcome, answer=f"{outcome.answer} [not sent: {error.code}]")
        return outcome
