"""A statement posted to Slack, Teams or Mastodon: the exact approved text, once, with its result
on the timeline. Pure but for the poster it is handed.

    too long for the platform      ─▶ statement_post_failed (too_long); released, nothing posted
    posted                         ─▶ statement_posted, with the platform's id and the attempts
    refused (revoked token, 4xx)   ─▶ statement_post_failed; released for the next publish
    still 429/5xx after retries    ─▶ statement_post_failed; released for the next publish
    the answer was lost            ─▶ Mastodon: released (the Idempotency-Key makes a retry
                                      safe); a webhook: statement_post_uncertain, kept claimed,
                                      so it is never posted twice (look at the channel)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.core.errors import SendError, SendOutcomeUnknown, TransientSendError
from chalicelib.core.model import TimelineEntry
from chalicelib.core.playbook.audiences import Outlet, OutletKind
from chalicelib.core.playbook.platforms import post_text, too_long
from chalicelib.core.statements.ports import SocialPoster, Statement


@dataclass(frozen=True)
class PostResult:
    entry: TimelineEntry
    posted: bool = False
    release: bool = False  # a later publish may try this outlet again
    transient: SendError | None = None

    @property
    def outcome(self) -> str:
        """Which list of the publication the outlet goes in."""
        return "sent" if self.posted else "failed" if self.release else "uncertain"


def idempotency_key(statement: Statement, outlet: Outlet) -> str:
    return f"{statement.incident_id}/{statement.statement_id}/{outlet.name}"


def post_statement(
    statement: Statement, outlet: Outlet, poster: SocialPoster | None, now: datetime
) -> PostResult:
    platform = outlet.kind.platform
    assert platform is not None  # the desk asks only for the platforms' outlets
    text = post_text(statement.subject, statement.body)
    why = too_long(platform, text)
    try:
        if why is not None:
            raise SendError("too_long", f"the statement {why}; draft a shorter one")
        if poster is None:
            raise SendError("not_configured", "no chat or social poster here")
        receipt = poster.post(outlet, text, idempotency_key(statement, outlet))
    except SendOutcomeUnknown as error:
        if outlet.kind is OutletKind.MASTODON:
            return PostResult(_failed(statement, outlet, error, now), release=True, transient=error)
        return PostResult(_uncertain(statement, outlet, error, now))
    except SendError as error:
        transient = error if isinstance(error, TransientSendError) else None
        return PostResult(_failed(statement, outlet, error, now), release=True, transient=transient)
    entry = TimelineEntry(
        at=now,
        kind="statement_posted",
        summary=f"statement {statement.statement_id} posted to {outlet.name}"
        + (f" ({receipt.attempts} attempts)" if receipt.attempts > 1 else ""),
        data={
            **_about(statement, outlet),
            "result": "posted",
            "post_id": receipt.post_id,
            "attempts": receipt.attempts,
        },
        key=f"statement-{statement.statement_id}-posted-{outlet.name}",
    )
    return PostResult(entry, posted=True)


def _failed(statement: Statement, outlet: Outlet, error: SendError, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="statement_post_failed",
        summary=f"statement {statement.statement_id} not posted to {outlet.name}: {error.code} "
        f"({error.message}); nothing was posted there. Publish it again to retry that channel",
        data={**_about(statement, outlet), "result": "failed", "error": error.code},
    )


def _uncertain(
    statement: Statement, outlet: Outlet, error: SendError, now: datetime
) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="statement_post_uncertain",
        summary=f"statement {statement.statement_id} to {outlet.name}: no answer came "
        f"({error.code}); it may have been posted. It is not posted again: look at the channel",
        data={**_about(statement, outlet), "result": "unknown", "error": error.code},
        key=f"statement-{statement.statement_id}-uncertain-{outlet.name}",
    )


def _about(statement: Statement, outlet: Outlet) -> dict[str, str]:
    return {
        "statement_id": statement.statement_id,
        "audience": statement.audience,
        "language": statement.language,
        "outlet": outlet.name,
        "platform": outlet.kind.value,
    }
