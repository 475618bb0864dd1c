"""OASIS Common Alerting Protocol 1.2 (XML).

Parsed with defusedxml: a document type declaration is refused as the parser meets it (CAP
never needs one), whatever the document's encoding, so no entity can be declared or expanded and
no external reference can be fetched. XML's own encodings (UTF-8 and UTF-16, with or without a
byte order mark) and the single-byte ones a document may declare (ISO-8859-1, windows-1252,
US-ASCII...) are read; any other is refused with a 400 that says so. ``Exercise`` and
``Test`` messages become drill events; ``Update`` joins and ``Cancel`` resolves the incident the
message ``references``.
"""

from __future__ import annotations

import codecs
import re
from typing import Any
from xml.etree import ElementTree

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import ParseError, fromstring

from chalicelib.core.errors import InvalidEvent
from chalicelib.integrations.common import (
    Document,
    IntegrationDefaults,
    http_link,
    metric_name,
    slug,
    summary,
    timestamp,
)

NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.2", "urn:oasis:names:tc:emergency:cap:1.1")
STATUSES = {"Actual": "actual", "Exercise": "exercise", "Test": "test", "System": "test"}
ACTIONS = {"Alert": "trigger", "Update": "trigger", "Cancel": "resolve", "Ack": "acknowledge"}
SEVERITIES = {
    "Extreme": "critical",
    "Severe": "high",
    "Moderate": "medium",
    "Minor": "low",
    "Unknown": "info",
}
SEVERITY_ORDER = ["info", "low", "medium", "high", "critical"]
# CAP categories grouped into the event families the playbook speaks of.
FAMILIES = {
    "Geo": "natural",
    "Met": "natural",
    "Env": "natural",
    "Fire": "safety",
    "Safety": "safety",
    "Rescue": "safety",
    "CBRNE": "safety",
    "Security": "security",
    "Health": "health",
    "Transport": "supply",
    "Infra": "it",
    "Other": "public",
}
MAX_INFO_TEXT = 2000
_DECLARED_ENCODING = re.compile(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z][A-Za-z0-9._-]*)[\"']")
_UTF16_WITHOUT_BOM = {b"<\x00?\x00": "utf-16-le", b"\x00<\x00?": "utf-16-be"}


def parse_cap_xml(body: bytes) -> ElementTree.Element:
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise InvalidEvent(
            "$",
            "XML with a document type declaration is refused: CAP needs none, and it could "
            "declare entities",
        ) from None
    except DefusedXmlException:
        raise InvalidEvent("$", "XML with an entity declaration is refused") from None
    except ParseError as error:
        raise InvalidEvent("$", f"is not well-formed XML: {error}") from None
    except (ValueError, LookupError) as error:  # a multi-byte or unknown declared encoding
        raise InvalidEvent(
            "$", f"uses an encoding Tocsin cannot read ({error}); send UTF-8 or UTF-16"
        ) from None
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    if namespace not in NAMESPACES or root.tag.rsplit("}", 1)[-1] != "alert":
        raise InvalidEvent("alert", f"must be a CAP 1.2 <alert> in {NAMESPACES[0]}")
    return root


def document_text(body: bytes) -> str:
    """The document as text, decoded as the parser read it: by its byte order mark, else by
    the encoding it declares, else as UTF-8 (kept as the event's original)."""
    for mark, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(mark):
            return body.decode(codec, errors="replace")
    if body[:4] in _UTF16_WITHOUT_BOM:
        return body.decode(_UTF16_WITHOUT_BOM[body[:4]], errors="replace")
    declared = _DECLARED_ENCODING.match(body)
    try:
        return body.decode(declared.group(1).decode() if declared else "utf-8", errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def from_cap(root: ElementTree.Element, defaults: IntegrationDefaults) -> list[Document]:
    ns = root.tag[1:].split("}")[0]
    field = _fields(ns)
    identifier, sender = field(root, "identifier", True), field(root, "sender", True)
    status = field(root, "status", True)
    if status not in STATUSES:
        raise InvalidEvent("status", f"{status!r} is not actionable (Draft, or not CAP)")
    message_type = field(root, "msgType", True)
    if message_type not in ACTIONS:
        raise InvalidEvent("msgType", f"{message_type!r} is not actionable")
    infos = root.findall(f"{{{ns}}}info")
    action = ACTIONS[message_type]
    dedup_key = f"cap:{sender}:{identifier}"
    if message_type != "Alert":
        references = (field(root, "references", True) or "").split()
        first = references[0].split(",") if references else []
        if len(first) != 3:
            raise InvalidEvent("references", "must be 'sender,identifier,sent' triples")
        dedup_key = f"cap:{first[0]}:{first[1]}"
    if action == "trigger" and not infos:
        raise InvalidEvent("info", "an Alert or Update needs at least one <info>")
    described = [_info(info, field) for info in infos]
    first_info = described[0] if described else {}
    severity = max(
        (info["severity"] for info in described), key=SEVERITY_ORDER.index, default="info"
    )
    document: Document = {
        "source": defaults.source or f"cap:{sender}",
        "type": first_info.get("type", defaults.event_type),
        "action": action,
        "severity": severity,
        "status": STATUSES[status],
        "summary": summary(first_info.get("headline"), first_info.get("event"), identifier),
        "details": {
            "identifier": identifier,
            "sender": sender,
            "msg_type": message_type,
            "scope": field(root, "scope"),
            "info": described,
        },
        "dedup_key": dedup_key[:255],
        "metrics": first_info.get("metrics", {}),
        "occurred_at": timestamp(field(root, "sent", True), "sent"),
        "links": http_link(first_info.get("web"), "web"),
    }
    return [document]


def _fields(ns: str) -> Any:
    def field(element: ElementTree.Element, name: str, required: bool = False) -> str | None:
        found = element.find(f"{{{ns}}}{name}")
        value = " ".join(found.text.split()) if found is not None and found.text else None
        if required and not value:
            raise InvalidEvent(name, "is required")
        return value

    return field


def _info(info: ElementTree.Element, field: Any) -> dict[str, Any]:
    ns = info.tag[1:].split("}")[0]
    categories = [c.text.strip() for c in info.findall(f"{{{ns}}}category") if c.text]
    event = field(info, "event", True)
    family = FAMILIES.get(categories[0] if categories else "Other", "public")
    metrics = {}
    for parameter in info.findall(f"{{{ns}}}parameter"):
        name, value = field(parameter, "valueName"), field(parameter, "value")
        try:
            metrics[metric_name(name or "value")] = float(value or "")
        except ValueError:
            continue
    description = field(info, "description") or ""
    return {
        "language": field(info, "language") or "en-US",
        "event": event,
        "type": f"{family}.{slug(event)}",
        "categories": categories,
        "severity": SEVERITIES.get(field(info, "severity") or "Unknown", "info"),
        "urgency": field(info, "urgency"),
        "certainty": field(info, "certainty"),
        "headline": field(info, "headline"),
        "description": description[:MAX_INFO_TEXT],
        "areas": [field(area, "areaDesc") for area in info.findall(f"{{{ns}}}area")],
        "web": field(info, "web"),
        "metrics": metrics,
    }
