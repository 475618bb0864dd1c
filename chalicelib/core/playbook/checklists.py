"""Roles and their checklists: the first hour's duties of each crisis role. Pure.

``roles: [{id: legal, description: ..., checklist: [{id: notify-dpa, text: ...}]}]``: each
item's id is unique across the playbook (a tick names the item alone), its text is what the
person reads on their link page and in their alert email.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import read_identifier, read_list, read_object, read_string


@dataclass(frozen=True)
class ChecklistItem:
    item_id: str
    text: str
    role: str


@dataclass(frozen=True)
class Role:
    role_id: str
    description: str
    checklist: tuple[ChecklistItem, ...] = ()


def parse_role(document: Any, path: str) -> Role:
    fields = read_object(document, path, required={"id"}, optional={"description", "checklist"})
    role_id = read_identifier(fields["id"], f"{path}.id")
    items: list[ChecklistItem] = []
    for index, item in enumerate(read_list(fields.get("checklist", []), f"{path}.checklist")):
        where = f"{path}.checklist[{index}]"
        spec = read_object(item, where, required={"id", "text"}, optional=set())
        item_id = read_identifier(spec["id"], f"{where}.id")
        text = read_string(spec["text"], f"{where}.text")
        if not text.strip():
            raise InvalidPolicy(f"{where}.text", "must say what to do")
        items.append(ChecklistItem(item_id, text, role_id))
    return Role(
        role_id, read_string(fields.get("description", ""), f"{path}.description"), tuple(items)
    )


def checked_items(roles: list[Role]) -> dict[str, ChecklistItem]:
    """Every item by its id; an id used twice is an error (a tick names the item alone)."""
    found: dict[str, ChecklistItem] = {}
    for role in roles:
        for item in role.checklist:
            if item.item_id in found:
                raise InvalidPolicy(
                    f"roles.{role.role_id}.checklist",
                    f"item id {item.item_id!r} is already on the {found[item.item_id].role} "
                    "checklist",
                )
            found[item.item_id] = item
    return found


def role_sections(
    roles: list[Role], errors: list[InvalidPolicy]
) -> tuple[dict[str, str], dict[str, ChecklistItem]]:
    """The roles' descriptions by id, and every checklist item by id (an error added to
    ``errors`` when an item id is used twice)."""
    try:
        items = checked_items(roles)
    except InvalidPolicy as invalid:
        errors.append(invalid)
        items = {}
    return {role.role_id: role.description for role in roles}, items
