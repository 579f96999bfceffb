"""HTTP plumbing shared by the five service apps: errors, auth, pagination, idempotency, parameters.

Every admin endpoint follows docs/service-contract.md "Common rules": JSON error bodies
`{"error", "message", "request_id"}`, `Authorization: Bearer <admin token>`, cursor pagination with
`total`, and `Idempotency-Key` on POST (the first answer is replayed with `Idempotent-Replayed: true`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from portal_dev.sandbox._common import parse_iso

if TYPE_CHECKING:
    from portal_dev.sandbox.state import SandboxState

ERROR_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "bad_request", 409: "conflict", 422: "invalid", 429: "rate_limited",
               500: "internal", 503: "unavailable"}
IDEMPOTENCY_TTL = 24 * 3600.0
Handler = Callable[[Any, Request], Awaitable[Response]]
H = TypeVar("H", bound=Handler)


class ApiError(Exception):
    """An error answer in the contract's shape."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "internal")
        self.message = message
        self.headers = headers or {}


def request_id(request: Request) -> str:
    """The id the service middleware gave this request."""
    return str(request.scope.get("state", {}).get("request_id", ""))


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    """A JSON answer."""
    return JSONResponse(data, status_code=status, headers=headers)


def error_response(status: int, code: str, message: str, rid: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """An error answer: `{"error", "message", "request_id"}`."""
    return JSONResponse({"error": code, "message": message, "request_id": rid}, status_code=status,
                        headers=headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for ApiError and HTTPException (unknown paths, wrong methods)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, request_id(request), exc.headers)
    assert isinstance(exc, HTTPException)
    message = "no such endpoint" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, ERROR_CODES.get(exc.status_code, "bad_request"), message,
                          request_id(request), dict(exc.headers or {}))


EXCEPTION_HANDLERS = {ApiError: api_error_handler, HTTPException: api_error_handler}


def sandbox_of(request: Request) -> SandboxState:
    """The sandbox state behind this request."""
    return request.app.state.sandbox


# -- auth and idempotency -------------------------------------------------------------------------
def admin(handler: H) -> H:
    """Require `Authorization: Bearer <admin token>`."""
    @functools.wraps(handler)
    async def wrapper(self: Any, request: Request) -> Response:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else ""
        if not token or not hmac.compare_digest(token, sandbox_of(request).admin_token):
            raise ApiError(401, "missing or invalid admin token", headers={"WWW-Authenticate": "Bearer"})
        return await handler(self, request)
    return wrapper  # type: ignore[return-value]


@dataclass(slots=True)
class _Stored:
    fingerprint: str
    created: float
    response: tuple[int, bytes, str] | None  # None while the first request is still running


class IdempotencyStore:
    """First answers to POSTs that carried an `Idempotency-Key`, per service, for 24 h."""

    def __init__(self, limit: int = 10000) -> None:
        self._items: OrderedDict[str, _Stored] = OrderedDict()
        self._limit = limit

    def lookup(self, key: str, now: float) -> _Stored | None:
        stored = self._items.get(key)
        if stored is not None and now - stored.created > IDEMPOTENCY_TTL:
            del self._items[key]
            return None
        return stored

    def reserve(self, key: str, fingerprint: str, now: float) -> None:
        self._items[key] = _Stored(fingerprint, now, None)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def save(self, key: str, response: Response) -> None:
        stored = self._items.get(key)
        if stored is not None:
            stored.response = (response.status_code, bytes(response.body), response.media_type or "application/json")

    def drop(self, key: str) -> None:
        self._items.pop(key, None)


