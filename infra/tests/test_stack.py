"""The synthesised template has the resources and the properties that matter."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from chalicelib.storage.tables import ALL_TABLES
from tests.conftest import Synthesis

FUNCTIONS = (
    "api_handler",
    "evaluate_events",
    "dispatch_notifications",
    "receive_aws_events",
    "receive_alarm_messages",
    "fire_scheduled_triggers",
    "track_deliveries",
    "track_sms_status",
    "escalate_due_incidents",
    "answer_sms_replies",
    "erase_contacts",
    "check_heartbeats",
    "run_canaries",
    "check_social_channels",
    "report_held_messages",
    "publish_site",
)
LOGICAL = {
    "APIHandler",
    "EvaluateEvents",
    "DispatchNotifications",
    "ReceiveAwsEvents",
    "ReceiveAlarmMessages",
    "FireScheduledTriggers",
    "TrackDeliveries",
    "TrackSmsStatus",
    "EscalateDueIncidents",
    "AnswerSmsReplies",
    "EraseContacts",
    "CheckHeartbeats",
    "RunCanaries",
    "CheckSocialChannels",
    "ReportHeldMessages",
    "PublishSite",
}


@pytest.fixture(scope="module")
def template(synthesis: Synthesis) -> Template:
    return Template.from_json(synthesis.template)


@pytest.mark.parametrize("definition", ALL_TABLES, ids=lambda d: d.logical_name)
def test_tables_come_from_the_shared_definitions(template: Template, definition: Any) -> None:
    properties: dict[str, Any] = {
        "TableName": f"tocsin-test-{definition.logical_name}",
        "KeySchema": [
            {"AttributeName": definition.partition_key, "KeyType": "HASH"},
            {"AttributeName": definition.sort_key, "KeyType": "RANGE"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {
            "SSEEnabled": True,
            "SSEType": "KMS",
            "KMSMasterKeyId": Match.any_value(),
        },
        "DeletionProtectionEnabled": True,
    }
    if definition.ttl_attribute:
        properties["TimeToLiveSpecification"] = {
            "AttributeName": definition.ttl_attribute,
            "Enabled": True,
        }
    template.has_resource(
        "AWS::DynamoDB::Table", {"Properties": properties, "DeletionPolicy": "Retain"}
    )


def test_one_rotating_customer_managed_key(template: Template) -> None:
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize("name", ["ingest", "dispatch", "erasure"])
def test_queues_redrive_to_dead_letters_and_outlast_the_function(
    synthesis: Synthesis, name: str
) -> None:
    queues = {
        r["Properties"]["QueueName"]: r["Properties"]
        for r in synthesis.resources("AWS::SQS::Queue").values()
    }
    queue, dead_letters = queues[f"tocsin-test-{name}"], queues[f"tocsin-test-{name}-dlq"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert "KmsMasterKeyId" in queue and "KmsMasterKeyId" in dead_letters
    timeouts = [
        f["Properties"]["Timeout"]
        for f in synthesis.resources("AWS::Serverless::Function").values()
    ]
    assert queue["VisibilityTimeout"] >= 6 * max(timeouts)


def test_every_queue_event_source_is_a_queue_this_stack_creates(synthesis: Synthesis) -> None:
    """app.py binds queues by name when it is imported: the names must be the stack's."""
    created = {
        r["Properties"]["QueueName"] for r in synthesis.resources("AWS::SQS::Queue").values()
    }
    bound = {}
    for name, function in synthesis.resources("AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                bound[name] = event["Properties"]["Queue"]["Fn::Sub"].rsplit(":", 1)[1]
    assert bound == {
        "EvaluateEvents": "tocsin-test-ingest",
        "DispatchNotifications": "tocsin-test-dispatch",
        "EraseContacts": "tocsin-test-erasure",
    }
    assert set(bound.values()) <= created


def test_aws_events_and_alarm_messages_bind_to_what_the_stack_creates(
    synthesis: Synthesis,
) -> None:
    functions = synthesis.resources("AWS::Serverless::Function")
    [sns] = functions["ReceiveAlarmMessages"]["Properties"]["Events"].values()
    topics = {t["Properties"]["TopicName"] for t in synthesis.resources("AWS::SNS::Topic").values()}
    assert sns["Properties"]["Topic"]["Fn::Sub"].rsplit(":", 1)[1] == "tocsin-test-alarms"
    assert "tocsin-test-alarms" in topics
    [rule] = functions["ReceiveAwsEvents"]["Properties"]["Events"].values()
    sources = {
        source for branch in rule["Properties"]["Pattern"]["$or"] for source in branch["source"]
    }
    assert sources == {"aws.cloudwatch", "aws.guardduty", "aws.securityhub", "aws.health"}
    [delivery] = functions["TrackDeliveries"]["Properties"]["Events"].values()
    assert delivery["Properties"]["Topic"]["Fn::Sub"].rsplit(":", 1)[1] == (
        "tocsin-test-delivery-events"
    )
    assert "tocsin-test-delivery-events" in topics
    [tick] = functions["FireScheduledTriggers"]["Properties"]["Events"].values()
    assert (tick["Type"], tick["Properties"]["Schedule"]) == ("Schedule", "rate(1 minute)")
    [escalation] = functions["EscalateDueIncidents"]["Properties"]["Events"].values()
    assert escalation["Properties"]["Schedule"] == "rate(1 minute)"
    [replies] = functions["AnswerSmsReplies"]["Properties"]["Events"].values()
    assert replies["Properties"]["Topic"]["Fn::Sub"].rsplit(":", 1)[1] == "tocsin-test-sms-inbound"
    assert "tocsin-test-sms-inbound" in topics


def test_the_escalation_index_links_secret_and_public_address_are_deployed(
    synthesis: Synthesis,
) -> None:
    [incidents] = [
        t
        for t in synthesis.resources("AWS::DynamoDB::Table").values()
        if t["Properties"]["TableName"] == "tocsin-test-incidents"
    ]
    indexes = {i["IndexName"]: i for i in incidents["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes["due"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    [secret] = synthesis.resources("AWS::SecretsManager::Secret").values()
    assert "KmsKeyId" in secret["Properties"]
    [parameter] = synthesis.resources("AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == "/tocsin-test/public-url"
    environment = next(iter(synthesis.resources("AWS::Serverless::Function").values()))[
        "Properties"
    ]["Environment"]["Variables"]
    assert environment["TOCSIN_PUBLIC_URL_PARAMETER"] == "/tocsin-test/public-url"
    assert "TOCSIN_LINK_SECRET_ARN" in environment


def test_asynchronous_functions_hand_failures_to_a_watched_dead_letter_queue(
    synthesis: Synthesis,
) -> None:
    functions = synthesis.resources("AWS::Serverless::Function")
    for name in (
        "ReceiveAwsEvents",
        "ReceiveAlarmMessages",
        "FireScheduledTriggers",
        "TrackDeliveries",
        "TrackSmsStatus",
        "EscalateDueIncidents",
        "AnswerSmsReplies",
        "CheckHeartbeats",
        "RunCanaries",
        "CheckSocialChannels",
    ):
        target = functions[name]["Properties"]["DeadLetterQueue"]["TargetArn"]["Fn::GetAtt"][0]
        assert target.startswith("AsyncDeadLetters")
    for name in ("APIHandler", "EvaluateEvents", "DispatchNotifications"):
        assert "DeadLetterQueue" not in functions[name]["Properties"]


def test_each_function_has_its_own_role_and_the_same_settings(synthesis: Synthesis) -> None:
    functions = synthesis.resources("AWS::Serverless::Function")
    assert set(functions) == LOGICAL
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert len(roles) == len(LOGICAL)
    # No role made by Chalice; the one other role is for SNS (SMS delivery status to logs).
    others = set(synthesis.resources("AWS::IAM::Role")) - roles
    assert [name for name in others if not name.startswith("SmsDeliveryStatusRole")] == []
    [stakeholders] = [
        name
        for name, topic in synthesis.resources("AWS::SNS::Topic").items()
        if topic["Properties"]["TopicName"] == "tocsin-test-stakeholders"
    ]
    for function in functions.values():
        properties = function["Properties"]
        variables = properties["Environment"]["Variables"]
        assert variables["TOCSIN_STAGE"] == "test"
        assert variables["TOCSIN_INGEST_QUEUE"] == "tocsin-test-ingest"
        assert variables["TOCSIN_DISPATCH_QUEUE"] == "tocsin-test-dispatch"
        assert variables["TOCSIN_CONTACTS_TABLE"]["Ref"].startswith("ContactsTable")
        assert variables["TOCSIN_SES_CONFIGURATION_SET"] == "tocsin-test"
        assert variables["TOCSIN_STAKEHOLDERS_TOPIC_ARN"] == {"Ref": stakeholders}
        assert properties["MemorySize"] == 512 and "KmsKeyArn" in properties
        assert int(variables["TOCSIN_SEND_CLAIM_TIMEOUT_SECONDS"]) > properties["Timeout"]


def test_functions_log_where_their_roles_may_write_and_alarms_watch_them(
    synthesis: Synthesis,
) -> None:
    """Without fixed names CloudFormation would invent them, and the log groups, the roles'
    log grants and the error alarms would all point at functions that do not exist."""
    names = {
        f["Properties"]["FunctionName"]
        for f in synthesis.resources("AWS::Serverless::Function").values()
    }
    assert names == {f"tocsin-test-{function}" for function in FUNCTIONS}
    groups = {
        g["Properties"]["LogGroupName"]
        for g in synthesis.resources("AWS::Logs::LogGroup").values()
        if isinstance(g["Properties"]["LogGroupName"], str)  # not SNS's, named by Region
    }
    assert groups == {f"/aws/lambda/{name}" for name in names}
    watched = {
        dimension["Value"]
        for alarm in synthesis.resources("AWS::CloudWatch::Alarm").values()
        for dimension in alarm["Properties"].get("Dimensions", [])
        if dimension["Name"] == "FunctionName"
    }
    assert watched == names


def test_topics_are_encrypted_and_operations_reach_a_person(template: Template) -> None:
    template.resource_count_is("AWS::SNS::Topic", 5)
    for name in ("delivery-events", "sms-inbound", "stakeholders", "operations", "alarms"):
        template.has_resource_properties(
            "AWS::SNS::Topic",
            {"TopicName": f"tocsin-test-{name}", "KmsMasterKeyId": Match.any_value()},
        )
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
    )


def test_email_delivery_events_are_published(template: Template, synthesis: Synthesis) -> None:
    template.has_resource_properties("AWS::SES::ConfigurationSet", {"Name": "tocsin-test"})
    [destination] = synthesis.resources("AWS::SES::ConfigurationSetEventDestination").values()
    published = destination["Properties"]["EventDestination"]
    assert published["Enabled"] is True
    assert {"bounce", "complaint", "delivery", "reject"} <= set(published["MatchingEventTypes"])
    assert published["SnsDestination"]["TopicARN"]["Ref"].startswith("DeliveryEventsTopic")


def test_alarms_on_dead_letters_errors_and_failed_sends_page_operations(
    synthesis: Synthesis,
) -> None:
    alarms = {
        r["Properties"]["AlarmName"]: r["Properties"]
        for r in synthesis.resources("AWS::CloudWatch::Alarm").values()
    }
    queues = (
        "ingest",
        "dispatch",
        "erasure",
        "ingest-dead-letters",
        "dispatch-dead-letters",
        "erasure-dead-letters",
    )
    assert set(alarms) == {
        "tocsin-test-ingest-dead-letters",
        "tocsin-test-dispatch-dead-letters",
        "tocsin-test-erasure-dead-letters",
        "tocsin-test-async-dead-letters",
        "tocsin-test-messages-failed",
        "tocsin-test-first-send-slow",
        "tocsin-test-escalation-exhausted",
        "tocsin-test-held-messages",
        *(f"tocsin-test-{function}-errors" for function in FUNCTIONS),
        *(f"tocsin-test-{queue}-age" for queue in (*queues, "async-dead-letters")),
        *(f"tocsin-test-canary-{channel}" for channel in ("sms", "email", "voice")),
        "tocsin-test-heartbeat-missed",
        "tocsin-test-social-channel-failing",
    }
    for name, alarm in alarms.items():
        [action] = alarm["AlarmActions"]
        assert action["Ref"].startswith("OperationsTopic")
        assert alarm["Threshold"] == (
            300
            if name.endswith(("ingest-age", "dispatch-age", "erasure-age"))
            else 86400
            if name.endswith("-age")
            else 120
            if name.endswith("first-send-slow")
            else 1
        )
    patterns = [
        f["Properties"]["FilterPattern"]
        for f in synthesis.resources("AWS::Logs::MetricFilter").values()
    ]
    # Failed sends are Tocsin's own metric now (tocsin_infra/observability.py), not log text.
    assert not any("notifications dispatched" in pattern for pattern in patterns)


def test_function_logs_are_kept_encrypted_for_the_retention_period(template: Template) -> None:
    """Retained, except when the stack operation that made them rolls back."""
    for function in FUNCTIONS:
        template.has_resource_properties(
            "AWS::Logs::LogGroup",
            {
                "LogGroupName": f"/aws/lambda/tocsin-test-{function}",
                "RetentionInDays": 90,
                "KmsKeyId": Match.any_value(),
            },
        )
    template.all_resources("AWS::Logs::LogGroup", {"DeletionPolicy": "RetainExceptOnCreate"})


def test_the_local_key_is_never_configured_on_a_deployed_stage(synthesis: Synthesis) -> None:
    text = synthesis.path.read_text()
    assert "TOCSIN_LOCAL_API_KEY" not in text and "local-dev-key" not in text
