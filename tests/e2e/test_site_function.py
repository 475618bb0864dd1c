"""The dark site as deployed: the API may not write the site's bucket, so publishing a public
statement invokes publish_site (synchronously, as Lambda's Invoke does; here botocore's
``before-send`` hands the call to the Chalice test client's publish_site), which reads the
statement itself, writes the site and clears CloudFront's cache (moto); ``tocsin policies
apply`` writes the prepared page through the same function when the site settings change."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.awsrequest import AWSResponse
from chalice.test import Client

from chalicelib import wiring
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api, use_container
from tests.e2e.test_statements import call, keys, open_breach
from tocsin_cli.main import main

FUNCTION = "tocsin-local-publish_site"
__all__ = ["keys"]  # the personal keys fixture, shared with test_statements


class Payload:
    """What botocore reads a streamed answer from."""

    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def read(self, amt: int | None = None) -> bytes:
        return self._body.read(amt)

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body.read()


def route_invocations(session: boto3.Session, client: Client, calls: list[Any]) -> None:
    """Lambda's Invoke of publish_site answered by the app's own publish_site handler; while
    ``calls`` ends with "crash", as Lambda answers for a function that failed (timed out)."""

    def before_send(request: Any, **_: Any) -> AWSResponse | None:
        if FUNCTION not in request.url:
            return None
        event = json.loads(request.body)
        if calls and calls[-1] == "crash":
            body = b'{"errorMessage": "Task timed out after 60.00 seconds"}'
            headers = {"Content-Length": str(len(body)), "X-Amz-Function-Error": "Unhandled"}
            return AWSResponse(request.url, 200, headers, Payload(body))  # type: ignore[arg-type]
        calls.append(event)
        answer = client.lambda_.invoke("publish_site", event)
        body = json.dumps(answer.payload).encode()
        headers = {"Content-Length": str(len(body))}
        return AWSResponse(request.url, 200, headers, Payload(body))  # type: ignore[arg-type]

    session.events.register_first("before-send.lambda.Invoke", before_send)


@pytest.fixture
def deployed(client: Client, world: boto3.Session) -> tuple[list[Any], str]:
    """The container as deployed: the site posted through publish_site, a distribution."""
    cloudfront = world.client("cloudfront")
    distribution = cloudfront.create_distribution(DistributionConfig=_distribution())
    distribution_id = distribution["Distribution"]["Id"]
    calls: list[Any] = []
    route_invocations(world, client, calls)
    use_container(world, site_function=FUNCTION, site_distribution=distribution_id)
    return calls, distribution_id


def test_publishing_a_public_statement_invokes_publish_site_which_writes_and_clears_the_site(
    client: Client,
    api: Api,
    runner: QueueRunner,
    keys: dict[str, str],
    world: boto3.Session,
    deployed: tuple[list[Any], str],
) -> None:
    calls, distribution_id = deployed
    incident_id = open_breach(api, runner)
    base = f"/v1/incidents/{incident_id}/statements/public-en-1"
    for person in ("bo", "dina"):
        approved = call(client, "POST", f"{base}/approve", keys[person])
        assert approved.status_code == 200, approved.body
    published = call(client, "POST", f"{base}/publish", keys["bo"])
    assert published.status_code == 200, published.body
    assert "site:public" in published.json_body["sent"]
    assert calls[-1] == {
        "action": "post",
        "incident_id": incident_id,
        "statement_id": "public-en-1",
    }
    s3 = world.client("s3")
    status = json.loads(s3.get_object(Bucket="tocsin-site", Key="status.json")["Body"].read())
    assert [s["id"] for s in status["incidents"][0]["statements"]] == ["public-en-1"]
    invalidations = world.client("cloudfront").list_invalidations(DistributionId=distribution_id)
    assert invalidations["InvalidationList"]["Quantity"] == 1
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    posted = [e for e in timeline if e["kind"] == "statement_posted"]
    assert posted and posted[-1]["data"]["cache_cleared"] is True


def test_a_failed_publish_site_shows_on_the_timeline_and_publishing_again_retries_it(
    client: Client,
    api: Api,
    runner: QueueRunner,
    keys: dict[str, str],
    world: boto3.Session,
    deployed: tuple[list[Any], str],
) -> None:
    calls, _ = deployed
    incident_id = open_breach(api, runner)
    base = f"/v1/incidents/{incident_id}/statements/public-en-1"
    for person in ("bo", "dina"):
        assert call(client, "POST", f"{base}/approve", keys[person]).status_code == 200
    calls.append("crash")
    failed = call(client, "POST", f"{base}/publish", keys["bo"])
    assert failed.status_code == 503, failed.body  # nothing else sent: retry the whole publish
    timeline = api.get(f"/v1/incidents/{incident_id}").json_body["timeline"]
    [entry] = [e for e in timeline if e["kind"] == "statement_failed"]
    assert entry["data"] == {**entry["data"], "outlet": "site:public"}
    assert "site_function_failed" in entry["summary"]
    calls.pop()
    again = call(client, "POST", f"{base}/publish", keys["bo"])
    assert again.status_code == 200 and again.json_body["sent"] == ["site:public"]
    status = json.loads(
        world.client("s3").get_object(Bucket="tocsin-site", Key="status.json")["Body"].read()
    )
    assert [s["id"] for s in status["incidents"][0]["statements"]] == ["public-en-1"]


def test_policies_apply_says_when_the_site_was_not_written(
    client: Client, world: boto3.Session, deployed: tuple[list[Any], str], tmp_path: Path
) -> None:
    calls, _ = deployed
    policies = renamed_policies(tmp_path)
    calls.append("crash")
    out, err = io.StringIO(), io.StringIO()
    argv = ["--stage", "local", "policies", "apply", str(policies)]
    code = main(argv, out=out, err=err, services=wiring.container())
    assert code == 1 and "applied version 2" in out.getvalue()
    assert "the dark site was not written: site_function_failed" in err.getvalue()
    assert "apply again" in err.getvalue()


def test_publish_site_refuses_a_statement_nobody_published(
    client: Client,
    api: Api,
    runner: QueueRunner,
    world: boto3.Session,
    deployed: tuple[list[Any], str],
) -> None:
    incident_id = open_breach(api, runner)
    asked = {"action": "post", "incident_id": incident_id, "statement_id": "public-en-1"}
    answer = client.lambda_.invoke("publish_site", asked).payload
    assert answer["error"]["code"] == "not_published" and not answer["error"]["transient"]
    status = json.loads(
        world.client("s3").get_object(Bucket="tocsin-site", Key="status.json")["Body"].read()
    )
    assert status["status"] == "dark"  # the prepared page, untouched


def test_policies_apply_writes_the_prepared_page_when_the_site_settings_change(
    client: Client, world: boto3.Session, deployed: tuple[list[Any], str], tmp_path: Path
) -> None:
    calls, _ = deployed
    policies = renamed_policies(tmp_path)
    out = io.StringIO()
    services = wiring.container()  # as deployed: the site posted through publish_site
    assert (
        main(["--stage", "local", "policies", "apply", str(policies)], out=out, services=services)
        == 0
    )
    assert "dark site written: release" in out.getvalue()
    assert calls[-1]["action"] == "refresh" and calls[-1]["version"] == 2
    page = world.client("s3").get_object(Bucket="tocsin-site", Key="index.html")["Body"].read()
    assert "Example Renamed Ltd" in page.decode()
    again = io.StringIO()
    assert (
        main(["--stage", "local", "policies", "apply", str(policies)], out=again, services=services)
        == 0
    )
    assert len([c for c in calls if c["action"] == "refresh"]) == 1  # nothing changed: not again


def renamed_policies(tmp_path: Path) -> Path:
    """The example policies, the organisation on the site renamed."""
    policies = tmp_path / "policies"
    policies.mkdir()
    for source in (PROJECT / "policies").glob("*.yaml"):
        (policies / source.name).write_text(source.read_text())
    site = yaml.safe_load((policies / "site.yaml").read_text())
    site["settings"][0]["organisation"] = "Example Renamed Ltd"
    (policies / "site.yaml").write_text(yaml.safe_dump(site, allow_unicode=True))
    return policies


def _distribution() -> dict[str, Any]:
    origin = {
        "Id": "site",
        "DomainName": "tocsin-site.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    return {
        "CallerReference": "site-e2e",
        "Comment": "the dark site",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
