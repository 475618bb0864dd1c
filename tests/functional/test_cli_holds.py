"""``tocsin holds list|release|cancel``: what waits past the budget, and the decision on it, from a
shell, against moto: each hold decided once, only by a person holding the release role."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.core.model import (
    Channel,
    EventStatus,
    Incident,
    IncidentStatus,
    NotificationJob,
    Severity,
    TimelineEntry,
)
from chalicelib.core.queue_messages import decode_jobs
from chalicelib.core.spend.meter import Charge
from chalicelib.core.spend.ports import HeldMessage
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from tocsin_cli.main import main

NOW = datetime.now(UTC)


def run(world: boto3.Session, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    services = Container(Settings.from_environment(), world)
    code = main(list(argv), out=out, services=services, err=err)
    return code, out.getvalue(), err.getvalue()


def hold_messages(world: boto3.Session, number: int) -> str:
    """An open incident whose SMS to Fay and email to Emil are held past the budget."""
    services = Container(Settings.from_environment(), world)
    incident = Incident(
        incident_id=f"inc_01M8TBCTV0FSB6B6FSVJPGZ0{number:02d}",
        status=IncidentStatus.OPEN,
        title=f"Disk full on node-{number}",
        type="it.alert",
        severity=Severity.CRITICAL,
        event_status=EventStatus.ACTUAL,
        dedup_key=f"disk-{number}",
        rule_id="monitoring-alert-page",
        plan_id="monitoring-page",
        opened_at=NOW,
        updated_at=NOW,
    )
    services.incidents.create(incident, [])
    jobs = [
        NotificationJob(incident.incident_id, "c-fay", Channel.SMS),
        NotificationJob(incident.incident_id, "c-emil", Channel.EMAIL),
    ]
    for job in jobs:
        assert services.ledger.claim(job, NOW, NOW).granted
    hold_id = services.holds.open_hold(incident.incident_id, NOW + timedelta(seconds=number))
    held = [HeldMessage(job, Charge(job.channel, 1, 0.0088, "+1")) for job in jobs]
    entry = TimelineEntry(NOW, "held", "2 messages held", {}, key=f"held-{number}")
    services.holds.add(hold_id, incident.incident_id, held, entry, require_open=True)
    return hold_id


def queued_jobs(world: boto3.Session, settings: Settings) -> list[NotificationJob]:
    sqs = world.client("sqs")
    url = sqs.get_queue_url(QueueName=settings.dispatch_queue)["QueueUrl"]
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            found += decode_jobs(message["Body"])[1]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_list_shows_what_waits_and_release_queues_it_once(
    world: boto3.Session, settings: Settings
) -> None:
    first, second = hold_messages(world, 1), hold_messages(world, 2)
    code, listed, _ = run(world, "holds", "list")
    assert code == 0
    lines = listed.splitlines()
    assert lines[0].split() == [
        "HOLD",
        "STATE",
        "MESSAGES",
        "EST.",
        "USD",
        "SINCE",
        "(UTC)",
        "INCIDENT",
    ]
    assert lines[1].startswith(f"{second}  held      2 messages (email 1, sms 1)    0.0176  ")
    assert "(Disk full on node-2)" in lines[1]
    assert lines[-1] == "2 hold(s), 4 message(s), about $0.0352"

    code, said, _ = run(world, "holds", "release", first, "--as", "c-ada")
    assert (code, said) == (
        0,
        f"{first}: released: 2 messages (email 1, sms 1) queued to be sent once (about $0.0176)\n",
    )
    jobs = queued_jobs(world, settings)
    assert sorted((job.contact_id, job.channel, job.hold) for job in jobs) == [
        ("c-emil", Channel.EMAIL, first),
        ("c-fay", Channel.SMS, first),
    ]
    code, _, err = run(world, "holds", "release", first, "--as", "c-dina")
    assert code == 2 and "already released" in err and "nothing is sent again" in err
    assert queued_jobs(world, settings) == []
    code, listed, _ = run(world, "holds", "list", "--state", "released")
    assert first in listed and second not in listed


def test_cancel_and_every_refusal_leave_nothing_to_send(
    world: boto3.Session, settings: Settings
) -> None:
    hold_id = hold_messages(world, 3)
    code, _, err = run(world, "holds", "cancel", hold_id, "--as", "c-fay")
    assert (code, err) == (2, "tocsin: c-fay does not hold the release role 'executive'\n")
    code, _, err = run(world, "holds", "release", "hld_nope", "--as", "c-ada")
    assert (code, err) == (2, "tocsin: no hold 'hld_nope'\n")
    code, _, err = run(world, "holds", "release", "--as", "c-ada")
    assert code == 2 and "name the holds to decide on" in err
    code, _, err = run(world, "holds", "release", hold_id, "--all-held", "--as", "c-ada")
    assert code == 2 and "not both" in err
    code, said, _ = run(world, "holds", "cancel", hold_id, "--as", "c-ada")
    assert (code, said) == (
        0,
        f"{hold_id}: cancelled: 2 messages (email 1, sms 1) will not be sent\n",
    )
    code, _, err = run(world, "holds", "release", hold_id, "--as", "c-ada")
    assert code == 2 and "was cancelled" in err and "will not be sent" in err
    assert queued_jobs(world, settings) == []
    services = Container(Settings.from_environment(), world)
    timeline = services.incidents.timeline("inc_01M8TBCTV0FSB6B6FSVJPGZ003")
    assert [e.summary for e in timeline if e.kind == "hold_cancelled"] == [
        f"hold {hold_id} cancelled by c-ada via cli: 2 messages (email 1, sms 1) will not be sent"
    ]


def test_deciding_on_several_holds_reports_each_and_exits_1_if_any_was_refused(
    world: boto3.Session, settings: Settings
) -> None:
    first, second = hold_messages(world, 4), hold_messages(world, 5)
    assert run(world, "holds", "cancel", first, "--as", "c-ada")[0] == 0
    code, said, _ = run(world, "holds", "release", first, second, "--as", "c-ada")
    assert code == 1
    assert said.splitlines()[0].startswith(f"{first}: refused: hold {first} was cancelled")
    assert said.splitlines()[1].startswith(f"{second}: released: 2 messages")
    assert len(queued_jobs(world, settings)) == 2
    third = hold_messages(world, 6)
    code, said, _ = run(world, "holds", "cancel", "--all-held", "--as", "c-ada")
    assert (code, said.splitlines()) == (
        0,
        [f"{third}: cancelled: 2 messages (email 1, sms 1) will not be sent"],
    )
    assert run(world, "holds", "cancel", "--all-held", "--as", "c-ada")[1] == (
        "no holds are waiting for a decision\n"
    )
    assert queued_jobs(world, settings) == []


@pytest.mark.parametrize("state", ["held", "all"])
def test_list_says_when_there_is_nothing(world: boto3.Session, state: str) -> None:
    code, said, _ = run(world, "holds", "list", "--state", state)
    assert (code, said) == (0, "no held holds\n" if state == "held" else "no holds\n")
