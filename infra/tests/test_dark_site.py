"""The dark site's home: a private bucket (no public access, TLS only, encrypted, versioned,
kept when the stack goes), read only by CloudFront through origin access control, served over
HTTPS with security headers and a short cache; the publish_site function alone may write it,
with GetObject and PutObject on that bucket and CreateInvalidation on its distribution, and
nothing more; the API may only invoke publish_site; a custom domain when asked."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from tests.conftest import CONTEXT, Synthesis, synthesised

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def site_bucket(synthesis: Synthesis) -> tuple[str, dict[str, Any]]:
    buckets = synthesis.resources("AWS::S3::Bucket")
    return next((name, b) for name, b in buckets.items() if name.startswith("DarkSite"))


def test_the_bucket_is_private_encrypted_versioned_and_kept(synthesis: Synthesis) -> None:
    name, bucket = site_bucket(synthesis)
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert bucket["DeletionPolicy"] == "RetainExceptOnCreate"  # kept, unless its create failed
    policies = synthesis.resources("AWS::S3::BucketPolicy")
    policy = next(p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": name})
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in statements)
    readers = [s for s in statements if s["Effect"] == "Allow"]
    assert readers and all(
        s["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        and "AWS:SourceArn" in json.dumps(s["Condition"])
        for s in readers
    )


def test_cloudfront_reads_it_through_oac_over_https_with_security_headers(
    synthesis: Synthesis,
) -> None:
    template = Template.from_json(synthesis.template)
    template.resource_count_is("AWS::CloudFront::OriginAccessControl", 1)
    template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": Match.object_like(
                {
                    "DefaultRootObject": "index.html",
                    "DefaultCacheBehavior": Match.object_like(
                        {"ViewerProtocolPolicy": "redirect-to-https"}
                    ),
                }
            )
        },
    )
    headers = next(iter(synthesis.resources("AWS::CloudFront::ResponseHeadersPolicy").values()))
    security = headers["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert "default-src 'none'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] == 31536000
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    cache = next(iter(synthesis.resources("AWS::CloudFront::CachePolicy").values()))
    assert cache["Properties"]["CachePolicyConfig"]["DefaultTTL"] == 30


def test_only_publish_site_writes_it_and_clears_its_cache_and_the_api_may_only_invoke_it(
    synthesis: Synthesis,
) -> None:
    name, _ = site_bucket(synthesis)
    [distribution] = synthesis.resources("AWS::CloudFront::Distribution")
    granted: dict[str, list[dict[str, Any]]] = {}
    for policy_name, policy in synthesis.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = json.dumps(statement.get("Resource"))
            if name in resources or distribution in resources or "publish_site" in resources:
                granted.setdefault(policy_name.split("Role")[0], []).append(statement)
    assert sorted(granted) == ["APIHandler", "PublishSite"]
    writes = {n for n, found in granted.items() for s in found if "s3:PutObject" in s["Action"]}
    assert writes == {"PublishSite"}  # nobody else can PutObject on the site
    actions = sorted(a for s in granted["PublishSite"] for a in as_list(s["Action"]))
    assert actions == ["cloudfront:CreateInvalidation", "s3:GetObject", "s3:PutObject"]
    [invoke] = granted["APIHandler"]
    assert invoke["Action"] == "lambda:InvokeFunction"
    assert "function:tocsin-test-publish_site" in json.dumps(invoke["Resource"])
    # Nor may any role write S3 at large, or invalidate any other distribution.
    for policy_name, policy in synthesis.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            risky = {"s3:PutObject", "cloudfront:CreateInvalidation"}
            if risky & set(as_list(statement["Action"])):
                assert policy_name.startswith("PublishSite"), policy_name
    functions = synthesis.resources("AWS::Serverless::Function")
    variables = functions["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["TOCSIN_SITE_BUCKET"] == {"Ref": name}
    assert variables["TOCSIN_SITE_FUNCTION"] == "tocsin-test-publish_site"
    assert variables["TOCSIN_SITE_DISTRIBUTION"] == {"Ref": distribution}
    publisher = functions["PublishSite"]["Properties"]
    assert publisher["FunctionName"] == "tocsin-test-publish_site"
    assert publisher["Handler"] == "chalicelib.handlers.site.publish_site"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture(scope="module")
def domain_synthesis(tmp_path_factory: pytest.TempPathFactory) -> Synthesis:
    context = {**CONTEXT, "siteDomainName": "Status.Example.com", "siteCertificateArn": CERTIFICATE}
    return synthesised(context, tmp_path_factory.mktemp("cdk.out"))


def test_a_custom_domain_is_served_with_its_certificate_and_tls_1_2(
    domain_synthesis: Synthesis,
) -> None:
    distribution = next(iter(domain_synthesis.resources("AWS::CloudFront::Distribution").values()))
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == ["status.example.com"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
