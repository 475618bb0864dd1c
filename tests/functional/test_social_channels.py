"""Slack, Teams and Mastodon through urllib against the local stand-ins on 127.0.0.1 (secrets in
moto's Secrets Manager), and the same contract for the recording fake: a post is taken once, a
revoked token is refused as invalid_token and nothing is kept, a check never posts. Then the
adapter's own faults: 429 and 5xx retried with backoff (Retry-After respected, bounded), a 4xx
never retried, a lost answer retried only for Mastodon (its Idempotency-Key), an unreachable
host, a secret that is missing or not https."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import boto3
import pytest
from werkzeug.serving import make_server

from chalicelib.channels.social import SocialChannels
from chalicelib.channels.social_http import Http
from chalicelib.core.errors import PermanentSendError, SendOutcomeUnknown, TransientSendError
from chalicelib.core.playbook.audiences import Outlet, OutletKind
from chalicelib.core.statements.ports import SocialPoster
from fakes import RecordingSocialPoster
from local.bootstrap import SOCIAL_SECRETS, create_social_secrets
from local.outbox import Outbox
from local.social import SocialStandIn

SLACK = Outlet(OutletKind.SLACK, SOCIAL_SECRETS["slack"])
TEAMS = Outlet(OutletKind.TEAMS, SOCIAL_SECRETS["teams"])
MASTODON = Outlet(OutletKind.MASTODON, SOCIAL_SECRETS["mastodon"])
TEXT = "Service notice: we are investigating an incident\n\nWe will write again by 04:00."


class Scripted:
    """Answers the scripted (status, headers, body, delay) first, then the stand-in."""

    def __init__(self, inner: SocialStandIn) -> None:
        self.inner = inner
        self.script: list[tuple[int, dict[str, str], bytes, float]] = []
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        self.requests += 1
        if not self.script:
            return self.inner(environ, start)
        status, headers, body, delay = self.script.pop(0)
        time.sleep(delay)
        start(f"{status} Scripted", list(headers.items()))
        return [body]


@pytest.fixture
def server() -> Iterator[tuple[str, Scripted]]:
    app = Scripted(SocialStandIn(Outbox()))
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", app
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def adapter(aws: boto3.Session, server: tuple[str, Scripted], waits: list[float]) -> SocialChannels:
    create_social_secrets(aws, server[0])
    return SocialChannels(aws.client("secretsmanager"), Http(sleep=waits.append, timeout=0.5))


def posts(server: tuple[str, Scripted]) -> list[tuple[str, str]]:
    return [
        (m["channel"], f"{m['subject']}\n\n{m['body']}") for m in server[1].inner.outbox.messages()
    ]


# The contract, for the adapter (with the stand-ins) and the fake.


@pytest.fixture(params=["adapter", "fake"])
def poster(request: pytest.FixtureRequest) -> tuple[SocialPoster, Callable[[str], None]]:
    if request.param == "fake":
        fake = RecordingSocialPoster()
        return fake, lambda kind: fake.revoked.update(
            o.name for o in (SLACK, TEAMS, MASTODON) if o.kind.value == kind
        )
    stand_in = request.getfixturevalue("server")[1].inner
    return request.getfixturevalue("adapter"), stand_in.revoked.add


@pytest.mark.parametrize("outlet", [SLACK, TEAMS, MASTODON], ids=lambda o: o.kind.value)
def test_a_post_is_taken_and_a_mastodon_retry_with_its_key_is_the_same_status(
    poster: tuple[SocialPoster, Callable[[str], None]], outlet: Outlet
) -> None:
    channel, _ = poster
    first = channel.post(outlet, TEXT, "inc_1/customers-en-1/x")
    assert first.attempts == 1
    if outlet.kind is OutletKind.MASTODON:
        assert first.post_id and channel.post(outlet, TEXT, "inc_1/customers-en-1/x") == first


@pytest.mark.parametrize("outlet", [SLACK, TEAMS, MASTODON], ids=lambda o: o.kind.value)
def test_a_revoked_token_is_refused_for_good_and_a_check_says_so_only_where_it_can(
    poster: tuple[SocialPoster, Callable[[str], None]], outlet: Outlet
) -> None:
    channel, revoke = poster
    assert channel.check(outlet).ok
    revoke(outlet.kind.value)
    with pytest.raises(PermanentSendError) as refused:
        channel.post(outlet, TEXT, "k")
    assert refused.value.code in ("invalid_token", "forbidden")
    health = channel.check(outlet)
    if outlet.kind is OutletKind.MASTODON or isinstance(channel, RecordingSocialPoster):
        assert not health.ok and "invalid_token" in health.detail


# The adapter's own.


def test_the_stand_ins_record_each_post_with_its_channel(
    adapter: SocialChannels, server: tuple[str, Scripted]
) -> None:
    for outlet in (SLACK, TEAMS, MASTODON):
        adapter.post(outlet, TEXT, f"key-{outlet.kind.value}")
    adapter.post(MASTODON, TEXT, "key-mastodon")  # the same key: not a second status
    assert posts(server) == [("slack", TEXT), ("teams", TEXT), ("mastodon", TEXT)]
    health = adapter.check(SLACK)
    assert (
        health.ok and not health.verified and "cannot be checked without posting" in health.detail
    )
    assert adapter.check(MASTODON).verified and len(posts(server)) == 3


def test_a_rate_limit_is_retried_after_its_retry_after_and_a_5xx_with_backoff(
    adapter: SocialChannels, server: tuple[str, Scripted], waits: list[float]
) -> None:
    server[1].script = [(429, {"Retry-After": "2"}, b"", 0), (503, {}, b"", 0)]
    receipt = adapter.post(SLACK, TEXT, "k")
    assert receipt.attempts == 3 and waits == [2.0, 1.0] and len(posts(server)) == 1


def test_a_rate_limit_longer_than_we_wait_or_lasting_is_transient_and_nothing_is_posted(
    adapter: SocialChannels, server: tuple[str, Scripted]
) -> None:
    server[1].script = [(429, {"Retry-After": "3600"}, b"", 0)]
    with pytest.raises(TransientSendError, match="rate_limited") as limited:
        adapter.post(MASTODON, TEXT, "k")
    assert limited.value.throttled
    server[1].script = [(500, {}, b"", 0)] * 3
    with pytest.raises(TransientSendError, match="http_500"):
        adapter.post(TEAMS, TEXT, "k")
    assert posts(server) == []


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (404, b"no_service", "no_service"),
        (410, b"channel_is_archived", "channel_is_archived"),
        (400, b"invalid_payload", "invalid_payload"),
    ],
)
def test_a_slack_refusal_is_never_retried(
    adapter: SocialChannels, server: tuple[str, Scripted], status: int, body: bytes, code: str
) -> None:
    server[1].script = [(status, {}, body, 0)]
    with pytest.raises(PermanentSendError) as refused:
        adapter.post(SLACK, TEXT, "k")
    assert refused.value.code == code and server[1].requests == 1


def test_a_lost_answer_is_retried_with_the_same_key_on_mastodon_but_never_on_a_webhook(
    adapter: SocialChannels, server: tuple[str, Scripted]
) -> None:
    server[1].script = [(200, {}, b"ok", 1.0)]  # longer than the 0.5s timeout
    with pytest.raises(SendOutcomeUnknown):
        adapter.post(SLACK, TEXT, "k")
    assert server[1].requests == 1
    server[1].script = [(200, {}, b"{}", 1.0)]
    receipt = adapter.post(MASTODON, TEXT, "same-key")
    assert receipt.attempts == 2 and [c for c, _ in posts(server)] == ["mastodon"]


def test_an_unreachable_host_a_missing_secret_and_plain_http_are_clear_errors(
    aws: boto3.Session, adapter: SocialChannels
) -> None:
    secrets = aws.client("secretsmanager")
    secrets.create_secret(Name="tocsin/gone", SecretString="http://127.0.0.1:9/hook")
    secrets.create_secret(Name="tocsin/plain", SecretString="http://hooks.example.com/hook")
    secrets.create_secret(Name="tocsin/notjson", SecretString="token-only")
    with pytest.raises(TransientSendError, match="unreachable"):
        adapter.post(Outlet(OutletKind.SLACK, "tocsin/gone"), TEXT, "k")
    with pytest.raises(PermanentSendError, match="must be an https URL"):
        adapter.post(Outlet(OutletKind.TEAMS, "tocsin/plain"), TEXT, "k")
    with pytest.raises(PermanentSendError, match="not a JSON object"):
        adapter.post(Outlet(OutletKind.MASTODON, "tocsin/notjson"), TEXT, "k")
    missing = adapter.check(Outlet(OutletKind.SLACK, "tocsin/none"))
    assert not missing.ok and missing.detail.startswith("secret_not_found")


def test_a_teams_post_is_an_adaptive_card(
    adapter: SocialChannels, server: tuple[str, Scripted]
) -> None:
    seen: list[Any] = []
    original = server[1].inner.handle

    def spy(method: str, path: str, headers: Any, body: bytes) -> tuple[int, bytes]:
        seen.append(json.loads(body))
        return original(method, path, headers, body)

    server[1].inner.handle = spy  # type: ignore[method-assign]
    adapter.post(TEAMS, TEXT, "k")
    (attachment,) = seen[0]["attachments"]
    assert seen[0]["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert [b["text"] for b in attachment["content"]["body"]] == TEXT.split("\n\n")


def test_the_local_aws_endpoint_serves_the_stand_ins_into_its_one_outbox() -> None:
    from werkzeug.test import Client as WsgiClient

    from local.aws_server import LocalAwsApp
    from local.receipts import DeliveryReceipts

    outbox = Outbox()
    app = LocalAwsApp(lambda environ, start: [], outbox, DeliveryReceipts(lambda *a: None))
    client = WsgiClient(app)
    answer = client.post("/_local/slack/services/T0/B0/x", json={"text": "Subject\n\nBody"})
    assert answer.status_code == 200 and answer.get_data() == b"ok"
    assert client.put("/_local/social", json={"revoked": ["slack"]}).status_code == 200
    assert client.post("/_local/slack/services/T0/B0/x", json={"text": "t"}).status_code == 403
    assert [(m["channel"], m["subject"], m["body"]) for m in outbox.messages()] == [
        ("slack", "Subject", "Body")
    ]
