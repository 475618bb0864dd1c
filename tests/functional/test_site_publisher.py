"""One contract for the dark site's publisher, run against the S3 adapter (under moto) and the
in-memory fake: nothing is live before the first release; a release makes every file live at
once, its status.json read back as it was written; a later release replaces it whole; and on S3
the release is kept under its own keys, with the live keys short-cached for CloudFront; and a
switch from a site that changed since it was read is refused (S3's conditional write), so two
statements published at the same moment both reach the site (under moto)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from chalicelib.channels.cloudfront_cache import CloudFrontSiteCache
from chalicelib.channels.s3_site import LIVE_CACHE_CONTROL, RELEASES, S3SitePublisher
from chalicelib.core.errors import PermanentSendError
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.playbook.site import SiteSettings
from chalicelib.core.site.contents import PostedStatement, SiteIncident
from chalicelib.core.site.edition import SiteEditor
from chalicelib.core.site.ports import LiveSite, SiteChanged, SiteFile, SiteRelease
from fakes import MemorySitePublisher
from tests.conftest import PROJECT

BUCKET = "tocsin-site-test"
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def release(release_id: str, title: str) -> SiteRelease:
    status = {"version": 1, "title": title}
    return SiteRelease(
        release_id,
        {
            "index.html": SiteFile(f"<h1>{title}</h1>".encode(), "text/html; charset=utf-8"),
            "da/index.html": SiteFile(f"<h1>{title} (da)</h1>".encode(), "text/html"),
            "status.json": SiteFile(json.dumps(status).encode(), "application/json"),
        },
    )


@pytest.fixture(params=["memory", "s3"])
def publisher(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield MemorySitePublisher()
        return
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield S3SitePublisher(client, BUCKET)


def test_nothing_is_live_before_the_first_release(publisher: Any) -> None:
    assert publisher.current() is None


def test_a_release_is_live_whole_and_a_later_one_replaces_it(publisher: Any) -> None:
    publisher.publish(release("20261202T020000000000Z-a", "dark"), None)
    first = publisher.current()
    assert first.document == {"version": 1, "title": "dark"}
    publisher.publish(release("20261202T021500000000Z-b", "incident"), first.tag)
    second = publisher.current()
    assert second.document == {"version": 1, "title": "incident"} and second.tag != first.tag


def test_a_switch_from_a_site_that_changed_since_it_was_read_is_refused(publisher: Any) -> None:
    with pytest.raises(SiteChanged):
        publisher.publish(release("r0", "from a site read as live"), "a tag")
    publisher.publish(release("r1", "first"), None)
    read = publisher.current()
    with pytest.raises(SiteChanged):
        publisher.publish(release("r2", "read as dark"), None)  # something is live now
    publisher.publish(release("r3", "second"), read.tag)
    with pytest.raises(SiteChanged):
        publisher.publish(release("r4", "read before r3"), read.tag)
    assert publisher.current().document["title"] == "second"


def test_on_s3_each_release_is_kept_and_the_live_keys_are_short_cached() -> None:
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("s3")
        client.create_bucket(Bucket=BUCKET)
        S3SitePublisher(client, BUCKET).publish(release("r1", "first"), None)
        kept = client.get_object(Bucket=BUCKET, Key=f"{RELEASES}r1/index.html")
        assert kept["Body"].read() == b"<h1>first</h1>"
        assert "immutable" in kept["CacheControl"]
        page = client.get_object(Bucket=BUCKET, Key="index.html")
        assert page["CacheControl"] == LIVE_CACHE_CONTROL and "s-maxage=30" in LIVE_CACHE_CONTROL
        assert page["ContentType"] == "text/html; charset=utf-8"
        assert page["Metadata"]["release"] == "r1"


def test_a_missing_bucket_is_a_send_error_and_nothing_is_live() -> None:
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("s3")
        with pytest.raises(PermanentSendError, match="NoSuchBucket"):
            S3SitePublisher(client, "no-such-bucket").publish(release("r1", "first"), None)


class Interleaved:
    """The S3 publisher, with ``meanwhile`` run once between a release's write and its switch."""

    def __init__(self, inner: S3SitePublisher, meanwhile: Callable[[], object]) -> None:
        self._inner = inner
        self._meanwhile: Callable[[], object] | None = meanwhile

    def current(self) -> LiveSite | None:
        return self._inner.current()

    def publish(self, release: SiteRelease, replacing: str | None) -> None:
        meanwhile, self._meanwhile = self._meanwhile, None
        if meanwhile is not None:
            meanwhile()
        self._inner.publish(release, replacing)


