"""What statements write on an incident's timeline: who did what, with which credential, when.

Keyed by statement and step, so a retried request writes its entry in place, never twice.
``statement_posted`` entries say which release of the dark site carries a statement.
``statement_sent`` entries carry the message's units and estimated price, as
``notification_sent`` entries do, so an incident's cost counts its statements. Pure.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import SendError
from chalicelib.core.model import Channel, SendReceipt, TimelineEntry
from chalicelib.core.playbook.audiences import Outlet
from chalicelib.core.site.ports import SitePosting
from chalicelib.core.spend.meter import Charge
from chalicelib.core.statements.ports import Statement


def _about(statement: Statement) -> dict[str, str]:
    return {
        "statement_id": statement.statement_id,
        "audience": statement.audience,
        "language": statement.language,
        "statement_kind": statement.kind.value,
    }


def drafted_entry(statement: Statement, who: Answerer | None) -> TimelineEntry:
    by = who.describe() if who else "Tocsin (from the plan's template)"
    replacing = f", replacing {statement.replaces}" if statement.replaces else ""
    return TimelineEntry(
        at=statement.created_at,
        kind="statement_drafted",
        summary=f"{statement.kind.value} statement {statement.statement_id} to "
        f"{statement.audience} ({statement.language}) drafted by {by}{replacing}; it needs "
        f"{statement.required} approvals",
        data={**_about(statement), **(who.document() if who else {"contact_id": None})},
        key=f"statement-{statement.statement_id}-drafted",
    )


def edited_entry(statement: Statement, who: Answerer, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="statement_edited",
        summary=f"statement {statement.statement_id} edited by {who.describe()}",
        data={**_about(statement), **who.document(), "digest": statement.digest},
        key=f"statement-{statement.statement_id}-v{statement.version}",
    )


def approved_entry(statement: Statement, who: Answerer, now: datetime) -> TimelineEntry:
    count = len(statement.approvals)
    outcome = (
        "approved: it may be published"
        if count >= statement.required
        else f"{count} of {statement.required} approvals"
        + ("; its text is now frozen" if count == 1 else "")
    )
    return TimelineEntry(
        at=now,
        kind="statement_approved",
        summary=f"statement {statement.statement_id} approved by {who.describe()} ({outcome})",
        data={**_about(statement), **who.document(), "digest": statement.digest},
        key=f"statement-{statement.statement_id}-approved-{who.contact_id}",
    )


def rejected_entry(statement: Statement, who: Answerer, now: datetime) -> TimelineEntry:
    because = f": {statement.reason}" if statement.reason else ""
    return TimelineEntry(
        at=now,
        kind="statement_rejected",
        summary=f"statement {statement.statement_id} rejected by {who.describe()}{because}; "
        "nothing was sent",
        data={**_about(statement), **who.document(), "reason": statement.reason},
        key=f"statement-{statement.statement_id}-rejected",
    )


def published_entry(statement: Statement, who: Answerer, now: datetime) -> TimelineEntry:
    approvers = ", ".join(statement.approved_by)
    return TimelineEntry(
        at=now,
        kind="statement_published",
        summary=f"statement {statement.statement_id} to {statement.audience} published by "
        f"{who.describe()} (approved by {approvers})",
        data={**_about(statement), **who.document(), "approved_by": list(statement.approved_by)},
        key=f"statement-{statement.statement_id}-published",
    )


def superseded_entry(statement: Statement, by: str, now: datetime) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="statement_superseded",
        summary=f"statement {statement.statement_id} superseded by {by}",
        data={**_about(statement), "superseded_by": by},
        key=f"statement-{statement.statement_id}-superseded",
    )


def sent_entry(
    statement: Statement,
    outlet: Outlet,
    channel: Channel,
    receipt: SendReceipt,
    charge: Charge,
    now: datetime,
) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="statement_sent",
        summary=f"statement {statement.statement_id} handed to AWS for {outlet.name}",
        data={
            **_about(statement),
            "outlet": outlet.name,
            "channel": channel.value,
            "message_id": receipt.message_id,
            **charge.to_data(),
        },
        key=f"statement-{statement.statement_id}-sent-{outlet.name}",
    )


def site_entry(
    statement: Statement, outlet: Outlet, posting: SitePosting, now: datetime
) -> TimelineEntry:
    cache = "readers see it now" if posting.cache_cleared else "cached pages expire within 30 s"
    return TimelineEntry(
        at=now,
        kind="statement_posted",  # not priced: no message was handed to AWS to deliver
        summary=f"statement {statement.statement_id} is on the dark site ({outlet.name}, "
        f"release {posting.release_id}, {posting.size} bytes; {cache})",
        data={
            **_about(statement),
            "outlet": outlet.name,
            "release": posting.release_id,
            "bytes": posting.size,
            "cache_cleared": posting.cache_cleared,
        },
        key=f"statement-{statement.statement_id}-sent-{outlet.name}",
    )


def failed_entry(
    statement: Statement, outlet: Outlet, error: SendError, now: datetime
) -> TimelineEntry:
    return TimelineEntry(
        at=now,
        kind="statement_failed",
        summary=f"statement {statement.statement_id} to {outlet.name} failed: {error.code}; "
        "publish it again to retry that channel",
        data={**_about(statement), "outlet": outlet.name, "error": error.code},
    )
