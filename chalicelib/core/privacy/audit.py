"""The record of who touched personal data: who read, saved or erased a contact, how and when,
never the data itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class AccessAction(StrEnum):
    READ = "read"
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # saved as it already was: nothing written but this record
    ERASURE_REQUESTED = "erasure_requested"
    ERASED = "erased"  # the erasure job finished: no record names the person any more


@dataclass(frozen=True)
class Actor:
    """Who acts: ``key ops-portal`` through the API, an AWS principal's ARN through the
    ``tocsin`` command; ``via`` says which door (api, cli, import)."""

    name: str
    via: str


@dataclass(frozen=True)
class AccessRecord:
    contact_id: str
    action: AccessAction
    by: str
    via: str
    at: datetime
    keep_until: datetime

    def to_document(self) -> dict[str, Any]:
        return {
            "contact_id": self.contact_id,
            "action": self.action.value,
            "by": self.by,
            "via": self.via,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any], keep_until: datetime) -> AccessRecord:
        return cls(
            contact_id=document["contact_id"],
            action=AccessAction(document["action"]),
            by=document["by"],
            via=document["via"],
            at=datetime.fromisoformat(document["at"]),
            keep_until=keep_until,
        )
