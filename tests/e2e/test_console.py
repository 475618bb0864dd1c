"""The operator console through ``chalice.test.Client``: signing in with a personal key, every
page, every action (each lands on the timeline as the person, through the console), and every
refusal (no session, a forged or expired one, a revoked key, a missing or wrong CSRF token, a
viewer without the scope), each a clear error page or 4xx with the incident unchanged."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.core.access import Scope
from chalicelib.core.console.sessions import SignedInWith, issue, new_session, session_key
from chalicelib.settings import LOCAL_CONSOLE_KEY, LOCAL_LINK_SECRET, Settings
from chalicelib.storage.api_keys import DynamoApiKeyStore
from local.bootstrap import seed_console_key
from local.runner import QueueRunner
from tests.conftest import PROJECT
from tests.e2e.conftest import Api

DEMO = json.loads((PROJECT / "examples" / "events" / "demo.json").read_text())
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
STRICT = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Browser:
    """A person's browser, as far as the console needs: a cookie jar of one cookie."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.cookie = ""

    def sign_in(self, key: str = LOCAL_CONSOLE_KEY, **headers: str) -> Any:
        answer = self.client.http.post(
            "/console/signin", headers={**FORM, **headers}, body=f"key={key}&next=/console"
        )
        found = re.match(r"tocsin_console=([^;]*)", answer.headers.get("Set-Cookie", ""))
        if found and answer.status_code == 303:
            self.cookie = found.group(1)
        return answer

    def get(self, path: str) -> Any:
        return self.client.http.get(path, headers=self._headers())

    def post(self, path: str, fields: dict[str, str], **headers: str) -> Any:
        body = "&".join(f"{name}={value}" for name, value in fields.items())
        return self.client.http.post(
            path, headers={**FORM, **self._headers(), **headers}, body=body
        )

    def csrf(self, path: str = "/console") -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.get(path).body.decode())
        assert found, "the page has no CSRF token"
        return found.group(1)

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"tocsin_console={self.cookie}"} if self.cookie else {}


@pytest.fixture(autouse=True)
def console_key(world: boto3.Session, settings: Settings) -> None:
    """The local stack's console key (Ada Example's), as ``make run`` seeds it."""
    seed_console_key(settings, world)


@pytest.fixture
def ada(client: Client) -> Browser:
    browser = Browser(client)
    assert browser.sign_in().status_code == 303
    return browser


@pytest.fixture
def breach(api: Api, runner: QueueRunner) -> str:
    event_id = api.post_event(DEMO).json_body["event_id"]
    runner.drain()
    return str(api.get(f"/v1/events/{event_id}").json_body["incident_id"])


def incident(api: Api, incident_id: str) -> Any:
    return api.get(f"/v1/incidents/{incident_id}").json_body


def html(answer: Any) -> str:
    return str(answer.body.decode())


def test_signing_in_with_a_personal_key_sets_a_strict_short_lived_cookie(client: Client) -> None:
    answer = Browser(client).sign_in()
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/console"
    cookie = answer.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/", f"Max-Age={8 * 3600}"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http on the local stack
    over_tls = Browser(client).sign_in(**{"X-Forwarded-Proto": "https"})
    assert "; Secure" in over_tls.headers["Set-Cookie"]


def test_without_a_session_a_page_sends_to_the_sign_in_form_and_a_form_is_refused(
    client: Client, breach: str
) -> None:
    answer = client.http.get(f"/console/incidents/{breach}")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/console/signin?next=%2Fconsole%2Fincidents%2F{breach}"
    form = client.http.get("/console/signin")
    assert form.status_code == 200 and 'name="key"' in html(form)
    refused = client.http.post(f"/console/incidents/{breach}/resolve", headers=FORM, body="")
    assert refused.status_code == 401
    assert "not signed in" in html(refused)


@pytest.mark.parametrize(
    ("key", "status", "says"),
    [
        ("tcs_not-a-key", 401, "the API key is not valid"),
        ("", 401, "Bearer"),
        ("local-dev-key", 403, "not a personal key"),
    ],
)
def test_a_wrong_or_shared_key_does_not_sign_in(
    client: Client, key: str, status: int, says: str
) -> None:
    answer = Browser(client).sign_in(key)
    assert answer.status_code == status
    assert says in html(answer)
    assert "tocsin_console=" not in answer.headers.get("Set-Cookie", "")


def test_after_sign_in_only_a_console_page_is_a_destination(client: Client) -> None:
    answer = client.http.post(
        "/console/signin", headers=FORM, body=f"key={LOCAL_CONSOLE_KEY}&next=https://evil.example"
    )
    assert answer.headers["Location"] == "/console"


