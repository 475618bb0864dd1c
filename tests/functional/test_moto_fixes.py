"""The fix to moto's TransactWriteItems (local/moto_fixes.py): no table is copied, only the items
a transaction names are kept, and a refused transaction still puts every table back as it was."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from local import moto_fixes


def _table(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _put(table: str, key: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": {"pk": {"S": key}}}}


def test_a_transaction_of_many_actions_copies_no_table(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.dynamodb.models.table import Table

    moto_fixes.apply()
    client = aws.client("dynamodb")
    _table(client, "one")
    _table(client, "two")
    copied: list[str] = []
    real = copy.deepcopy

    def counting(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            copied.append(value.name)
        return real(value, memo)

    monkeypatch.setattr(copy, "deepcopy", counting)
    actions = [_put("one", f"a{i}") for i in range(60)] + [_put("two", f"b{i}") for i in range(40)]
    client.transact_write_items(TransactItems=actions)
    assert copied == []  # moto alone: 100 copies of the tables
    assert client.scan(TableName="one")["Count"] == 60


def test_a_refused_transaction_leaves_every_table_as_it_was(aws: boto3.Session) -> None:
    moto_fixes.apply()
    moto_fixes.apply()  # idempotent
    client = aws.client("dynamodb")
    _table(client, "one")
    client.put_item(TableName="one", Item={"pk": {"S": "taken"}})
    refused = [_put("one", f"new{i}") for i in range(10)] + [
        {
            "Put": {
                "TableName": "one",
                "Item": {"pk": {"S": "taken"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
    ]
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=refused)
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [item["pk"]["S"] for item in client.scan(TableName="one")["Items"]] == ["taken"]


def test_a_refused_transaction_puts_back_what_it_updated_deleted_and_added(
    aws: boto3.Session,
) -> None:
    moto_fixes.apply()
    client = aws.client("dynamodb")
    _table(client, "one")
    _table(client, "two")
    for key in ("kept", "changed", "gone"):
        client.put_item(TableName="one", Item={"pk": {"S": key}, "n": {"N": "1"}})
    client.put_item(TableName="two", Item={"pk": {"S": "taken"}})
    before = {t: client.scan(TableName=t)["Items"] for t in ("one", "two")}
    refused = [
        {
            "Update": {
                "TableName": "one",
                "Key": {"pk": {"S": "changed"}},
                "UpdateExpression": "SET n = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            }
        },
        {"Delete": {"TableName": "one", "Key": {"pk": {"S": "gone"}}}},
        _put("one", "added"),
        {
            "Update": {
                "TableName": "one",
                "Key": {"pk": {"S": "made-by-update"}},
                "UpdateExpression": "SET n = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}},
            }
        },
        {
            "Put": {
                "TableName": "two",
                "Item": {"pk": {"S": "taken"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]
    with pytest.raises(ClientError) as raised:
        client.transact_write_items(TransactItems=refused)
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    after = {t: client.scan(TableName=t)["Items"] for t in ("one", "two")}
    assert {t: sorted(map(str, items)) for t, items in after.items()} == {
        t: sorted(map(str, items)) for t, items in before.items()
    }
    client.transact_write_items(TransactItems=refused[:4])  # accepted: every change lands
    keys = sorted(item["pk"]["S"] for item in client.scan(TableName="one")["Items"])
    assert keys == ["added", "changed", "kept", "made-by-update"]
