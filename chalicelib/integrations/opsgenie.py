"""Opsgenie Alert API: create alert (``POST /v2/alerts``), ``alias`` the dedup key; and the
bodies of acknowledge, close and add note."""

from __future__ import annotations

from typing import Any

from chalicelib.core.dropin.alerts import alias_dedup_key
from chalicelib.core.dropin.ports import ActionNote, NewAlert
from chalicelib.core.errors import InvalidEvent
from chalicelib.integrations.common import (
    STATUS_OVERRIDE,
    TYPE_OVERRIDE,
    Document,
    IntegrationDefaults,
    event_status,
    event_type,
    items,
    mapping,
    string_map,
    summary,
    text,
)

PRIORITIES = {"P1": "critical", "P2": "high", "P3": "medium", "P4": "low", "P5": "info"}
MESSAGE_LIMIT = 130  # Opsgenie's own limit for ``message``


def from_opsgenie(payload: Any, defaults: IntegrationDefaults) -> list[Document]:
    body = mapping(payload, "$")
    message = text(body.get("message"), "message", required=True)
    assert message is not None
    if len(message) > MESSAGE_LIMIT:
        raise InvalidEvent("message", f"must be at most {MESSAGE_LIMIT} characters")
    priority = body.get("priority", "P3")
    if priority not in PRIORITIES:
        raise InvalidEvent("priority", f"must be one of {', '.join(PRIORITIES)}")
    details = string_map(body.get("details"), "details")
    tags = [str(tag) for tag in items(body.get("tags", []), "tags")]
    alias = text(body.get("alias"), "alias")
    document: Document = {
        "source": defaults.source or text(body.get("source"), "source") or "opsgenie",
        "type": event_type(details.get(TYPE_OVERRIDE), defaults),
        "action": "trigger",
        "severity": PRIORITIES[priority],
        "status": event_status(details.get(STATUS_OVERRIDE)),
        "summary": summary(message),
        "details": {
            "description": body.get("description"),
            "entity": body.get("entity"),
            "tags": tags,
            "details": details,
            "priority": priority,
        },
    }
    if alias:
        document["dedup_key"] = alias_dedup_key(alias)
    return [document]


# Opsgenie's documented limits on the rest of a create request. Text past them is cut, not
# refused (a tool's long default source must not cost an alert); a longer alias is refused,
# since cutting it would merge alerts that differ.
_LIMITS = {"description": 15000, "entity": 512, "source": 100, "user": 100}
ALIAS_LIMIT = 512
NOTE_LIMIT = 25000
RESPONDER_TYPES = ("team", "user", "escalation", "schedule")
MAX_TAGS, TAG_LIMIT, MAX_ACTIONS, ACTION_LIMIT, MAX_RESPONDERS = 20, 50, 10, 50, 50
DETAILS_LIMIT = 8000


def new_alert(payload: Any, defaults: IntegrationDefaults) -> tuple[NewAlert, Document]:
    """A create request (``POST /v2/alerts``) as an alert and its canonical event; responders
    and actions are recorded as sent, never used to route (the playbook routes)."""
    [document] = from_opsgenie(payload, defaults)
    body = mapping(payload, "$")
    given = {name: _cut(body, name, limit) for name, limit in _LIMITS.items()}
    alias = text(body.get("alias"), "alias")
    if alias is not None and len(alias) > ALIAS_LIMIT:
        raise InvalidEvent("alias", f"must be at most {ALIAS_LIMIT} characters")
    note = _cut(body, "note", NOTE_LIMIT)
    tags = tuple(str(tag) for tag in items(body.get("tags", []), "tags"))
    if len(tags) > MAX_TAGS or any(len(tag) > TAG_LIMIT for tag in tags):
        raise InvalidEvent("tags", f"at most {MAX_TAGS} tags of at most {TAG_LIMIT} characters")
    details = string_map(body.get("details"), "details")
    if sum(len(k) + len(v) for k, v in details.items()) > DETAILS_LIMIT:
        raise InvalidEvent("details", f"must be at most {DETAILS_LIMIT} characters in all")
    actions = tuple(str(action) for action in items(body.get("actions", []), "actions"))
    if len(actions) > MAX_ACTIONS or any(len(action) > ACTION_LIMIT for action in actions):
        raise InvalidEvent("actions", f"at most {MAX_ACTIONS} of at most {ACTION_LIMIT} characters")
    alert = NewAlert(
        message=str(document["summary"]),
        priority=str(body.get("priority", "P3")),
        event_type=str(document["type"]),
        alias=alias,
        description=given["description"],
        entity=given["entity"],
        source=given["source"],
        tags=tags,
        details=details,
        responders=_responders(body.get("responders", [])),
        actions=actions,
        note=note,
        user=given["user"],
    )
    return alert, document


def action_note(payload: Any) -> ActionNote:
    """The optional body of an acknowledge, close or add-note request."""
    body = mapping(payload, "$", required=False)
    return ActionNote(
        user=_cut(body, "user", _LIMITS["user"]),
        source=_cut(body, "source", _LIMITS["source"]),
        note=_cut(body, "note", NOTE_LIMIT),
    )


def _cut(body: Any, name: str, limit: int) -> str | None:
    value = text(body.get(name), name)
    return value[:limit] if value is not None else None


def _responders(raw: Any) -> tuple[dict[str, str], ...]:
    """Recorded as sent: an object each, with a known type when it names one. A responder
    without a type (opsgenie-sdk's TeamRecipient sends only a name) is kept, not refused:
    responders never route, so their shape must not cost an alert."""
    found = []
    for index, entry in enumerate(items(raw, "responders")):
        responder = string_map(mapping(entry, f"responders[{index}]"), f"responders[{index}]")
        kind = responder.get("type")
        if kind and kind not in RESPONDER_TYPES:
            raise InvalidEvent(
                f"responders[{index}].type", f"must be one of {', '.join(RESPONDER_TYPES)}"
            )
        found.append(responder)
    if len(found) > MAX_RESPONDERS:
        raise InvalidEvent("responders", f"at most {MAX_RESPONDERS}")
    return tuple(found)
