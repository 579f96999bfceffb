"""The portal's own HTTP layer around Streamlit (served by `app.py`, an `st.App`): ASGI middleware.

`DeepLinks` keeps the page a person was on through the identity provider's round trip. Streamlit's
`/oauth2callback` always sends the browser to `/`; so when someone clicks "Sign in" on a screen's
address (`/runbooks?runbook=…&workspace=…`), the login request's same-origin `Referer` is kept in a
short-lived cookie, and the callback's redirect to `/` is turned into a redirect to that address.
Only a screen of the portal's own is ever a target (no open redirect), and the cookie is deleted
as it is used. No Streamlit script code here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.screens import SCREENS

NEXT_COOKIE = "portal_next"
NEXT_MAX_AGE = 900  # seconds: long enough to sign in at the identity provider, not to linger
LOGIN_PATH = "/auth/login"
CALLBACK_PATH = "/oauth2callback"
_QUERY_VALUE = re.compile(r"^[\w .:@+,/=-]{0,300}$")  # what the portal's own links carry


def safe_target(url: str, screens: Iterable[str]) -> str | None:
    """`url` as a path to one of the portal's screens with its query re-encoded, or None.

    Accepts `/screen` or `http(s)://same-host/screen`, a query of plain values; anything else
    (another host, `//evil`, a path that is no screen, control characters) is refused.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = parts.path
    if not path.startswith("/") or path.startswith("//") or path.strip("/") not in set(screens):
        return None
    pairs = parse_qsl(parts.query, keep_blank_values=False)
    if len(pairs) > 20 or not all(re.match(r"^[a-z_]{1,32}$", k) and _QUERY_VALUE.match(v) for k, v in pairs):
        return None
    return path + (f"?{urlencode(pairs)}" if pairs else "")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _cookie(scope: Scope, name: str) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(_header(scope, b"cookie"))
    except Exception:  # a malformed Cookie header: as if there were none
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


class DeepLinks:
    """Remember the screen a sign-in started from; land there after the identity provider."""

    def __init__(self, app: ASGIApp, screens: Iterable[str] | None = None) -> None:
        self.app = app
        self.screens = tuple(screens) if screens is not None else tuple(screen.id for screen in SCREENS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path.endswith(LOGIN_PATH):
            await self.app(scope, receive, self._remembering(scope, send))
        elif path.endswith(CALLBACK_PATH):
            await self.app(scope, receive, self._landing(scope, send))
        else:
            await self.app(scope, receive, send)

    def _same_origin_target(self, scope: Scope) -> str | None:
        referer = _header(scope, b"referer")
        if not referer:
            return None
        host = _header(scope, b"host")
        parts = urlsplit(referer)
        if parts.netloc and parts.netloc != host:
            return None
        return safe_target(referer, self.screens)

    def _remembering(self, scope: Scope, send: Send) -> Send:
        target = self._same_origin_target(scope)

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start" and target:
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", _set_cookie(target, NEXT_MAX_AGE))
            await send(message)

        return remember

    def _landing(self, scope: Scope, send: Send) -> Send:
        remembered = _cookie(scope, NEXT_COOKIE)
        target = safe_target(remembered, self.screens) if remembered else None

        async def land(message: Message) -> None:
            if message["type"] == "http.response.start" and remembered:
                headers = MutableHeaders(scope=message)
                to_start = urlsplit(headers.get("location", "")).path == "/"
                if target and message["status"] in (302, 303, 307) and to_start:
                    headers["location"] = target
                headers.append("Set-Cookie", _set_cookie("", 0))
            await send(message)

        return land


# Images and connections only to the portal's own origin: markdown that slipped through could not
# fetch a tracking image or post data elsewhere. Streamlit's frontend needs inline styles and its
# charts (Vega) evaluate expressions, hence 'unsafe-inline'/'unsafe-eval' for its own scripts only.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("X-Content-Type-Options", "nosniff"),
)


class SecurityHeaders:
    """Every HTTP response the portal sends carries the security headers (set, not duplicated)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def _set_cookie(value: str, max_age: int) -> str:
    jar: SimpleCookie = SimpleCookie()
    jar[NEXT_COOKIE] = value
    morsel = jar[NEXT_COOKIE]
    morsel["path"] = "/"
    morsel["max-age"] = str(max_age)
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    return morsel.OutputString()


def prepare_process() -> None:
    """Before the first session: run every session through `st.navigation`, never Streamlit's old
    multipage mode (which, while a `pages/` folder exists, would serve the first sessions after a
    start by running page files directly and answering deep links with "Page not found")."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
