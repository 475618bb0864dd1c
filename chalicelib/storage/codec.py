"""Plain Python values to DynamoDB's typed attribute maps and back, and AWS error mapping."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.errors import TransientError

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

# Codes that mean "try again later"; anything else is a bug or a misconfiguration.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "InternalFailure",
        "TransactionInProgressException",
    }
)


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: _serializer.serialize(_numbers_as_decimal(value))
        for name, value in values.items()
        if value is not None
    }


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _numbers_as_decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def dynamodb_errors() -> Iterator[None]:
    """Turn AWS's transient failures into :class:`TransientError`; others propagate."""
    try:
        yield
    except ClientError as error:
        if error_code(error) in TRANSIENT_CODES:
            raise TransientError(f"DynamoDB: {error_code(error)}") from error
        raise
    except BotoCoreError as error:
        raise TransientError(f"DynamoDB unreachable: {type(error).__name__}") from error


def all_items(
    client: Any, operation: str, arguments: Mapping[str, Any]
) -> Iterator[dict[str, Any]]:
    """Every item of a ``query`` or ``scan``, page after page (boto3's paginator), decoded."""
    with dynamodb_errors():
        for page in client.get_paginator(operation).paginate(**arguments):
            for raw in page["Items"]:
                yield from_item(raw)


def put_if_absent(client: Any, table: str, item: Mapping[str, Any]) -> bool:
    """Write ``item`` unless its key exists; True when this call wrote it."""
    try:
        with dynamodb_errors():
            client.put_item(
                TableName=table, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True
