"""What erasing one person does to each kind of item, by the item's layout (the rules for one
value are the core's: ``core/privacy/scrubbing.py``). A rewrite is the item without the person,
equal to the item when it never named them; ``None`` deletes the item.

incidents table, every item: attribute by attribute (:data:`ITEM`): ids exactly, Tocsin's own
words and times kept, JSON documents of a known layout (:data:`JSON_ATTRIBUTES`), anything else
as free text; keys by their layout in keys.py. That covers events, incidents, timelines, the send
ledger, passes, holds (``settled_by``), canary rounds, Opsgenie alerts and requests, change
events and their pointers, check-ins (the check-in, who was asked, each answer and the latest,
whose key moves to the pseudonym's), requests kept by Idempotency-Key (their kept answers), why
queue messages failed, and any kind of item added later (as free text).

contacts table, only other people's profiles: a ``reports_to`` naming the person becomes the
pseudonym (their lead was erased; nobody is told in their place). The person's own items went
when the job began; the access record is kept on purpose.

config table, only the items that name people:

    APIKEY#<digest> / APIKEY, APIKEYS / NAME#<name>   a key bound to the person: revoked (as of
                                                      the erasure's request) and bound to the
                                                      pseudonym; nobody can use it any more
    CALENDAR#<digest> / CALENDAR                      the person's calendar links: revoked and
                                                      bound to the pseudonym (they answer 410,
                                                      naming nobody, as once the person left)
    CALENDARS#<contact> / CURRENT                     which link is theirs: deleted
    OVERRIDE#<schedule> / <start>#<id>                the person as who covers, is covered or
                                                      made it: the pseudonym, so the shift still
                                                      goes to nobody reachable, as it did once
                                                      they left the directory

The playbook's versions are left alone: their documents are never rewritten (each version is
checked against its digest), and their source is the policy directory in git.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.core.checkins.values import HELP_TYPE
from chalicelib.core.privacy.scrubbing import (
    EVENT,
    FREE,
    RESPONSE_STATE,
    TIMELINE_DATA,
    Layout,
    Scrubber,
)
from chalicelib.storage import keys
from chalicelib.storage.retention import EXPIRES_AT

Rewrite = dict[str, Any] | None  # None: delete the item

# The incidents table's attributes: ids (exact), Tocsin's own words, names of senders and times
# (kept: keys are built from some of them), JSON documents of a known layout; anything else is
# free text.
ITEM = Layout(
    ids=frozenset({"contact_id", "requested_by", "settled_by"}),
    kept=frozenset(
        {
            "pk",
            "sk",
            "incident_id",
            "event_id",
            "status",
            "channel",
            "notice",
            "kind",
            "at",
            "severity",
            "type",
            "event_status",
            "outcome",
            "code",
            "format",
            "rule_id",
            "plan_id",
            "opened_at",
            "updated_at",
            "resolved_at",
            "received_at",
            "decided_at",
            "claimed_at",
            "finished_at",
            "attempts",
            "step",
            "message_id",
            "token",
            "valid_until",
            "due_pk",
            "due_at",
            "response_version",
            "event_count",
            "playbook_version",
            "log_version",
            "delivery",
            "entries",
            "count",
            "dedup_namespace",
            "sender",
            "hold_id",
            "state",
            "created_at",
            "settled_at",
            "queued_at",
            "fallbacks",
            "canary_id",
            "started_at",
            "begun_at",
            "judge_by",
            "heartbeat_id",
            "watched_since",
            "last_ping_at",
            "missed_at",
            "missed_event_id",
            "alert_sk",
            "version",
            # check-ins: their answers (who answered is ``contact_id``)
            "checkin_id",
            "answer_id",
            "option",
            "by",
            "late",
            "help_incident",
            # drills (their rosters lose the person: ``scrub_item``)
            "drill_id",
            "drill_kind",
            # requests kept by Idempotency-Key: the claim, a digest of the request, its status
            # (and ``started_at``, above)
            "claim",
            "fingerprint",
            "answer_status",
            # why a queue message failed (the reason is redacted free text)
            "queue",
            "receives",
            EXPIRES_AT,
        }
    ),
)
# Opsgenie alerts and requests, and PagerDuty change events, as storage writes them (JSON).
OPSGENIE_ALERT = Layout(
    kept=frozenset(
        {
            "alert_id",
            "tiny_id",
            "sender",
            "event_type",
            "priority",
            "created_at",
            "updated_at",
            "status",
            "acknowledged",
            "count",
            "acknowledged_at",
            "closed_at",
            "last_occurred_at",
            "event_ids",
        }
    )
)
OPSGENIE_REQUEST = Layout(
    kept=frozenset(
        {"request_id", "sender", "action", "at", "alert_id", "status", "success", "event_id"}
    )
)
CHANGE_EVENT = Layout(kept=frozenset({"change_id", "sender", "received_at", "occurred_at"}))
# A check-in as storage writes it (its question, options and responders are free text).
CHECKIN = Layout(
    ids=frozenset({"created_by", "unreachable"}),
    kept=frozenset(
        {
            "checkin_id",
            "channels",
            "chain",
            "deadline",
            "reminders",
            "exercise",
            "created_at",
            "status",
            "reminded",
            "next_reminder_at",
            "version",
            "asked",
            "expires_at",
        }
    ),
    nested={"audience": Layout(ids=frozenset({"contacts"}), kept=frozenset({"everyone"}))},
)
JSON_ATTRIBUTES: Mapping[str, Layout] = {
    "data": TIMELINE_DATA,
    "response_state": RESPONSE_STATE,
    "event": EVENT,
    "original": FREE,
    "alert": OPSGENIE_ALERT,
    "request": OPSGENIE_REQUEST,
    "change": CHANGE_EVENT,
    "document": CHECKIN,
    "answer_body": FREE,  # an answer kept for a retried request may echo what it sent
    "answer_headers": FREE,
}
# Partition keys that hold a dedup key (free text, which may name anyone).
_TEXT_PARTITIONS = ("DEDUP#", "ACTIVATIONS#KEY#", "KEYSENDER#")
_DROPIN = (
    "OGALERTS#",
    "OGALERT#",
    "OGTINY",
    "OGALIAS#",
    "OGREQUEST#",
    "CHANGES#",
    "KEYSENDER#",
    "SENDERINCIDENTS#",
)
OVERRIDE = Layout(
    ids=frozenset({"contact_id", "covers", "created_by"}),
    kept=frozenset(
        {"pk", "sk", "override_id", "schedule_id", "start", "end", EXPIRES_AT},
    ),
)


def record_kind(pk: str, sk: str) -> str:
    """Which kind of record an item is, for the job's counts."""
    if pk.startswith("EVENT#"):
        return "events"
    if pk.startswith("INCIDENT#"):
        for prefix, kind in (
            ("INCIDENT", "incidents"),
            ("TL#", "timeline"),
            (keys.SEND_PREFIX, "sends"),
            ("RESPONDER#", "passes"),
            (keys.HOLD_PREFIX, "holds"),
        ):
            if sk.startswith(prefix):
                return kind
        return "other"
    for prefixes, kind in (
        (("ACKLINK#", "PAGED#"), "passes"),
        (("MSG#",), "message_ids"),
        (("DEDUP#", "ACTIVATIONS#"), "dedup"),
        ((keys.HOLDS_PK,), "holds"),
        (("CANARY#",), "canaries"),
        (_DROPIN, "dropin"),
        (("APIKEY",), "credentials"),  # APIKEY#<digest> and APIKEYS
        (("CALENDAR",), "calendars"),  # CALENDAR#<digest> and CALENDARS#<contact>
        (("OVERRIDE#",), "overrides"),
        ((keys.checkin_partition(""), keys.OPEN_CHECKINS_PK), "checkins"),
        (("IDEMPOTENCY#",), "idempotency"),
        (("FAILURE#",), "queue_failures"),
        (("CONTACT#",), "leads"),  # another person's profile that named them as their lead
    ):
        if pk.startswith(prefixes):
            return kind
    return "other"


