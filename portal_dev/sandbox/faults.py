"""Fault injection, the request log, and the middleware every service app runs behind.

Per service, at run time: `latency_ms` (an `asyncio.sleep` before answering, so slow services never
hold up other requests), `error_rate` (that fraction answers 500), `outage` (every request answers
503 with `Retry-After`) and `garbage`, an answer no client should believe: `malformed_json` (200,
a JSON body cut short), `html_login` (200, a proxy's sign-in page), `html_404` (404 from a proxy,
not from the service) or `drip` (the real answer, one byte every 0.3 s).

The request log records each service request with monotonic start/finish
times so tests can prove that requests overlapped.
"""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal_dev.sandbox._common import iso_ms
from portal_dev.sandbox.web import EXCEPTION_HANDLERS, error_response

if TYPE_CHECKING:
    from portal_dev.sandbox.state import SandboxState

log = logging.getLogger("portal_dev.sandbox")


GARBAGE = ("malformed_json", "html_login", "html_404", "drip")
LOGIN_PAGE = (b"<!doctype html><html><head><title>Sign in - Example SSO</title></head><body>"
              b"<form method=post action=/login><input name=user><input name=password type=password>"
              b"<button>Sign in</button></form></body></html>")
DRIP_SECONDS = 0.3


@dataclass(slots=True)
class Fault:
    """The faults injected into one service."""

    latency_ms: int = 0
    error_rate: float = 0.0
    outage: bool = False
    retry_after: int = 1  # seconds, sent with outage 503s
    garbage: str | None = None  # one of GARBAGE

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Fault:
        """Validate a PUT body; raises ValueError naming the bad field."""
        unknown = set(body) - {"latency_ms", "error_rate", "outage", "retry_after", "garbage"}
        if unknown:
            raise ValueError(f"{sorted(unknown)[0]}: unknown field")
        latency = body.get("latency_ms", 0)
        rate = body.get("error_rate", 0.0)
        outage = body.get("outage", False)
        retry_after = body.get("retry_after", 1)
        if isinstance(latency, bool) or not isinstance(latency, int | float) or not 0 <= latency <= 60000:
            raise ValueError("latency_ms: a number of milliseconds between 0 and 60000")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError("error_rate: a fraction between 0 and 1")
        if not isinstance(outage, bool):
            raise ValueError("outage: true or false")
        if isinstance(retry_after, bool) or not isinstance(retry_after, int) or not 0 <= retry_after <= 3600:
            raise ValueError("retry_after: whole seconds between 0 and 3600")
        garbage = body.get("garbage")
        if garbage is not None and garbage not in GARBAGE:
            raise ValueError(f"garbage: one of {', '.join(GARBAGE)}, or null")
        return cls(int(latency), float(rate), outage, retry_after, garbage)

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class FaultRegistry:
    """Current faults per service."""

    def __init__(self, services: tuple[str, ...]) -> None:
        self.services = services
        self._faults = {s: Fault() for s in services}
        self.rng = random.Random()  # not identity data: error_rate draws need no seed

    def get(self, service: str) -> Fault:
        return self._faults[service]

    def set(self, service: str, fault: Fault) -> None:
        self._faults[service] = fault

    def clear(self) -> None:
        self._faults = {s: Fault() for s in self.services}

    def to_json(self) -> dict[str, object]:
        return {s: f.to_json() for s, f in self._faults.items()}


class RequestLog:
    """The most recent service requests (not /_sandbox ones)."""

    def __init__(self, size: int = 5000) -> None:
        self._items: deque[dict[str, object]] = deque(maxlen=size)

    def add(self, entry: dict[str, object]) -> None:
        self._items.append(entry)

    def since(self, started: float | None) -> list[dict[str, object]]:
        return [e for e in self._items if started is None or float(e["started_at"]) >= started]  # type: ignore[arg-type]

    def clear(self) -> None:
        self._items.clear()


def _incoming_request_id(scope: Scope) -> str | None:
    # assumed: a caller's own X-Request-Id is echoed when it looks sane, which eases tracing.
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if 0 < len(text) <= 128 and text.isprintable():
                return text
    return None


def new_request_id() -> str:
    """A fresh request id."""
    return "req_" + secrets.token_hex(8)


class RequestIdMiddleware:
    """Outermost: every response (control endpoints and unknown paths too) gets an X-Request-Id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming_request_id(scope) or new_request_id()
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers["X-Request-Id"] = rid
                if "x-sandbox" not in headers:
                    headers["X-Sandbox"] = "true"
            await send(message)

        await self.app(scope, receive, send_with_id)


class ServiceMiddleware:
    """Request id, faults, request log and last-resort error handling for one service app."""

    def __init__(self, app: ASGIApp, service: str, state: SandboxState) -> None:
        self.app = app
        self.service = service
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = scope.get("state", {}).get("request_id") or _incoming_request_id(scope) or new_request_id()
        scope.setdefault("state", {})["request_id"] = rid
        started, started_wall = time.monotonic(), time.time()
        sent = {"status": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-Id"] = rid
                headers["X-Sandbox"] = "true"  # never to be mistaken for a real service
            await send(message)

        try:
            self.state.tick(self.state.now())
            fault = self.state.faults.get(self.service)
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.outage:
                response = error_response(503, "unavailable", f"{self.service} is down (sandbox fault injection)",
                                          rid, {"Retry-After": str(fault.retry_after)})
                await response(scope, receive, send_with_headers)
            elif fault.error_rate and self.state.faults.rng.random() < fault.error_rate:
                response = error_response(500, "internal", f"{self.service} failed (sandbox fault injection)", rid)
                await response(scope, receive, send_with_headers)
            elif fault.garbage == "drip":
                await self.app(scope, receive, _dripping(send_with_headers))
            elif fault.garbage:
                await _garbage(fault.garbage, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("sandbox %s: unhandled error on %s %s", self.service, scope["method"], scope["path"])
            if not sent["status"]:
                response = error_response(500, "internal", "unexpected sandbox error", rid)
                await response(scope, receive, send_with_headers)
        finally:
            finished = time.monotonic()
            self.state.requests.add({
                "service": self.service, "method": scope["method"], "path": scope["path"],
                "status": sent["status"], "request_id": rid, "started_at": started, "finished_at": finished,
                "started_at_iso": iso_ms(started_wall),
                "finished_at_iso": iso_ms(started_wall + (finished - started)),
            })


async def _garbage(kind: str, send: Send) -> None:
    """An answer a proxy or a broken service might give: never what the contract says."""
    status, content_type, body = {
        "malformed_json": (200, b"application/json", b'{"items": [{"id": "ws_'),
        "html_login": (200, b"text/html; charset=utf-8", LOGIN_PAGE),
        "html_404": (404, b"text/html; charset=utf-8", b"<html><body><h1>404 Not Found</h1>nginx</body></html>"),
    }[kind]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _dripping(send: Send) -> Send:
    """Send the real answer's body one byte at a time, DRIP_SECONDS apart."""
    async def drip(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        for index in range(len(body)):
            await send({"type": "http.response.body", "body": body[index:index + 1], "more_body": True})
            await asyncio.sleep(DRIP_SECONDS)
        await send({"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)})

    return drip


def service_app(service: str, routes: list[Any], state: SandboxState) -> Starlette:
    """A service's own Starlette app (mountable anywhere), behind the service middleware."""
    app = Starlette(routes=routes, middleware=[Middleware(ServiceMiddleware, service=service, state=state)],
                    exception_handlers=EXCEPTION_HANDLERS)
    app.state.sandbox = state
    return app
