"""The console's web layer: sign-in, sessions, CSRF, rendering, the live stream.

Every page is a `page()` route and every form a `action()` route, the two doors this
module builds: a page needs a live session (else it goes to sign-in), an action
needs a live session and the session's CSRF token in its form (else 403), and a
refusal from the hub comes back to the operator as a message on the page they were
on, never as a stack trace. Pages modules (board, case_page, desk, handover) only
describe what to show and which connector verb to call.

Sessions are HttpOnly, SameSite=Strict cookies holding a random token (the console
keeps its digest, console/accounts.py); the sign-in form, which has no session yet,
uses a double-submit cookie. All assets come from the console itself, and the
Content-Security-Policy allows nothing else: desks' networks often have no internet.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from google.protobuf import timestamp_pb2
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.errors import (
    HubUnavailableError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from console import i18n
from console.accounts import (
    DEFAULT_TIME_ZONE,
    SESSION_LIFETIME,
    AccountError,
    Accounts,
    Operator,
    SignedIn,
    Throttled,
    WrongCredentials,
)
from console.hub_link import HubLink
from wire.errors import LifelineError

SESSION_COOKIE = "lifeline_session"
SIGN_IN_CSRF_COOKIE = "lifeline_sign_in_csrf"
FLASH_COOKIE = "lifeline_flash"
CSRF_FIELD = "csrf_token"
_HERE = Path(str(resources.files("console")))


@dataclass
class Console:
    """What every request handler shares."""

    link: HubLink
    accounts: Accounts
    secure_cookies: bool = False
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    templates: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(_HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


@dataclass
class View:
    """One request as a page sees it: the operator, their words and time zone."""

    request: Request
    console: Console
    signed_in: SignedIn | None
    language: str
    now: dt.datetime

    @property
    def operator(self) -> Operator:
        assert self.signed_in is not None, "only pages behind sign-in have an operator"
        return self.signed_in.operator

    @property
    def link(self) -> HubLink:
        return self.console.link

    @property
    def _(self) -> i18n.Translate:
        return i18n.translator(self.language)

    @property
    def zone(self) -> Any:
        return (
            self.signed_in.operator.time_zone
            if self.signed_in
            else i18n.ZoneInfo(DEFAULT_TIME_ZONE)
        )

    def time(self, value: dt.datetime | timestamp_pb2.Timestamp | None) -> str:
        return i18n.local_time(as_datetime(value), self.zone, self.now)

    def render(self, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
        # A live fragment (_name.html) leaves the flash to the page it is part of: the
        # refresh an action sets off must not take the message meant for its redirect.
        partial = template.rsplit("/", 1)[-1].startswith("_")
        flash = "" if partial else self.request.cookies.get(FLASH_COOKIE, "")
        csrf = self.signed_in.csrf_token if self.signed_in else ""
        html = self.console.templates.get_template(template).render(
            view=self,
            _=self._,
            operator=self.signed_in.operator if self.signed_in else None,
            csrf_field=CSRF_FIELD,
            csrf_token=csrf,
            # Every form of a signed-in page carries this (action() refuses one without it).
            csrf_input=Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf)}">'),
            party=self.link.party,
            is_platform=self.link.is_platform,
            language=self.language,
            languages=i18n.LANGUAGE_NAMES,
            flash=urllib.parse.unquote(flash),
            time=self.time,
            iso=iso,
            duration=i18n.duration,
            **values,
        )
        response = HTMLResponse(html, status_code=status_code)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response


def as_datetime(value: dt.datetime | timestamp_pb2.Timestamp | None) -> dt.datetime | None:
    """A proto timestamp (unset: None) or datetime, as an aware UTC datetime."""
    if isinstance(value, timestamp_pb2.Timestamp):
        if not value.seconds and not value.nanos:
            return None
        return value.ToDatetime(tzinfo=dt.UTC)
    return value


def iso(value: dt.datetime | timestamp_pb2.Timestamp | None) -> str:
    """For the browser's countdowns (data-due), which run on the browser's own clock."""
    when = as_datetime(value)
    return when.isoformat() if when else ""


def redirect(url: str, message: str = "") -> RedirectResponse:
    """303 back to a page; `message` shows there once (a flash)."""
    response = RedirectResponse(url, status_code=303)
    if message:
        response.set_cookie(
            FLASH_COOKIE, urllib.parse.quote(message), httponly=True, samesite="strict", path="/"
        )
    return response


PageHandler = Callable[[View], Awaitable[Response]]
ActionHandler = Callable[[View, FormData], Awaitable[Response]]


def _console(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def _view(request: Request, signed_in: SignedIn | None) -> View:
    console = _console(request)
    language = signed_in.operator.language if signed_in else _browser_language(request)
    return View(request, console, signed_in, language, console.now())


def _browser_language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "")
    return "zh-CN" if asked.lower().startswith("zh") else "en"


def _signed_in(request: Request) -> SignedIn | None:
    return _console(request).accounts.session(request.cookies.get(SESSION_COOKIE, ""))


def page(path: str, handler: PageHandler) -> Route:
    """A GET page behind sign-in."""

    async def endpoint(request: Request) -> Response:
        signed_in = _signed_in(request)
        if signed_in is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return redirect("/signin?" + urllib.parse.urlencode({"next": target}))
        view = _view(request, signed_in)
        try:
            return await handler(view)
        except LifelineError as e:
            return _refused_page(view, e)

    return Route(path, endpoint, methods=["GET"])


def action(path: str, handler: ActionHandler) -> Route:
    """A POST form behind sign-in and CSRF; a refusal by the hub returns to the page
    the form was on, saying why."""

    async def endpoint(request: Request) -> Response:
        signed_in = _signed_in(request)
        if signed_in is None:
            # The session ended (idle, a shift's end): sign in again, then back to the page.
            return redirect("/signin?" + urllib.parse.urlencode({"next": back(request)}))
        form = await request.form()
        sent = str(form.get(CSRF_FIELD, "") or request.headers.get("x-csrf-token", ""))
        if not hmac.compare_digest(sent.encode(), signed_in.csrf_token.encode()):
            return HTMLResponse("Missing or wrong CSRF token.", status_code=403)
        view = _view(request, signed_in)
        try:
            return await handler(view, form)
        except (LifelineError, AccountError, ValueError) as e:
            return redirect(back(request), f"{view._('Not done')}: {e}")
        finally:
            await view.link.changed()

    endpoint.is_action = True  # type: ignore[attr-defined]
    return Route(path, endpoint, methods=["POST"])


# How a page says the hub refused or could not be reached, instead of a stack trace.
_PAGE_STATUS = [
    (NotFoundError, 404, "Not found, or not yours to see."),
    (InvalidArgumentError, 404, "Not found, or not yours to see."),
    (PermissionDeniedError, 403, "This desk may not see that."),
    (HubUnavailableError, 503, "The hub cannot be reached. Try again in a moment."),
]


def _refused_page(view: View, error: LifelineError) -> Response:
    if isinstance(error, HubUnavailableError):
        view.link.missed()
    status, message = next(
        ((status, message) for kind, status, message in _PAGE_STATUS if isinstance(error, kind)),
        (502, "The hub refused: {reason}"),
    )
    return view.render(
        "refused.html", status, message=view._(message).format(reason=str(error)), error=error
    )


def back(request: Request) -> str:
    """The page a form was posted from (same origin only), else the start page."""
    referer = urllib.parse.urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.url.netloc:
        return "/"
    return (referer.path or "/") + (f"?{referer.query}" if referer.query else "")


# -- sign-in -------------------------------------------------------------------------


async def sign_in_form(request: Request) -> Response:
    view = _view(request, None)
    token = request.cookies.get(SIGN_IN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = view.render(
        "signin.html", next=_safe_next(request.query_params.get("next")), sign_in_token=token
    )
    _set_cookie(response, request, SIGN_IN_CSRF_COOKIE, token, max_age=3600)
    return response


async def sign_in(request: Request) -> Response:
    view = _view(request, None)
    form = await request.form()
    cookie = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    sent = str(form.get(CSRF_FIELD, ""))
    if not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return HTMLResponse("Missing or wrong CSRF token.", status_code=403)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    next_url = _safe_next(str(form.get("next", "")))
    client = request.client.host if request.client else "unknown"
    try:
        signed_in = view.console.accounts.sign_in(name, password, client)
    except Throttled as e:
        minutes = max(1, round(e.retry_after.total_seconds() / 60))
        error = view._("Too many failed sign-ins. Try again in {minutes} min.").format(
            minutes=minutes
        )
        response = view.render(
            "signin.html", 429, next=next_url, error=error, sign_in_token=cookie, name=name
        )
        response.headers["Retry-After"] = str(int(e.retry_after.total_seconds()))
        return response
    except WrongCredentials:
        return view.render(
            "signin.html",
            401,
            next=next_url,
            sign_in_token=cookie,
            name=name,
            error=view._("Wrong name or password."),
        )
    # The platform's operators start a shift by reading what changed while they were away.
    landing = redirect(next_url or ("/handover" if view.link.is_platform else "/"))
    _set_cookie(
        landing,
        request,
        SESSION_COOKIE,
        signed_in.token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    landing.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/")
    return landing


def _safe_next(value: str | None) -> str:
    # Only a path on this console: never a redirect to somewhere else.
    if value and value.startswith("/") and not value.startswith("//"):
        return value
    return ""


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    console = _console(request)
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=console.secure_cookies,
        path="/",
    )


async def _sign_out(view: View, form: FormData) -> Response:
    assert view.signed_in is not None
    view.console.accounts.sign_out(view.signed_in.token)
    response = redirect("/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def _preferences(view: View, form: FormData) -> Response:
    view.console.accounts.set_preferences(
        view.operator.name,
        language=str(form.get("language", view.operator.language)),
        time_zone=str(form.get("time_zone", view.operator.time_zone.key)),
    )
    return redirect(back(view.request))


# -- the live stream -----------------------------------------------------------------


async def events(request: Request) -> Response:
    """Server-sent events: `changed` whenever the hub told this party something or an
    operator acted, so each open page re-reads its live parts."""
    if _signed_in(request) is None:
        return HTMLResponse("Sign in first.", status_code=401)
    link = _console(request).link

    async def stream() -> AsyncIterator[dict[str, str]]:
        seen = link.version
        yield {"event": "changed", "data": str(seen)}
        while True:
            seen = await link.wait_change(seen)
            yield {"event": "changed", "data": str(seen)}

    return EventSourceResponse(stream(), ping=15)


# -- the application -----------------------------------------------------------------


class _SecurityHeaders:
    """Only the console's own scripts, styles and images; no framing."""

    HEADERS = [
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def create_app(console: Console, routes: Sequence[BaseRoute]) -> Starlette:
    """The console's application: sign-in, the live stream, static files and `routes`
    (the pages and actions of console/pages.py)."""
    app = Starlette(
        routes=[
            Route("/signin", sign_in_form, methods=["GET"]),
            Route("/signin", sign_in, methods=["POST"]),
            action("/signout", _sign_out),
            action("/preferences", _preferences),
            Route("/events", events, methods=["GET"]),
            Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
            *routes,
        ],
        middleware=[Middleware(_SecurityHeaders)],
    )
    app.state.console = console
    return app
