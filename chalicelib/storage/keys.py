"""Key builders: every item's ``pk``/``sk`` is made here and nowhere else."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from chalicelib.core.model import NotificationJob

Key = dict[str, str]

# config table
PLAYBOOK_PK = "PLAYBOOK"


def playbook_current() -> Key:
    """Which version of the playbook is in force."""
    return {"pk": PLAYBOOK_PK, "sk": "CURRENT"}


def playbook_version(version: int) -> Key:
    """One applied version: where its documents are, their digest, when it was applied."""
    return {"pk": PLAYBOOK_PK, "sk": f"VERSION#{version:08d}"}


def playbook_document(partition: str, section: str, position: int, document_id: str) -> Key:
    """A document of one version; documents keep their order within each section."""
    return {"pk": partition, "sk": f"{section}#{position:05d}#{document_id}"}


def api_key(key_hash: str) -> Key:
    return {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY"}


API_KEY_LIST_PK = "APIKEYS"


def api_key_name(name: str) -> Key:
    return {"pk": API_KEY_LIST_PK, "sk": f"NAME#{name}"}


def rate_window(key_name: str, window: datetime) -> Key:
    return {"pk": f"RATE#{key_name}#{window.isoformat()}", "sk": "RATE"}


def reply_window(phone: str, hour: datetime) -> Key:
    """Answers texted back to a number within one clock hour (the number itself is hashed)."""
    digest = phone_partition(phone).removeprefix("PHONE#")
    return {"pk": f"REPLIES#{digest}", "sk": hour.isoformat()}


def signature(signature_digest: str) -> Key:
    return {"pk": f"SIGNATURE#{signature_digest}", "sk": "SIGNATURE"}


def schedule_slot(schedule_id: str, slot: datetime) -> Key:
    return {"pk": f"SCHEDULE#{schedule_id}#{slot.isoformat()}", "sk": "FIRED"}


def heartbeat(heartbeat_id: str) -> Key:
    """When a heartbeat was last pinged, and whether it is missed (incidents table)."""
    return {"pk": f"HEARTBEAT#{heartbeat_id}", "sk": "STATE"}


def canary_partition(canary_id: str) -> str:
    return f"CANARY#{canary_id}"


def canary_round(canary_id: str, started_at: datetime) -> Key:
    """One round of a canary, by its start (incidents table)."""
    return {
        "pk": canary_partition(canary_id),
        "sk": f"{CANARY_ROUND_PREFIX}{started_at.isoformat()}",
    }


CANARY_ROUND_PREFIX = "ROUND#"


def canary_state(canary_id: str) -> Key:
    """The channels a canary found failing at its last judged round."""
    return {"pk": canary_partition(canary_id), "sk": "STATE"}


# contacts table
def contact_profile(contact_id: str) -> Key:
    return {"pk": f"CONTACT#{contact_id}", "sk": "PROFILE"}


def role_member(role: str, contact_id: str) -> Key:
    return {"pk": f"ROLE#{role}", "sk": f"CONTACT#{contact_id}"}


def role_partition(role: str) -> str:
    return f"ROLE#{role}"


def team_member(team: str, contact_id: str) -> Key:
    return {"pk": team_partition(team), "sk": f"CONTACT#{contact_id}"}


def team_partition(team: str) -> str:
    return f"TEAM#{team}"


def label_member(label: str, contact_id: str) -> Key:
    return {"pk": label_partition(label), "sk": f"CONTACT#{contact_id}"}


def label_partition(label: str) -> str:
    return f"LABEL#{label}"


def directory_version() -> Key:
    """A counter raised by every save that adds someone to a role, team or label: while it
    stands still, the memberships read before are still everyone's (removals show on the
    people themselves)."""
    return {"pk": "DIRECTORY", "sk": "VERSION"}


def phone_owner(phone: str, contact_id: str) -> Key:
    """Who has a number, so an inbound SMS finds its sender (the number itself is hashed)."""
    return {"pk": phone_partition(phone), "sk": f"CONTACT#{contact_id}"}


def phone_partition(phone: str) -> str:
    return f"PHONE#{hashlib.sha256(phone.encode()).hexdigest()[:32]}"


def erasing(contact_id: str) -> Key:
    """The mark that the person is being erased (and by which job): saving them is refused."""
    return {"pk": f"CONTACT#{contact_id}", "sk": "ERASING"}


def erasure_job(job_id: str) -> Key:
    return {"pk": f"ERASURE#{job_id}", "sk": "JOB"}


def access_record(contact_id: str, at: datetime, unique: str) -> Key:
    """Who read, saved or erased the person, in time order."""
    return {"pk": access_partition(contact_id), "sk": f"{at.isoformat()}#{unique}"}


def access_partition(contact_id: str) -> str:
    return f"AUDIT#{contact_id}"


# incidents table
def event(event_id: str) -> Key:
    return {"pk": f"EVENT#{event_id}", "sk": "EVENT"}


def incident(incident_id: str) -> Key:
    return {"pk": incident_partition(incident_id), "sk": "INCIDENT"}


def incident_partition(incident_id: str) -> str:
    return f"INCIDENT#{incident_id}"


def dedup(dedup_key: str) -> Key:
    return {"pk": f"DEDUP#{dedup_key}", "sk": "OPEN"}


def rule_activations(rule_id: str) -> Key:
    """Recent activations of a rule, for its rate limit."""
    return {"pk": f"ACTIVATIONS#RULE#{rule_id}", "sk": "LOG"}


def key_activations(dedup_key: str) -> Key:
    """Recent incidents opened for a dedup key, for dedup windows and flap damping."""
    return {"pk": f"ACTIVATIONS#KEY#{dedup_key}", "sk": "LOG"}


def timeline(incident_id: str, at: datetime, entry_key: str | None, unique: str) -> Key:
    """Keyed entries are written once whenever they are retried; others get a unique key."""
    sort_key = f"TL#K#{entry_key}" if entry_key else f"TL#T#{at.isoformat()}#{unique}"
    return {"pk": incident_partition(incident_id), "sk": sort_key}


TIMELINE_PREFIX = "TL#"


def sent_message(message_id: str) -> Key:
    """Which ledger item an AWS message id belongs to, for delivery events."""
    return {"pk": f"MSG#{message_id}", "sk": "SEND"}


def send(job: NotificationJob) -> Key:
    return {"pk": incident_partition(job.incident_id), "sk": f"{SEND_PREFIX}{job.ledger_name}"}


SEND_PREFIX = "SEND#"


def statement(incident_id: str, statement_id: str) -> Key:
    """A statement to an audience (``storage/statements.py``)."""
    return {"pk": incident_partition(incident_id), "sk": f"{STATEMENT_PREFIX}{statement_id}"}


STATEMENT_PREFIX = "STATEMENT#"


def statement_outlet(incident_id: str, statement_id: str, outlet: str) -> Key:
    """The claim that one call sends a statement through one outlet."""
    return {"pk": incident_partition(incident_id), "sk": f"OUTLET#{statement_id}#{outlet}"}


def responder(incident_id: str, contact_id: str) -> Key:
    """A person paged for an incident, with their link token and reply code."""
    return {"pk": incident_partition(incident_id), "sk": f"RESPONDER#{contact_id}"}


def ack_link(token: str) -> Key:
    return {"pk": f"ACKLINK#{token}", "sk": "LINK"}


def paged(contact_id: str, incident_id: str) -> Key:
    """The incidents a person was paged for, so an SMS reply finds its incident by code."""
    return {"pk": paged_partition(contact_id), "sk": f"INCIDENT#{incident_id}"}


def paged_partition(contact_id: str) -> str:
    return f"PAGED#{contact_id}"


DUE_PARTITION = "DUE"  # the escalation index: open incidents by their next deadline
HELD_DUE_PARTITION = "HELD_DUE"  # the same index: events held until their rule's window opens
UPDATES_DUE_PARTITION = "UPDATES_DUE"  # the same index: open incidents by their next update


def update_due(incident_id: str) -> Key:
    """When the incident's next update is due (in the ``due`` index while it is set)."""
    return {"pk": incident_partition(incident_id), "sk": "UPDATE#DUE"}


