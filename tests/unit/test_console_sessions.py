"""Console sessions and CSRF tokens: signed with a key derived from the link secret, refused
when forged, tampered with, malformed or expired; a CSRF token belongs to one session."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.core.access import Scope
from chalicelib.core.console.sessions import (
    CsrfRefused,
    SessionRefused,
    SignedInWith,
    check_csrf,
    csrf_token,
    issue,
    new_session,
    read,
    session_key,
)
from chalicelib.core.credentials import Credential
from chalicelib.core.errors import Forbidden

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
KEY = session_key(b"the stack's link secret")


def ada(at: datetime = NOW) -> object:
    return new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "ada-key", at)


def test_a_session_reads_back_as_issued_until_it_expires_after_eight_hours() -> None:
    session = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "ada-key", NOW)
    cookie = issue(KEY, session)
    assert read(KEY, cookie, NOW + timedelta(hours=7, minutes=59)) == session
    with pytest.raises(SessionRefused, match="expired"):
        read(KEY, cookie, NOW + timedelta(hours=8))


def test_the_session_key_is_not_the_link_secret_itself() -> None:
    assert KEY != b"the stack's link secret" and len(KEY) == 32


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # the signature
        lambda c: "x" + c,  # the payload
        lambda c: c.split(".")[0],  # no signature
        lambda c: "",
        lambda c: "a" * 3000,
    ],
)
def test_a_tampered_or_malformed_cookie_is_refused(tamper: object) -> None:
    session = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "k", NOW)
    cookie = issue(KEY, session)
    with pytest.raises(SessionRefused):
        read(KEY, tamper(cookie), NOW)  # type: ignore[operator]


def test_scopes_cannot_be_raised_by_rewriting_the_payload() -> None:
    session = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "k", NOW)
    body, signature = issue(KEY, session).split(".")
    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    fields["s"] = [scope.value for scope in Scope]
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    with pytest.raises(SessionRefused, match="not genuine"):
        read(KEY, f"{forged}.{signature}", NOW)


def test_a_cookie_signed_with_another_secret_is_refused() -> None:
    session = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "k", NOW)
    cookie = issue(session_key(b"another stack"), session)
    with pytest.raises(SessionRefused, match="not genuine"):
        read(KEY, cookie, NOW)


def test_a_csrf_token_belongs_to_its_session_only() -> None:
    first = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "k", NOW)
    second = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "k", NOW)
    check_csrf(KEY, first, csrf_token(KEY, first))
    with pytest.raises(CsrfRefused, match="wrong"):
        check_csrf(KEY, first, csrf_token(KEY, second))
    with pytest.raises(CsrfRefused, match="no CSRF token"):
        check_csrf(KEY, first, None)
    assert isinstance(CsrfRefused("x"), Forbidden)


def test_a_session_answers_as_its_person_with_a_person_bound_credential() -> None:
    session = new_session("c-ada", frozenset({Scope.READ}), SignedInWith.KEY, "ada-key", NOW)
    answerer = session.answerer()
    assert answerer.person_bound
    assert (answerer.contact_id, answerer.credential, answerer.via) == (
        "c-ada",
        Credential.CONSOLE,
        "console",
    )
    with pytest.raises(Forbidden, match="resolve scope"):
        session.require(Scope.RESOLVE)
