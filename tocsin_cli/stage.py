"""Which Tocsin the ``tocsin`` command talks to: the local stack, or a deployed stage."""

from __future__ import annotations

import boto3

LOCAL_ENDPOINT = "http://127.0.0.1:5000"


def table(stage: str, logical_name: str) -> str:
    """The physical name: the local stack's, or the one infra/ deploys for ``stage``."""
    return f"tocsin-{logical_name}" if stage == "local" else f"tocsin-{stage}-{logical_name}"


def session_for(stage: str, profile: str | None) -> boto3.Session:
    """The local stack's fake credentials, or the operator's AWS profile."""
    if stage == "local":
        return boto3.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
            region_name="us-east-1",
        )
    return boto3.Session(profile_name=profile)
