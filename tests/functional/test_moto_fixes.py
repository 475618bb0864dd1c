"""The fix to moto's TransactWriteItems (local/moto_fixes.py): each table is copied once a
transaction, and a refused transaction still puts every table back as it was."""

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


def test_a_transaction_of_many_actions_copies_each_table_once(
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
    assert sorted(copied) == ["one", "two"]  # moto alone: 100 copies
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
