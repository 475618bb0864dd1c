"""``tocsin keys create --heartbeat`` and ``tocsin heartbeats list`` against moto."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.settings import Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore
from chalicelib.wiring import Container
from tocsin_cli.main import main


def run(services: Container, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, services=services), out.getvalue()


@pytest.fixture
def services(world: boto3.Session) -> Container:
    return Container(Settings.from_environment(), world)


def test_a_key_for_pings_only_is_bound_to_its_heartbeats(
    services: Container, world: boto3.Session, settings: Settings
) -> None:
    code, created = run(services, "keys", "create", "backup-job", "--heartbeat", "nightly-backup")
    assert code == 0, created
    api_key = re.search(r"api key:\s+(\S+)", created)
    assert api_key
    key = DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).find(api_key.group(1))
    assert key is not None
    assert (key.scopes, key.heartbeats) == (frozenset(), frozenset({"nightly-backup"}))
    listing = run(services, "keys", "list")[1]
    assert re.search(
        r"backup-job\s+-\s+all\s+any\s+no\s+active  \(heartbeats: nightly-backup\)", listing
    )


def test_a_key_bound_to_an_undeclared_heartbeat_is_refused_before_it_exists(
    services: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(services, "keys", "create", "typo", "--heartbeat", "nightly-bakup")[0] == 2
    error = capsys.readouterr().err
    assert "--heartbeat 'nightly-bakup': no such heartbeat in the playbook in force" in error
    assert "declared: monitoring-watchdog, nightly-backup" in error
    assert "typo" not in run(services, "keys", "list")[1]


def test_a_key_for_nothing_is_refused(
    services: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(services, "keys", "create", "nothing")[0] == 2
    assert "give the key what it is for: --scope, --heartbeat, or both" in capsys.readouterr().err


def test_the_list_shows_each_last_ping_and_exits_1_when_one_is_missed(
    services: Container,
) -> None:
    code, listing = run(services, "heartbeats", "list")
    assert code == 0
    assert re.search(
        r"monitoring-watchdog\s+5m\s+10m\s+never\s+-\s+waiting for a first ping$",
        listing,
        re.MULTILINE,
    )
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    services.heartbeat_store.ping("monitoring-watchdog", an_hour_ago, "alertmanager")
    services.heartbeat_store.ping("nightly-backup", datetime.now(UTC), "backup-job")
    assert services.heartbeats.check().missed == ["monitoring-watchdog"]
    code, listing = run(services, "heartbeats", "list")
    assert code == 1
    watchdog = next(line for line in listing.splitlines() if line.startswith("monitoring"))
    assert f"{an_hour_ago:%Y-%m-%d %H:%M:%S} UTC" in watchdog and "alertmanager" in watchdog
    due = an_hour_ago + timedelta(minutes=15)
    assert watchdog.endswith(f"missed (was due by {due:%Y-%m-%d %H:%M:%S} UTC)")
    backup = next(line for line in listing.splitlines() if line.startswith("nightly-backup"))
    assert " backup-job " in backup and " ok (due by " in backup
