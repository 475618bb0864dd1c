"""Statements posted to Slack, Microsoft Teams and Mastodon; their webhooks and tokens checked.

Each outlet names a Secrets Manager secret (never the URL or token in the playbook):

    slack     the incoming webhook's URL (or {"url": ...}); POST {"text": ...}; Slack answers
              200 "ok", or 4xx with a code: invalid_token (403), no_service (404),
              channel_is_archived (410), invalid_payload (400)...
    teams     a Workflows webhook's URL (or {"url": ...}); POST a message holding an Adaptive
              Card (Workflows take nothing else); 200 or 202 when taken
    mastodon  {"instance": "https://social.example.com", "token": "..."}; POST
              /api/v1/statuses with Authorization: Bearer and an Idempotency-Key (the
              statement and outlet: the instance keeps keys an hour, so a retry after a lost
              answer returns the first status instead of a second one)

Checking: Mastodon's GET /api/v1/accounts/verify_credentials says whether the token works
without posting. A Slack or Teams webhook cannot be asked without posting to the channel, so
its check only reads the secret and checks that the URL is a well-formed https URL.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.channels.social_http import Answer, Http, checked_url
from chalicelib.core.errors import PermanentSendError, SendError, TransientSendError
from chalicelib.core.playbook.audiences import Outlet, OutletKind
from chalicelib.core.statements.ports import OutletHealth, PostReceipt

_NAMES = {OutletKind.SLACK: "Slack", OutletKind.TEAMS: "Teams", OutletKind.MASTODON: "Mastodon"}
_CODES = {401: "invalid_token", 403: "forbidden", 404: "no_service", 410: "gone"}


class SocialChannels:
    def __init__(self, secrets: Any, http: Http | None = None) -> None:
        self._secrets = secrets  # a Secrets Manager client
        self._http = http or Http()

    def post(self, outlet: Outlet, text: str, key: str) -> PostReceipt:
        api = f"{_NAMES[outlet.kind]} ({outlet.address})"
        if outlet.kind is OutletKind.MASTODON:
            instance, token = self._mastodon(outlet)
            body = json.dumps({"status": text, "visibility": "public"}).encode()
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": key,
            }
            url = f"{instance}/api/v1/statuses"
            answer, attempts = self._http.with_retries(
                lambda: self._http.once("POST", url, body, headers, api), api, retry_unknown=True
            )
            _refused(answer, api)
            return PostReceipt(str(answer.json().get("id", "")), attempts)
        url = self._webhook(outlet)
        payload = {"text": text} if outlet.kind is OutletKind.SLACK else _adaptive_card(text)
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        answer, attempts = self._http.with_retries(
            lambda: self._http.once("POST", url, body, headers, api), api, retry_unknown=False
        )
        _refused(answer, api)
        return PostReceipt("", attempts)

    def check(self, outlet: Outlet) -> OutletHealth:
        api = f"{_NAMES[outlet.kind]} ({outlet.address})"
        try:
            if outlet.kind is not OutletKind.MASTODON:
                self._webhook(outlet)
                return OutletHealth(
                    outlet.name,
                    True,
                    "secret found, https URL; a webhook cannot be checked without posting",
                )
            instance, token = self._mastodon(outlet)
            url = f"{instance}/api/v1/accounts/verify_credentials"
            headers = {"Authorization": f"Bearer {token}"}
            answer, _ = self._http.with_retries(
                lambda: self._http.once("GET", url, None, headers, api), api, retry_unknown=True
            )
            _refused(answer, api)
        except SendError as error:
            return OutletHealth(outlet.name, False, f"{error.code}: {error.message}")
        account = answer.json().get("acct", "?")
        return OutletHealth(outlet.name, True, f"the token works (@{account})", verified=True)

    def _secret(self, outlet: Outlet) -> str:
        try:
            response = self._secrets.get_secret_value(SecretId=outlet.address)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", "Unknown"))
            if code in ("ResourceNotFoundException", "AccessDeniedException"):
                raise PermanentSendError(
                    "secret_not_found", f"secret {outlet.address}: {code}"
                ) from error
            raise TransientSendError(code, f"secret {outlet.address}") from error
        except BotoCoreError as error:
            raise TransientSendError("secrets_unreachable", f"secret {outlet.address}") from error
        return str(response.get("SecretString") or "")

    def _webhook(self, outlet: Outlet) -> str:
        value = self._secret(outlet).strip()
        if value.startswith("{"):
            value = str(_fields(value, outlet).get("url", ""))
        return checked_url(value, f"secret {outlet.address}")

    def _mastodon(self, outlet: Outlet) -> tuple[str, str]:
        fields = _fields(self._secret(outlet), outlet)
        instance, token = str(fields.get("instance", "")), str(fields.get("token", ""))
        if not token:
            raise PermanentSendError("bad_secret", f"secret {outlet.address} holds no token")
        return checked_url(instance.rstrip("/"), f"secret {outlet.address}'s instance"), token


def _fields(value: str, outlet: Outlet) -> dict[str, Any]:
    try:
        fields = json.loads(value)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        raise PermanentSendError("bad_secret", f"secret {outlet.address} is not a JSON object")
    return fields


def _refused(answer: Answer, api: str) -> None:
    """Raise the platform's refusal (never retried: a 4xx does not change by asking again)."""
    if 200 <= answer.status < 300:
        return
    found = answer.json()
    said = answer.text if not found else str(found.get("error", ""))
    slack_code = said if said.replace("_", "").isalnum() and len(said) <= 40 else ""
    code = slack_code or _CODES.get(answer.status, f"http_{answer.status}")
    if answer.status == 401:
        code = "invalid_token"
    raise PermanentSendError(code, f"{api}: {answer.status} {said[:120]}".strip())


def _adaptive_card(text: str) -> dict[str, Any]:
    """A Workflows webhook's message: one Adaptive Card, the subject in bold over the body."""
    subject, _, body = text.partition("\n\n")
    blocks: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": subject, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    if body:
        blocks.append({"type": "TextBlock", "text": body, "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": blocks,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
