"""A person's role checklist under their alert email: the first hour's duties of the roles they
hold, as the playbook the incident started with lists them (ticked on their link page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup

from chalicelib.core.model import Channel, Contact, Incident, Message, Notice, NotificationJob
from chalicelib.core.playbook.checklists import ChecklistItem
from chalicelib.core.wording.templates import AckInfo, TemplateSet, render_message


@dataclass(frozen=True)
class Checklists:
    """The playbook's checklist items and the batch's people, for :func:`render_for`."""

    items: Mapping[str, ChecklistItem]
    people: Mapping[str, Contact]


def render_for(
    incident: Incident,
    job: NotificationJob,
    language: str,
    templates: TemplateSet,
    ack: AckInfo | None,
    timezone: str,
    checklists: Checklists,
) -> Message:
    """The job's message from the templates; an alert email with the person's checklist."""
    message = render_message(incident, job.channel, language, templates, ack, job.notice, timezone)
    return with_checklist(message, job, checklists.items, checklists.people.get(job.contact_id))


def with_checklist(
    message: Message,
    job: NotificationJob,
    checklist: Mapping[str, ChecklistItem],
    contact: Contact | None,
) -> Message:
    """The alert email with the person's checklist below it; any other message as it was."""
    if job.channel is not Channel.EMAIL or job.notice is not Notice.ALERT or contact is None:
        return message
    return with_role_checklist(message, checklist, contact.roles)


def with_role_checklist(
    message: Message, checklist: Mapping[str, ChecklistItem], roles: tuple[str, ...]
) -> Message:
    """The message with the checklist of ``roles`` below it (none of theirs: as it was)."""
    items = tuple(item for item in checklist.values() if item.role in roles)
    if not items:
        return message
    text, block = _written(items)
    html = message.html
    if html is not None:
        # Inside the document (before </body>) when the template wrote a whole one.
        at = html.rfind("</body>")
        html = html[:at] + block + html[at:] if at >= 0 else html + block
    return Message(  # as dataclasses.replace would make it, without its cost per person
        body=f"{message.body.rstrip()}\n\n{_HEADING}\n{text}\n",
        subject=message.subject,
        language=message.language,
        html=html,
        link=message.link,
    )


_HEADING = "Your checklist for the first hour (tick each on your link page):"


@lru_cache(maxsize=256)
def _written(items: tuple[ChecklistItem, ...]) -> tuple[str, str]:
    """The checklist as text and as HTML (escaped): written once for everyone with these items."""
    text = "\n".join(f"[ ] {item.text} ({item.role})" for item in items)
    rows = Markup("").join(
        Markup("<li>{} ({})</li>").format(item.text, item.role) for item in items
    )
    return text, str(Markup("<p>{}</p><ul>{}</ul>").format(_HEADING, rows))
