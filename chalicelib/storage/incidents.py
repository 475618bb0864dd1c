"""Incidents, their timelines and dedup pointers, in the incidents table.

A dedup key lives in its sender's namespace: ``k`` below is ``<namespace>#<dedup key>``
(``scope_dedup_key``), so two senders with the same dedup key never meet. Opening is one
transaction, so two deliveries of the same event, or two events with the same dedup key, can
never open two incidents:

    event A ─▶ put DEDUP#k (if absent) + put INCIDENT#a + timeline + EVENT#A=activated ─▶ opened
    event A again ─▶ DEDUP#k exists and names a ───────────────────────────────────▶ redelivered
    event B (same k) ─▶ DEDUP#k exists and names a ─▶ count B on a ───────────────▶ joined
    resolve ─▶ INCIDENT#a=resolved + delete DEDUP#k ─▶ the next trigger with k opens a new one
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.errors import TransientError
from chalicelib.core.events import event_to_document
from chalicelib.core.ids import new_ulid
from chalicelib.core.json_text import compact_json
from chalicelib.core.model import (
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    Link,
    ReceivedEvent,
    ResponseState,
    Severity,
    Stop,
    TimelineEntry,
)
from chalicelib.core.ports import HistorySnapshot, OpenOutcome, OpenResult
from chalicelib.core.verdicts import Activation, History, Verdict
from chalicelib.storage import keys
from chalicelib.storage.codec import all_items, dynamodb_errors, error_code, from_item, to_item
from chalicelib.storage.events import decision_update
from chalicelib.storage.retention import (
    EXPIRES_AT,
    IncidentExpiries,
    Lifetimes,
    epoch,
    is_expired,
)
from chalicelib.storage.tables import DUE_INDEX

BATCH_WRITE_LIMIT = 25
RESOLVE_EXPRESSION = (
    "SET #status = :resolved, list_pk = :resolved_list, resolved_at = :now, updated_at = :now "
    "REMOVE due_pk, due_at"
)
RESOLVED_LIST = keys.incident_list_partition(IncidentStatus.RESOLVED.value)
_MAX_LOG = 200  # entries kept per activation log; limits and windows need far fewer
_MIN_KEEP = timedelta(days=1)


class DynamoIncidentStore:
    """Every record of an incident carries the incident's ``expires_at`` (read once per
    incident through :class:`IncidentExpiries`), and reads treat an expired one as gone."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        lifetimes: Lifetimes | None = None,
        expiries: IncidentExpiries | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._lifetimes = lifetimes or Lifetimes()
        self._expiries = expiries or IncidentExpiries(client, table_name)

    def open(
        self,
        incident: Incident,
        received: ReceivedEvent,
        verdict: Verdict,
        snapshot: HistorySnapshot | None = None,
    ) -> OpenResult:
        self._expiries.remember(incident.incident_id, incident.expires_at)
        if self._transact(self._open_writes(incident, received, verdict, snapshot)):
            return OpenResult(OpenOutcome.OPENED, incident.incident_id)
        existing = self.find_open(incident.scoped_dedup_key)
        if existing == incident.incident_id:
            return OpenResult(OpenOutcome.REDELIVERED, existing)
        if existing is not None:
            return OpenResult(OpenOutcome.JOINED, existing)
        # The history changed, or the blocking incident was resolved between our write and
        # our read: the caller decides again on fresh state.
        return OpenResult(OpenOutcome.CONTENDED, incident.incident_id)

    def create(self, incident: Incident, entries: Sequence[TimelineEntry]) -> None:
        """Store an incident that no event opened (a manual activation), with its first entries."""
        self._expiries.remember(incident.incident_id, incident.expires_at)
        writes = [self._put(_incident_item(incident), condition="attribute_not_exists(pk)")]
        writes += [self._put(self._entry(incident.incident_id, e)) for e in entries]
        if not self._transact(writes):
            raise RuntimeError(f"incident {incident.incident_id} exists already")

    def transition(
        self,
        incident_id: str,
        from_status: IncidentStatus,
        to_status: IncidentStatus,
        entry: TimelineEntry,
    ) -> bool:
        """Move the incident from one status to another and record why; False when it was not
        in ``from_status`` (someone else moved it first). Leaving the gate leaves its deadline
        in the escalation index behind (the first level is due at once, whatever it says)."""
        leaving_gate = from_status is IncidentStatus.AWAITING_APPROVAL
        return self._transact(
            [
                self._update(
                    keys.incident(incident_id),
                    "SET #status = :to, list_pk = :to_list, updated_at = :now"
                    + (" REMOVE due_pk, due_at" if leaving_gate else ""),
                    {
                        ":to": to_status.value,
                        ":to_list": keys.incident_list_partition(to_status.value),
                        ":from": from_status.value,
                        ":now": entry.at.isoformat(),
                    },
                    condition="#status = :from",
                ),
                self._put(self._entry(incident_id, entry)),
            ]
        )

    def add_approval(self, incident_id: str, contact_id: str, entry: TimelineEntry) -> bool:
        return self._transact(
            [
                self._update(
                    keys.incident(incident_id),
                    "SET approved_by = list_append(if_not_exists(approved_by, :none), :one)",
                    {
                        ":none": [],
                        ":one": [contact_id],
                        ":awaiting": IncidentStatus.AWAITING_APPROVAL.value,
                        ":person": contact_id,
                    },
                    condition="#status = :awaiting AND NOT contains(approved_by, :person)",
                ),
                self._put(self._entry(incident_id, entry)),
            ]
        )

    def history(self, rule_id: str, dedup_key: str, keep: timedelta) -> HistorySnapshot:
        """Both activation logs in one consistent read (``dedup_key``: scoped)."""
        rule_key, key_key = keys.rule_activations(rule_id), keys.key_activations(dedup_key)
        with dynamodb_errors():
            response = self._client.batch_get_item(
                RequestItems={
                    self._table: {
                        "Keys": [to_item(rule_key), to_item(key_key)],
                        "ConsistentRead": True,
                    }
                }
            )
        found = {
            (item["pk"], item["sk"]): item
            for item in (from_item(raw) for raw in response["Responses"].get(self._table, []))
        }
        if response.get("UnprocessedKeys"):
            raise TransientError("DynamoDB left activation logs unread; try again")
        rule_log = found.get((rule_key["pk"], rule_key["sk"]), {})
        key_log = found.get((key_key["pk"], key_key["sk"]), {})
        return HistorySnapshot(
            rule_id=rule_id,
            dedup_key=dedup_key,
            history=History(rule=_activations(rule_log), key=_activations(key_log)),
            rule_version=int(rule_log.get("log_version", 0)),
            key_version=int(key_log.get("log_version", 0)),
            keep=keep,
        )

    def _open_writes(
        self,
        incident: Incident,
        received: ReceivedEvent,
        verdict: Verdict,
        snapshot: HistorySnapshot | None,
    ) -> list[dict[str, Any]]:
        writes = [
            self._put(
                {**keys.dedup(incident.scoped_dedup_key), "incident_id": incident.incident_id},
                condition="attribute_not_exists(pk)",
            ),
            self._put(_incident_item(incident), condition="attribute_not_exists(pk)"),
            self._put(self._entry(incident.incident_id, _received_entry(received))),
            self._put(
                self._entry(
                    incident.incident_id,
                    TimelineEntry(
                        at=incident.opened_at,
                        kind="activated",
                        summary=f"incident opened: {verdict.reason}",
                        data={
                            "rule_id": verdict.rule_id,
                            "plan_id": verdict.plan_id,
                            "event_id": received.event_id,
                            "playbook_version": incident.playbook_version,
                        },
                        key="activated",
                    ),
                )
            ),
            {
                "Update": decision_update(
                    self._table,
                    received.event_id,
                    DecisionOutcome.ACTIVATED,
                    verdict.code,
                    verdict.reason,
                    incident.opened_at,
                    incident.incident_id,
                    expires_at=self._event_expiry(incident.opened_at),
                )
            },
        ]
        if snapshot is not None:
            now = Activation(at=received.received_at, incident_id=incident.incident_id)
            since = received.received_at - max(snapshot.keep, _MIN_KEEP)
            writes += [
                self._log_update(
                    keys.rule_activations(snapshot.rule_id),
                    snapshot.rule_version,
                    [a for a in snapshot.history.rule if a.at > since] + [now],
                ),
                self._log_update(
                    keys.key_activations(snapshot.dedup_key),
                    snapshot.key_version,
                    [a for a in snapshot.history.key if a.at > since] + [now],
                ),
            ]
        return writes

    def _log_update(
        self, key: dict[str, str], seen: int, entries: list[Activation]
    ) -> dict[str, Any]:
        """Replace a log, provided nobody changed it since it was read at version ``seen``."""
        kept = sorted(entries, key=lambda activation: activation.at)[-_MAX_LOG:]
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(key),
            "UpdateExpression": "SET entries = :entries, log_version = :next",
            "ExpressionAttributeValues": to_item(
                {
                    ":entries": [
                        {"at": a.at.isoformat(), "incident_id": a.incident_id} for a in kept
                    ],
                    ":next": seen + 1,
                    **({":seen": seen} if seen else {}),
                }
            ),
            "ConditionExpression": "log_version = :seen"
            if seen
            else "attribute_not_exists(log_version)",
        }
        return {"Update": update}

    def join(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        return self._transact(
            [
                self._update(
                    keys.incident(incident_id),
                    "SET event_count = event_count + :one, updated_at = :now",
                    {":one": 1, ":now": now.isoformat(), ":open": IncidentStatus.OPEN.value},
                    condition="#status = :open",
                ),
                self._put(
                    self._entry(incident_id, _received_entry(received, duplicate=True)),
                    condition="attribute_not_exists(pk)",
                ),
            ]
        )

    def reassess(self, before: Incident, after: Incident, entry: TimelineEntry) -> bool:
        attributes = _response_attributes(after.response)
        seen = before.response.version
        values: dict[str, Any] = {
            ":severity": after.severity.value,
            ":rule": after.rule_id,
            ":plan": after.plan_id,
            ":playbook": after.playbook_version,
            ":state": attributes["response_state"],
            ":version": after.response.version,
            ":now": after.updated_at.isoformat(),
            ":open": IncidentStatus.OPEN.value,
            ":was_severity": before.severity.value,
            ":was_rule": before.rule_id,
            ":was_plan": before.plan_id,
            ":seen": seen,
        }
        assignments = [
            "#severity = :severity",
            "rule_id = :rule",
            "plan_id = :plan",
            "playbook_version = :playbook",
            "response_state = :state",
            "response_version = :version",
            "updated_at = :now",
        ]
        if "due_at" in attributes:
            assignments += ["due_pk = :due_pk", "due_at = :due_at"]
            values |= {":due_pk": attributes["due_pk"], ":due_at": attributes["due_at"]}
        expression = "SET " + ", ".join(assignments)
        if "due_at" not in attributes:
            expression += " REMOVE due_pk, due_at"
        condition = (
            "#status = :open AND #severity = :was_severity AND rule_id = :was_rule"
            " AND plan_id = :was_plan AND (response_version = :seen"
            + (" OR attribute_not_exists(response_version))" if seen == 0 else ")")
        )
        update = self._update(keys.incident(before.incident_id), expression, values, condition)
        update["Update"]["ExpressionAttributeNames"]["#severity"] = "severity"
        return self._transact([update, self._put(self._entry(before.incident_id, entry))])

    def find_open(self, dedup_key: str) -> str | None:
        """The open incident for a scoped dedup key (``ReceivedEvent.scoped_dedup_key``)."""
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table, Key=to_item(keys.dedup(dedup_key)), ConsistentRead=True
            )
        item = response.get("Item")
        return str(from_item(item)["incident_id"]) if item else None

    def resolve(self, incident_id: str, received: ReceivedEvent, now: datetime) -> bool:
        """Resolve, free the dedup key and record the event's decision, all or nothing."""
        incident = self.get(incident_id)
        if incident is None or incident.status is IncidentStatus.RESOLVED:
            return False
        return self._transact(
            [
                self._update(
                    keys.incident(incident_id),
                    RESOLVE_EXPRESSION,
                    {
                        ":resolved": IncidentStatus.RESOLVED.value,
                        ":resolved_list": RESOLVED_LIST,
                        ":now": now.isoformat(),
                        ":open": IncidentStatus.OPEN.value,
                    },
                    condition="#status = :open",
                ),
                self._free_dedup_key(incident),
                self._put(self._entry(incident_id, _received_entry(received))),
                self._put(
                    self._entry(
                        incident_id,
                        TimelineEntry(
                            at=now,
                            kind="resolved",
                            summary=f"resolved by {received.event.source}",
                            data={"event_id": received.event_id},
                            key=f"resolved-{received.event_id}",
                        ),
                    )
                ),
                {
                    "Update": decision_update(
                        self._table,
                        received.event_id,
                        DecisionOutcome.RESOLVED,
                        "resolve",
                        f"resolved by {received.event.source}",
                        now,
                        incident_id,
                        expires_at=self._event_expiry(now),
                    )
                },
            ]
        )

    def close(self, incident: Incident, entry: TimelineEntry) -> bool:
        """Resolve by hand (API, CLI), as read by the caller: False when it is no longer open."""
        incident_id = incident.incident_id
        return self._transact(
            [
                self._update(
                    keys.incident(incident_id),
                    RESOLVE_EXPRESSION,
                    {
                        ":resolved": IncidentStatus.RESOLVED.value,
                        ":resolved_list": RESOLVED_LIST,
                        ":now": entry.at.isoformat(),
                        ":open": IncidentStatus.OPEN.value,
                    },
                    condition="#status = :open",
                ),
                self._free_dedup_key(incident),
                self._put(self._entry(incident_id, entry)),
            ]
        )

    def _free_dedup_key(self, incident: Incident) -> dict[str, Any]:
        """Free the key if this incident holds it; an incident opened by hand never took one
        (nothing to free), and a key another incident holds is left alone (the write fails)."""
        return {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(keys.dedup(incident.scoped_dedup_key)),
                "ConditionExpression": "attribute_not_exists(pk) OR incident_id = :id",
                "ExpressionAttributeValues": to_item({":id": incident.incident_id}),
            }
        }

    def save_response(
        self, incident_id: str, seen: int, state: ResponseState, entries: Sequence[TimelineEntry]
    ) -> bool:
        """Store the response state if nobody changed it since version ``seen`` and the
        incident is still open; with the entries that say what happened. False otherwise."""
        attributes = _response_attributes(state)
        assignments = ["response_state = :state", "response_version = :version"]
        values: dict[str, Any] = {
            ":state": attributes["response_state"],
            ":version": state.version,
            ":seen": seen,
            ":open": IncidentStatus.OPEN.value,
        }
        if "due_at" in attributes:
            assignments += ["due_pk = :due_pk", "due_at = :due_at"]
            values |= {":due_pk": attributes["due_pk"], ":due_at": attributes["due_at"]}
        expression = "SET " + ", ".join(assignments)
        if "due_at" not in attributes:
            expression += " REMOVE due_pk, due_at"
        condition = "#status = :open AND (response_version = :seen" + (
            " OR attribute_not_exists(response_version))" if seen == 0 else ")"
        )
        return self._transact(
            [
                self._update(keys.incident(incident_id), expression, values, condition=condition),
                *(self._put(self._entry(incident_id, entry)) for entry in entries),
            ]
        )

    def due(self, now: datetime, limit: int = 100) -> list[str]:
        """Open incidents whose next escalation step is due (the index is eventually
        consistent: callers read each incident again before acting)."""
        with dynamodb_errors():
            response = self._client.query(
                TableName=self._table,
                IndexName=DUE_INDEX.name,
                KeyConditionExpression="due_pk = :due AND due_at <= :now",
                ExpressionAttributeValues=to_item(
                    {":due": keys.DUE_PARTITION, ":now": now.isoformat()}
                ),
                Limit=limit,
            )
        return [str(from_item(item)["pk"]).removeprefix("INCIDENT#") for item in response["Items"]]

    def mark_first_send(self, incident_id: str, at: datetime) -> bool:
        """Record when the incident's first alert was handed to AWS; True for the one call that
        recorded it (concurrent dispatch batches race; one wins)."""
        try:
            with dynamodb_errors():
                self._client.update_item(
                    TableName=self._table,
                    Key=to_item(keys.incident(incident_id)),
                    UpdateExpression="SET first_sent_at = :at",
                    ConditionExpression=(
                        "attribute_exists(pk) AND attribute_not_exists(first_sent_at)"
                    ),
                    ExpressionAttributeValues=to_item({":at": at.isoformat()}),
                )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def get(self, incident_id: str) -> Incident | None:
        with dynamodb_errors():
            response = self._client.get_item(
                TableName=self._table,
                Key=to_item(keys.incident(incident_id)),
                ConsistentRead=True,
            )
        if "Item" not in response:
            return None
        item = from_item(response["Item"])
        return None if is_expired(item, self._lifetimes.now()) else _incident_from_item(item)

    def timeline(self, incident_id: str) -> list[TimelineEntry]:
        entries = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item(
                {
                    ":pk": keys.incident_partition(incident_id),
                    ":prefix": keys.TIMELINE_PREFIX,
                }
            ),
            "ConsistentRead": True,
        }
        now = self._lifetimes.now()
        entries = [
            _entry_from_item(item)
            for item in all_items(self._client, "query", arguments)
            if not is_expired(item, now)
        ]
        return sorted(entries, key=lambda entry: entry.at)

    def append(self, incident_id: str, entries: Sequence[TimelineEntry]) -> None:
        requests = [
            {"PutRequest": {"Item": to_item(self._entry(incident_id, entry))}} for entry in entries
        ]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending = {self._table: requests[start : start + BATCH_WRITE_LIMIT]}
            while pending:
                with dynamodb_errors():
                    response = self._client.batch_write_item(RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}

    def _entry(self, incident_id: str, entry: TimelineEntry) -> dict[str, Any]:
        """A timeline entry's item, with its incident's expiry."""
        return _timeline_item(incident_id, entry, self._expiries.of(incident_id))

    def _event_expiry(self, decided_at: datetime) -> int:
        return epoch(decided_at + self._lifetimes.retention().events)

    def _put(self, values: dict[str, Any], condition: str | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(values)}
        if condition:
            put["ConditionExpression"] = condition
        return {"Put": put}

    def _update(
        self,
        key: dict[str, str],
        expression: str,
        values: dict[str, Any],
        condition: str | None = None,
    ) -> dict[str, Any]:
        """A transaction ``Update``; ``#status`` may be used for the reserved word ``status``."""
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(key),
            "UpdateExpression": expression,
            "ExpressionAttributeValues": to_item(values),
        }
        if condition:
            update["ConditionExpression"] = condition
        if "#status" in expression or "#status" in (condition or ""):
            update["ExpressionAttributeNames"] = {"#status": "status"}
        return {"Update": update}

    def _transact(self, writes: list[dict[str, Any]]) -> bool:
        """True when the transaction committed, False when one of its conditions failed."""
        try:
            with dynamodb_errors():
                self._client.transact_write_items(TransactItems=writes)
        except ClientError as error:
            if error_code(error) == "TransactionCanceledException":
                reasons = error.response.get("CancellationReasons", [])
                if not reasons or any(
                    reason.get("Code") == "ConditionalCheckFailed" for reason in reasons
                ):
                    return False
            raise
        return True


