"""The passes of the people paged for each incident, in memory, by the rules of
``storage/responders.py``: registering again overwrites; a person's passes come newest first."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.core.messaging.passes import ResponderPass


class MemoryResponderRegistry:
    def __init__(self) -> None:
        self._passes: dict[tuple[str, str], ResponderPass] = {}
        self._tokens: dict[str, ResponderPass] = {}

    def register(self, passes: Sequence[ResponderPass]) -> None:
        for found in passes:
            self._passes[(found.incident_id, found.contact_id)] = found
            self._tokens[found.token] = found

    def find(self, incident_id: str, contact_id: str) -> ResponderPass | None:
        return self._passes.get((incident_id, contact_id))

    def by_token(self, token: str) -> ResponderPass | None:
        return self._tokens.get(token)

    def for_contact(self, contact_id: str) -> list[ResponderPass]:
        mine = [p for (_, contact), p in self._passes.items() if contact == contact_id]
        return sorted(mine, key=lambda found: found.incident_id, reverse=True)
