"""When records expire, and reading them as gone once they have.

DynamoDB's TTL deletes an expired item within days, not at once, and not all the items of one
incident together; moto never deletes at all. So every read of a kind of record that expires
checks ``expires_at`` itself, and every record of one incident carries the incident's own expiry
(:class:`IncidentExpiries`), so an incident is never seen half gone.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.playbook.retention import Retention
from chalicelib.storage import keys
from chalicelib.storage.codec import dynamodb_errors, from_item, to_item
from chalicelib.storage.tables import INCIDENTS

EXPIRES_AT = INCIDENTS.ttl_attribute or "expires_at"


def epoch(moment: datetime) -> int:
    """The TTL attribute's form: Unix seconds."""
    return int(moment.timestamp())


def is_expired(item: Mapping[str, Any], now: datetime) -> bool:
    expires = item.get(EXPIRES_AT)
    return expires is not None and int(expires) <= now.timestamp()


def not_expired_filter(now: datetime) -> dict[str, Any]:
    """Query/Scan arguments that leave out expired items on the server's side."""
    return {
        "FilterExpression": "attribute_not_exists(#expires) OR #expires > :now",
        "ExpressionAttributeNames": {"#expires": EXPIRES_AT},
        "ExpressionAttributeValues": to_item({":now": epoch(now)}),
    }


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Lifetimes:
    """How long each kind of record is kept (the playbook in force's settings, read when a
    record is written) and what time it is (the container's clock, so tests can move it)."""

    retention: Callable[[], Retention] = field(default=Retention)
    now: Callable[[], datetime] = field(default=_utc_now)


_REMEMBERED = 4096  # incidents per Lambda instance; each is one small read when forgotten


class IncidentExpiries:
    """The ``expires_at`` every record of an incident carries: the incident item's, set when it
    opened and never changed, so it is read at most once per incident and remembered."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name
        self._known: OrderedDict[str, int | None] = OrderedDict()

    def remember(self, incident_id: str, expires_at: datetime | None) -> None:
        self._known[incident_id] = epoch(expires_at) if expires_at else None
        self._known.move_to_end(incident_id)
        while len(self._known) > _REMEMBERED:
            self._known.popitem(last=False)

    def of(self, incident_id: str) -> int | None:
        """The incident's expiry (Unix seconds); None for an incident that never expires (one
        opened before retention existed) or that does not exist."""
        if incident_id not in self._known:
            with dynamodb_errors():
                response = self._client.get_item(
                    TableName=self._table,
                    Key=to_item(keys.incident(incident_id)),
                    ProjectionExpression="#expires",
                    ExpressionAttributeNames={"#expires": EXPIRES_AT},
                    ConsistentRead=True,
                )
            if "Item" not in response:
                return None  # not remembered: it may be created in a moment
            found = from_item(response["Item"]).get(EXPIRES_AT)
            self._known[incident_id] = int(found) if found is not None else None
        self._known.move_to_end(incident_id)
        return self._known[incident_id]

    def capped(self, incident_id: str, expires_at: datetime) -> int:
        """``expires_at``, but never after the incident's own expiry: a pointer to an incident's
        record (a link, a message id) must not outlive it."""
        incident = self.of(incident_id)
        own = epoch(expires_at)
        return own if incident is None else min(own, incident)