UNQUEUED_PARTITION = "UNQUEUED"  # the same index: events recorded, not yet queued nor decided


def idempotency(scope: str, key: str) -> Key:
    """A request by its ``Idempotency-Key``, within the API key's scope (hashed: the key is
    the client's text, of any length up to 255)."""
    digest = hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
    return {"pk": f"IDEMPOTENCY#{digest}", "sk": "REQUEST"}


def failure(message_id: str) -> Key:
    """Why a queue message last failed (queues keep no reason; a dead letter keeps its id)."""
    return {"pk": f"FAILURE#{message_id}", "sk": "LAST"}


def override(schedule_id: str, start: datetime, override_id: str) -> Key:
    return {"pk": override_partition(schedule_id), "sk": f"{start.isoformat()}#{override_id}"}


def override_partition(schedule_id: str) -> str:
    return f"OVERRIDE#{schedule_id}"


# spending (incidents table)
def spend_counter(meter: str, window: datetime) -> Key:
    """What one meter (``budget#sms``, ``reserve#email``) counted in one hour (UTC)."""
    return {"pk": f"SPEND#{meter}#{window:%Y-%m-%dT%H}", "sk": "COUNT"}


def release_page(window: datetime) -> Key:
    """Which incident paged the release role in one hour (UTC): the first to hold anything."""
    return {"pk": f"SPEND#PAGE#{window:%Y-%m-%dT%H}", "sk": "PAGE"}


