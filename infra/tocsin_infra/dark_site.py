"""The dark site's home: its own private bucket, served only through CloudFront (origin access
control), over TLS, with security headers, and written by the publish_site function alone
(the API invokes it to publish a statement) with just GetObject and PutObject on that bucket,
and CreateInvalidation on that distribution.

    reader ──https──▶ CloudFront (TLS 1.2+, headers, 30 s cache, /x/ → /x/index.html)
                          └──OAC (SigV4)──▶ S3 bucket (private, SSE-S3, versioned, TLS only)
    API ──invoke──▶ publish_site ──PutObject / GetObject──▶ the same bucket (releases/<id>/...,
                                                             then live keys, status.json last)
                                 ──CreateInvalidation──▶ the distribution (the live paths)

With ``siteDomainName`` and ``siteCertificateArn`` (ACM, us-east-1), CloudFront answers on that
host; the DNS record (a CNAME or alias to ``SiteDistributionDomain``) is yours to add.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, RemovalPolicy
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

# As local/site.py: no script at all, the page's own inline style, nothing framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# /da/ is da/index.html: S3 behind OAC has no index documents of its own.
_INDEX_REWRITE = """function handler(event) {
  var request = event.request;
  if (request.uri.endsWith('/')) { request.uri += 'index.html'; }
  return request;
}"""
BUCKET_SKIPS = [
    {
        "id": "CKV_AWS_18",
        "comment": "access to the site is logged where readers come in: CloudFront's standard "
        "logs can be enabled per deployment; the bucket is read by CloudFront alone",
    },
]
DISTRIBUTION_SKIPS = [
    {"id": "CKV_AWS_68", "comment": "a static page of public statements: WAF is optional"},
    {"id": "CKV_AWS_86", "comment": "standard logs need a log bucket per deployment: optional"},
    {"id": "CKV_AWS_310", "comment": "one origin: the bucket is the site; no failover origin"},
    {
        "id": "CKV_AWS_174",
        "comment": "TLS 1.2 is enforced on the custom domain; the default *.cloudfront.net "
        "certificate's policy is CloudFront's own",
    },
]


class DarkSite(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        publisher: iam.IRole,
        domain_name: str | None = None,
        certificate_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # The site outlives an update or a deleted stack (it is what readers see); a create
            # that failed leaves no bucket behind to block the next deploy.
            removal_policy=RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,  # a failed create leaves none
            lifecycle_rules=[
                s3.LifecycleRule(
                    prefix="releases/", expiration=Duration.days(90), id="OldReleases"
                ),
                s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30), id="Versions"),
            ],
        )
        self.bucket.node.default_child.add_metadata("checkov", {"skip": BUCKET_SKIPS})  # type: ignore[union-attr]
        # Least privilege: read what the site shows, write releases and live keys; no list,
        # no delete, nothing outside this bucket.
        publisher.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject", "s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            response_headers_policy_name=f"{prefix}-dark-site",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=CONTENT_SECURITY_POLICY, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
            ),
        )
        cache = cloudfront.CachePolicy(
            self,
            "Cache",
            cache_policy_name=f"{prefix}-dark-site",
            default_ttl=Duration.seconds(30),  # the live keys say s-maxage=30 themselves
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.days(365),  # releases/<id>/ never change
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        index = cloudfront.Function(
            self,
            "IndexRewrite",
            code=cloudfront.FunctionCode.from_inline(_INDEX_REWRITE),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        certificate = (
            acm.Certificate.from_certificate_arn(self, "Certificate", certificate_arn)
            if domain_name and certificate_arn
            else None
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{prefix}: the dark site",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cache,
                response_headers_policy=headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=index, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            domain_names=[domain_name] if certificate and domain_name else None,
            certificate=certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self.distribution.node.default_child.add_metadata(  # type: ignore[union-attr]
            "checkov", {"skip": DISTRIBUTION_SKIPS}
        )
        # Clears the live paths after a release (CloudFront's actions take the distribution's
        # ARN, which has no Region).
        publisher.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudfront:CreateInvalidation"],
                resources=[self.distribution.distribution_arn],
            )
        )
        CfnOutput(
            scope,
            "SiteDistributionDomain",
            value=self.distribution.distribution_domain_name,
            description="the dark site (point your site domain here)",
        )
        CfnOutput(scope, "SiteBucket", value=self.bucket.bucket_name)
