"""Role checklists during an incident: each paged person's first-hour duties, ticked by that
person with a credential that proves them (their link page's token, or their personal key),
recorded on the timeline; the incident's answer shows each checklist's progress.

A tick is a keyed timeline entry (``checklist-<item>``): ticked once, by whoever ticked it first.
Refused with a clear 4xx, nothing recorded: an item that does not exist (404), another role's
item (403), a credential that is not the person's own (403), an incident that is not open (409).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import Conflict, Forbidden, NotFound
from chalicelib.core.model import Incident, IncidentStatus, TimelineEntry
from chalicelib.core.playbook.checklists import ChecklistItem
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.ports import Clock, ContactDirectory, IncidentStore

TICKED = "checklist_ticked"


@dataclass(frozen=True)
class Ticked:
    item: ChecklistItem
    contact_id: str
    first: bool  # False: the item was ticked before (by them or another holder of the role)

    def document(self) -> dict[str, Any]:
        return {
            "item": self.item.item_id,
            "role": self.item.role,
            "text": self.item.text,
            "ticked_by": self.contact_id,
            "already_ticked": not self.first,
        }


def role_checklists(
    checklist: Mapping[str, ChecklistItem], roles: Sequence[str]
) -> dict[str, list[ChecklistItem]]:
    """The checklists of ``roles``, in the playbook's order of items."""
    found: dict[str, list[ChecklistItem]] = {role: [] for role in dict.fromkeys(roles)}
    for item in checklist.values():
        if item.role in found:
            found[item.role].append(item)
    return {role: items for role, items in found.items() if items}


def progress(
    checklist: Mapping[str, ChecklistItem],
    roles: Sequence[str],
    timeline: Sequence[TimelineEntry],
) -> dict[str, Any]:
    """The checklists of ``roles`` (the plan's) and of any role with a tick: items done of
    total, and who ticked each, when."""
    ticks = {str(entry.data.get("item")): entry for entry in timeline if entry.kind == TICKED}
    roles = [*roles, *(str(t.data.get("role")) for t in ticks.values() if t.data.get("role"))]
    answer: dict[str, Any] = {}
    for role, items in role_checklists(checklist, roles).items():
        listed = []
        for item in items:
            tick = ticks.get(item.item_id)
            listed.append(
                {
                    "id": item.item_id,
                    "text": item.text,
                    "done": tick is not None,
                    "ticked_by": tick.data.get("contact_id") if tick else None,
                    "ticked_at": tick.at.isoformat() if tick else None,
                }
            )
        done = sum(1 for each in listed if each["done"])
        answer[role] = {"done": done, "total": len(listed), "items": listed}
    return answer


class Duties:
    def __init__(
        self,
        incidents: IncidentStore,
        playbooks: PlaybookSource,
        directory: ContactDirectory,
        clock: Clock,
    ) -> None:
        self._incidents = incidents
        self._playbooks = playbooks
        self._directory = directory
        self._clock = clock

    def for_person(self, incident: Incident, contact_id: str) -> dict[str, list[ChecklistItem]]:
        """The checklists of the roles the person holds (however the incident reached them)."""
        playbook = self._playbooks.load_version(incident.playbook_version)
        contact = self._directory.get_contacts([contact_id]).get(contact_id)
        return {} if contact is None else role_checklists(playbook.checklist, contact.roles)

    def page_items(self, incident: Incident, contact_id: str) -> list[tuple[ChecklistItem, bool]]:
        """The person's checklist items for their link page, each with whether it is done."""
        mine = [item for items in self.for_person(incident, contact_id).values() for item in items]
        if not mine:
            return []
        done = {
            entry.data.get("item")
            for entry in self._incidents.timeline(incident.incident_id)
            if entry.kind == TICKED
        }
        return [(item, item.item_id in done) for item in mine]

    def tick(self, incident_id: str, who: Answerer, item_id: str) -> Ticked:
        if not who.person_bound or who.contact_id is None:
            raise Forbidden(
                "a checklist item is ticked by its person: with the link from their alert, or "
                "their own personal key"
            )
        incident = self._incidents.get(incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        playbook = self._playbooks.load_version(incident.playbook_version)
        item = playbook.checklist.get(item_id)
        if item is None:
            raise NotFound(f"no checklist item {item_id!r} in the playbook")
        if incident.status is not IncidentStatus.OPEN:
            raise Conflict(f"incident {incident_id} is {incident.status.value}: nothing to tick")
        contact = self._directory.get_contacts([who.contact_id]).get(who.contact_id)
        if contact is None or item.role not in contact.roles:
            raise Forbidden(
                f"item {item_id!r} is on the {item.role} checklist; {who.contact_id} does not "
                f"hold the {item.role} role"
            )
        ticked = any(
            entry.kind == TICKED and entry.data.get("item") == item_id
            for entry in self._incidents.timeline(incident_id)
        )
        if not ticked:
            entry = TimelineEntry(
                at=self._clock.now(),
                kind=TICKED,
                summary=f"{who.contact_id} ({item.role}) ticked: {item.text} (by {who.via})",
                data={"item": item_id, "role": item.role, "contact_id": who.contact_id},
                key=f"checklist-{item_id}",
            )
            self._incidents.append(incident_id, [entry])
        return Ticked(item, who.contact_id, not ticked)