def idempotent(handler: H) -> H:
    """Honour `Idempotency-Key`: same key and request → the first answer again, without acting."""
    @functools.wraps(handler)
    async def wrapper(self: Any, request: Request) -> Response:
        key = request.headers.get("idempotency-key")
        if not key:
            return await handler(self, request)
        if len(key) > 255:
            raise ApiError(400, "Idempotency-Key: at most 255 characters")
        body = await request.body()
        fingerprint = hashlib.sha256(b"\n".join([
            request.method.encode(), request.url.path.encode(), request.url.query.encode(), body])).hexdigest()
        store = sandbox_of(request).idempotency[self.service]
        now = time.time()
        stored = store.lookup(key, now)
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ApiError(409, "Idempotency-Key was already used with a different request")
            if stored.response is None:
                raise ApiError(409, "a request with this Idempotency-Key is still being processed")
            status, content, media = stored.response
            return Response(content, status_code=status, media_type=media,
                            headers={"Idempotent-Replayed": "true"})
        store.reserve(key, fingerprint, now)
        try:
            response = await handler(self, request)
        except ApiError as exc:
            response = error_response(exc.status, exc.code, exc.message, request_id(request), exc.headers)
        except Exception:
            store.drop(key)
            raise
        if response.status_code >= 500:
            store.drop(key)  # a failure may be retried with the same key
        else:
            store.save(key, response)
        return response
    return wrapper  # type: ignore[return-value]


# -- parameters -------------------------------------------------------------------------------------
def q_str(request: Request, name: str, choices: Sequence[str] | None = None) -> str | None:
    """An optional query string parameter (empty means absent), checked against `choices`."""
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    if choices is not None and value not in choices:
        raise ApiError(400, f"{name}: must be one of {', '.join(choices)}")
    return value


def q_time(request: Request, name: str) -> float | None:
    """An optional ISO 8601 timestamp parameter → epoch seconds."""
    value = q_str(request, name)
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise ApiError(400, f"{name}: not an ISO 8601 timestamp") from None


def q_bool(request: Request, name: str) -> bool | None:
    """An optional boolean parameter: true/false (also 1/0)."""
    value = q_str(request, name)
    if value is None:
        return None
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ApiError(400, f"{name}: must be true or false")


def q_number(request: Request, name: str, *, low: float, high: float, default: float | None = None,
             integer: bool = True) -> float | None:
    """An optional numeric parameter within [low, high]."""
    value = q_str(request, name)
    if value is None:
        return default
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        raise ApiError(400, f"{name}: must be a{'n integer' if integer else ' number'}") from None
    if not low <= number <= high:
        raise ApiError(400, f"{name}: must be between {low:g} and {high:g}")
    return number


def window(request: Request, now: float, default_hours: float = 24.0) -> tuple[float, float]:
    """`since`/`until` (until defaults to now, since to `default_hours` before until)."""
    until = q_time(request, "until")
    until = now if until is None else until
    since = q_time(request, "since")
    since = until - default_hours * 3600 if since is None else since
    if since >= until:
        raise ApiError(400, "since: must be earlier than until")
    return since, until


async def json_object(request: Request, *, required: bool = True) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is `{}` when not required)."""
    body = await request.body()
    if not body.strip():
        if required:
            raise ApiError(400, "body: a JSON object is required")
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise ApiError(400, "body: not valid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "body: must be a JSON object")
    return value


# -- pagination ---------------------------------------------------------------------------------------
def _query_fingerprint(request: Request) -> str:
    pairs = sorted((k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "limit"))
    return hashlib.blake2b(repr(pairs).encode(), digest_size=4).hexdigest()


def page_params(request: Request, default_limit: int = 50) -> tuple[int, int, dict[str, Any]]:
    """(offset, limit, extra) from `cursor` and `limit`; the cursor is bound to the query it came from."""
    limit = int(q_number(request, "limit", low=1, high=500, default=default_limit) or default_limit)
    cursor = q_str(request, "cursor")
    if cursor is None:
        return 0, limit, {}
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
        if data.get("q") != _query_fingerprint(request) or offset < 0:
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, "cursor: not a cursor from a previous page of this query") from None
    return offset, limit, data


def next_cursor(request: Request, offset: int, limit: int, total: int, **extra: Any) -> str | None:
    """The opaque cursor of the page after [offset, offset+limit), or None at the end."""
    if offset + limit >= total:
        return None
    data = {"o": offset + limit, "q": _query_fingerprint(request), **extra}
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def page(request: Request, items: Sequence[Any], render: Callable[[Any], object],
         default_limit: int = 50) -> JSONResponse:
    """One page of an in-memory list: `{"items", "next_cursor", "total"}`."""
    offset, limit, _ = page_params(request, default_limit)
    chunk = items[offset:offset + limit]
    return json_response({"items": [render(x) for x in chunk],
                          "next_cursor": next_cursor(request, offset, limit, len(items)), "total": len(items)})
