"""``tocsin keys``: create with scopes, list without secrets, revoke at once."""

from __future__ import annotations

import io
import re

import boto3
import pytest

from chalicelib.core.access import Scope
from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore
from chalicelib.wiring import Container
from tocsin_cli.main import main


def run(world: boto3.Session, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out, services=Container(Settings.from_environment(), world))
    return code, out.getvalue()


def test_create_list_and_revoke(world: boto3.Session, settings: Settings) -> None:
    code, created = run(
        world,
        "keys",
        "create",
        "prometheus-prod",
        "--scope",
        "trigger",
        "--scope",
        "resolve",
        "--integration",
        "alertmanager",
        "--type",
        "it.outage",
        "--signed",
        "--rate",
        "120",
    )
    assert code == 0
    api_key = re.search(r"api key:\s+(\S+)", created)
    secret = re.search(r"signing secret:\s+(\S+)", created)
    assert api_key and secret
    store = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table)
    key = store.find(api_key.group(1))
    assert key is not None
    assert key.scopes == {Scope.TRIGGER, Scope.RESOLVE}
    assert (key.integrations, key.event_type, key.rate_per_minute) == (
        {"alertmanager"},
        "it.outage",
        120,
    )
    assert key.signing_secrets == (secret.group(1),)

    code, listing = run(world, "keys", "list")
    assert code == 0 and "prometheus-prod" in listing and "resolve,trigger" in listing
    assert api_key.group(1) not in listing and secret.group(1) not in listing

    assert run(world, "keys", "revoke", "prometheus-prod")[0] == 0
    assert store.find(api_key.group(1)) is None
    assert "revoked" in run(world, "keys", "list")[1]


@pytest.mark.parametrize(
    "argv",
    [
        ("keys", "create", "x", "--scope", "trigger", "--type", "Not A Type"),
        ("keys", "revoke", "nobody"),
    ],
)
def test_mistakes_exit_2_with_a_message(
    world: boto3.Session, argv: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, *argv)[0] == 2
    assert capsys.readouterr().err.startswith("tocsin: ")


def test_a_name_cannot_be_taken_twice(world: boto3.Session) -> None:
    assert run(world, "keys", "create", "dup", "--scope", "read")[0] == 0
    assert run(world, "keys", "create", "dup", "--scope", "read")[0] == 2


def test_an_activate_key_must_act_for_a_person(
    world: boto3.Session, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(world, "keys", "create", "ops", "--scope", "activate")[0] == 2
    assert "--scope activate needs --contact" in capsys.readouterr().err
    code, _ = run(world, "keys", "create", "ada", "--scope", "activate", "--contact", "c-ada")
    assert code == 0
    rows = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).list()
    assert [row["contact_id"] for row in rows if row["name"] == "ada"] == ["c-ada"]


def test_an_allow_list_of_event_types_is_stored_with_the_key(
    world: boto3.Session, settings: Settings
) -> None:
    code, created = run(
        world,
        *("keys", "create", "prometheus", "--scope", "trigger", "--integration", "alertmanager"),
        *("--type", "it.outage", "--allow-type", "it.*", "--allow-type", "safety.fire"),
    )
    assert code == 0
    api_key = re.search(r"api key:\s+(\S+)", created)
    assert api_key
    key = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).find(api_key.group(1))
    assert key is not None and key.allowed_types == ("it.*", "safety.fire")
    listing = run(world, "keys", "list")[1]
    assert "it.*,safety.fire" in listing


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (("--allow-type", "IT"), "--allow-type 'IT' is neither an event type"),
        (("--allow-type", "*"), "--allow-type '*' is neither an event type"),
        (("--allow-type", "it.*.x"), "--allow-type 'it.*.x' is neither an event type"),
        (("--allow-type", "cyber.*"), "get the type 'it.alert' unless they say otherwise"),
        (("--type", "it.outage", "--allow-type", "cyber.*"), "get the type 'it.outage'"),
    ],
    ids=["upper case", "everything", "star inside", "default type outside", "--type outside"],
)
def test_an_allow_list_that_is_wrong_or_refuses_the_keys_own_type_is_refused(
    world: boto3.Session,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    words: str,
) -> None:
    assert run(world, "keys", "create", "k", "--scope", "trigger", *options)[0] == 2
    assert words in capsys.readouterr().err
    stored = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).list()
    assert "k" not in [row["name"] for row in stored]
