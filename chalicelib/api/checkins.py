"""Check-ins: ``POST /v1/checkins`` (start; a personal key with the ``activate`` scope),
``GET /v1/checkins/{checkin_id}`` (the live counts, ``read``; ``?format=csv`` for every person's
answer) and ``POST /v1/checkins/{checkin_id}/answer`` (a personal key with the ``checkin``
scope answers as its person). The link page answers through ``/a/{token}`` (responses.py)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import authenticate, bearer_key
from chalicelib.api.body import ANY_CONTENT, json_body
from chalicelib.api.errors import json_errors
from chalicelib.core.access import Scope
from chalicelib.core.errors import InvalidRequest, NotFound
from chalicelib.observability import logger, set_correlation_id
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from chalicelib.core.checkins.tally import Tally
    from chalicelib.core.checkins.values import Checkin


checkins = Blueprint(__name__)
_CHECKIN_ID = re.compile(r"chk_[0-9A-HJKMNP-TV-Z]{26}")
CSV_COLUMNS = (
    "contact_id",
    "name",
    "teams",
    "labels",
    "option",
    "answer",
    "answered_at",
    "by",
    "late",
)


@checkins.route("/v1/checkins", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def start_checkin() -> Response:
    from chalicelib.core.playbook.checkin_request import parse_checkin_request

    services = container()
    request = checkins.current_request
    document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.ACTIVATE)
    actor = key.require_person()
    started = services.checkins.start(parse_checkin_request(document), actor)
    set_correlation_id(started.incident_id)
    logger.info(
        "check-in started",
        extra={"checkin_id": started.checkin_id, "asked": started.asked, "contact_id": actor},
    )
    return Response(
        body=checkin_document(started),
        status_code=201,
        headers={"Location": f"/v1/checkins/{started.checkin_id}"},
    )


@checkins.route("/v1/checkins/{checkin_id}", methods=["GET"])
@json_errors
def show_checkin(checkin_id: str) -> Response:
    from chalicelib.core.checkins.tally import cut_off, tally

    services = container()
    request = checkins.current_request
    key = authenticate(bearer_key(request.headers), services, request)
    key.require(Scope.READ)
    query: Mapping[str, str] = request.query_params or {}
    unknown = sorted(set(query) - {"format"})
    if unknown:
        raise InvalidRequest(unknown[0], "unknown parameter; the check-in takes format")
    wanted = query.get("format", "json")
    if wanted not in ("json", "csv"):
        raise InvalidRequest("format", f"must be json or csv; got {wanted!r}")
    found = services.checkins.get(_known(checkin_id))
    store = services.checkin_store
    if wanted == "csv":
        # Names are personal data: only a key that may read contacts gets them.
        named = Scope.CONTACTS in key.scopes
        body = answers_csv(services, found, named)
        headers: dict[str, str | list[str]] = {
            "Content-Type": "text/csv; charset=utf-8",
            "Cache-Control": "no-store",
        }
        return Response(body=body, status_code=200, headers=headers)
    failed = cut_off(found, services.incidents.timeline(found.incident_id))
    audience, latest = store.audience(found.checkin_id), store.latest(found.checkin_id)
    standing = tally(found, audience, latest, failed)
    return Response(body=tally_document(standing), status_code=200)


@checkins.route("/v1/checkins/{checkin_id}/answer", methods=["POST"], content_types=ANY_CONTENT)
@json_errors
def answer_checkin(checkin_id: str) -> dict[str, Any]:
    from chalicelib.core.checkins.values import AnsweredBy

    services = container()
    request = checkins.current_request
    document, raw = json_body(request, services.settings.max_body_bytes)
    key = authenticate(bearer_key(request.headers), services, request, raw)
    key.require(Scope.CHECKIN)
    person = key.require_person()
    if not isinstance(document, dict) or set(document) != {"option"}:
        raise InvalidRequest("option", 'is required, and alone: {"option": 1}')
    option = document["option"]
    if isinstance(option, bool) or not isinstance(option, int):
        raise InvalidRequest("option", "must be the number of an option")
    answered = services.checkins.answer(_known(checkin_id), person, option, AnsweredBy.API)
    set_correlation_id(answered.checkin.incident_id)
    logger.info(
        "check-in answered",
        extra={"checkin_id": checkin_id, "contact_id": person, "via": "api", "option": option},
    )
    return {
        "checkin_id": checkin_id,
        "contact_id": person,
        "option": option,
        "answer": answered.option.text("en"),
        "late": answered.answer.late,
        "changed": answered.changed,
        "help_incident": answered.answer.help_incident,
    }


def _known(checkin_id: str) -> str:
    if not _CHECKIN_ID.fullmatch(checkin_id):
        raise NotFound(f"no check-in {checkin_id!r}")
    return checkin_id


def checkin_document(checkin: Checkin) -> dict[str, Any]:
    every = checkin.reminders.every
    return {
        "checkin_id": checkin.checkin_id,
        "incident_id": checkin.incident_id,
        "status": checkin.status.value,
        "exercise": checkin.exercise,
        "question": dict(checkin.question),
        "options": [
            {"number": o.number, "text": dict(o.texts), "needs_help": o.needs_help}
            for o in checkin.options
        ],
        "audience": checkin.audience.describe(),
        "asked": checkin.asked,
        "channels": [c.value for c in checkin.channels],
        "chain": checkin.chain,
        "deadline": checkin.deadline.isoformat(),
        "reminders": {
            "every_minutes": int(every.total_seconds() // 60) if every else None,
            "times": checkin.reminders.times,
            "then_lead": checkin.reminders.then_lead,
            "sent": checkin.reminded,
            "next_at": checkin.next_reminder_at.isoformat() if checkin.next_reminder_at else None,
        },
        "responders": checkin.responders,
        "created_at": checkin.created_at.isoformat(),
        "created_by": checkin.created_by,
    }


def tally_document(standing: Tally) -> dict[str, Any]:
    """The live view: counts per option, per team, per label and per role, who has not
    answered, who could not be asked, and who needs help with their incident."""
    from chalicelib.core.checkins.tally import NO_ANSWER

    checkin, answered = standing.checkin, standing.answered
    return checkin_document(checkin) | {
        "answered": standing.answered,
        "late": standing.late,
        "counts": [
            {"option": o.number, "text": o.text("en"), "people": standing.counts.get(o.number, 0)}
            for o in checkin.options
        ]
        + [{"option": NO_ANSWER, "text": "no answer", "people": standing.asked - answered}],
        "by_team": {name: dict(row) for name, row in sorted(standing.by_team.items())},
        "by_label": {name: dict(row) for name, row in sorted(standing.by_label.items())},
        "by_role": {name: dict(row) for name, row in sorted(standing.by_role.items())},
        "non_responders": list(standing.silent),
        "unreachable": list(standing.unreachable),
        "needing_help": [
            {"contact_id": contact_id, "incident_id": incident_id}
            for contact_id, incident_id in standing.needing_help
        ],
    }


def answers_csv(services: Container, checkin: Checkin, named: bool) -> str:
    """One row per person asked: their answer that counts (or none), when, how, whether late."""
    store = services.checkin_store
    audience = store.audience(checkin.checkin_id)
    latest = store.latest(checkin.checkin_id)
    people = services.directory.get_contacts([m.contact_id for m in audience]) if named else {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for member in audience:
        answer = latest.get(member.contact_id)
        option = checkin.option(answer.option) if answer else None
        person = people.get(member.contact_id)
        writer.writerow(
            [
                member.contact_id,
                person.name if person else "",
                ";".join(member.teams),
                ";".join(member.labels),
                answer.option if answer else "",
                option.text("en") if option else "",
                answer.at.isoformat() if answer else "",
                answer.by.value if answer else "",
                "yes" if answer and answer.late else "",
            ]
        )
    return out.getvalue()