HOLDS_PK = "HOLDS"  # every hold in one partition, newest last: there are few, and the list is read


def hold(hold_id: str) -> Key:
    return {"pk": HOLDS_PK, "sk": f"{HOLD_PREFIX}{hold_id}"}


HOLD_PREFIX = "HOLD#"


def open_hold(incident_id: str) -> Key:
    """The incident's hold still collecting messages (deleted when the hold is settled)."""
    return {"pk": incident_partition(incident_id), "sk": "HOLD#OPEN"}


def calendar_token(digest: str) -> Key:
    """A personal calendar link, by the SHA-256 digest of its token."""
    return {"pk": f"CALENDAR#{digest}", "sk": "CALENDAR"}


def calendar_owner(contact_id: str) -> Key:
    """Which link is a person's current one, so a new one revokes it."""
    return {"pk": f"CALENDARS#{contact_id}", "sk": "CURRENT"}


# drop-in APIs (incidents table): Opsgenie alerts and requests, change events, their senders
def alerts_partition(sender: str) -> str:
    """A sender's alerts, sorted by creation (``GET /v2/alerts`` reads a range of it)."""
    return f"OGALERTS#{sender}"


def alert(sender: str, created: str, alert_id: str) -> Key:
    """The alert itself; ``created``: its creation time, sortable (``sortable_time``)."""
    return {"pk": alerts_partition(sender), "sk": f"{created}#{alert_id}"}


def alert_by_id(alert_id: str) -> Key:
    return {"pk": f"OGALERT#{alert_id}", "sk": "ID"}


def alert_by_tiny_id(tiny_id: str) -> Key:
    return {"pk": f"OGTINY#{tiny_id}", "sk": "ID"}


def alert_by_alias(sender: str, alias: str) -> Key:
    """The latest alert with an alias, within its sender (both hashed: any text is safe)."""
    digest = hashlib.sha256(f"{len(sender)}:{sender}{alias}".encode()).hexdigest()
    return {"pk": f"OGALIAS#{digest}", "sk": "LATEST"}


def tiny_id_counter() -> Key:
    return {"pk": "OGTINY", "sk": "COUNTER"}


def alert_request(request_id: str) -> Key:
    return {"pk": f"OGREQUEST#{request_id}", "sk": "REQUEST"}


def changes_partition(sender: str) -> str:
    return f"CHANGES#{sender}"


