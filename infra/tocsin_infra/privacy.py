"""What erasing a person needs in AWS, in one place: the erasure queue (with its dead letters
and their alarm), the worker's least-privilege grants, and the API's right to start a job.

The worker (``erase_contacts``) runs an erasure job slice by slice: it scans the config table
(the person's keys, calendar links and on-call overrides), then the incidents table, one page at
a time, and rewrites each record that names the person (a conditional UpdateItem, PutItem +
DeleteItem when the key names them, or DeleteItem) in one transaction with the count on the job,
which lives in the contacts table; then it queues the rest of the job for its next invocation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sqs as sqs

from chalicelib import settings as app_settings
from chalicelib.storage.tables import CONFIG, CONTACTS, INCIDENTS

if TYPE_CHECKING:
    from tocsin_infra.stack import TocsinStack

ERASE_FUNCTION = "erase_contacts"
ERASE_LOGICAL_ID = "EraseContacts"
API_FUNCTION = "api_handler"


def erasure_queue_name(prefix: str) -> str:
    return f"{prefix}-erasure"


def erasure_environment(prefix: str) -> dict[str, str]:
    """The functions' variables for erasure (the API queues jobs, the worker requeues them)."""
    return {app_settings.ERASURE_QUEUE: erasure_queue_name(prefix)}


def add_erasure(stack: TocsinStack) -> sqs.Queue:
    """The queue and the grants; call once the functions' roles exist."""
    queue = stack._queue("erasure")
    config, contacts, incidents = (stack.tables[t] for t in (CONFIG, CONTACTS, INCIDENTS))
    worker, api = stack.roles[ERASE_FUNCTION], stack.roles[API_FUNCTION]
    # The records: one Scan page at a time; each rewrite conditional on the item as read.
    incidents.grant(
        worker,
        "dynamodb:Scan",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    )
    # The job (read, checkpoint, count, finish), the person's erasing mark, the access record
    # that says the erasure is done, and other people's profiles naming them as their lead
    # (one Scan page at a time, each rewrite conditional).
    contacts.grant(
        worker,
        "dynamodb:Scan",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
    )
    # The playbook (retention) and the items that name people: keys and calendar links (revoked),
    # the pointer to a person's link (deleted), on-call overrides (rewritten); never the
    # playbook's documents.
    config.grant(
        worker,
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    )
    queue.grant_consume_messages(worker)
    queue.grant_send_messages(worker)  # the rest of a job goes back on the queue
    # The API starts jobs (one transaction: the job, the mark, the person's removal) and checks
    # the mark in every save (ConditionCheck); it queues the job.
    contacts.grant(api, "dynamodb:ConditionCheckItem", "dynamodb:UpdateItem")
    queue.grant_send_messages(api)
    _alarm_on_dead_letters(stack, queue)
    _alarm_on_age(stack, queue)
    return queue


def _alarm_on_dead_letters(stack: TocsinStack, queue: sqs.Queue) -> None:
    assert queue.dead_letter_queue is not None
    alarm = queue.dead_letter_queue.queue.metric_approximate_number_of_messages_visible(
        period=Duration.minutes(1), statistic="Maximum"
    ).create_alarm(
        stack,
        "ErasureDeadLettersAlarm",
        alarm_name=f"{stack.settings.prefix}-erasure-dead-letters",
        alarm_description="An erasure job failed five times and stopped (its progress is kept: "
        "fix the cause, then erase the person again, or run `tocsin contacts erase ID --here`)",
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(stack.operations))


def _alarm_on_age(stack: TocsinStack, queue: sqs.Queue) -> None:
    """As for every queue: a job waiting too long means a stuck or starved worker, before
    anything reaches the dead letters; a dead letter left a day means nobody has looked."""
    from tocsin_infra.stack import DEAD_LETTER_AGE_ALARM_SECONDS

    assert queue.dead_letter_queue is not None
    for name, logical_id, waiting, seconds in (
        ("erasure", "ErasureAgeAlarm", queue, stack.settings.queue_age_alarm_seconds),
        (
            "erasure-dead-letters",
            "ErasureDeadLettersAgeAlarm",
            queue.dead_letter_queue.queue,
            DEAD_LETTER_AGE_ALARM_SECONDS,
        ),
    ):
        waiting.metric_approximate_age_of_oldest_message(
            period=Duration.minutes(1), statistic="Maximum"
        ).create_alarm(
            stack,
            logical_id,
            alarm_name=f"{stack.settings.prefix}-{name}-age",
            alarm_description=f"The oldest message on {waiting.queue_name} has waited {seconds} s "
            "or more (look at erase_contacts' errors and throttles)",
            threshold=seconds,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        ).add_alarm_action(cloudwatch_actions.SnsAction(stack.operations))