def test_every_page_sends_the_acknowledgement_pages_strict_headers(
    ada: Browser, breach: str
) -> None:
    for path in (
        "/console",
        f"/console/incidents/{breach}",
        "/console/oncall",
        "/console/checkins",
        "/console/statements",
        "/console/signin",
    ):
        answer = ada.get(path)
        assert answer.status_code == 200, path
        for name, value in STRICT.items():
            assert answer.headers[name] == value, (path, name)
        csp = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "script-src" not in csp and "<script" not in html(answer)


def test_the_incident_page_shows_who_was_paged_and_the_actions_the_viewer_may_take(
    ada: Browser, breach: str
) -> None:
    page = html(ada.get(f"/console/incidents/{breach}"))
    assert "Customer database exposed" in page
    assert "Level 1" in page and "c-ada" in page
    assert "sms: sent" in page or "sms: delivered" in page
    assert "silent" in page
    for action in ("acknowledge", "escalate", "resolve", "updates"):
        assert f"/console/incidents/{breach}/{action}" in page
    assert "Approve staff-en-1" in page
    assert page.count('name="csrf"') >= 6


def test_acknowledging_in_the_console_counts_as_the_person_and_lands_on_the_timeline(
    ada: Browser, api: Api, breach: str
) -> None:
    answer = ada.post(f"/console/incidents/{breach}/acknowledge", {"csrf": ada.csrf()})
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(f"/console/incidents/{breach}?done=")
    after = incident(api, breach)
    assert "c-ada" in after["acknowledgements"]["counted"]
    entry = [e for e in after["timeline"] if e["kind"] == "acknowledged"][-1]
    assert entry["data"]["via"] == "console"
    assert entry["data"]["credential"] == "console session"
    assert entry["data"]["by"] == "local-console-ada"
    assert "You acknowledged: it counts" in html(ada.get(answer.headers["Location"]))


def test_escalating_now_pages_the_next_level_and_says_who_asked(
    ada: Browser, api: Api, breach: str
) -> None:
    before = incident(api, breach)
    answer = ada.post(f"/console/incidents/{breach}/escalate", {"csrf": ada.csrf()})
    assert answer.status_code == 303
    after = incident(api, breach)
    assert len(after["levels"]) == len(before["levels"]) + 1
    asked = [e for e in after["timeline"] if e["kind"] == "escalated_by_hand"]
    assert asked and asked[0]["summary"] == "escalated now by c-ada via console"


def test_resolving_closes_the_incident_as_the_person(ada: Browser, api: Api, breach: str) -> None:
    answer = ada.post(f"/console/incidents/{breach}/resolve", {"csrf": ada.csrf()})
    assert answer.status_code == 303
    after = incident(api, breach)
    assert after["status"] == "resolved"
    resolved = [e for e in after["timeline"] if e["kind"] == "resolved"]
    assert resolved[0]["summary"] == "resolved by c-ada via console"
    again = ada.post(f"/console/incidents/{breach}/resolve", {"csrf": ada.csrf()})
    assert again.status_code == 409 and "not open" in html(again)
    late = ada.post(f"/console/incidents/{breach}/escalate", {"csrf": ada.csrf()})
    assert late.status_code == 409 and "not open" in html(late)


def test_an_update_and_a_statement_approved_and_published_from_the_console(
    ada: Browser, client: Client, api: Api, breach: str, key_maker: Callable[..., str]
) -> None:
    sent = ada.post(
        f"/console/incidents/{breach}/updates", {"csrf": ada.csrf(), "text": "Contained"}
    )
    assert sent.status_code == 303
    timeline = incident(api, breach)["timeline"]
    assert any(e["summary"].startswith("update 1 by c-ada via console") for e in timeline)

    page = html(ada.get(f"/console/incidents/{breach}"))
    digest = re.search(r'staff-en-1/approve">.*?name="digest" value="([0-9a-f]{16})"', page)
    assert digest
    base = f"/console/incidents/{breach}/statements/staff-en-1"
    first = ada.post(f"{base}/approve", {"csrf": ada.csrf(), "digest": digest.group(1)})
    assert first.status_code == 303
    bo = Browser(client)
    assert bo.sign_in(key_maker("bo-key", {Scope.READ, Scope.STATEMENTS}, contact_id="c-bo"))
    second = bo.post(f"{base}/approve", {"csrf": bo.csrf(), "digest": digest.group(1)})
    assert second.status_code == 303 and second.headers["Location"].endswith("done=approved")
    published = bo.post(f"{base}/publish", {"csrf": bo.csrf()})
    assert published.status_code == 303
    statements = api.get(f"/v1/incidents/{breach}/statements").json_body["statements"]
    staff = next(s for s in statements if s["statement_id"] == "staff-en-1")
    assert staff["state"] == "published"
    assert [a["credential"] for a in staff["approvals"]] == ["console session"] * 2


