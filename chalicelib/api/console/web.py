"""What every console page shares: the session from its cookie (checked again against the key
it was made with on every request), the CSRF token of each form, the strict headers of the
acknowledgement page, Jinja2 with autoescape, and error pages in place of JSON.

A request without a valid session is sent to the sign-in page (GET) or refused (POST, 401); a
form without the session's CSRF token is refused (403) before anything reads its meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import parse_qs, quote

from chalice.app import Blueprint, Request, Response

from chalicelib.api.ack_page import PAGE_HEADERS
from chalicelib.api.errors import classify
from chalicelib.core.access import Scope
from chalicelib.core.console.sessions import (
    Session,
    SessionRefused,
    SignedInWith,
    check_csrf,
    csrf_token,
    read,
    session_key,
)
from chalicelib.core.errors import InvalidInput, TocsinError, UnsupportedMediaType
from chalicelib.observability import logger
from chalicelib.wiring import Container, container

if TYPE_CHECKING:
    from jinja2 import Environment

console = Blueprint(__name__)

COOKIE = "tocsin_console"
FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 16 * 1024
_TEMPLATES = Path(__file__).with_name("templates")
_TITLES = {
    400: "Not understood",
    401: "Sign in again",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible now",
    413: "Too large",
    415: "Not understood",
    503: "Try again",
}

_environment: Environment | None = None


def templates() -> Environment:
    """Built on first use: autoescape on for every template, undefined names an error."""
    global _environment  # noqa: PLW0603 - one environment per process, built lazily
    if _environment is None:
        # Imported here: only the console's pages need it, not the API's cold start.
        from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

        _environment = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
        )
        _environment.filters["when"] = _when
    return _environment


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC") if at else "-"


def base_path(request: Request) -> str:
    """The API Gateway stage prefix (``/api``) the browser sees, so links work deployed too."""
    context: Mapping[str, Any] = request.context or {}
    stage, path = context.get("stage"), str(context.get("path") or "")
    return f"/{stage}" if stage and path.startswith(f"/{stage}/") else ""


def is_tls(request: Request, services: Container) -> bool:
    """Served over TLS: as the client reached us (a proxy's ``X-Forwarded-Proto``), or the
    stack's public address is https (API Gateway only serves https)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    public = services.settings.public_url or ""
    return forwarded == "https" or public.startswith("https://")


def session_cookie(request: Request, services: Container, value: str, max_age: int) -> str:
    secure = "; Secure" if is_tls(request, services) else ""
    return f"{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"


def cookie_value(request: Request, name: str = COOKIE) -> str | None:
    jar = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie", ""))
    except CookieError:
        return None
    found = jar.get(name)
    return found.value if found else None


def signed_in_reader() -> tuple[Request, Container, Session]:
    """The request, the services and the session of a page that shows what ``read`` may."""
    request = console.current_request
    found = services()
    session = current_session(request, found)
    session.require(Scope.READ)
    return request, found, session


def current_session(request: Request, services: Container) -> Session:
    """The signed-in person, once the cookie is genuine and current, and (for a key's session)
    the key still exists, unrevoked, for the same person: its scopes are read again, so a key
    revoked or narrowed stops the session at the next request. The person must still exist."""
    key = session_key(services.link_secret)
    session = read(key, cookie_value(request), services.clock.now())
    if session.signed_in_with is SignedInWith.KEY:
        api_key = services.api_keys.named(session.holder)
        if api_key is None or api_key.contact_id != session.contact_id:
            raise SessionRefused("the key you signed in with was revoked: sign in again")
        session = Session(
            session.contact_id,
            api_key.scopes,
            session.signed_in_with,
            session.holder,
            session.issued_at,
            session.expires_at,
            session.nonce,
        )
    if not services.directory.get_contacts([session.contact_id]):
        raise SessionRefused(f"{session.contact_id} is no longer in the directory")
    return session


def form_of(request: Request) -> dict[str, str]:
    """A form POST's fields (one value each); anything but a page's form is refused."""
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given != FORM:
        raise UnsupportedMediaType(f"send the page's form ({FORM}), not {given or 'nothing'}")
    raw = request.raw_body or b""
    if len(raw) > MAX_FORM_BYTES:
        raise InvalidInput(f"the form is larger than {MAX_FORM_BYTES // 1024} KiB")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=20)
    except ValueError as error:
        raise InvalidInput("the form has too many fields") from error
    return {name: values[-1] for name, values in fields.items()}


def checked_form(request: Request, services: Container, session: Session) -> dict[str, str]:
    """A form of this session: its CSRF token checked before anything else is read."""
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        raise SessionRefused("a form from another site is refused")
    form = form_of(request)
    check_csrf(session_key(services.link_secret), session, form.get("csrf"))
    return form


def render(
    request: Request,
    services: Container,
    template: str,
    session: Session | None,
    status: int = 200,
    headers: Mapping[str, str | list[str]] | None = None,
    **values: Any,
) -> Response:
    token = csrf_token(session_key(services.link_secret), session) if session else ""
    body = (
        templates()
        .get_template(template)
        .render(base=base_path(request), session=session, csrf=token, **values)
    )
    return Response(body=body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def redirect(request: Request, path: str, extra: Mapping[str, str] | None = None) -> Response:
    """303 See Other: after a form, the browser GETs the page (reloading repeats nothing)."""
    return Response(
        body="",
        status_code=303,
        headers={**PAGE_HEADERS, "Location": base_path(request) + path, **(extra or {})},
    )


View = TypeVar("View", bound=Callable[..., Response])


def pages(view: View) -> View:
    """Route decorator: a domain error becomes an error page with its status; a GET without
    a session goes to the sign-in page (with where to come back to)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        request = console.current_request
        try:
            return view(*args, **kwargs)
        except SessionRefused as refused:
            if request.method == "GET":
                back = quote(page_path(request), safe="")
                logger.info("console sign-in needed", extra={"reason": "no session"})
                return redirect(request, f"/console/signin?next={back}")
            return error_page(request, refused)
        except TocsinError as error:
            return error_page(request, error)

    return cast(View, wrapper)


def page_path(request: Request) -> str:
    """The path asked for, parameters filled in, without the stage prefix."""
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def error_page(request: Request, error: TocsinError) -> Response:
    failure = classify(error)
    logger.info(
        "console request refused", extra={"status": failure.status, "error_code": failure.code}
    )
    body = (
        templates()
        .get_template("error.html")
        .render(
            base=base_path(request),
            session=None,
            csrf="",
            title=_TITLES.get(failure.status, "Not possible"),
            message=f"{failure.field}: {failure.message}" if failure.field else failure.message,
            problems=[f"{p.field}: {p.message}" for p in failure.problems[1:]],
            status=failure.status,
        )
    )
    headers = {**PAGE_HEADERS}
    if failure.status == 401:
        headers["Set-Cookie"] = f"{COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
    return Response(body=body, status_code=failure.status, headers=headers)


def services() -> Container:
    return container()
