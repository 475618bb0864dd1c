"""Publishing the dark site safely: two statements published at the same moment both reach it
(the second switch is refused and starts again); CloudFront is told which paths changed; only a
published statement of an audience with a site outlet can be posted, whoever asks; the
publish_site wire format; the prepared page rendered again when the site settings change."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.channels.lambda_site import answer_posting
from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import PermanentSendError, TransientSendError
from chalicelib.core.model import Incident
from chalicelib.core.site.edition import ATTEMPTS, SiteEditor
from chalicelib.core.site.invocation import handle
from chalicelib.core.site.ports import SitePosting
from fakes import MemorySitePublisher, MemoryWorld, RecordingSiteCache
from tests.unit.conftest import DEMO, incident_of, post

BO, DINA = (Answerer.by_personal_key(f"{c}-laptop", c) for c in ("c-bo", "c-dina"))


@pytest.fixture
def breach(org: MemoryWorld) -> Incident:
    return incident_of(org, post(org, DEMO))


def approve(org: MemoryWorld, incident: Incident, statement_id: str) -> None:
    org.statement_desk.approve(incident.incident_id, statement_id, BO)
    org.statement_desk.approve(incident.incident_id, statement_id, DINA)


def shown(org: MemoryWorld) -> list[str]:
    status = json.loads(org.site.live["status.json"].body)
    return sorted(s["id"] for i in status["incidents"] for s in i["statements"])


def test_two_statements_published_at_the_same_moment_both_reach_the_site(
    org: MemoryWorld, breach: Incident
) -> None:
    approve(org, breach, "public-en-1")
    approve(org, breach, "public-da-1")
    # The Danish statement goes live between the English one's read and its switch.
    org.site.before_switch = lambda: org.statement_desk.publish(
        breach.incident_id, "public-da-1", DINA
    )
    english = org.statement_desk.publish(breach.incident_id, "public-en-1", BO)
    assert english.sent == ["site:public"]
    assert shown(org) == ["public-da-1", "public-en-1"]
    assert "We are responding" in org.site.live["index.html"].body.decode()
    assert "Vi håndterer" in org.site.live["da/index.html"].body.decode()
    assert len(org.site.releases) == 2  # the Danish one, then the English one read again


def test_the_prepared_page_never_overwrites_a_statement_that_went_live_meanwhile(
    org: MemoryWorld, breach: Incident
) -> None:
    approve(org, breach, "public-en-1")
    editor = SiteEditor(org.site)
    settings = org.playbooks.load().site
    assert settings is not None
    org.site.before_switch = lambda: org.statement_desk.publish(
        breach.incident_id, "public-en-1", BO
    )
    posting = editor.prepare(settings, org.clock.now())
    # It lost the switch; the pages it wrote went out, so it wrote the live site again.
    assert posting is not None and shown(org) == ["public-en-1"]
    assert "We are responding" in org.site.live["index.html"].body.decode()
    assert editor.prepare(settings, org.clock.now()) is None  # live: kept as it is


class AlwaysLosing(MemorySitePublisher):
    def publish(self, release: Any, replacing: str | None) -> None:
        super().publish(release, "someone else's")


def test_a_site_that_keeps_changing_fails_on_the_timeline_and_is_retried(
    org: MemoryWorld, breach: Incident
) -> None:
    editor = SiteEditor(AlwaysLosing())
    settings = org.playbooks.load().site
    assert settings is not None
    with pytest.raises(TransientSendError, match=f"changed {ATTEMPTS} times"):
        editor.refresh(settings, org.clock.now())


def test_cloudfront_forgets_every_live_path_a_release_replaced(
    org: MemoryWorld, breach: Incident
) -> None:
    approve(org, breach, "public-en-1")
    org.statement_desk.publish(breach.incident_id, "public-en-1", BO)
    [(paths, reference)] = org.site_cache.invalidations
    assert paths == [
        "/",
        "/cap.xml",
        "/da/",
        "/da/index.html",
        "/feed.atom",
        "/index.html",
        "/status.json",
    ]
    assert reference == org.site.releases[-1].release_id  # a retried call is the same one
    entry = [e for e in org.incidents.timeline(breach.incident_id) if e.kind == "statement_posted"]
    assert entry[-1].data["cache_cleared"] is True and "readers see it now" in entry[-1].summary


def test_a_failed_invalidation_keeps_the_statement_live_and_says_when_readers_see_it(
    org: MemoryWorld, breach: Incident
) -> None:
    approve(org, breach, "public-en-1")
    org.site_cache.fail_next = True
    published = org.statement_desk.publish(breach.incident_id, "public-en-1", BO)
    assert published.sent == ["site:public"] and shown(org) == ["public-en-1"]
    entry = [e for e in org.incidents.timeline(breach.incident_id) if e.kind == "statement_posted"]
    assert entry[-1].data["cache_cleared"] is False
    assert "cached pages expire within 30 s" in entry[-1].summary


def test_only_a_published_statement_to_an_audience_with_the_site_is_posted(
    org: MemoryWorld, breach: Incident
) -> None:
    outlet = org.site_outlet
    with pytest.raises(PermanentSendError, match="is draft: only published"):
        outlet.post(breach.incident_id, "public-en-1")  # drafted, approved by nobody
    approve(org, breach, "staff-en-1")
    org.statement_desk.publish(breach.incident_id, "staff-en-1", BO)
    with pytest.raises(PermanentSendError, match="'staff' has no site outlet"):
        outlet.post(breach.incident_id, "staff-en-1")
    with pytest.raises(PermanentSendError, match="no statement nope"):
        outlet.post(breach.incident_id, "nope")
    assert org.site.live == {}


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ("post", "request: must be an object"),
        ({"action": "delete"}, "action: must be 'post' or 'refresh'"),
        ({"action": "post", "incident_id": "i"}, "statement_id: must be a string"),
        ({"action": "post", "incident_id": "i" * 201, "statement_id": "s"}, "incident_id"),
        ({"action": "refresh", "version": "3"}, "version: must be a playbook version"),
        ({"action": "refresh", "version": True}, "version: must be a playbook version"),
    ],
)
def test_publish_site_answers_a_bad_request_with_a_clear_permanent_error(
    org: MemoryWorld, request_: Any, message: str
) -> None:
    answer = handle(org.site_outlet, request_)
    assert answer["error"]["code"] == "invalid_request" and not answer["error"]["transient"]
    assert message in answer["error"]["message"]
    with pytest.raises(PermanentSendError, match="invalid_request"):
        answer_posting(answer)
    assert org.site.live == {}


def test_publish_site_answers_what_it_made_live_and_the_caller_reads_it_back(
    org: MemoryWorld, breach: Incident
) -> None:
    approve(org, breach, "public-en-1")
    org.statement_desk.publish(breach.incident_id, "public-en-1", BO)
    answer = handle(
        org.site_outlet,
        {"action": "post", "incident_id": breach.incident_id, "statement_id": "public-en-1"},
    )
    posting = answer_posting(json.loads(json.dumps(answer)))
    assert isinstance(posting, SitePosting)
    assert posting.release_id == org.site.releases[-1].release_id and posting.size > 1000
    busy = {"error": {"code": "site_busy", "message": "again", "transient": True}}
    with pytest.raises(TransientSendError, match="site_busy"):
        answer_posting(busy)


def test_new_site_settings_render_the_prepared_page_again(org: MemoryWorld) -> None:
    version = org.playbooks.version
    first = org.site_outlet.refresh(version)
    assert first is not None and "There are no current incidents" in (
        org.site.live["index.html"].body.decode()
    )
    playbook = org.playbooks.load()
    assert playbook.site is not None
    renamed = replace(playbook.site, organisation="Example Renamed Ltd")
    newer = org.playbooks.use(replace(playbook, site=renamed)).version
    assert org.site_outlet.refresh(newer) is not None
    assert "Example Renamed Ltd" in org.site.live["index.html"].body.decode()
    assert json.loads(org.site.live["status.json"].body)["status"] == "dark"


def test_without_site_settings_nothing_is_refreshed(org: MemoryWorld) -> None:
    playbook = org.playbooks.load()
    bare = org.playbooks.use(replace(playbook, site=None, audiences={})).version
    assert org.site_outlet.refresh(bare) is None and org.site.live == {}


def test_the_recording_cache_fails_once_when_told() -> None:
    cache = RecordingSiteCache()
    cache.fail_next = True
    with pytest.raises(TransientSendError):
        cache.invalidate(["/"], "r1")
    cache.invalidate(["/"], "r2")
    assert cache.invalidations == [(["/"], "r2")]


def test_a_deployed_stage_posts_its_site_through_publish_site_never_its_own_session() -> None:
    from tocsin_cli.stage import Target

    settings = Target.chosen("prod", None, None, None, environ={}).settings()
    assert settings.site_function == "tocsin-prod-publish_site"  # as infra/ names it
    assert Target.chosen("local", None, None, None, environ={}).settings().site_function is None


def test_importing_the_app_imports_neither_lxml_nor_feedgen() -> None:
    """Every function shares one package; only publishing the site loads the XML libraries."""
    import subprocess
    import sys

    from tests.conftest import PROJECT

    code = "import sys, app; print(sorted(m for m in ('lxml', 'feedgen') if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env={"TOCSIN_STAGE": "local", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
