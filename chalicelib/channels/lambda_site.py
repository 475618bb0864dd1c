"""The dark site posted through the publish_site function: the API (and ``tocsin policies
apply``) may not write the site's bucket; they invoke publish_site, synchronously, and it
answers with the release it made live. One statement named by its ids, never its text: the
function reads the statement itself (chalicelib/core/statements/site_outlet.py).

    API ──lambda:InvokeFunction (RequestResponse)──▶ publish_site ──PutObject──▶ site bucket
        {"action": "post", "incident_id", "statement_id"}  ──▶ {"posted": {...}}
        {"action": "refresh", "version": N}                ──▶ {"posted": {...} | null}
        a send error                           ──▶ {"error": {code, message, transient}}

The answer waits for the site to be written, so the publish that asked knows: its timeline says
the statement is on the site, or that the site failed and publishing again retries it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.channels.errors import send_errors
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.site.ports import SitePosting


class LambdaSitePoster:
    def __init__(self, client: Any, function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def post(self, incident_id: str, statement_id: str) -> SitePosting:
        request = {"action": "post", "incident_id": incident_id, "statement_id": statement_id}
        posting = self._invoke(request)
        if posting is None:
            raise TransientSendError("site_no_answer", "publish_site answered without a release")
        return posting

    def refresh(self, version: int) -> SitePosting | None:
        return self._invoke({"action": "refresh", "version": version})

    def _invoke(self, request: Mapping[str, object]) -> SitePosting | None:
        with send_errors("Lambda Invoke (publish_site)"):
            answer = self._client.invoke(
                FunctionName=self._function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(request).encode(),
            )
        body = answer["Payload"].read()
        if answer.get("FunctionError"):
            # It failed on its own (timed out, crashed): nothing says the site was left
            # changed, and posting again is safe (a statement is on the site once).
            raise TransientSendError("site_function_failed", "publish_site failed; publish again")
        try:
            return answer_posting(json.loads(body))
        except (ValueError, KeyError, TypeError):
            raise TransientSendError(
                "site_bad_answer", "publish_site's answer is unreadable"
            ) from None


def answer_posting(answer: Any) -> SitePosting | None:
    """The release publish_site made live; its send error raised as the same error."""
    if not isinstance(answer, dict):
        raise TransientSendError("site_bad_answer", "publish_site's answer is not an object")
    error = answer.get("error")
    if isinstance(error, dict):
        code, message = str(error.get("code")), str(error.get("message"))
        if error.get("transient"):
            raise TransientSendError(code, message)
        raise PermanentSendError(code, message)
    posted = answer.get("posted")
    if posted is None:
        return None
    return SitePosting(
        str(posted["release_id"]), int(posted["size"]), bool(posted["cache_cleared"])
    )
