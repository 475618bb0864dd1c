"""Statements on Slack, Teams and Mastodon, end to end: the API, the queues, moto (Secrets
Manager holding the fictional webhooks and token) and the stand-ins on 127.0.0.1 that the local
AWS endpoint serves. An approved statement reaches all three once; a revoked token is on the
timeline and in ``tocsin channels check`` (and the hourly check's log line), and the next
publish, once the token works again, posts only there."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from chalice.test import Client
from werkzeug.serving import make_server

from chalicelib import wiring
from chalicelib.settings import Settings
from chalicelib.storage.playbooks import DynamoPlaybookStore
from local.bootstrap import create_social_secrets
from local.outbox import Outbox
from local.runner import QueueRunner, scheduled_event
from local.social import SocialStandIn
from tests.e2e.conftest import Api, ChaliceTransport
from tests.e2e.test_observability import log_output, records
from tests.e2e.test_statements import call, keys, open_breach
from tests.social_policies import OUTLETS, social_policies
from tocsin_cli.main import main
from tocsin_cli.policies import read_policy_dir

__all__ = ["keys", "log_output"]  # the fixtures, shared with their own tests
CUSTOMERS = "customers-en-1"


@pytest.fixture
def stand_in(world: boto3.Session, settings: Settings, tmp_path: Path) -> Iterator[SocialStandIn]:
    """The stand-ins served on 127.0.0.1, their secrets, and the playbook whose customers
    audience posts to them."""
    social = SocialStandIn(Outbox())
    server = make_server("127.0.0.1", 0, social, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    create_social_secrets(world, f"http://127.0.0.1:{server.server_port}")
    documents = read_policy_dir(social_policies(tmp_path))
    documents.validate()
    DynamoPlaybookStore(world.client("dynamodb"), settings.config_table).apply(
        documents.sections, datetime.now(UTC)
    )
    yield social
    server.shutdown()
    server.server_close()


def approved(client: Client, api: Api, runner: QueueRunner, keys: dict[str, str]) -> str:
    incident_id = open_breach(api, runner)
    path = f"/v1/incidents/{incident_id}/statements/{CUSTOMERS}"
    for who in ("ada", "bo"):
        assert call(client, "POST", f"{path}/approve", keys[who]).status_code == 200
    return path


def test_an_approved_statement_reaches_all_three_stand_ins_once(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str], stand_in: SocialStandIn
) -> None:
    incident_id = open_breach(api, runner)
    path = f"/v1/incidents/{incident_id}/statements/{CUSTOMERS}"
    assert call(client, "POST", f"{path}/approve", keys["ada"]).status_code == 200
    assert call(client, "POST", f"{path}/publish", keys["ada"]).status_code == 409
    assert stand_in.outbox.messages() == []  # nothing unapproved
    assert call(client, "POST", f"{path}/approve", keys["bo"]).status_code == 200
    published = call(client, "POST", f"{path}/publish", keys["bo"])
    assert published.status_code == 200, published.json_body
    assert published.json_body["sent"][1:] == OUTLETS and published.json_body["failed"] == []
    assert call(client, "POST", f"{path}/publish", keys["ada"]).status_code == 409
    runner.drain()
    messages = stand_in.outbox.messages()
    assert sorted(m["channel"] for m in messages) == ["mastodon", "slack", "teams"]
    statement = published.json_body
    for message in messages:
        assert message["subject"] == statement["subject"]
        assert message["body"] == statement["body"].strip()
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    posted = sorted(e["summary"] for e in timeline if e["kind"] == "statement_posted")
    assert posted == sorted(f"statement {CUSTOMERS} posted to {o}" for o in OUTLETS)


def test_a_revoked_token_shows_on_the_timeline_and_only_that_outlet_is_tried_again(
    client: Client, api: Api, runner: QueueRunner, keys: dict[str, str], stand_in: SocialStandIn
) -> None:
    path = approved(client, api, runner, keys)
    stand_in.revoked = {"mastodon"}
    published = call(client, "POST", f"{path}/publish", keys["bo"])
    assert published.status_code == 200, published.json_body
    mastodon = OUTLETS[2]
    assert published.json_body["failed"] == [mastodon]
    incident_id = path.split("/")[3]
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    (failed,) = [e["summary"] for e in timeline if e["kind"] == "statement_post_failed"]
    assert f"not posted to {mastodon}: invalid_token" in failed
    assert sorted(m["channel"] for m in stand_in.outbox.messages()) == ["slack", "teams"]
    stand_in.revoked = set()  # a new token
    again = call(client, "POST", f"{path}/publish", keys["ada"])
    assert again.json_body["sent"] == [mastodon]
    assert sorted(m["channel"] for m in stand_in.outbox.messages()) == [
        "mastodon",
        "slack",
        "teams",
    ]


def test_a_revoked_token_shows_in_tocsin_channels_check_which_posts_nothing(
    client: Client, keys: dict[str, str], stand_in: SocialStandIn
) -> None:
    out = io.StringIO()

    def check() -> int:
        arguments = ["channels", "check", "--key", keys["ada"]]
        transport = ChaliceTransport(client)
        return main(arguments, out, services=wiring.container(), transport=transport)

    assert check() == 0
    assert "mastodon:tocsin/local/mastodon-status" in out.getvalue()
    assert "the token works (@status) (checked with the platform)" in out.getvalue()
    assert "cannot be checked without posting (not posted to)" in out.getvalue()
    stand_in.revoked = {"mastodon"}
    out.seek(0)
    out.truncate()
    assert check() == 1
    (line,) = [line for line in out.getvalue().splitlines() if "FAILING" in line]
    assert line.startswith("mastodon:tocsin/local/mastodon-status") and "invalid_token" in line
    assert stand_in.outbox.messages() == []  # a check never posts


def test_the_hourly_check_logs_the_line_the_alarm_counts(
    client: Client, stand_in: SocialStandIn, log_output: io.StringIO
) -> None:
    stand_in.revoked = {"slack", "mastodon"}  # a webhook's revocation cannot be seen unposted
    event = scheduled_event("check_social_channels", "us-east-1")
    client.lambda_.invoke("check_social_channels", event)
    checked = {
        line["outlet"]: line["failing"]
        for line in records(log_output)
        if line.get("message") == "social channel checked"
    }
    assert checked == {outlet: int(outlet.startswith("mastodon")) for outlet in OUTLETS}
