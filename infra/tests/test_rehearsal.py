"""The rehearsal: the template after the SAM transform, walked the way CloudFormation would
create it (issue 22). Each check returns what is wrong, names the AWS page it encodes, and runs
on two stages: SMS through SNS (the default) and through End User Messaging identities.

Each item's check failed on the template before issue 22 (run by hand against it); the cycle
check is a guard for what the item 2 dependencies could introduce, and passed before too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from chalicelib.integrations.aws import OWN_ALARM_PREFIX
from tests.conftest import Synthesis
from tests.rehearsal import (
    ACCOUNT,
    PARTITION,
    REGION,
    Expanded,
    allows,
    as_list,
    expand,
    render,
    service_principals,
    statements,
)


@pytest.fixture(scope="module", params=["sns", "origination"])
def expanded(
    request: pytest.FixtureRequest, synthesis: Synthesis, origination_synthesis: Synthesis
) -> Expanded:
    chosen = synthesis if request.param == "sns" else origination_synthesis
    return Expanded(expand(chosen.template))


@pytest.fixture(scope="module")
def sns_stage(synthesis: Synthesis) -> Expanded:
    return Expanded(expand(synthesis.template))


@pytest.fixture(scope="module")
def origination_stage(origination_synthesis: Synthesis) -> Expanded:
    return Expanded(expand(origination_synthesis.template))


def the_key(stage: Expanded) -> tuple[str, list[dict[str, Any]]]:
    [(name, key)] = stage.of_type("AWS::KMS::Key").items()
    return name, statements(key["Properties"]["KeyPolicy"])


# --- 1. every service that encrypts with the key may use it ----------------------------------


def key_policy_problems(stage: Expanded) -> list[str]:
    """ "Encrypt log data in CloudWatch Logs using AWS Key Management Service"
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the
    key policy lets ``logs.<region>.amazonaws.com`` use the key, on the condition
    ``kms:EncryptionContext:aws:logs:arn`` naming the log group, or creation fails. SNS topic
    encryption ("Enable compatibility between event sources from AWS services and encrypted
    topics", https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html): a service that
    publishes to an encrypted topic needs kms:GenerateDataKey* and kms:Decrypt in the key
    policy. The condition must not refer to the log groups themselves (a cycle)."""
    key_name, key_statements = the_key(stage)
    problems = []
    logs_service = f"logs.{REGION}.amazonaws.com"
    allowed_groups: set[str] = set()
    for statement in key_statements:
        if logs_service in service_principals(statement) and allows(
            statement, "kms:GenerateDataKey"
        ):
            condition = statement.get("Condition", {})
            for operator in ("ArnEquals", "ArnLike"):
                arns = condition.get(operator, {}).get("kms:EncryptionContext:aws:logs:arn", [])
                for arn in as_list(render(arns)):
                    if not isinstance(arn, str):
                        problems.append(f"the logs condition refers to a resource: {arn}")
                    else:
                        allowed_groups.add(arn)
    for name, group in stage.of_type("AWS::Logs::LogGroup").items():
        properties = group["Properties"]
        if key_name not in stage.references(name) or "KmsKeyId" not in properties:
            continue
        group_name = render(properties["LogGroupName"])
        arn = f"arn:{PARTITION}:logs:{REGION}:{ACCOUNT}:log-group:{group_name}"
        if arn not in allowed_groups:
            problems.append(f"{name}: the key policy does not let CloudWatch Logs use it ({arn})")
    encrypted_topics = {
        name
        for name, topic in stage.of_type("AWS::SNS::Topic").items()
        if "KmsMasterKeyId" in topic["Properties"]
    }
    for name, policy in stage.of_type("AWS::SNS::TopicPolicy").items():
        topics = {item.get("Ref") for item in policy["Properties"]["Topics"]}
        if not topics & encrypted_topics:
            continue
        for statement in statements(policy["Properties"]["PolicyDocument"]):
            if not allows(statement, "sns:Publish"):
                continue
            for service in service_principals(statement):
                if not any(
                    service in service_principals(key_statement)
                    and allows(key_statement, "kms:GenerateDataKey")
                    and allows(key_statement, "kms:Decrypt")
                    for key_statement in key_statements
                ):
                    problems.append(
                        f"{name}: {service} publishes, the key policy does not allow it"
                    )
    return problems


def test_every_encrypting_service_may_use_the_key(expanded: Expanded) -> None:
    assert key_policy_problems(expanded) == []


def test_the_template_has_no_dependency_cycle(expanded: Expanded) -> None:
    assert expanded.cycle() is None


# --- 2. what Lambda and SNS check at creation exists first ------------------------------------


def creation_order_problems(stage: Expanded) -> list[str]:
    """Lambda checks the execution role when it creates an SQS event source mapping ("Using
    Lambda with Amazon SQS", execution role permissions,
    https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html) and when a function gets an
    async dead-letter queue ("Dead-letter queues",
    https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html); an SNS
    subscription needs its topic. Resources that name each other only by a string need
    ``DependsOn`` ("DependsOn attribute", https://docs.aws.amazon.com/AWSCloudFormation/latest/
    TemplateReference/aws-attribute-dependson.html)."""
    problems = []
    queues = stage.of_type("AWS::SQS::Queue")
    for name, mapping in stage.of_type("AWS::Lambda::EventSourceMapping").items():
        properties = mapping["Properties"]
        queue_name = str(render(properties["EventSourceArn"])).rsplit(":", 1)[1]
        queue = stage.by_name("AWS::SQS::Queue", "QueueName", queue_name)
        function = properties["FunctionName"]["Ref"]
        needed = [queue] + [
            policy
            for policy, document in stage.role_policies(stage.function_role(function)).items()
            if any(
                allows(s, "sqs:ReceiveMessage")
                for s in statements(document["Properties"]["PolicyDocument"])
            )
        ]
        if len(needed) < 2 or queue not in queues:
            problems.append(f"{name}: no queue {queue_name} or no policy to receive from it")
        problems += [
            f"{name} may be created before {other}"
            for other in needed
            if other and not stage.created_after(name, other)
        ]
    for name, subscription in stage.of_type("AWS::SNS::Subscription").items():
        arn = render(subscription["Properties"]["TopicArn"])
        topic = (
            arn["Ref"]
            if isinstance(arn, dict)
            else stage.by_name("AWS::SNS::Topic", "TopicName", str(arn).rsplit(":", 1)[1])
        )
        if topic is None or not stage.created_after(name, topic):
            problems.append(f"{name} may be created before its topic {arn}")
    for name, function in stage.of_type("AWS::Lambda::Function").items():
        target = function["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
        if target is None:
            continue
        granting = [
            policy
            for policy, document in stage.role_policies(stage.function_role(name)).items()
            if any(
                allows(s, "sqs:SendMessage") and target in as_list(s["Resource"])
                for s in statements(document["Properties"]["PolicyDocument"])
            )
        ]
        if not granting or not all(stage.created_after(name, policy) for policy in granting):
            problems.append(f"{name}: its dead-letter queue may be set before its role may use it")
    for name in stage.of_type("AWS::Logs::SubscriptionFilter"):
        permissions = [
            permission
            for permission, resource in stage.of_type("AWS::Lambda::Permission").items()
            if resource["Properties"]["Principal"] == "logs.amazonaws.com"
        ]
        if not any(stage.created_after(name, permission) for permission in permissions):
            problems.append(f"{name} may be created before CloudWatch Logs may invoke")
    for kind in ("AWS::SMSVOICE::ConfigurationSet", "AWS::SES::ConfigurationSetEventDestination"):
        for name in stage.of_type(kind):
            policies = stage.of_type("AWS::SNS::TopicPolicy")
            if not any(stage.created_after(name, policy) for policy in policies):
                problems.append(f"{name} may be created before its topic lets it publish")
    return problems


def test_mappings_subscriptions_and_dead_letters_wait_for_what_they_need(
    expanded: Expanded,
) -> None:
    assert creation_order_problems(expanded) == []


# --- 3. a failed first deploy leaves nothing behind that blocks the next ----------------------


def retention_problems(stage: Expanded) -> list[str]:
    """ "DeletionPolicy attribute" (https://docs.aws.amazon.com/AWSCloudFormation/latest/
    TemplateReference/aws-attribute-deletionpolicy.html): ``Retain`` keeps a resource even when
    the stack operation that created it rolls back, so a fixed name blocks the next deploy;
    ``RetainExceptOnCreate`` deletes what the failed create made. Only the tables keep plain
    Retain, with deletion protection (their clean-up is documented in docs/DEPLOY.md)."""
    problems = []
    for name, resource in stage.resources.items():
        if resource.get("DeletionPolicy") != "Retain":
            continue
        protected = resource["Type"] == "AWS::DynamoDB::Table" and resource["Properties"].get(
            "DeletionProtectionEnabled"
        )
        if not protected:
            problems.append(f"{name} ({resource['Type']}) is kept after a failed create")
    return problems


def test_nothing_but_the_protected_tables_is_plainly_retained(expanded: Expanded) -> None:
    assert retention_problems(expanded) == []
    for kind in ("AWS::KMS::Key", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        for resource in expanded.of_type(kind).values():
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate"


# --- 4. one API stage -----------------------------------------------------------------------


def test_the_api_has_one_stage_and_it_is_throttled(expanded: Expanded) -> None:
    """ "AWS::Serverless::Api", OpenApiVersion (https://docs.aws.amazon.com/
    serverless-application-model/latest/developerguide/sam-resource-api.html): unless it is set,
    SAM also deploys the API as a stage named ``Stage``. Throttling: "Throttle requests to your
    REST APIs" (https://docs.aws.amazon.com/apigateway/latest/developerguide/
    api-gateway-request-throttling.html) and ``AWS::ApiGateway::Stage`` MethodSetting."""
    [stage] = expanded.of_type("AWS::ApiGateway::Stage").values()
    assert stage["Properties"]["StageName"] == "api"
    for deployment in expanded.of_type("AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment["Properties"]
    [setting] = stage["Properties"]["MethodSettings"]
    assert (setting["HttpMethod"], setting["ResourcePath"]) == ("*", "/*")
    assert setting["ThrottlingRateLimit"] > 0 and setting["ThrottlingBurstLimit"] > 0


# --- 5. End User Messaging reports what happened to each message ------------------------------


def test_origination_identities_come_with_a_configuration_set(
    origination_stage: Expanded, sns_stage: Expanded
) -> None:
    """ "AWS::SMSVOICE::ConfigurationSet" and its EventDestination (https://docs.aws.amazon.com/
    AWSCloudFormation/latest/TemplateReference/aws-resource-smsvoice-configurationset.html):
    events go to an SNS destination only for sends that name the configuration set
    (ConfigurationSetName in SendTextMessage / SendVoiceMessage)."""
    assert sns_stage.of_type("AWS::SMSVOICE::ConfigurationSet") == {}
    [configuration_set] = origination_stage.of_type("AWS::SMSVOICE::ConfigurationSet").values()
    name = configuration_set["Properties"]["ConfigurationSetName"]
    [destination] = configuration_set["Properties"]["EventDestinations"]
    topic = destination["SnsDestination"]["TopicArn"]["Ref"]
    assert origination_stage.resources[topic]["Properties"]["TopicName"] == (
        "tocsin-test-delivery-events"
    )
    assert destination["Enabled"] is True
    for function in origination_stage.of_type("AWS::Lambda::Function").values():
        assert (
            function["Properties"]["Environment"]["Variables"]["TOCSIN_SMS_CONFIGURATION_SET"]
            == name
        )
    arn = f"arn:{PARTITION}:sms-voice:{REGION}:{ACCOUNT}:configuration-set/{name}"
    granted = [
        statement
        for policy in origination_stage.of_type("AWS::IAM::Policy").values()
        for statement in statements(policy["Properties"]["PolicyDocument"])
        if str(statement["Action"]).startswith("sms-voice:Send")
    ]
    assert len(granted) == 5  # SMS and voice for the dispatcher and the evaluator, SMS for replies
    for statement in granted:
        assert arn in render(as_list(statement["Resource"]))


# --- 6. SNS SMS delivery status reaches the tracker --------------------------------------------


def test_sns_sms_delivery_status_is_forwarded_from_its_log_groups(
    sns_stage: Expanded, origination_stage: Expanded
) -> None:
    """ "Viewing Amazon CloudWatch metrics and logs for SMS deliveries"
    (https://docs.aws.amazon.com/sns/latest/dg/sms_stats_cloudwatch.html): SNS writes SMS
    delivery status to ``sns/<region>/<account>/DirectPublishToPhoneNumber`` (and ``/Failure``)
    once the account's DeliveryStatusIAMRole is set. "Using CloudWatch Logs subscription filters"
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html): a filter
    with a Lambda destination, which logs.amazonaws.com may invoke."""
    groups = {
        f"sns/{REGION}/{ACCOUNT}/DirectPublishToPhoneNumber",
        f"sns/{REGION}/{ACCOUNT}/DirectPublishToPhoneNumber/Failure",
    }
    filters = sns_stage.of_type("AWS::Logs::SubscriptionFilter").values()
    assert {render(f["Properties"]["LogGroupName"]) for f in filters} == groups
    for subscription in filters:
        assert subscription["Properties"]["DestinationArn"]["Fn::GetAtt"][0] == "TrackSmsStatus"
    [permission] = [
        p["Properties"]
        for p in sns_stage.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "logs.amazonaws.com"
    ]
    assert permission["FunctionName"]["Fn::GetAtt"][0] == "TrackSmsStatus"
    assert str(render(permission["SourceArn"])).endswith("/DirectPublishToPhoneNumber*")
    created = {
        render(group["Properties"]["LogGroupName"])
        for group in sns_stage.of_type("AWS::Logs::LogGroup").values()
    }
    assert groups <= created
    [status_role] = [
        r
        for r in sns_stage.of_type("AWS::IAM::Role").values()
        if "sns.amazonaws.com" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    assert "logs:PutLogEvents" in str(sns_stage.role_policies(_logical(sns_stage, status_role)))
    tracker_policies = sns_stage.role_policies(sns_stage.function_role("TrackSmsStatus"))
    assert any(
        allows(s, "dynamodb:UpdateItem")
        for p in tracker_policies.values()
        for s in statements(p["Properties"]["PolicyDocument"])
    )
    assert origination_stage.of_type("AWS::Logs::SubscriptionFilter") == {}


def _logical(stage: Expanded, resource: dict[str, Any]) -> str:
    return next(name for name, found in stage.resources.items() if found is resource)


# --- 7. dispatch concurrency is what each sender paces itself to ----------------------------


def test_dispatch_concurrency_is_the_variable_the_dispatchers_pace_to(expanded: Expanded) -> None:
    """ "AWS::Lambda::EventSourceMapping ScalingConfig" (https://docs.aws.amazon.com/
    AWSCloudFormation/latest/UserGuide/aws-properties-lambda-eventsourcemapping-scalingconfig.html):
    MaximumConcurrency caps the concurrent instances an SQS source invokes, 2 to 1000."""
    ceilings = {}
    for name in ("DispatchNotifications", "EvaluateEvents"):  # both send (first_batch.py)
        function = expanded.resources[name]["Properties"]
        variable = int(function["Environment"]["Variables"]["TOCSIN_DISPATCH_CONCURRENCY"])
        [mapping] = [
            m["Properties"]
            for m in expanded.of_type("AWS::Lambda::EventSourceMapping").values()
            if m["Properties"]["FunctionName"] == {"Ref": name}
        ]
        ceilings[name] = mapping["ScalingConfig"]["MaximumConcurrency"]
        assert ceilings[name] >= 2
        assert "ReservedConcurrentExecutions" not in function  # opt-in: reservedConcurrency
    assert sum(ceilings.values()) == variable


# --- 8. Tocsin's own alarms stay out of the alarm rule ------------------------------------------


def test_the_alarm_rule_leaves_out_every_alarm_tocsin_makes(expanded: Expanded) -> None:
    """ "Comparison operators for use in event patterns" (https://docs.aws.amazon.com/
    eventbridge/latest/userguide/eb-create-pattern-operators.html): anything-but with a prefix."""
    branches = [
        branch
        for rule in expanded.of_type("AWS::Events::Rule").values()
        for branch in rule["Properties"].get("EventPattern", {}).get("$or", [])
        if branch["source"] == ["aws.cloudwatch"]
    ]
    assert branches
    for branch in branches:
        assert branch["detail"]["alarmName"] == [{"anything-but": {"prefix": OWN_ALARM_PREFIX}}]
    for alarm in expanded.of_type("AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmName"].startswith(OWN_ALARM_PREFIX)


# --- 9. on-call overrides expire -------------------------------------------------------------


def test_the_config_table_expires_overrides(expanded: Expanded) -> None:
    """ "Using time to live (TTL) in DynamoDB" (https://docs.aws.amazon.com/amazondynamodb/
    latest/developerguide/TTL.html): items expire only on a table whose TTL names the
    attribute; storage/overrides.py writes ``expires_at``."""
    config = expanded.by_name("AWS::DynamoDB::Table", "TableName", "tocsin-test-config")
    assert config is not None
    assert expanded.resources[config]["Properties"]["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }


# --- 10. direct SMS cannot reach a topic -------------------------------------------------------


def test_sms_publishing_cannot_reach_any_topic(expanded: Expanded) -> None:
    """ "IAM JSON policy elements: NotResource" (https://docs.aws.amazon.com/IAM/latest/
    UserGuide/reference_policies_elements_notresource.html) and "Using identity-based policies
    with Amazon SNS" (https://docs.aws.amazon.com/sns/latest/dg/UsingIAMwithSNS.html): a
    Publish to a phone number has no ARN, so the grant excludes every SNS ARN; topics are
    granted by their own ARNs."""
    publishing = [
        statement
        for policy in expanded.of_type("AWS::IAM::Policy").values()
        for statement in statements(policy["Properties"]["PolicyDocument"])
        if allows(statement, "sns:Publish")
    ]
    assert publishing
    for statement in publishing:
        if "NotResource" in statement:
            assert render(statement["NotResource"]) == f"arn:{PARTITION}:sns:*:*:*"
        else:
            assert "*" not in as_list(statement["Resource"])
            assert all("Ref" in resource for resource in as_list(statement["Resource"]))


# --- 11. queues that stop moving page operations ------------------------------------------------


def test_every_queue_has_an_age_of_oldest_message_alarm(expanded: Expanded) -> None:
    """ "Available CloudWatch metrics for Amazon SQS" (https://docs.aws.amazon.com/
    AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html):
    ApproximateAgeOfOldestMessage, per QueueName."""
    watched = {
        dimension["Value"]["Fn::GetAtt"][0]
        for alarm in expanded.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"
        for dimension in alarm["Properties"]["Dimensions"]
        if dimension["Name"] == "QueueName"
    }
    assert watched == set(expanded.of_type("AWS::SQS::Queue"))


# --- the checks catch what they are for -------------------------------------------------------


def _stage(resources: dict[str, Any]) -> Expanded:
    return Expanded({"Resources": resources})


def test_the_walk_finds_what_it_is_for() -> None:
    key = {
        "Type": "AWS::KMS::Key",
        "Properties": {"KeyPolicy": {"Statement": []}},
        "DeletionPolicy": "Retain",
    }
    group = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": "/aws/lambda/x", "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}},
    }
    stage = _stage({"Key": key, "Group": group})
    assert [p for p in key_policy_problems(stage) if "Group" in p]
    assert retention_problems(stage) == ["Key (AWS::KMS::Key) is kept after a failed create"]
    mapping = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": {
            "EventSourceArn": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:1:q"},
            "FunctionName": {"Ref": "Fn"},
        },
    }
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}},
    }
    role = {"Type": "AWS::IAM::Role", "Properties": {}}
    policy = {
        "Type": "AWS::IAM::Policy",
        "Properties": {
            "Roles": [{"Ref": "Role"}],
            "PolicyDocument": {
                "Statement": [{"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": "*"}]
            },
        },
    }
    resources = {"Map": mapping, "Q": queue, "Fn": function, "Role": role, "Policy": policy}
    assert len(creation_order_problems(_stage(resources))) == 2
    function["DependsOn"] = ["Policy", "Q"]
    assert creation_order_problems(_stage(resources)) == []
    policy["DependsOn"] = "Fn"
    assert _stage(resources).cycle() is not None


def test_deploy_md_lists_the_functions_the_stack_deploys(synthesis: Synthesis) -> None:
    """Issue 22, item 12: the deployment guide's numbers come from the template."""
    from tests.conftest import INFRA

    text = (INFRA.parent / "docs" / "DEPLOY.md").read_text()
    functions = synthesis.resources("AWS::Serverless::Function")
    names = {
        f["Properties"]["FunctionName"].removeprefix("tocsin-test-") for f in functions.values()
    }
    listed = set(re.findall(r"-([a-z_]+)`", text))
    assert names <= listed
    asynchronous = [f for f in functions.values() if "DeadLetterQueue" in f["Properties"]]
    assert f"{len(functions)} Lambda functions" in text
    assert f"{len(asynchronous)} of them asynchronous" in text
