"""Render each message once per dispatch and fill in each person's own parts.

Most of a dispatcher's CPU went to Jinja: every person's message was rendered whole, though
people who share a channel, language, notice and time zone differ only in their link and reply
code. :class:`Renders` renders such a message once with *markers* in those places (a link and a
code of the same length and alphabet as the real ones, so an SMS fits its segments the same way
and HTML escapes them the same way), then fills each person's link and code in by replacing the
markers: byte for byte the message a whole rendering gives.

That is checked, not assumed, twice. Only alerts and resolution notices from templates that
print the link and code as they are (``{{ ack_url }}``) and test nothing of them but whether
they are there (``{% if ack_code %}``) are eligible: any other use (a slice, a comparison, a
filter) makes the template set's messages render whole, as Jinja's syntax tree shows. And the
first person of each kind is rendered whole too: the markers are used only if filling that
person's parts into the marked rendering gives exactly that (text that happens to contain a
marker fails it: every marker differs from that person's link and code in every character).
Per dispatch: the incident may have changed by the next.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from chalicelib.core.messaging.checklist_text import with_role_checklist
from chalicelib.core.model import Channel, Incident, Message, Notice
from chalicelib.core.playbook.checklists import ChecklistItem
from chalicelib.core.wording.templates import BUILT_IN, AckInfo, TemplateSet, render_message

_PERSONAL = frozenset({"ack_url", "ack_code", "ack_code_spoken"})
_ELIGIBLE = frozenset({Notice.ALERT, Notice.RESOLVED})  # worded by the playbook's templates

_ALPHABETS = ("abcdefghijklmnopqrstuvwxyz234567", "0123456789")  # link tokens, reply codes
# + the lengths of the link and code, and the reader's roles (their checklist)
_Kind = tuple[Channel, str, Notice, str, int, int, tuple[str, ...]]


@dataclass(frozen=True)
class _Marked:
    """A message rendered with the marker's link and code, and where they are."""

    message: Message
    marker: AckInfo

    @cached_property
    def markers(self) -> re.Pattern[str]:
        spoken = " ".join(self.marker.code)  # the spoken code (voice)
        alternatives = "|".join(map(re.escape, (self.marker.url, spoken, self.marker.code)))
        return re.compile(f"({alternatives})")  # a group: split keeps the markers found

    @cached_property
    def forms(self) -> tuple[_Form | None, _Form | None, _Form | None, _Form | None]:
        """The subject, body, HTML and link split at their markers, once: where the pattern
        finds each (leftmost, non-overlapping, as ``markers.sub`` would) and which value
        goes there (0: the link, 1: the spoken code, 2: the code)."""
        marker = self.marker
        which = {marker.url: 0, " ".join(marker.code): 1, marker.code: 2}

        def form(text: str | None) -> _Form | None:
            if text is None:
                return None
            pieces = tuple(self.markers.split(text))  # text at even places, markers at odd
            slots = tuple((at, which[pieces[at]]) for at in range(1, len(pieces), 2))
            return _Form(pieces, slots)

        message = self.message
        return form(message.subject), form(message.body), form(message.html), form(message.link)


@dataclass(frozen=True)
class _Form:
    """A text split at its markers, and which value fills each (a join: no text is searched
    or parsed again, however long the email)."""

    pieces: tuple[str, ...]
    slots: tuple[tuple[int, int], ...]  # (place in pieces, which value)

    def filled(self, values: tuple[str, str, str]) -> str:
        parts = list(self.pieces)
        for at, which in self.slots:
            parts[at] = values[which]
        return "".join(parts)


