"""Deployment parameters, from CDK context (``cdk deploy -c stage=prod -c senderEmail=...``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

_STAGE = re.compile(r"[a-z][a-z0-9-]{0,19}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
LOG_RETENTION_CHOICES = frozenset({30, 90, 180, 365, 731})
_ORIGINATION_ARN = re.compile(
    r"arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number|pool|sender-id)/[A-Za-z0-9_\-:]+"
)


class ContextReader(Protocol):
    def try_get_context(self, key: str) -> Any: ...


@dataclass(frozen=True)
class DeploymentSettings:
    stage: str
    sender_email: str
    ops_email: str | None
    log_retention_days: int
    api_timeout_seconds: int
    worker_timeout_seconds: int
    sms_origination_arn: str | None = None  # set: SMS through End User Messaging, not SNS
    voice_origination_arn: str | None = None  # set: voice calls through End User Messaging
    push_application_id: str | None = None  # set: push through Pinpoint SendMessages
    public_url: str | None = None  # where acknowledgement links point (a custom domain)

    @property
    def prefix(self) -> str:
        """Every physical name starts with this, so stages can share an account."""
        return f"tocsin-{self.stage}"

    @property
    def sender_domain(self) -> str:
        return self.sender_email.rsplit("@", 1)[1]

    @classmethod
    def from_context(cls, node: ContextReader) -> DeploymentSettings:
        stage = str(node.try_get_context("stage") or "")
        if not _STAGE.fullmatch(stage):
            raise ValueError(
                "set the stage: -c stage=NAME (lower-case letters, digits, '-'; at most 20)"
            )
        sender = str(node.try_get_context("senderEmail") or "")
        if not _EMAIL.fullmatch(sender):
            raise ValueError("set the verified SES sender: -c senderEmail=alerts@your-domain")
        retention = int(node.try_get_context("logRetentionDays") or 90)
        if retention not in LOG_RETENTION_CHOICES:
            raise ValueError(f"logRetentionDays must be one of {sorted(LOG_RETENTION_CHOICES)}")
        ops = node.try_get_context("opsEmail")
        if ops is not None and not _EMAIL.fullmatch(str(ops)):
            raise ValueError("opsEmail must be an email address")
        origination = {}
        for key in ("smsOriginationArn", "voiceOriginationArn"):
            value = node.try_get_context(key)
            if value is not None and not _ORIGINATION_ARN.fullmatch(str(value)):
                raise ValueError(
                    f"{key} must be the ARN of an End User Messaging phone number, pool or "
                    "sender id (arn:aws:sms-voice:REGION:ACCOUNT:phone-number/...)"
                )
            origination[key] = str(value) if value else None
        push = node.try_get_context("pushApplicationId")
        if push is not None and not re.fullmatch(r"[a-zA-Z0-9]{1,64}", str(push)):
            raise ValueError("pushApplicationId must be a Pinpoint project id (letters, digits)")
        public_url = node.try_get_context("publicUrl")
        if public_url is not None and not re.fullmatch(
            r"https://[A-Za-z0-9.-]+(/[\w./-]*)?", str(public_url)
        ):
            raise ValueError(
                "publicUrl must be an https:// address, e.g. https://alerts.example.com"
            )
        return cls(
            public_url=str(public_url).rstrip("/") if public_url else None,
            push_application_id=str(push) if push else None,
            sms_origination_arn=origination["smsOriginationArn"],
            voice_origination_arn=origination["voiceOriginationArn"],
            stage=stage,
            sender_email=sender,
            ops_email=str(ops) if ops else None,
            log_retention_days=retention,
            api_timeout_seconds=int(node.try_get_context("apiTimeoutSeconds") or 15),
            worker_timeout_seconds=int(node.try_get_context("workerTimeoutSeconds") or 60),
        )
