"""One contract for the dark site's publisher, run against the S3 adapter (under moto) and the
in-memory fake: nothing is live before the first release; a release makes every file live at
once, its status.json read back as it was written; a later release replaces it whole; and on S3
the release is kept under its own keys, with the live keys short-cached for CloudFront."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.channels.s3_site import LIVE_CACHE_CONTROL, RELEASES, S3SitePublisher
from chalicelib.core.errors import PermanentSendError
from chalicelib.core.site.ports import SiteFile, SiteRelease
from fakes import MemorySitePublisher

BUCKET = "tocsin-site-test"


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
    publisher.publish(release("20261202T020000000000Z-a", "dark"))
    assert publisher.current() == {"version": 1, "title": "dark"}
    publisher.publish(release("20261202T021500000000Z-b", "incident"))
    assert publisher.current() == {"version": 1, "title": "incident"}


def test_on_s3_each_release_is_kept_and_the_live_keys_are_short_cached() -> None:
    with mock_aws():
        client = boto3.Session(region_name="us-east-1").client("s3")
        client.create_bucket(Bucket=BUCKET)
        S3SitePublisher(client, BUCKET).publish(release("r1", "first"))
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
            S3SitePublisher(client, "no-such-bucket").publish(release("r1", "first"))