def _activations(log: dict[str, Any]) -> tuple[Activation, ...]:
    return tuple(
        Activation(at=datetime.fromisoformat(entry["at"]), incident_id=entry["incident_id"])
        for entry in log.get("entries", [])
    )


def _received_entry(received: ReceivedEvent, duplicate: bool = False) -> TimelineEntry:
    event = received.event
    summary = f"{event.action.value} received from {event.source}: {event.summary}".rstrip(": ")
    if duplicate:
        summary += " (duplicate; nobody notified again)"
    return TimelineEntry(
        at=received.received_at,
        kind="event_received",
        summary=summary,
        data={
            "event_id": received.event_id,
            "format": received.format,
            "event": event_to_document(event),
            **({"original": received.original} if received.original is not None else {}),
        },
        key=f"event-{received.event_id}",
    )


def _incident_item(incident: Incident) -> dict[str, Any]:
    return {
        **keys.incident(incident.incident_id),
        **keys.incident_listing(incident.status.value, incident.opened_at, incident.incident_id),
        "incident_id": incident.incident_id,
        "status": incident.status.value,
        "title": incident.title,
        "type": incident.type,
        "severity": incident.severity.value,
        "event_status": incident.event_status.value,
        "dedup_key": incident.dedup_key,
        "dedup_namespace": incident.dedup_namespace,
        "rule_id": incident.rule_id,
        "plan_id": incident.plan_id,
        "opened_at": incident.opened_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
        "event_count": incident.event_count,
        "playbook_version": incident.playbook_version,
        "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        "first_sent_at": incident.first_sent_at.isoformat() if incident.first_sent_at else None,
        "requested_by": incident.requested_by,
        "links": [{"href": link.href, "text": link.text} for link in incident.links],
        **_response_attributes(incident.response),
        EXPIRES_AT: epoch(incident.expires_at) if incident.expires_at else None,
        **_drill_attributes(incident),
    }