def change(sender: str, received: str, change_id: str) -> Key:
    return {"pk": changes_partition(sender), "sk": f"{received}#{change_id}"}


def dedup_key_sender(dedup_key: str) -> Key:
    """Which sender triggers with a dedup key (so its incidents are that sender's)."""
    return {"pk": f"KEYSENDER#{dedup_key}", "sk": "SENDER"}


def sender_incidents_partition(sender: str) -> str:
    return f"SENDERINCIDENTS#{sender}"


def sender_incident(sender: str, incident_id: str) -> Key:
    return {"pk": sender_incidents_partition(sender), "sk": f"INCIDENT#{incident_id}"}


def sortable_time(at: datetime) -> str:
    """UTC to the microsecond, fixed width: sorts as the times do."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# The lists index (tables.LIST_INDEX): one partition per status, newest first by list_at.
INCIDENT_LISTS = "INCIDENTS#"
EVENT_LISTS = "EVENTS#"


def list_position(at: datetime, item_id: str) -> str:
    """Where an item sorts in its list: its time, then its id (ids are unique)."""
    return f"{sortable_time(at)}#{item_id}"


def incident_list_partition(status: str) -> str:
    return f"{INCIDENT_LISTS}{status}"


def event_list_partition(outcome: str) -> str:
    return f"{EVENT_LISTS}{outcome}"


def incident_listing(status: str, opened_at: datetime, incident_id: str) -> Key:
    """The lists index's keys on an incident item (``list_pk`` moves with its status)."""
    return {
        "list_pk": incident_list_partition(status),
        "list_at": list_position(opened_at, incident_id),
    }


def event_listing(outcome: str, received_at: datetime, event_id: str) -> Key:
    """The lists index's keys on an event item (``list_pk`` moves with its decision)."""
    return {
        "list_pk": event_list_partition(outcome),
        "list_at": list_position(received_at, event_id),
    }


# check-ins (incidents table): the check-in, who was asked (in chunks), each person's latest
# answer, every answer, and the open ones (for the reminder tick)
def checkin_partition(checkin_id: str) -> str:
    return f"CHECKIN#{checkin_id}"


def checkin(checkin_id: str) -> Key:
    return {"pk": checkin_partition(checkin_id), "sk": "CHECKIN"}


def checkin_audience(checkin_id: str, chunk: int) -> Key:
    return {"pk": checkin_partition(checkin_id), "sk": f"{CHECKIN_AUDIENCE_PREFIX}{chunk:05d}"}


CHECKIN_AUDIENCE_PREFIX = "AUDIENCE#"
CHECKIN_LATEST_PREFIX = "LATEST#"
CHECKIN_ANSWER_PREFIX = "ANSWER#"


def checkin_latest(checkin_id: str, contact_id: str) -> Key:
    return {"pk": checkin_partition(checkin_id), "sk": f"{CHECKIN_LATEST_PREFIX}{contact_id}"}


def checkin_answer(checkin_id: str, at: datetime, answer_id: str) -> Key:
    stamp = at.astimezone(UTC).isoformat()
    return {
        "pk": checkin_partition(checkin_id),
        "sk": f"{CHECKIN_ANSWER_PREFIX}{stamp}#{answer_id}",
    }


OPEN_CHECKINS_PK = "CHECKINS"


def open_checkin(checkin_id: str) -> Key:
    return {"pk": OPEN_CHECKINS_PK, "sk": f"OPEN#{checkin_id}"}


# the drill register (incidents table): one partition, few items (drills are run by hand)
DRILLS_PK = "DRILLS"
DRILL_PREFIX = "DRILL#"


def drill(drill_id: str) -> Key:
    """One drill; ids are ULIDs, so the partition reads newest first by its sort key."""
    return {"pk": DRILLS_PK, "sk": f"{DRILL_PREFIX}{drill_id}"}


def drill_slot(plan_id: str) -> Key:
    """Which drill that sends holds the plan (one at a time)."""
    return {"pk": DRILLS_PK, "sk": f"SLOT#{plan_id}"}