class Renders:
    """``checklist``: the playbook's role checklists, under each alert email (by the roles of
    its reader: ``checklist_text.py``), appended before the link and code are filled in."""

    def __init__(
        self,
        incident: Incident,
        templates: TemplateSet,
        checklist: Mapping[str, ChecklistItem] | None = None,
    ) -> None:
        self.incident = incident
        self.templates = templates
        self.checklist: Mapping[str, ChecklistItem] = checklist or {}
        self._kinds: dict[_Kind, _Marked | None] = {}  # None: render this kind whole
        self.whole = 0  # whole renderings, for tests and benchmarks

    @cached_property
    def _printed_only(self) -> bool:
        """Whether every template the set may use prints the link and code as they are."""
        sets = (self.templates, BUILT_IN)  # optional parts the set lacks come from BUILT_IN
        sources = {
            text for each in sets for parts in each.languages.values() for text in parts.values()
        }
        return all(_prints_only(source) for source in sources)

    def message(
        self,
        channel: Channel,
        language: str,
        notice: Notice,
        timezone: str,
        ack: AckInfo | None,
        roles: tuple[str, ...] = (),
    ) -> Message:
        """``roles``: the reader's (their checklist, on an alert email)."""
        if channel is not Channel.EMAIL or notice is not Notice.ALERT:
            roles = ()  # no checklist: the same message whatever the roles
        personal = ack is not None and ack.url and ack.code
        if not personal or notice not in _ELIGIBLE or not self._printed_only:
            return self._whole(channel, language, notice, timezone, ack, roles)
        assert ack is not None
        kind = (channel, language, notice, timezone, len(ack.url), len(ack.code), roles)
        if kind in self._kinds:
            marked = self._kinds[kind]
            if marked is None:
                return self._whole(channel, language, notice, timezone, ack, roles)
            return _filled(marked, ack)
        real = self._whole(channel, language, notice, timezone, ack, roles)
        marker = AckInfo(_shifted(ack.url, "/"), _shifted(ack.code, ""))
        marked = _Marked(self._whole(channel, language, notice, timezone, marker, roles), marker)
        self._kinds[kind] = marked if _filled(marked, ack) == real else None
        return real

    def _whole(
        self,
        channel: Channel,
        language: str,
        notice: Notice,
        timezone: str,
        ack: AckInfo | None,
        roles: tuple[str, ...],
    ) -> Message:
        self.whole += 1
        message = render_message(
            self.incident, channel, language, self.templates, ack, notice, timezone
        )
        return with_role_checklist(message, self.checklist, roles) if roles else message


class RenderCache:
    """The :class:`Renders` of the last few incidents a dispatcher sent for, kept from one
    dispatch to the next (the queue delivers an incident's jobs 50 a message): reused only
    while the incident, the templates and the checklist are equal to those it rendered."""

    def __init__(self, size: int = 8) -> None:
        self._size = size
        self._kept: dict[str, Renders] = {}  # by incident id, the least recently used first

    def renders(
        self,
        incident: Incident,
        templates: TemplateSet,
        checklist: Mapping[str, ChecklistItem] | None = None,
    ) -> Renders:
        kept = self._kept.pop(incident.incident_id, None)
        if (
            kept is None
            or kept.incident != incident
            or kept.templates != templates
            or kept.checklist != (checklist or {})
        ):
            kept = Renders(incident, templates, checklist)
        self._kept[incident.incident_id] = kept
        while len(self._kept) > self._size:
            del self._kept[next(iter(self._kept))]
        return kept


@lru_cache(maxsize=1024)
def _prints_only(source: str) -> bool:
    """Whether the template uses the link and code only as ``{{ x }}`` or ``{% if x %}``."""
    from jinja2.sandbox import SandboxedEnvironment

    try:
        tree = SandboxedEnvironment().parse(source)
    except Exception:
        return False
    return _plain(tree, printed=False)


def _plain(node: Any, printed: bool) -> bool:
    from jinja2 import nodes

    if isinstance(node, nodes.Name) and node.name in _PERSONAL:
        return printed
    for name, value in node.iter_fields():
        here = (isinstance(node, nodes.Output) and name == "nodes") or (
            isinstance(node, nodes.If) and name == "test"
        )
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, nodes.Node) and not _plain(child, here):
                return False
    return True


def _shifted(value: str, after: str) -> str:
    """``value`` with every character after the last ``after`` moved one place on in its
    alphabet: the same length and alphabet, and no character where it was."""
    start = value.rfind(after) + 1 if after else 0
    head, tail = value[:start], value[start:]
    for alphabet in _ALPHABETS:
        if tail and all(character in alphabet for character in tail):
            size = len(alphabet)
            return head + "".join(alphabet[(alphabet.index(c) + 1) % size] for c in tail)
    return head + "\x00" * len(tail)  # an unusual link or code: the check will refuse it


def _filled(marked: _Marked, ack: AckInfo) -> Message:
    """The markers replaced by the person's link and code, in one pass (a value filled in is
    never searched again)."""
    values = (ack.url, " ".join(ack.code), ack.code)
    subject, body, html, link = marked.forms
    return Message(
        body="" if body is None else body.filled(values),
        subject=None if subject is None else subject.filled(values),
        language=marked.message.language,
        html=None if html is None else html.filled(values),
        link=None if link is None else link.filled(values),
    )
