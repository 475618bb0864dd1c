"""Push goes out in batches across people (SendMessages holds 100 addresses), each person with
their own text, and each person's outcome read from the per-address results."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3

from bench.dispatch import INCIDENT, NOW, people
from chalicelib.channels.push import PinpointPushChannel
from chalicelib.core.messaging.pacing import PacedSender, TokenBucket
from chalicelib.core.model import Channel, NotificationJob
from fakes import MemoryWorld
from local.messaging import MessagingStandIn, install_in_process
from local.outbox import Outbox
from tests.conftest import PROJECT


def test_forty_people_with_three_devices_each_take_two_calls_and_each_gets_their_own_link() -> None:
    from tocsin_cli.policies import read_policy_dir

    outbox = Outbox()
    client = boto3.client("pinpoint", region_name="us-east-1")
    install_in_process(client, MessagingStandIn(outbox))
    calls: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.pinpoint.SendMessages",
        lambda params, **_: calls.append(params["MessageRequest"]["Addresses"]),
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
    push = PacedSender(PinpointPushChannel(client, "app-123"), TokenBucket(1000, burst=1000))
    world = MemoryWorld(
        NOW,
        read_policy_dir(PROJECT / "policies").validate(),
        crowd,
        senders={Channel.PUSH: push},
    )
    world.incidents.create(replace(INCIDENT, playbook_version=world.playbooks.version), [])
    jobs = [
        NotificationJob(
            INCIDENT.incident_id, person.contact_id, Channel.PUSH, fallbacks=(Channel.SMS,)
        )
        for person in crowd
    ]
    report = world.dispatcher.dispatch(INCIDENT.incident_id, jobs)

    assert [len(c) for c in calls] == [90, 30]  # sent once one more person might not fit
    # Each device carries its person's answer link, for the app to open when it is tapped.
    addresses = [address for call in calls for address in call.values()]
    assert all(
        a["Context"]["ack_url"] == a["BodyOverride"].splitlines()[-1]
        and a["Context"]["incident_id"] == INCIDENT.incident_id
        for a in addresses
    )
    assert (report.sent, report.failed) == (39, 1)  # person 7's devices all refused
    bodies = [message["body"] for message in outbox.messages()]
    assert len(bodies) == 39 * 3
    links = {body.splitlines()[-1] for body in bodies}
    assert len(links) == 39  # one link a person, on each of their devices
    # Person 7's push failed for good, and the timeline says so and where the chain went next.
    about_seven = {
        entry.summary
        for entry in world.incidents.timeline(INCIDENT.incident_id)
        if entry.data.get("contact_id") == "c-000007"
    }
    assert about_seven == {
        "push to c-000007 failed: PERMANENT_FAILURE",
        "push to c-000007 failed: PERMANENT_FAILURE; falling back to sms",
    }
