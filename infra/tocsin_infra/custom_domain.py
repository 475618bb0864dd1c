"""The API at the root of a host of your own: ``https://alerts.example.com/v2/enqueue``.

API Gateway serves the API under its stage (``https://<id>.execute-api.../api/...``). PagerDuty's
and Opsgenie's SDKs, and tools whose settings take only an "API URL" host, call ``/v2/...`` at
the root, so the drop-in paths need a custom domain whose base path mapping has no base path:

    alerts.example.com  ──(regional custom domain, TLS 1.2, your ACM certificate)──▶
        base path mapping "" ──▶ RestAPI, stage "api"   (every /v1 and /v2 path at the root)

The DNS record (a CNAME or alias to ``ApiDomainTarget``) is yours to add, where the zone lives.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, CfnResource, Fn
from aws_cdk import aws_apigateway as apigateway
from constructs import Construct


def add_custom_domain(
    scope: Construct, rest_api: CfnResource, domain_name: str, certificate_arn: str
) -> apigateway.CfnDomainName:
    domain = apigateway.CfnDomainName(
        scope,
        "ApiDomain",
        domain_name=domain_name,
        regional_certificate_arn=certificate_arn,
        endpoint_configuration=apigateway.CfnDomainName.EndpointConfigurationProperty(
            types=["REGIONAL"]
        ),
        security_policy="TLS_1_2",
    )
    apigateway.CfnBasePathMapping(
        scope,
        "ApiRootMapping",
        domain_name=domain.ref,
        rest_api_id=rest_api.ref,
        # SAM's name for the stage it makes; referring to it orders the mapping after it.
        stage=Fn.ref(f"{rest_api.logical_id}.Stage"),
    )  # no base_path: the API at the root of the host
    CfnOutput(
        scope,
        "ApiDomainTarget",
        value=domain.attr_regional_domain_name,
        description=f"point {domain_name} here (a CNAME, or an alias with ApiDomainZone)",
    )
    CfnOutput(scope, "ApiDomainZone", value=domain.attr_regional_hosted_zone_id)
    return domain