def _drill_attributes(incident: Incident) -> dict[str, Any]:
    """A drill's id, kind and roster (a list: erasure takes the person out of it)."""
    if incident.drill_id is None:
        return {}
    return {
        "drill_id": incident.drill_id,
        "drill_kind": incident.drill_kind,
        "roster": sorted(incident.roster or ()),
    }


def _response_attributes(state: ResponseState) -> dict[str, Any]:
    """The response state, and the escalation index's keys while a step is due."""
    attributes: dict[str, Any] = {
        "response_state": json.dumps(state_document(state)),
        "response_version": state.version,
    }
    if state.stopped is None and state.due_at is not None:
        attributes |= {"due_pk": keys.DUE_PARTITION, "due_at": state.due_at.isoformat()}
    return attributes


def state_document(state: ResponseState) -> dict[str, Any]:
    """The response state as stored (JSON in ``response_state``; its version beside it)."""
    return {
        "policy_id": state.policy_id,
        "step": state.step,
        "due_at": state.due_at.isoformat() if state.due_at else None,
        "paged": list(state.paged),
        "paged_by_step": [list(paged) for paged in state.paged_by_step],
        "acknowledged_by": list(state.acknowledged_by),
        "declined_by": list(state.declined_by),
        "stopped": state.stopped.value if state.stopped else None,
    }


