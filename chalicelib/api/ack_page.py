"""The small page behind an acknowledgement link: readable on a phone, no login, no JavaScript.

Opening the link (GET) only shows the incident; acknowledging needs the button (POST), so a
link previewer or a mail scanner that fetches the link acknowledges nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from chalicelib.core.model import Incident
from chalicelib.core.wording.checkin_words import checkin_says
from chalicelib.core.wording.exercise_words import exercise_marker
from chalicelib.core.wording.phrases import say
from chalicelib.core.wording.templates import incident_reference
from chalicelib.core.wording.times import local_time

if TYPE_CHECKING:
    from chalicelib.core.checkins.values import Checkin, CheckinAnswer
    from chalicelib.core.playbook.checklists import ChecklistItem


PAGE_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the address
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:34rem;"
    "font-size:1.1rem;line-height:1.4}h1{font-size:1.3rem}.meta{color:#444}"
    "button{display:block;width:100%;padding:1rem;margin:.6rem 0;font-size:1.15rem;"
    "border-radius:.5rem;border:0}.ack{background:#0a6b2d;color:#fff}.help{background:#a30d0d;"
    "color:#fff}"
    ".decline{background:#ddd;color:#111}.note{padding:.8rem;border-radius:.5rem;"
    "background:#eef4ff}.error{background:#fde8e8}"
)


def _page(title: str, body: Markup, language: str = "en") -> str:
    return (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def incident_page(
    incident: Incident,
    contact_id: str,
    note: str | None = None,
    language: str = "en",
    timezone: str = "UTC",
    checklist: Sequence[tuple[ChecklistItem, bool]] = (),
) -> str:
    """The incident, its links, the two buttons while the person can still answer, in
    their language, with times on their wall clock, and their role's checklist (a button to
    tick each item not done yet, while the incident is open)."""
    state = incident.response
    parts = [
        Markup("<h1>{}{}</h1>").format(
            exercise_marker(language) if incident.is_exercise else "", incident.title
        ),
        Markup('<p class="meta">{} &middot; {} &middot; ref {}<br>{} {}</p>').format(
            incident.severity.value.upper(),
            incident.type,
            incident_reference(incident.incident_id),
            say(language, "opened"),
            local_time(incident.opened_at, timezone),
        ),
    ]
    if incident.links:
        items = Markup("").join(
            Markup('<li><a href="{}" rel="noopener noreferrer">{}</a></li>').format(
                link.href, link.text.strip() or link.href
            )
            for link in incident.links
        )
        parts.append(
            Markup('<nav aria-label="{0}"><p class="meta">{0}</p><ul>{1}</ul></nav>').format(
                say(language, "links"), items
            )
        )
    if note:
        parts.append(Markup('<p class="note" role="status">{}</p>').format(note))
    if incident.status.value == "awaiting_approval" and contact_id not in incident.approved_by:
        # An approver asked at the gate: approving is an acknowledgement, rejecting a decline.
        parts.append(Markup("<p>{}</p>").format(say(language, "asks_approval")))
        parts.append(
            Markup(
                '<form method="post" action="">'
                '<button class="ack" type="submit" name="answer" value="ack">{}</button>'
                '<button class="decline" type="submit" name="answer" value="decline">{}'
                "</button></form>"
            ).format(say(language, "button_approve"), say(language, "button_reject"))
        )
    elif incident.status.value != "open":
        status = say(language, "incident_is", status=incident.status.value)
        parts.append(Markup("<p>{}</p>").format(status))
    elif contact_id in state.acknowledged_by:
        parts.append(Markup("<p>{}</p>").format(say(language, "you_acknowledged")))
    else:
        parts.append(
            Markup(
                '<form method="post" action="">'
                '<button class="ack" type="submit" name="answer" value="ack">{}</button>'
                '<button class="decline" type="submit" name="answer" value="decline">{}'
                "</button></form>"
            ).format(say(language, "button_ack"), say(language, "button_decline"))
        )
    if checklist:
        parts.append(_checklist(checklist, ticking=incident.status.value == "open"))
    if state.acknowledged_by:
        count = len(state.acknowledged_by)
        parts.append(
            Markup("<p class=meta>{}</p>").format(say(language, "acknowledged_by", count=count))
        )
    return _page(f"Tocsin: {incident.title}", Markup("").join(parts), language)


def _checklist(items: Sequence[tuple[ChecklistItem, bool]], ticking: bool) -> Markup:
    rows = Markup("").join(
        Markup("<li>&#10003; <s>{}</s></li>").format(item.text)
        if done
        else Markup(
            '<li><form method="post" action="">'
            '<button type="submit" name="tick" value="{}">&#9744;</button> {}</form></li>'
        ).format(item.item_id, item.text)
        if ticking
        else Markup("<li>&#9744; {}</li>").format(item.text)
        for item, done in items
    )
    return Markup('<section aria-label="checklist"><h2>Checklist</h2><ul>{}</ul></section>').format(
        rows
    )


def message_page(title: str, message: str) -> str:
    body = Markup('<h1>{}</h1><p class="note error" role="alert">{}</p>').format(title, message)
    return _page(f"Tocsin: {title}", body)


def checkin_page(
    checkin: Checkin,
    latest: CheckinAnswer | None,
    note: str | None = None,
    language: str = "en",
    timezone: str = "UTC",
    problem: str | None = None,
) -> str:
    """A check-in's question and one button per option (a form, no JavaScript): one tap
    answers, and answering again changes the answer. After the deadline it still records, late.
    ``problem``: what was wrong with the form sent (an option that is none), in their words."""
    from chalicelib.core.checkins.values import CheckinStatus

    marker = "[EXERCISE] " if checkin.exercise else ""
    question = checkin.question_in(language)
    parts = [Markup("<h1>{}{}</h1>").format(marker, question)]
    if problem:
        parts.append(Markup('<p class="note error" role="alert">{}</p>').format(problem))
    if note:
        parts.append(Markup('<p class="note" role="status">{}</p>').format(note))
    if latest is not None:
        chosen = checkin.option(latest.option)
        said = chosen.text(language) if chosen else str(latest.option)
        at = local_time(latest.at, timezone)
        parts.append(
            Markup("<p>{}</p>").format(checkin_says(language, "page_current", option=said, at=at))
        )
    if checkin.status is CheckinStatus.CLOSED:
        parts.append(Markup('<p class="meta">{}</p>').format(checkin_says(language, "page_closed")))
    else:
        parts.append(Markup('<p class="meta">{}</p>').format(checkin_says(language, "page_choose")))
    buttons = Markup("").join(
        Markup('<button class="{}" type="submit" name="option" value="{}">{}. {}</button>').format(
            "help" if option.needs_help else "ack",
            option.number,
            option.number,
            option.text(language),
        )
        for option in checkin.options
    )
    parts.append(Markup('<form method="post" action="">{}</form>').format(buttons))
    return _page(f"Tocsin: {question}", Markup("").join(parts), language)
