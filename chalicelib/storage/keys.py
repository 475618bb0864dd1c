"""Key builders: every item's ``pk``/``sk`` is made here and nowhere else."""

from __future__ import annotations

import hashlib
from datetime import datetime

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


def signature(signature_digest: str) -> Key:
    return {"pk": f"SIGNATURE#{signature_digest}", "sk": "SIGNATURE"}


def schedule_slot(schedule_id: str, slot: datetime) -> Key:
    return {"pk": f"SCHEDULE#{schedule_id}#{slot.isoformat()}", "sk": "FIRED"}


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


def override(schedule_id: str, start: datetime, override_id: str) -> Key:
    return {"pk": override_partition(schedule_id), "sk": f"{start.isoformat()}#{override_id}"}


def override_partition(schedule_id: str) -> str:
    return f"OVERRIDE#{schedule_id}"