def test_a_missing_or_wrong_csrf_token_is_refused_and_changes_nothing(
    ada: Browser, client: Client, api: Api, breach: str
) -> None:
    before = incident(api, breach)
    missing = ada.post(f"/console/incidents/{breach}/resolve", {})
    assert missing.status_code == 403 and "no CSRF token" in html(missing)
    other = Browser(client)
    other.sign_in()
    wrong = ada.post(f"/console/incidents/{breach}/resolve", {"csrf": other.csrf()})
    assert wrong.status_code == 403 and "CSRF token is wrong" in html(wrong)
    cross = ada.post(
        f"/console/incidents/{breach}/resolve",
        {"csrf": ada.csrf()},
        **{"Sec-Fetch-Site": "cross-site"},
    )
    assert cross.status_code == 401
    assert incident(api, breach)["status"] == "open"
    assert len(incident(api, breach)["timeline"]) == len(before["timeline"])


def test_a_forged_or_expired_session_is_refused_and_changes_nothing(
    client: Client, api: Api, breach: str, settings: Settings
) -> None:
    key = session_key(LOCAL_LINK_SECRET.encode())
    long_ago = datetime.now(UTC) - timedelta(hours=9)
    expired = issue(
        key,
        new_session("c-ada", frozenset(Scope), SignedInWith.KEY, "local-console-ada", long_ago),
    )
    forged = issue(
        b"not the stack's secret" * 2,
        new_session(
            "c-ada", frozenset(Scope), SignedInWith.KEY, "local-console-ada", datetime.now(UTC)
        ),
    )
    before = incident(api, breach)
    for cookie, says in [(expired, "expired"), (forged, "not genuine"), ("x.y.z", "not genuine")]:
        browser = Browser(client)
        browser.cookie = cookie
        answer = browser.post(f"/console/incidents/{breach}/resolve", {"csrf": "anything"})
        assert answer.status_code == 401, says
        assert says in html(answer)
        assert "Max-Age=0" in answer.headers["Set-Cookie"]
        assert browser.get("/console").status_code == 303
    assert incident(api, breach)["timeline"] == before["timeline"]


def test_a_viewer_without_the_scope_sees_no_action_and_is_refused_one(
    client: Client, api: Api, breach: str, key_maker: Callable[..., str]
) -> None:
    reader = Browser(client)
    reader.sign_in(key_maker("reader", {Scope.READ}, contact_id="c-chen"))
    page = html(reader.get(f"/console/incidents/{breach}"))
    assert "/resolve" not in page and "Approve" not in page
    before = incident(api, breach)
    for action in ("acknowledge", "resolve", "escalate"):
        answer = reader.post(f"/console/incidents/{breach}/{action}", {"csrf": reader.csrf()})
        assert answer.status_code == 403 and "resolve scope" in html(answer)
    answer = reader.post(
        f"/console/incidents/{breach}/statements/staff-en-1/approve",
        {"csrf": reader.csrf(), "digest": "0" * 16},
    )
    assert answer.status_code == 403 and "statements scope" in html(answer)
    assert incident(api, breach)["timeline"] == before["timeline"]
    no_read = Browser(client)
    answer = no_read.sign_in(key_maker("no-read", {Scope.RESOLVE}, contact_id="c-chen"))
    assert answer.status_code == 403


def test_a_revoked_key_ends_its_sessions_at_the_next_request(
    ada: Browser, api: Api, breach: str, world: boto3.Session, settings: Settings
) -> None:
    csrf = ada.csrf()
    DynamoApiKeyStore(world.client("dynamodb"), settings.config_table).revoke(
        "local-console-ada", datetime.now(UTC)
    )
    answer = ada.post(f"/console/incidents/{breach}/resolve", {"csrf": csrf})
    assert answer.status_code == 401 and "revoked" in html(answer)
    assert incident(api, breach)["status"] == "open"


def test_a_script_in_an_event_summary_is_shown_as_text(
    ada: Browser, api: Api, runner: QueueRunner
) -> None:
    hostile = {**DEMO, "summary": "<script>alert(1)</script> & <b>bold</b>", "dedup_key": "x-1"}
    event_id = api.post_event(hostile).json_body["event_id"]
    runner.drain()
    incident_id = api.get(f"/v1/events/{event_id}").json_body["incident_id"]
    for path in ("/console", f"/console/incidents/{incident_id}"):
        page = html(ada.get(path))
        assert "<script>" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


