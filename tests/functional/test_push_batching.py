"""Push goes out in batches across people (SendMessages holds 100 addresses), each person with
their own text, and each person's outcome read from the per-address results."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import boto3

from bench.dispatch import (
    INCIDENT,
    MemoryDirectory,
    NoRegistry,
    OneIncident,
    OnePlaybook,
    OpenLedger,
    StillClock,
    people,
)
from chalicelib.channels.push import PinpointPushChannel
from chalicelib.core.messaging.dispatch import Dispatcher
from chalicelib.core.messaging.pacing import PacedSender, TokenBucket
from chalicelib.core.messaging.passes import AckLinks
from chalicelib.core.model import Channel, NotificationJob
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox
from tests.conftest import PROJECT


def test_forty_people_with_three_devices_each_take_two_calls_and_each_gets_their_own_link() -> None:
    from tocsin_cli.policies import read_policy_dir

    outbox = Outbox()
    client = boto3.client("pinpoint", region_name="us-east-1")
    install_in_process(client, MessagingStandIn(outbox))
    calls: list[int] = []
    client.meta.events.register(
        "provide-client-params.pinpoint.SendMessages",
        lambda params, **_: calls.append(len(params["MessageRequest"]["Addresses"])),
    )
    crowd = [
        replace(
            person,
            push_tokens=tuple(
                f"{kind}:{'bad' if number == 7 else 'good'}{number:04d}{device}"
                for device, kind in enumerate(("apns", "fcm", "fcm"))
            ),
        )
        for number, person in enumerate(people(40))
    ]
    dispatcher = Dispatcher(
        OneIncident(),  # type: ignore[arg-type]
        OnePlaybook(read_policy_dir(PROJECT / "policies").validate()),
        MemoryDirectory(crowd),
        OpenLedger(),
        {
            Channel.PUSH: PacedSender(
                PinpointPushChannel(client, "app-123"), TokenBucket(1000, burst=1000)
            ),
        },
        StillClock(),
        timedelta(minutes=2),
        AckLinks(b"secret", "https://alerts.example.com", NoRegistry()),  # type: ignore[arg-type]
    )
    jobs = [
        NotificationJob(
            INCIDENT.incident_id, person.contact_id, Channel.PUSH, fallbacks=(Channel.SMS,)
        )
        for person in crowd
    ]
    report = dispatcher.dispatch(INCIDENT.incident_id, jobs)

    assert calls == [90, 30]  # a batch is sent once one more person might not fit in 100
    assert (report.sent, report.failed) == (39, 1)  # person 7's devices all refused
    bodies = [message["body"] for message in outbox.messages()]
    assert len(bodies) == 39 * 3
    links = {body.splitlines()[-1] for body in bodies}
    assert len(links) == 39  # one link a person, on each of their devices
