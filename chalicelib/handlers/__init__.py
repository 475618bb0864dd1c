"""Queue, schedule, SNS and EventBridge edges.

Deployed, Chalice points each of these functions at its blueprint's module
(``chalicelib.handlers.queues.evaluate_events``), not at ``app.py`` (aws/chalice#1566): nothing
imports the app there, so its middleware would frame no invocation (request id, correlation id
cleared) and write no metrics. Each blueprint here is an :class:`EdgeBlueprint`, whose handlers
carry the app's middleware for every invocation from the start, without importing the app: a
function imports only its own edge and what that edge runs (its cold start), not every API
route and every service.

Where the app is imported (the API, the local stack, the tests), registering the blueprint
replaces those handlers' middleware with the app's own (Chalice's ``Blueprint.register``): the
same middleware, once.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, SNSEvent

from chalicelib.observability import observe_invocation


class EdgeBlueprint(Blueprint):
    """A blueprint whose handlers run :func:`observe_invocation` even where no app registers it:
    the middleware ``app.py`` registers for ``"all"`` invocations (tests/unit/test_lambda_entry.py
    checks they are the same)."""

    def _get_middleware_handlers(self, event_type: str) -> list[Any]:
        return [observe_invocation]


def sns_message_id(event: SNSEvent) -> str | None:
    """SNS's id for the notification (Chalice's SNSEvent does not expose it)."""
    records = event.to_dict().get("Records") or [{}]
    return records[0].get("Sns", {}).get("MessageId") or None
