"""The evaluator sends an incident's first messages itself (FirstBatch), on the fakes: the first
jobs go out in the invocation that planned them, the rest wait on the dispatch queue, and
nothing is lost or sent twice when that invocation fails or runs again."""

from __future__ import annotations

import pytest

from chalicelib.core.activation.notifier import Notifier
from chalicelib.core.errors import TransientError, TransientSendError
from chalicelib.core.messaging.first_batch import FIRST_BATCH, RETRY_DELAY, FirstBatch
from chalicelib.core.model import Channel, Contact, NotificationJob
from fakes import MemoryWorld, RecordingChannel, ScriptedChannel
from tests.unit.conftest import ADA, BO, NIGHT, story, texts
from tests.unit.test_notifier import opened


def sending_notifier(org: MemoryWorld, first: FirstBatch) -> Notifier:
    return org.notifier_sending(first)


def queued_jobs(org: MemoryWorld) -> list[NotificationJob]:
    return [job for _, jobs in org.dispatch_queue.take_messages() for job in jobs]


def test_the_first_messages_leave_before_any_queue_is_read(org: MemoryWorld) -> None:
    incident = opened(org, "crisis-cell")
    notifier = sending_notifier(org, FirstBatch(org.dispatcher, org.dispatch_queue))
    assert notifier.notify(incident.incident_id, incident) == 11
    # Every one of the 11 is out already; the queue holds none of them.
    assert len(texts(org, ADA)) == 1 and len(texts(org, BO)) == 1
    assert org.dispatch_queue.bodies == []
    assert story(org, incident.incident_id, "planned") == ["11 notifications planned for 6 people"]
    org.run_queues()  # the queues have nothing of them to send again
    assert len(texts(org, ADA)) == 1 and len(texts(org, BO)) == 1


def test_past_the_first_batch_the_jobs_are_queued_in_order(org: MemoryWorld) -> None:
    incident = opened(org, "crisis-cell")
    people = [
        Contact(f"c-many-{n}", "Many Example", ("many",), phone=f"+1202555{n:04d}")
        for n in range(FIRST_BATCH + 5)
    ]
    jobs = [NotificationJob(incident.incident_id, p.contact_id, Channel.SMS) for p in people]
    for person in people:
        org.directory.put(person)
    left = FirstBatch(org.dispatcher, org.dispatch_queue).send(incident, jobs, people)
    assert left == jobs[FIRST_BATCH:]
    assert len(org.sms.sent) == FIRST_BATCH
    assert {m.destination for m in org.sms.sent} == {p.phone for p in people[:FIRST_BATCH]}


def test_a_message_to_try_again_waits_on_the_queue() -> None:
    throttled = {ADA: [TransientSendError("Throttling", "SNS Publish: rate exceeded")]}
    sms = RecordingChannel(Channel.SMS)
    org = MemoryWorld.example(NIGHT, senders={Channel.SMS: ScriptedChannel(sms, throttled)})
    incident = opened(org, "crisis-cell")
    ada = org.directory.get_contacts(["c-ada"])["c-ada"]
    job = NotificationJob(incident.incident_id, "c-ada", Channel.SMS)
    left = FirstBatch(org.dispatcher, org.dispatch_queue).send(incident, [job], [ada])
    assert left == [] and org.dispatch_queue.bodies == [] and sms.sent == []
    assert [at - org.clock.now() for at, _ in org.dispatch_queue.waiting] == [RETRY_DELAY]
    org.run_queues()  # after the delay, the dispatcher sends it: once
    assert [sent.destination for sent in sms.sent] == [ADA]


class Broken:
    """A dispatcher whose store fails mid-batch."""

    def __init__(self, org: MemoryWorld) -> None:
        self.org = org

    def dispatch(self, *arguments: object) -> None:
        raise TransientError("DynamoDB: ProvisionedThroughputExceededException")


def test_when_sending_here_fails_the_whole_batch_goes_to_the_dispatcher(org: MemoryWorld) -> None:
    incident = opened(org, "crisis-cell")
    told: list[Exception] = []
    first = FirstBatch(Broken(org), org.dispatch_queue, failed=told.append)  # type: ignore[arg-type]
    notifier = sending_notifier(org, first)
    assert notifier.notify(incident.incident_id, incident) == 11
    assert [type(error).__name__ for error in told] == ["TransientError"]
    assert len(queued_jobs(org)) == 11  # all of them: nothing was sent, nothing is lost
    assert org.sms.sent == []


def test_sent_here_then_planned_again_sends_nothing_twice(org: MemoryWorld) -> None:
    """A redelivered event plans its notifications again (evaluator.py): the ledger has them."""
    incident = opened(org, "crisis-cell")
    notifier = sending_notifier(org, FirstBatch(org.dispatcher, org.dispatch_queue))
    notifier.notify(incident.incident_id, incident)
    sent = len(org.sms.sent) + len(org.email.sent)
    notifier.notify(incident.incident_id)
    org.run_queues()
    assert len(org.sms.sent) + len(org.email.sent) == sent == 11


@pytest.mark.parametrize("count", [0, 1])
def test_nothing_or_one_job(org: MemoryWorld, count: int) -> None:
    incident = opened(org, "crisis-cell")
    ada = org.directory.get_contacts(["c-ada"])["c-ada"]
    jobs = [NotificationJob(incident.incident_id, "c-ada", Channel.SMS)][:count]
    assert FirstBatch(org.dispatcher, org.dispatch_queue).send(incident, jobs, [ada]) == []
    assert len(org.sms.sent) == count


def test_with_no_first_batch_every_job_is_queued_and_what_was_sent_is_told(
    org: MemoryWorld,
) -> None:
    incident = opened(org, "crisis-cell")
    ada = org.directory.get_contacts(["c-ada"])["c-ada"]
    job = NotificationJob(incident.incident_id, "c-ada", Channel.SMS)
    told: list[tuple[str, int]] = []
    none = FirstBatch(org.dispatcher, org.dispatch_queue, size=0)
    assert none.send(incident, [job], [ada]) == [job] and org.sms.sent == []
    some = FirstBatch(
        org.dispatcher, org.dispatch_queue, sent=lambda i, report: told.append((i, report.sent))
    )
    assert some.send(incident, [job], [ada]) == []
    assert told == [(incident.incident_id, 1)]


@pytest.mark.parametrize("value", ["-1", "51", "many", "2.5"])
def test_a_first_batch_setting_out_of_range_is_refused(value: str) -> None:
    from chalicelib.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="TOCSIN_FIRST_BATCH must be a whole number from 0"):
        Settings.from_environment({"TOCSIN_STAGE": "local", "TOCSIN_FIRST_BATCH": value})
    assert Settings.from_environment({"TOCSIN_STAGE": "local"}).first_batch == FIRST_BATCH
