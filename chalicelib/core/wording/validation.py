"""Read a template set from the playbook and prove every template renders before it is used.

Each template is compiled and rendered with a sample incident, so a syntax error or a misspelt
variable is reported by ``tocsin policies validate`` at its path, never at 3 a.m.; an SMS
template whose first line cannot fit the first segment even with an empty title is refused, and
so is an alert template that drops the person's way to answer (link, reply code; the spoken code
in voice).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import read_identifier, read_object, read_string
from chalicelib.core.model import EventStatus, Incident, IncidentStatus, Link, Severity
from chalicelib.core.wording.exercise_words import exercise_word
from chalicelib.core.wording.segments import count_segments, fits_first_segment
from chalicelib.core.wording.templates import (
    LANGUAGE_TAG,
    MARKUP_PARTS,
    OPTIONAL_PARTS,
    PARTS,
    AckInfo,
    TemplateSet,
    render_source,
    template_variables,
)

_SAMPLE = Incident(
    incident_id="inc_01M84STVCFS7F5J06PS8A3D6CA",
    status=IncidentStatus.OPEN,
    title="Sample incident title",
    type="cyber.data_breach",
    severity=Severity.CRITICAL,
    event_status=EventStatus.EXERCISE,
    dedup_key="sample",
    rule_id="r",
    plan_id="p",
    opened_at=datetime(2026, 1, 1, tzinfo=UTC),
    updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    links=(Link("https://status.example.com/incidents/1", "Status page"),),
)


_SAMPLE_ACK = AckInfo(url="https://alerts.example.com/a/abcdefghijklmnop", code="1234")
# Every alert carries the person's way to answer: the variables each part must show.
_ANSWER_PATH = {
    "sms": {"ack_code": _SAMPLE_ACK.code, "ack_url": _SAMPLE_ACK.url},
    "email_text": {"ack_url": _SAMPLE_ACK.url, "ack_code": _SAMPLE_ACK.code},
    "email_html": {"ack_url": _SAMPLE_ACK.url, "ack_code": _SAMPLE_ACK.code},
    "voice": {"ack_code_spoken": " ".join(_SAMPLE_ACK.code)},
}


def parse_template_set(document: Any, path: str) -> TemplateSet:
    fields = read_object(
        document, path, required={"id", "languages"}, optional={"fallback_language", "description"}
    )
    template_id = read_identifier(fields["id"], f"{path}.id")
    fallback = read_string(fields.get("fallback_language", "en"), f"{path}.fallback_language")
    languages_document = fields["languages"]
    if not isinstance(languages_document, Mapping) or not languages_document:
        raise InvalidPolicy(f"{path}.languages", "must map languages (BCP 47) to templates")
    languages: dict[str, dict[str, str]] = {}
    for language, parts in languages_document.items():
        where = f"{path}.languages.{language}"
        if not isinstance(language, str) or not LANGUAGE_TAG.fullmatch(language):
            raise InvalidPolicy(where, "is not a BCP 47 language tag such as 'en' or 'zh-Hant'")
        if exercise_word(language) is None:
            raise InvalidPolicy(
                where,
                f"Tocsin has no word for 'exercise' in {language!r}, so an exercise could not be "
                "marked in it: add one to EXERCISE_WORDS (chalicelib/core/wording/"
                "exercise_words.py) or use a language it knows",
            )
        spec = read_object(parts, where, required=set(), optional=set(PARTS + OPTIONAL_PARTS))
        languages[language] = {
            part: _checked(read_string(text, f"{where}.{part}"), part, f"{where}.{part}")
            for part, text in spec.items()
        }
    if fallback not in languages:
        raise InvalidPolicy(f"{path}.fallback_language", f"no templates for {fallback!r}")
    missing = [part for part in PARTS if part not in languages[fallback]]
    if missing:
        raise InvalidPolicy(
            f"{path}.languages.{fallback}.{missing[0]}",
            "is required in the fallback language (every other language falls back to it)",
        )
    return TemplateSet(template_id, fallback, languages)


def _checked(source: str, part: str, path: str) -> str:
    """Compile and render with a sample incident: syntax errors and unknown variables now."""
    from jinja2 import TemplateError, TemplateSyntaxError

    variables = template_variables(_SAMPLE, _SAMPLE_ACK)
    try:
        rendered = render_source(source, variables, markup=part in MARKUP_PARTS)
    except TemplateSyntaxError as error:
        raise InvalidPolicy(path, f"template line {error.lineno}: {error.message}") from None
    except TemplateError as error:
        raise InvalidPolicy(path, f"does not render: {error}") from None
    missing = [name for name, shown in _ANSWER_PATH.get(part, {}).items() if shown not in rendered]
    if missing:
        uses = " and ".join("{{ " + name + " }}" for name in missing)
        raise InvalidPolicy(
            path, f"must carry the person's way to answer, as every alert does: use {uses}"
        )
    if part in ("sms", "resolved_sms"):
        bare = render_source(source, {**variables, "title": ""}).strip()
        if not fits_first_segment(bare.split("\n", 1)[0], bare):
            count = count_segments(bare)
            raise InvalidPolicy(
                path,
                f"the first line is longer than the first {count.encoding} segment even with "
                f"an empty title ({count.units} > {count.first_segment_capacity})",
            )
    return source