def test_the_list_shows_open_incidents_first_marks_exercises_filters_and_pages(
    ada: Browser, api: Api, runner: QueueRunner, breach: str
) -> None:
    drill = {**DEMO, "status": "exercise", "dedup_key": "drill-1", "summary": "Drill: breach"}
    api.post_event(drill)
    runner.drain()
    page = html(ada.get("/console"))
    assert page.index("Open now") < page.index("Customer database exposed")
    assert "EXERCISE</span> <a" in page
    filtered = html(ada.get("/console?exercise=exclude&severity=critical"))
    assert "Drill: breach" not in filtered and "Customer database exposed" in filtered
    first = html(ada.get("/console?limit=1&exercise=include&status=open"))
    older = re.search(r'rel="next" href="/console\?([^"]+)"', first)
    assert older
    second = html(ada.get("/console?" + older.group(1).replace("&amp;", "&")))
    assert ("Drill: breach" in first) != ("Drill: breach" in second)
    bad = ada.get("/console?severity=dreadful")
    assert bad.status_code == 400 and "severity" in html(bad)


def test_on_call_check_ins_and_statements_pages(ada: Browser, breach: str) -> None:
    oncall = html(ada.get("/console/oncall"))
    schedules = re.findall(r'<section aria-label="schedule ([a-z0-9-]+)">', oncall)
    assert schedules and oncall.count("On call now: <strong>") == len(schedules)
    assert "No check-in is open." in html(ada.get("/console/checkins"))
    statements = html(ada.get("/console/statements"))
    assert "staff-en-1: draft, 0 of 2 approvals" in statements


def test_signing_out_clears_the_cookie(ada: Browser) -> None:
    answer = ada.post("/console/signout", {"csrf": ada.csrf()})
    assert answer.status_code == 303
    assert "tocsin_console=;" in answer.headers["Set-Cookie"]
    assert "Max-Age=0" in answer.headers["Set-Cookie"]


def test_the_address_cannot_put_words_on_the_page(ada: Browser, breach: str) -> None:
    page = html(ada.get(f"/console/incidents/{breach}?done=Ignore+this+incident"))
    assert "Ignore this incident" not in page and 'role="status"' not in page


def test_an_unknown_incident_is_a_404_page(ada: Browser) -> None:
    answer = ada.get("/console/incidents/inc_nope")
    assert answer.status_code == 404 and "no incident inc_nope" in html(answer)


def test_make_run_says_where_the_console_is_and_how_to_sign_in() -> None:
    from local.stack import NEXT_STEPS

    said = NEXT_STEPS.format(
        api="http://127.0.0.1:8000",
        aws="http://127.0.0.1:5000",
        key="local-dev-key",
        console_key=LOCAL_CONSOLE_KEY,
        rules=1,
        plans=1,
        contacts=7,
    )
    assert "Console        http://127.0.0.1:8000/console" in said
    assert f"personal key: {LOCAL_CONSOLE_KEY})" in said


def test_the_local_console_key_is_refused_on_every_other_stage(client: Client) -> None:
    from tests.e2e.conftest import use_container

    use_container(stage="staging")
    answer = Browser(client).sign_in()
    assert answer.status_code == 401
    assert "not valid on this stage" in html(answer)


SIMULATION = {"plan": "crisis-cell", "kind": "simulation", "roster": ["c-ada", "c-bo"],
              "targets": [{"acknowledged": "90%", "within": "15m"}]}  # fmt: skip


def test_the_drill_register_links_each_drill_to_its_incident_and_report(
    ada: Browser, client: Client, runner: QueueRunner, key_maker: Callable[..., str]
) -> None:
    assert "No drill yet" in html(ada.get("/console/drills"))
    key = key_maker("ada-activate", {Scope.ACTIVATE}, contact_id="c-ada")
    started = client.http.post(
        "/v1/drills",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        body=json.dumps(SIMULATION).encode(),
    )
    assert started.status_code == 201, started.body
    runner.drain()
    drill = started.json_body
    page = html(ada.get("/console/drills"))
    assert drill["drill_id"] in page and "simulation" in page and "crisis-cell" in page
    incident_id = drill["incident_id"]
    assert f"/console/incidents/{incident_id}/report" in page
    assert f"/console/incidents/{incident_id}/report" in html(ada.get("/console"))
    report = ada.get(f"/console/incidents/{incident_id}/report")
    assert report.status_code == 200
    assert report.headers["Content-Type"].startswith("text/html")
    assert "script-src" not in report.headers["Content-Security-Policy"]
    assert "<svg" in html(report) and "<script" not in html(report)
    older = html(ada.get("/console/drills?limit=1"))
    assert drill["drill_id"] in older
    assert ada.get("/console/drills?limit=0").status_code == 400


def test_drills_and_reports_need_a_session(client: Client, breach: str) -> None:
    assert client.http.get("/console/drills").status_code == 303
    assert client.http.get(f"/console/incidents/{breach}/report").status_code == 303
    unknown = Browser(client)
    unknown.sign_in()
    assert (
        unknown.get("/console/incidents/inc_01M8TAZ2WAKSM3ZPH37SGMAW2T/report").status_code == 404
    )
