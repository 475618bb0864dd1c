"""What erasing one person from many incidents takes: time, invocations, records read and changed.

    python -m bench.erasure [--incidents 1000]

In-process moto, with incident records written by Tocsin's own stores (the incident and its
timeline, a send ledger item, a message-id pointer and a pass per person paged, the event that
opened it), six people paged in each incident, one of them the person erased and one whose id
starts with theirs. The job runs as the erasure worker runs it: one bounded run after another
(WORK_SECONDS each), every slice checkpointed, until it is done. Then every record is checked:
none names the person, and none that did not name them changed.

moto copies every table a TransactWriteItems touches before applying it (its rollback), so each
transaction costs time in proportion to the whole table: with 1,000 incidents (39,000 records)
that is minutes per transaction, hours for the job, a cost DynamoDB does not have. So by default
the job's rewrite transactions are applied by a stand-in that makes the same writes, with the
same conditions, one by one (``--moto-transactions``: through moto's own, for small tables).
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from moto import mock_aws

from chalicelib.core.messaging.passes import issue_pass
from chalicelib.core.model import Action as EventAction
from chalicelib.core.model import (
    CanonicalEvent,
    Channel,
    DecisionOutcome,
    EventStatus,
    Incident,
    IncidentStatus,
    NotificationJob,
    ReceivedEvent,
    SendReceipt,
    Severity,
    TimelineEntry,
)
from chalicelib.core.privacy.audit import Actor
from chalicelib.core.privacy.erasure import Erasure
from chalicelib.core.privacy.scrubbing import Person, Scrubber
from chalicelib.handlers.erasure import WORK_SECONDS
from chalicelib.settings import Settings
from chalicelib.storage.codec import from_item
from chalicelib.storage.contacts import DynamoContactDirectory
from chalicelib.storage.erasure import DynamoPersonalRecords
from chalicelib.storage.erasure_items import scrub_item
from chalicelib.storage.erasure_jobs import DynamoErasureJobs
from chalicelib.storage.events import DynamoEventStore
from chalicelib.storage.incidents import DynamoIncidentStore
from chalicelib.storage.ledger import DynamoSendLedger
from chalicelib.storage.responders import DynamoResponderRegistry
from chalicelib.wiring import SystemClock
from fakes import MemoryErasureQueue, MemoryPlaybookSource

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ERASED = Person("c-ada", "+12025550101", "ada@example.com")
OTHERS = ("c-adam", "c-bo", "c-chen", "c-dina", "c-fay")  # c-adam: an id that starts with hers
SECRET = b"bench-link-secret"


class _WritesInOrder:
    """The records adapter's client, with TransactWriteItems applied write by write (each with
    its condition) instead of through moto's whole-table copy; counts what it applied."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.transactions = 0
        self.writes = 0

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:
        self.transactions += 1
        for action in TransactItems:
            [(kind, operation)] = action.items()
            call = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}[kind]
            getattr(self._client, call)(**operation)
            self.writes += 1
        return {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def _template(client: Any, settings: Settings) -> tuple[str, str, list[dict[str, Any]]]:
    """One incident written by Tocsin's own stores; its records are the pattern for the rest."""
    table = settings.incidents_table
    store = DynamoIncidentStore(client, table)
    ledger = DynamoSendLedger(client, table)
    registry = DynamoResponderRegistry(client, table)
    events = DynamoEventStore(client, table)
    people = (ERASED.contact_id, *OTHERS)
    incident_id, event_id = f"inc_{0:026d}", f"evt_{0:026d}"
    event = CanonicalEvent(
        source="soc.example.com",
        type="cyber.data_breach",
        action=EventAction.TRIGGER,
        severity=Severity.CRITICAL,
        status=EventStatus.ACTUAL,
        summary="Breach: reported by ada@example.com, c-adam on call",
        details={"reporter": "Ada on +1 (202) 555-0101", "on_call": list(people[:3])},
    )
    received = ReceivedEvent(event_id, NOW, event)
    events.record_received(received)
    events.record_decision(
        event_id, DecisionOutcome.ACTIVATED, "matched", "matched", NOW, incident_id
    )
    incident = Incident(
        incident_id=incident_id,
        status=IncidentStatus.OPEN,
        title=event.summary,
        type=event.type,
        severity=event.severity,
        event_status=event.status,
        dedup_key="breach-0",
        rule_id="data-breach-500",
        plan_id="crisis-cell",
        opened_at=NOW,
        updated_at=NOW,
        expires_at=NOW + timedelta(days=400),
    )
    store.create(incident, [TimelineEntry(NOW, "activated", "incident opened", key="activated")])
    registry.register([issue_pass(SECRET, incident_id, person, NOW) for person in people])
    for index, person in enumerate(people):
        job = NotificationJob(incident_id, person, Channel.SMS)
        ledger.claim(job, NOW, NOW)
        entry = TimelineEntry(
            NOW,
            "notification_sent",
            f"sms handed to AWS for {person}",
            {"contact_id": person, "channel": "sms", "step": 0},
            key=f"sent-{person}-sms-0",
        )
        ledger.mark_sent(job, SendReceipt(f"m-{0:06d}-{index}"), NOW, entry)
    raw = [item for page in client.get_paginator("scan").paginate(TableName=table)
           for item in page["Items"]]  # fmt: skip
    return incident_id, event_id, raw


def _seed(client: Any, settings: Settings, incidents: int) -> None:
    """``incidents`` incidents, each a copy of the template under its own ids, tokens and
    message ids (written in batches: the stores' transactions would take hours in moto, which
    copies a whole table for every transaction)."""
    incident_id, event_id, records = _template(client, settings)
    tokens = {str(r["token"]["S"]) for r in records if "token" in r}
    pattern = json.dumps(records)
    requests = []
    for number in range(1, incidents):
        text = pattern.replace(incident_id, f"inc_{number:026d}")
        text = text.replace(event_id, f"evt_{number:026d}").replace("m-000000-", f"m-{number:06d}-")
        for token in tokens:  # every link token unique, as the HMAC makes them
            text = text.replace(token, f"{number:06d}{token[6:]}")
        requests += [{"PutRequest": {"Item": item}} for item in json.loads(text)]
    for start in range(0, len(requests), 25):
        client.batch_write_item(
            RequestItems={settings.incidents_table: requests[start : start + 25]}
        )


def _records(client: Any, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for raw in page["Items"]:
            item = from_item(raw)
            found[(item["pk"], item["sk"])] = item
    return found


def measure(incidents: int = 1000, moto_transactions: bool = False) -> dict[str, Any]:
    with mock_aws():
        from local.bootstrap import create_resources, seed

        settings = Settings.from_environment({"TOCSIN_STAGE": "local"})
        session = boto3.Session(region_name="us-east-1")
        create_resources(settings, session)
        seed(settings, session)
        client = session.client("dynamodb")
        started = time.perf_counter()
        _seed(client, settings, incidents)
        seeded_seconds = time.perf_counter() - started
        before = _records(client, settings.incidents_table)
        probe = Scrubber(ERASED, "erased-probe")
        about = {key for key, item in before.items() if scrub_item(item, probe) != item}

        directory = DynamoContactDirectory(client, settings.contacts_table)
        jobs = DynamoErasureJobs(client, settings.contacts_table, directory)
        writer = _WritesInOrder(client)
        records = DynamoPersonalRecords(
            client if moto_transactions else writer,
            settings.incidents_table,
            settings.contacts_table,
            config_table=settings.config_table,  # as deployed: keys, links, overrides first
        )
        queue = MemoryErasureQueue()
        erasure = Erasure(directory, jobs, records, queue, MemoryPlaybookSource(), SystemClock())
        started = time.perf_counter()
        job = erasure.start(ERASED.contact_id, Actor("bench", "cli")).job
        runs = 0
        while queued := queue.take():
            runs += 1
            deadline = datetime.now(UTC) + timedelta(seconds=WORK_SECONDS)
            job = erasure.advance(queued[0], deadline)
        seconds = time.perf_counter() - started

        after = _records(client, settings.incidents_table)
        left = {key for key, item in after.items() if scrub_item(item, probe) != item}
        untouched = {key: item for key, item in before.items() if key not in about}
        return {
            "incidents": incidents,
            "records_in_table": len(before),
            "records_naming_the_person": len(about),
            "seconds": round(seconds, 1),
            "runs": runs,
            "work_seconds_per_run": WORK_SECONDS,
            "records_scanned": job.scanned,
            "records_changed": job.records_changed,
            "changed_by_kind": {kind: n for kind, n in job.changed.items() if n},
            "records_still_naming_the_person": len(left),
            "other_records_changed": sum(after.get(k) != v for k, v in untouched.items()),
            "transactions": "moto's" if moto_transactions else "writes in order",
            "rewrite_transactions": None if moto_transactions else writer.transactions,
            "seeding_seconds": round(seeded_seconds, 1),
            "done": job.is_done,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument(
        "--moto-transactions", action="store_true", help="moto's own (slow on large tables)"
    )
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.incidents, arguments.moto_transactions), indent=2))


if __name__ == "__main__":
    main()
