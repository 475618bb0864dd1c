"""Signing in to the console and out of it.

``GET /console/signin``: the form (a personal key) and, where the stack has one, the link to
the organisation's identity provider. ``POST /console/signin``: the key, exchanged for a session
cookie. ``GET /console/signin/idp`` and ``/console/signin/callback``: OAuth 2.0 with PKCE
through the Cognito user pool; the ID token verified, the person found by email, the scopes by
group. ``POST /console/signout``: the cookie cleared.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlencode

from chalice.app import Response

from chalicelib.api.ack_page import PAGE_HEADERS
from chalicelib.api.auth import authenticate
from chalicelib.api.console.web import (
    checked_form,
    console,
    cookie_value,
    current_session,
    form_of,
    is_tls,
    pages,
    redirect,
    render,
    services,
    session_cookie,
)
from chalicelib.core.access import Scope
from chalicelib.core.console.idp_tokens import identity_of, verify_id_token
from chalicelib.core.console.sessions import (
    SESSION_HOURS,
    SignedInWith,
    issue,
    new_session,
    session_key,
)
from chalicelib.core.errors import AuthenticationFailed, Forbidden, NotFound
from chalicelib.observability import logger
from chalicelib.settings import LOCAL_CONSOLE_KEY
from chalicelib.wiring import Container

STATE_COOKIE = "tocsin_console_state"
_NEXT = re.compile(r"/console(/[A-Za-z0-9_./-]*)?")
_SECONDS = SESSION_HOURS * 3600


def _next(value: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    return value if value and _NEXT.fullmatch(value) and ".." not in value else "/console"


@console.route("/console/signin", methods=["GET"])
@pages
def signin_form() -> Response:
    request = console.current_request
    found = services()
    query: Mapping[str, str] = request.query_params or {}
    return render(
        request,
        found,
        "signin.html",
        None,
        next=_next(query.get("next")),
        idp=found.identity_provider is not None,
        local=found.settings.is_local,
        problem=None,
    )


@console.route("/console/signin", methods=["POST"], content_types=["*/*"])
@pages
def signin_with_key() -> Response:
    request = console.current_request
    found = services()
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        raise AuthenticationFailed("a sign-in from another site is refused")
    form = form_of(request)
    credential = form.get("key", "").strip()
    try:
        if credential == LOCAL_CONSOLE_KEY and not found.settings.is_local:
            raise AuthenticationFailed("the local console key is not valid on this stage")
        key = authenticate(credential, found, request)
        if key.contact_id is None:
            raise Forbidden(
                f"the key {key.name!r} is not a personal key: sign in with your own "
                "(tocsin keys create NAME --contact CONTACT_ID --scope read ...)"
            )
        key.require(Scope.READ)
    except (AuthenticationFailed, Forbidden) as refused:
        logger.info("console sign-in refused", extra={"reason": type(refused).__name__})
        return render(
            request,
            found,
            "signin.html",
            None,
            status=401 if isinstance(refused, AuthenticationFailed) else 403,
            next=_next(form.get("next")),
            idp=found.identity_provider is not None,
            local=found.settings.is_local,
            problem=str(refused),
        )
    session = new_session(key.contact_id, key.scopes, SignedInWith.KEY, key.name, found.clock.now())
    logger.info("console signed in", extra={"contact_id": key.contact_id, "key": key.name})
    value = issue(session_key(found.link_secret), session)
    return redirect(
        request,
        _next(form.get("next")),
        {"Set-Cookie": session_cookie(request, found, value, _SECONDS)},
    )


@console.route("/console/signout", methods=["POST"], content_types=["*/*"])
@pages
def signout() -> Response:
    request = console.current_request
    found = services()
    session = current_session(request, found)
    checked_form(request, found, session)
    logger.info("console signed out", extra={"contact_id": session.contact_id})
    return redirect(
        request, "/console/signin", {"Set-Cookie": session_cookie(request, found, "", 0)}
    )


@console.route("/console/signin/idp", methods=["GET"])
@pages
def signin_with_idp() -> Response:
    request = console.current_request
    found = services()
    provider, pool = found.identity_provider, found.identity_pool
    if provider is None or pool is None:
        raise NotFound("this stack has no identity provider for the console: sign in with a key")
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": pool.client_id,
            "redirect_uri": _callback(found),
            "scope": "openid email profile",
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    # Lax, not Strict: the browser must send it back on the redirect from the sign-in domain.
    secure = "; Secure" if is_tls(request, found) else ""
    cookie = (
        f"{STATE_COOKIE}={state}.{verifier}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax{secure}"
    )
    return Response(
        body="",
        status_code=302,
        headers={
            **PAGE_HEADERS,
            "Location": f"{provider.authorize_url}?{query}",
            "Set-Cookie": cookie,
        },
    )


@console.route("/console/signin/callback", methods=["GET"])
@pages
def signin_callback() -> Response:
    request = console.current_request
    found = services()
    provider, pool = found.identity_provider, found.identity_pool
    if provider is None or pool is None:
        raise NotFound("this stack has no identity provider for the console: sign in with a key")
    query: Mapping[str, str] = request.query_params or {}
    state, _, verifier = (cookie_value(request, STATE_COOKIE) or "").partition(".")
    given = query.get("state", "")
    if not state or not given or not secrets.compare_digest(state, given):
        raise AuthenticationFailed(
            "the sign-in was not started here, or took too long: start again"
        )
    if not query.get("code"):
        raise AuthenticationFailed(
            f"the identity provider did not sign you in: {query.get('error', 'no code')}"
        )
    token = provider.exchange(query["code"], _callback(found), verifier)
    now = found.clock.now()
    identity = identity_of(verify_id_token(token, pool, provider.key_set(), now))
    contact_id = _person_by_email(found, identity.email)
    session = new_session(contact_id, identity.scopes, SignedInWith.IDP, identity.subject, now)
    logger.info("console signed in", extra={"contact_id": contact_id, "via": "idp"})
    value = issue(session_key(found.link_secret), session)
    secure = "; Secure" if is_tls(request, found) else ""
    # A page, not a redirect: the navigation started on the identity provider's site, so a
    # SameSite=Strict cookie set now is sent only from the next same-site navigation.
    return render(
        request,
        found,
        "signed_in.html",
        None,
        headers={
            "Set-Cookie": [
                session_cookie(request, found, value, _SECONDS),
                f"{STATE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}",
            ]
        },
    )


def _callback(found: Container) -> str:
    return f"{found.public_url.rstrip('/')}/console/signin/callback"


def _person_by_email(found: Container, email: str) -> str:
    """The directory's contact with this email (read at sign-in only)."""
    matches = [c.contact_id for c in found.directory.everyone() if (c.email or "").lower() == email]
    if len(matches) != 1:
        raise Forbidden(
            "no single person in Tocsin's directory has your email: ask an administrator to "
            "add you as a contact with it"
        )
    return matches[0]