def state_from_document(document: Mapping[str, Any], version: int) -> ResponseState:
    """A stored response state. One stored before steps were kept knows only its current
    step's people: the earlier steps read as paging nobody."""
    due = document.get("due_at")
    stopped = document.get("stopped")
    step = int(document.get("step", -1))
    paged = tuple(document.get("paged", ()))
    history = document.get("paged_by_step")
    if history is None:
        history = [[]] * step + [list(paged)] if step >= 0 else []
    return ResponseState(
        policy_id=document.get("policy_id"),
        step=step,
        due_at=datetime.fromisoformat(due) if due else None,
        paged=paged,
        paged_by_step=tuple(tuple(each) for each in history),
        acknowledged_by=tuple(document.get("acknowledged_by", ())),
        declined_by=tuple(document.get("declined_by", ())),
        stopped=Stop(stopped) if stopped else None,
        version=version,
    )


def _incident_from_item(item: dict[str, Any]) -> Incident:
    resolved_at = item.get("resolved_at")
    first_sent_at = item.get("first_sent_at")
    return Incident(
        incident_id=item["incident_id"],
        status=IncidentStatus(item["status"]),
        title=item["title"],
        type=item["type"],
        severity=Severity(item["severity"]),
        event_status=EventStatus(item["event_status"]),
        dedup_key=item["dedup_key"],
        dedup_namespace=item.get("dedup_namespace", ""),  # "": opened before namespaces
        rule_id=item["rule_id"],
        plan_id=item["plan_id"],
        opened_at=datetime.fromisoformat(item["opened_at"]),
        updated_at=datetime.fromisoformat(item["updated_at"]),
        event_count=int(item["event_count"]),
        resolved_at=datetime.fromisoformat(resolved_at) if resolved_at else None,
        first_sent_at=datetime.fromisoformat(first_sent_at) if first_sent_at else None,
        playbook_version=int(item.get("playbook_version", 0)),
        requested_by=item.get("requested_by"),
        approved_by=tuple(item.get("approved_by", [])),
        links=tuple(Link(link["href"], link.get("text", "")) for link in item.get("links", [])),
        response=state_from_document(
            json.loads(item.get("response_state") or "{}"), int(item.get("response_version", 0))
        ),
        expires_at=datetime.fromtimestamp(int(item[EXPIRES_AT]), UTC)
        if EXPIRES_AT in item
        else None,
        drill_id=item.get("drill_id"),
        drill_kind=item.get("drill_kind"),
        roster=frozenset(item["roster"]) if "roster" in item else None,
    )


def _timeline_item(
    incident_id: str, entry: TimelineEntry, expires_at: int | None
) -> dict[str, Any]:
    return {
        **keys.timeline(incident_id, entry.at, entry.key, new_ulid(entry.at)),
        "at": entry.at.isoformat(),
        "kind": entry.kind,
        "summary": entry.summary,
        "data": compact_json(entry.data),  # an event's details as compact as accepted
        EXPIRES_AT: expires_at,
    }


def _entry_from_item(item: dict[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        at=datetime.fromisoformat(item["at"]),
        kind=item["kind"],
        summary=item["summary"],
        data=json.loads(item["data"]),
    )


def timeline_put(
    table: str, incident_id: str, entry: TimelineEntry, expires_at: int | None
) -> dict[str, Any]:
    """A TransactWriteItems ``Put`` of one timeline entry, for stores sharing this table
    (``expires_at``: the incident's, as every record of it carries)."""
    item = _timeline_item(incident_id, entry, expires_at)
    return {"Put": {"TableName": table, "Item": to_item(item)}}