def scrub_item(item: Mapping[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """An item of the incidents table without the person (equal to ``item`` when it never
    mentioned them)."""
    cleaned: dict[str, Any] = {}
    for name, value in item.items():
        if name == "members" and isinstance(value, list):  # a check-in's audience
            cleaned[name] = [_member(member, scrubber) for member in value]
        elif name == "roster" and isinstance(value, list):  # a drill's: the person leaves it
            cleaned[name] = [each for each in value if each != scrubber.person.contact_id]
        elif name in JSON_ATTRIBUTES and isinstance(value, str):
            cleaned[name] = _scrub_json(value, scrubber, JSON_ATTRIBUTES[name])
        elif name in ITEM.kept:
            cleaned[name] = value
        elif name in ITEM.ids and isinstance(value, str):
            cleaned[name] = scrubber.exact(value)
        else:
            cleaned[name] = scrubber.document(value)
    _forget_name(item, cleaned, scrubber)
    mentions = cleaned != item
    cleaned["pk"], cleaned["sk"] = _scrub_key(str(item["pk"]), str(item["sk"]), scrubber, mentions)
    return cleaned


def scrub_config_item(item: Mapping[str, Any], scrubber: Scrubber, revoked_at: datetime) -> Rewrite:
    """An item of the config table without the person: their keys and calendar links revoked
    and bound to the pseudonym, their overrides pseudonymised; every other item as it is."""
    pk, person = str(item["pk"]), scrubber.person.contact_id
    if pk.startswith(("APIKEY#", "CALENDAR#")) or pk == keys.API_KEY_LIST_PK:
        if item.get("contact_id") != person:
            return dict(item)
        revoked = item.get("revoked_at") or revoked_at.isoformat()
        return {**item, "contact_id": scrubber.pseudonym, "revoked_at": revoked}
    if pk.startswith("CALENDARS#"):
        return None if pk == keys.calendar_owner(person)["pk"] else dict(item)
    if pk.startswith("OVERRIDE#"):
        return dict(scrubber.document(dict(item), OVERRIDE))
    return dict(item)


def _forget_name(item: Mapping[str, Any], cleaned: dict[str, Any], scrubber: Scrubber) -> None:
    """The incident an "I need help" opened is titled with the person's name, what they
    answered and how to reach them (``core/checkins/help.py``): when it is theirs (they
    requested it), the name before `` answered `` becomes the pseudonym; their number and
    address went with the rest of the free text."""
    title = cleaned.get("title")
    if (
        item.get("type") == HELP_TYPE
        and item.get("requested_by") == scrubber.person.contact_id
        and isinstance(title, str)
        and _ANSWERED in title
    ):
        cleaned["title"] = scrubber.pseudonym + title[title.index(_ANSWERED) :]


_ANSWERED = " answered "  # what follows the name in a help incident's title


def scrub_contact_item(item: Mapping[str, Any], scrubber: Scrubber) -> Rewrite:
    """An item of the contacts table: another person's profile whose lead (``reports_to``) is
    the person names the pseudonym; every other item as it is."""
    if item.get("sk") == "PROFILE" and item.get("reports_to") == scrubber.person.contact_id:
        return {**item, "reports_to": scrubber.pseudonym}
    return dict(item)


def _member(member: Any, scrubber: Scrubber) -> Any:
    """``[contact id, teams, roles]``: the id exactly; teams and roles are Tocsin's names."""
    if isinstance(member, list) and member and isinstance(member[0], str):
        return [scrubber.exact(member[0]), *member[1:]]
    return scrubber.document(member)


def _scrub_json(text: str, scrubber: Scrubber, layout: Layout) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        return scrubber.text(text)
    cleaned = scrubber.document(document, layout)
    return text if cleaned == document else json.dumps(cleaned, default=str)


def _scrub_key(pk: str, sk: str, scrubber: Scrubber, mentions: bool) -> tuple[str, str]:
    """Keys by their layout (keys.py): the contact segment of ``SEND#<contact>#...``,
    ``RESPONDER#<contact>`` and ``PAGED#<contact>`` exactly; a dedup key as the free text it
    is; a timeline entry's key only when the entry mentions the person."""
    if pk.startswith("PAGED#"):
        pk = "PAGED#" + scrubber.exact(pk.removeprefix("PAGED#"))
    for prefix in _TEXT_PARTITIONS:
        if pk.startswith(prefix):
            pk = prefix + scrubber.text(pk.removeprefix(prefix))
    if sk.startswith(keys.SEND_PREFIX):
        parts = sk.split("#")
        parts[1] = scrubber.exact(parts[1])
        sk = "#".join(parts)
    elif sk.startswith("RESPONDER#"):
        sk = "RESPONDER#" + scrubber.exact(sk.removeprefix("RESPONDER#"))
    elif pk.startswith(keys.checkin_partition("")) and sk.startswith(keys.CHECKIN_LATEST_PREFIX):
        sk = keys.CHECKIN_LATEST_PREFIX + scrubber.exact(
            sk.removeprefix(keys.CHECKIN_LATEST_PREFIX)
        )
    elif sk.startswith("TL#K#") and mentions:
        sk = "TL#K#" + scrubber.key_part(sk.removeprefix("TL#K#"))
    return pk, sk
