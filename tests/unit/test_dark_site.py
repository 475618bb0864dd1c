"""The dark site (core/site) on the fakes: dark until the first approved public statement,
then every statement newest first, each language on its own page, the closing statement ending
it; its feeds read as their readers read them (feedparser, the CAP 1.2 schema, the documented
JSON shape); and what it must never do: show unapproved or unescaped text, or half a site."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import feedparser  # type: ignore[import-untyped]
import jsonschema
import pytest
from capvalidator import Validator  # type: ignore[import-untyped]

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import InvalidPolicies
from chalicelib.core.model import Incident, TimelineEntry
from chalicelib.core.playbook.document import parse_playbook
from chalicelib.core.site.contents import PostedStatement, SiteIncident, SiteState, with_statement
from chalicelib.core.site.edition import build_release
from fakes import MemoryWorld
from tests.conftest import PROJECT
from tests.unit.conftest import DEMO, NIGHT, incident_of, post

STATUS_SCHEMA = json.loads((PROJECT / "docs" / "site-status.schema.json").read_text())
BO, DINA = (Answerer.by_personal_key(f"{c}-laptop", c) for c in ("c-bo", "c-dina"))


@pytest.fixture
def breach(org: MemoryWorld) -> Incident:
    return incident_of(org, post(org, DEMO))


def publish(org: MemoryWorld, incident: Incident, statement_id: str) -> None:
    desk = org.statement_desk
    desk.approve(incident.incident_id, statement_id, BO)
    desk.approve(incident.incident_id, statement_id, DINA)
    desk.publish(incident.incident_id, statement_id, BO)


def last(org: MemoryWorld, incident: Incident, kind: str) -> TimelineEntry:
    return [e for e in org.incidents.timeline(incident.incident_id) if e.kind == kind][-1]


def live(org: MemoryWorld, path: str) -> str:
    return org.site.live[path].body.decode()


def validate_cap(cap: bytes) -> None:
    valid, message = Validator(cap).schema()
    assert valid, message


def test_the_site_is_dark_until_a_statement_to_the_public_is_approved_and_published(
    org: MemoryWorld, breach: Incident
) -> None:
    assert org.site.live == {}  # drafted at activation: nothing published, nothing shown
    org.statement_desk.approve(breach.incident_id, "public-en-1", BO)
    assert org.site.live == {}  # one approval of two
    publish_second = org.statement_desk.approve(breach.incident_id, "public-en-1", DINA)
    assert publish_second.state.value == "approved" and org.site.live == {}
    published = org.statement_desk.publish(breach.incident_id, "public-en-1", BO)
    assert published.sent == ["site:public"]
    page = live(org, "index.html")
    assert '<html lang="en">' in page and "We are responding to an incident" in page
    assert "There are no current incidents" not in page
    assert json.loads(live(org, "status.json"))["status"] == "incident"
    entry = last(org, breach, "statement_posted")
    assert entry.data["outlet"] == "site:public" and entry.data["release"]


def test_each_language_has_its_page_and_shows_only_its_own_statements(
    org: MemoryWorld, breach: Incident
) -> None:
    publish(org, breach, "public-en-1")
    publish(org, breach, "public-da-1")
    english, danish = live(org, "index.html"), live(org, "da/index.html")
    assert '<html lang="da">' in danish and "Vi håndterer en hændelse" in danish
    assert "Vi håndterer" not in english and "We are responding" not in danish
    assert 'href="../feed.atom"' in danish and 'href="feed.atom"' in english
    assert "(UTC+01:00)" in english  # 03:00 in Copenhagen, its offset stated


def test_history_is_newest_first_and_the_closing_statement_ends_the_incident(
    org: MemoryWorld, breach: Incident
) -> None:
    publish(org, breach, "public-en-1")
    org.clock.advance(minutes=30)
    desk = org.statement_desk
    update = desk.draft(breach.incident_id, BO, _request(audience="public", kind="update"))
    publish(org, breach, update.statement_id)
    page = live(org, "index.html")
    assert page.index("Update on the incident") < page.index("We are responding to an incident")
    org.clock.advance(minutes=30)
    closing = desk.draft(breach.incident_id, BO, _request(audience="public", kind="closing"))
    publish(org, breach, closing.statement_id)
    status = json.loads(live(org, "status.json"))
    assert status["status"] == "dark" and status["incidents"] == []
    assert [s["kind"] for s in status["past"][0]["statements"]] == ["closing", "update", "initial"]
    assert "There are no current incidents" in live(org, "index.html")
    validate_cap(org.site.live["cap.xml"].body)
    assert b"<urgency>Past</urgency>" in org.site.live["cap.xml"].body


def test_a_retried_publish_never_shows_a_statement_twice_and_a_failed_write_is_retried(
    org: MemoryWorld, breach: Incident
) -> None:
    org.site.fail_next = True
    desk = org.statement_desk
    desk.approve(breach.incident_id, "public-en-1", BO)
    desk.approve(breach.incident_id, "public-en-1", DINA)
    with pytest.raises(Exception, match="throttled"):
        desk.publish(breach.incident_id, "public-en-1", BO)
    assert org.site.live == {}  # nothing half-written: the old (no) site stays
    assert last(org, breach, "statement_failed").data["outlet"] == "site:public"
    again = desk.publish(breach.incident_id, "public-en-1", BO)
    assert again.sent == ["site:public"]
    statements = json.loads(live(org, "status.json"))["incidents"][0]["statements"]
    assert [s["id"] for s in statements] == ["public-en-1"]


def test_the_feeds_read_as_their_readers_read_them(org: MemoryWorld, breach: Incident) -> None:
    publish(org, breach, "public-en-1")
    publish(org, breach, "public-da-1")
    atom = feedparser.parse(org.site.live["feed.atom"].body)
    assert not atom.bozo and len(atom.entries) == 2
    assert atom.entries[0].link.startswith("https://status.example.com/")
    status = json.loads(live(org, "status.json"))
    jsonschema.validate(status, STATUS_SCHEMA)
    assert status["incidents"][0]["severity"] == breach.severity.value
    cap = org.site.live["cap.xml"].body
    validate_cap(cap)
    assert b"<status>Actual</status>" in cap and cap.count(b"<info>") == 2


def test_the_dark_site_itself_is_valid_in_every_feed() -> None:
    settings = _settings()
    release = build_release(settings, SiteState(), NIGHT)
    validate_cap(release.files["cap.xml"].body)
    assert not feedparser.parse(release.files["feed.atom"].body).bozo
    jsonschema.validate(json.loads(release.files["status.json"].body), STATUS_SCHEMA)
    assert set(release.files) == {
        "index.html",
        "da/index.html",
        "feed.atom",
        "status.json",
        "cap.xml",
    }


def test_an_exercise_is_marked_on_every_page_and_feed() -> None:
    state = with_statement(SiteState(), _incident(exercise=True), _statement())
    files = build_release(_settings(), state, NIGHT).files
    for page in ("index.html", "da/index.html"):
        assert b'class="exercise"' in files[page].body
    assert b"EXERCISE" in files["feed.atom"].body
    assert json.loads(files["status.json"].body)["incidents"][0]["exercise"] is True
    assert b"<status>Exercise</status>" in files["cap.xml"].body
    validate_cap(files["cap.xml"].body)


def test_text_is_always_escaped_never_markup() -> None:
    hostile = _statement(subject="<script>alert(1)</script>", body='<img src=x onerror="x()">')
    files = build_release(_settings(), with_statement(SiteState(), _incident(), hostile), NIGHT)
    page = files.files["index.html"].body.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page and "<img" not in page


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: s["languages"]["da"].pop("past"),
            "settings[0].languages.da.past: missing translation",
        ),
        (
            lambda s: s.update(base_url="javascript:alert(1)"),
            "settings[0].base_url: must be an https",
        ),
        (lambda s: s["languages"]["en"].update(title="<b>Status</b>"), "contains markup"),
    ],
)
def test_bad_site_settings_are_refused_at_validate(change: Any, message: str) -> None:
    documents = _documents()
    change(documents["settings"][0])
    with pytest.raises(InvalidPolicies, match=re.escape(message)):
        parse_playbook(documents)


def test_a_public_template_too_long_for_the_page_or_without_site_texts_is_refused() -> None:
    documents = _documents()
    public = documents["audiences"][0]["statements"]["en"]["update"]
    public["body"] = "x" * 4100
    del documents["settings"][0]["languages"]["da"]
    with pytest.raises(InvalidPolicies) as refused:
        parse_playbook(documents)
    text = str([str(e) for e in refused.value.errors])
    assert "renders longer than the site's 4000" in text
    assert "missing translation: the site has no 'da' texts" in text


def test_a_statement_too_long_for_the_page_fails_on_the_timeline_and_shows_nothing(
    org: MemoryWorld, breach: Incident
) -> None:
    desk = org.statement_desk
    long = desk.draft(
        breach.incident_id, BO, _request(audience="public", kind="update", body="y" * 4500)
    )
    desk.approve(breach.incident_id, long.statement_id, BO)
    desk.approve(breach.incident_id, long.statement_id, DINA)
    published = desk.publish(breach.incident_id, long.statement_id, BO)
    assert published.failed == ["site:public"] and org.site.live == {}
    assert last(org, breach, "statement_failed").data["error"] == "unfit_for_site"


def _request(**fields: Any) -> Any:
    from chalicelib.core.statements.drafting import parse_draft

    return parse_draft(fields)


def _documents() -> dict[str, Any]:
    import yaml

    site = yaml.safe_load((PROJECT / "policies" / "site.yaml").read_text())
    audiences = yaml.safe_load((PROJECT / "policies" / "audiences.yaml").read_text())
    public = next(a for a in audiences["audiences"] if a["id"] == "public")
    return {"settings": site["settings"], "audiences": [public]}


def _settings() -> Any:
    site = parse_playbook(_documents()).site
    assert site is not None
    return site


def _incident(exercise: bool = False) -> SiteIncident:
    return SiteIncident("inc_01EXAMPLE", "high", exercise, NIGHT)


def _statement(**fields: Any) -> PostedStatement:
    statement = PostedStatement("public-en-1", "en", "initial", "Subject", "Body\n", NIGHT)
    return replace(statement, **fields)


def test_release_ids_sort_by_time() -> None:
    first = build_release(_settings(), SiteState(), NIGHT)
    second = build_release(_settings(), SiteState(), NIGHT + timedelta(seconds=1))
    assert first.release_id < second.release_id
