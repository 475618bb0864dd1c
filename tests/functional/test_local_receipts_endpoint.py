"""``/_local/receipts`` on the AWS stand-in: which channels are silent, changed with a PUT that
refuses what it cannot do and says why."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from local.aws_server import LocalAwsApp
from local.outbox import Outbox
from local.receipts import DeliveryReceipts


def never_moto(environ: dict[str, Any], start_response: Any) -> Any:
    pytest.fail(f"{environ['PATH_INFO']} reached moto")


@pytest.fixture
def stand_in() -> Client:
    return Client(LocalAwsApp(never_moto, Outbox(), DeliveryReceipts(lambda event: True)))


def test_silencing_a_channel_and_reading_it_back(stand_in: Client) -> None:
    assert stand_in.get("/_local/receipts").json == {"silent": [], "published": 0, "withheld": 0}
    answer = stand_in.put("/_local/receipts", data=json.dumps({"silent": ["voice", "email"]}))
    assert answer.status_code == 200
    assert answer.json["silent"] == ["email", "voice"]
    assert stand_in.get("/_local/receipts").json["silent"] == ["email", "voice"]
    assert stand_in.put("/_local/receipts", data='{"silent": []}').json["silent"] == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"not json", "not JSON"),
        (b'{"silent": "voice"}', 'a list such as ["voice"]'),
        (b'{"quiet": ["voice"]}', 'a list such as ["voice"]'),
        (b'{"silent": ["push"]}', "'push' is not a channel with receipts: sms, email, voice"),
    ],
)
def test_a_wrong_request_is_refused_and_changes_nothing(
    stand_in: Client, body: bytes, problem: str
) -> None:
    stand_in.put("/_local/receipts", data='{"silent": ["sms"]}')
    answer = stand_in.put("/_local/receipts", data=body)
    assert answer.status_code == 400
    assert problem in answer.json["error"]
    assert stand_in.get("/_local/receipts").json["silent"] == ["sms"]


def test_other_methods_are_refused(stand_in: Client) -> None:
    assert stand_in.delete("/_local/receipts").status_code == 405