def _settings() -> SiteSettings:
    documents = {
        name: yaml.safe_load((PROJECT / "policies" / f"{name}.yaml").read_text())
        for name in ("site", "audiences")
    }
    public = [a for a in documents["audiences"]["audiences"] if a["id"] == "public"]
    site = parse_playbook({"settings": documents["site"]["settings"], "audiences": public}).site
    assert site is not None
    return site


def _statement(statement_id: str, language: str) -> PostedStatement:
    return PostedStatement(statement_id, language, "initial", f"Subject {statement_id}", "B\n", NOW)


def test_two_statements_posted_at_the_same_moment_both_reach_the_bucket() -> None:
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("s3")
        client.create_bucket(Bucket=BUCKET)
        settings, incident = _settings(), SiteIncident("inc_01RACE", "high", False, NOW)
        s3 = S3SitePublisher(client, BUCKET)
        SiteEditor(s3).prepare(settings, NOW)
        other = SiteEditor(s3)
        editor = SiteEditor(
            Interleaved(s3, lambda: other.post(settings, incident, _statement("b", "da"), NOW))
        )
        editor.post(settings, incident, _statement("a", "en"), NOW)
        status = json.loads(client.get_object(Bucket=BUCKET, Key="status.json")["Body"].read())
        assert sorted(s["id"] for s in status["incidents"][0]["statements"]) == ["a", "b"]
        english = client.get_object(Bucket=BUCKET, Key="index.html")["Body"].read().decode()
        danish = client.get_object(Bucket=BUCKET, Key="da/index.html")["Body"].read().decode()
        assert "Subject a" in english and "Subject b" in danish


def test_cloudfront_is_told_which_paths_a_release_replaced() -> None:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        client = session.client("s3")
        client.create_bucket(Bucket=BUCKET)
        cloudfront = session.client("cloudfront")
        distribution = cloudfront.create_distribution(DistributionConfig=_distribution())
        distribution_id = distribution["Distribution"]["Id"]
        editor = SiteEditor(
            S3SitePublisher(client, BUCKET), CloudFrontSiteCache(cloudfront, distribution_id)
        )
        incident = SiteIncident("inc_01CDN", "high", False, NOW)
        posting = editor.post(_settings(), incident, _statement("a", "en"), NOW)
        assert posting.cache_cleared
        [listed] = cloudfront.list_invalidations(DistributionId=distribution_id)[
            "InvalidationList"
        ]["Items"]
        batch = cloudfront.get_invalidation(DistributionId=distribution_id, Id=listed["Id"])[
            "Invalidation"
        ]["InvalidationBatch"]
        assert (
            "/index.html" in batch["Paths"]["Items"] and "/status.json" in batch["Paths"]["Items"]
        )
        assert batch["CallerReference"] == posting.release_id


def test_a_distribution_that_is_not_there_leaves_the_statement_live_uncleared() -> None:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        client = session.client("s3")
        client.create_bucket(Bucket=BUCKET)
        cache = CloudFrontSiteCache(session.client("cloudfront"), "ENOSUCHDIST")
        with pytest.raises(PermanentSendError, match="NoSuchDistribution"):
            cache.invalidate(["/"], "r1")
        editor = SiteEditor(S3SitePublisher(client, BUCKET), cache)
        incident = SiteIncident("inc_01CDN", "high", False, NOW)
        posting = editor.post(_settings(), incident, _statement("a", "en"), NOW)
        assert not posting.cache_cleared
        assert client.get_object(Bucket=BUCKET, Key="status.json")["Metadata"]["release"] == (
            posting.release_id
        )


def _distribution() -> dict[str, Any]:
    origin = {"Id": "site", "DomainName": f"{BUCKET}.s3.amazonaws.com", "S3OriginConfig": {}}
    return {
        "CallerReference": "site-test",
        "Comment": "the dark site",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [{**origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
