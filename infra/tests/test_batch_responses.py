"""The queue handlers answer with partial batch responses (``batchItemFailures``); Lambda reads
them only when the event source mapping says so ("Handling errors for an SQS event source",
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html). Without it a
returned list is ignored and every message of the batch counts as handled: failures lost."""

from __future__ import annotations

import pytest
from tocsin_infra.stack import LOGICAL_IDS, SQS_FUNCTIONS

from tests.conftest import Synthesis
from tests.rehearsal import Expanded, allows, expand, statements


@pytest.fixture(scope="module", params=["sns", "origination"])
def expanded(
    request: pytest.FixtureRequest, synthesis: Synthesis, origination_synthesis: Synthesis
) -> Expanded:
    chosen = synthesis if request.param == "sns" else origination_synthesis
    return Expanded(expand(chosen.template))


def test_every_sqs_mapping_reports_batch_item_failures(expanded: Expanded) -> None:
    mappings = {
        mapping["Properties"]["FunctionName"]["Ref"]: mapping["Properties"]
        for mapping in expanded.of_type("AWS::Lambda::EventSourceMapping").values()
        if ":sqs:" in str(mapping["Properties"]["EventSourceArn"])
        or "SQS" in str(mapping["Properties"]["EventSourceArn"])
    }
    assert set(mappings) == {LOGICAL_IDS[name] for name in SQS_FUNCTIONS}
    for function, properties in mappings.items():
        assert properties.get("FunctionResponseTypes") == ["ReportBatchItemFailures"], function


def test_the_functions_that_report_them_are_the_apps_queue_handlers() -> None:
    from chalice.app import SQSEventConfig

    from app import app

    handlers = {source.name for source in app.event_sources if isinstance(source, SQSEventConfig)}
    assert handlers == set(SQS_FUNCTIONS)


def test_the_dispatcher_may_put_held_jobs_back_on_its_queue(expanded: Expanded) -> None:
    """A job claimed by another invocation goes back on the dispatch queue, delayed: without
    sqs:SendMessage there, the dispatcher would fail on every such copy."""
    role = expanded.function_role("DispatchNotifications")
    documents = [
        document["Properties"]["PolicyDocument"]
        for document in expanded.role_policies(role).values()
    ]
    assert any(
        allows(statement, "sqs:SendMessage")
        and "dispatch" in str(statement.get("Resource")).lower()
        for document in documents
        for statement in statements(document)
    ), documents
