"""The shared HTTP base of every service client: timeouts, retries, errors, pagination.

Retry rule (see docs/service-contract.md): reads (GET) are retried on connection errors, read
timeouts, 500/502/503/504 and 429 with exponential backoff and jitter, honouring `Retry-After`.
A write (POST) is sent once, unless the caller gave an idempotency key: the services answer a
repeated key with the first answer, so only then is a write retried like a read.

Deadline rule: a policy's `deadline` bounds the whole logical request (connecting, waiting, every
retry and reading a body that drips in); `retry_within` bounds when a retry may still start (a
page's budget). A body is read in chunks against the deadline and refused past `MAX_BODY` bytes.
Only a clean 404 (the service's own JSON answer) means "not found": an HTML 404 from a proxy is
the service being unreachable, never "no such workspace".
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar, Generic, TypeVar, cast
from urllib.parse import quote

import requests
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from portal.clients.errors import (
    ServiceError,
    ServiceTimeout,
    ServiceUnavailable,
    error_for_response,
    retry_after_seconds,
)

log = logging.getLogger("portal.clients")

T = TypeVar("T")
M = TypeVar("M")

Timeout = tuple[float, float]
QueryValue = str | int | float | bool | datetime | None

RETRY_STATUSES: frozenset[int] = frozenset({429, 500, 502, 503, 504})
MAX_BODY = 20 * 1024 * 1024  # bytes: no admin answer is anywhere near this
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently idempotent requests are retried; `sleep` is injectable for tests."""

    max_attempts: int = 3
    backoff_base: float = 0.05
    max_backoff: float = 2.0
    # A service asking for a longer pause than this still gets retried after this long.
    max_retry_after: float = 10.0
    # Seconds for the whole logical request (None: each attempt's timeouts only), and the window,
    # from the first attempt, in which a retry may still start (None: until the deadline).
    deadline: float | None = None
    retry_within: float | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff_base * 2 ** (attempt - 1))
        # "Equal jitter": at least half the exponential step, so retries never bunch up at zero.
        return ceiling / 2 + ceiling / 2 * self.jitter()


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated list: `next_cursor` is None on the last page."""

    model_config = ConfigDict(extra="ignore")

    items: list[T]
    next_cursor: str | None = None
    total: int | None = None


def iter_pages(fetch: Callable[[str | None], Page[M]]) -> Iterator[M]:
    """Yield items page after page, calling `fetch(cursor)` only when the previous page is used up."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch(cursor)
        yield from page.items
        cursor = page.next_cursor
        if not cursor:
            return
        if cursor in seen:  # a service bug must not become an endless loop in the portal
            raise RuntimeError(f"pagination cursor {cursor!r} repeated")
        seen.add(cursor)


def query(params: Mapping[str, QueryValue]) -> dict[str, str]:
    """Query parameters as the services expect them: None dropped, booleans lower-case, times ISO UTC."""
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, datetime):
            out[key] = iso_utc(value)
        else:
            out[key] = str(value)
    return out


def path_segment(value: str) -> str:
    """One URL path segment from an id, percent-encoded so an id can never change the path."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("an id must be a non-empty string")
    return quote(value, safe="")


def iso_utc(when: datetime) -> str:
    """ISO 8601 UTC with `Z`, the services' timestamp format; naive datetimes are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ServiceClient:
    """Base of the five clients: one base URL, one bearer token, one session, one retry policy."""

    service: ClassVar[str] = "service"

    def __init__(
        self,
        base_url: str | None,
        token: str,
        *,
        session: requests.Session | None = None,
        timeout: Timeout = (2.0, 5.0),
        retry: RetryPolicy | None = None,
    ) -> None:
        self.base_url = (base_url or "").rstrip("/")  # "" = not configured: every call says so
        self._token = token
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def cache_identity(self) -> tuple[str, str]:
        """What identifies this client's answers in a cache: its service and base URL."""
        return (self.service, self.base_url)

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self._session.close()

    # -- typed helpers used by the concrete clients -------------------------------------------

    def _get_model(self, path: str, model: type[M], params: Mapping[str, QueryValue] | None = None) -> M:
        return self._parse(model, self._request("GET", path, params=params))

    def _get_page(self, path: str, item: type[M], params: Mapping[str, QueryValue]) -> Page[M]:
        return self._parse(Page[item], self._request("GET", path, params=params))  # type: ignore[valid-type]

    def _iter(self, path: str, item: type[M], params: Mapping[str, QueryValue], page_size: int) -> Iterator[M]:
        def fetch(cursor: str | None) -> Page[M]:
            return self._get_page(path, item, {**params, "limit": page_size, "cursor": cursor})

        return iter_pages(fetch)

    def _post_model(
        self,
        path: str,
        model: type[M],
        body: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> M:
        return self._parse(model, self._request("POST", path, json=body, idempotency_key=idempotency_key))

    # -- the one request path ----------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Send one logical request (with retries when safe) and return the decoded JSON body."""
        safe_to_repeat = method == "GET" or idempotency_key is not None
        attempts = max(1, self.retry.max_attempts) if safe_to_repeat else 1
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        started = self.retry.clock()
        deadline = started + self.retry.deadline if self.retry.deadline is not None else None
        last_retry = started + self.retry.retry_within if self.retry.retry_within is not None else deadline
        for attempt in range(1, attempts + 1):
            outcome = self._attempt(method, path, query(params or {}), json, headers, deadline)
            if outcome.error is None:
                return outcome.body
            pause = self.retry.delay(attempt, outcome.retry_after)
            retry_at = self.retry.clock() + pause
            too_late = last_retry is not None and retry_at >= last_retry
            if not outcome.retryable or attempt == attempts or too_late:
                raise self._redacted(outcome.error) from outcome.cause
            log.warning("%s %s %s failed (%s), retry %d in %.2fs", self.service, method, path,
                        outcome.error.status or outcome.error.code, attempt, pause)
            self.retry.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        json: Mapping[str, Any] | None,
        headers: dict[str, str],
        deadline: float | None = None,
    ) -> _Outcome:
        """One HTTP exchange, its failure classified (retryable or not) but not raised."""
        if not self.base_url:
            error = ServiceUnavailable(self.service, None, None, "not configured: no base URL is set for this service",
                                       "not_configured")
            return _Outcome(error=error)
        timeout = self.timeout
        if deadline is not None:
            left = deadline - self.retry.clock()
            if left <= 0:
                return self._late(method, path)
            timeout = (min(timeout[0], left), min(timeout[1], left))
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, json=json, headers=headers, timeout=timeout,
                stream=True,
            )
            try:
                response._content = self._read_body(response, deadline)
            finally:
                response.close()
        except _TooSlow:
            return self._late(method, path)
        except _TooLarge:
            return _Outcome(error=ServiceError(self.service, None, None,
                                               f"{method} {path}: answer larger than {MAX_BODY} bytes",
                                               "invalid_response"))
        except requests.ReadTimeout as exc:
            what = "no answer in time" if method == "GET" else "no answer in time; the outcome is unknown"
            late = ServiceTimeout(self.service, None, None, f"{method} {path}: {what}", "timeout")
            return _Outcome(error=late, cause=exc, retryable=True)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            invalid = ServiceError(self.service, None, None, f"invalid service URL: {exc}", "invalid_url")
            return _Outcome(error=invalid, cause=exc)
        except requests.RequestException as exc:
            message = f"{method} {path}: cannot reach the service ({type(exc).__name__})"
            unreachable = ServiceUnavailable(self.service, None, None, message, "unreachable")
            return _Outcome(error=unreachable, cause=exc, retryable=True)
        request_id = response.headers.get("X-Request-Id")
        log.debug("%s %s %s -> %s (request %s)", self.service, method, path, response.status_code, request_id)
        if response.status_code == 404 and not _is_json(response):
            # A 404 page from a proxy or a wrong base URL: the service did not say "no such thing".
            message = f"{method} {path}: answered 404 with a non-JSON page, not as the service does"
            return _Outcome(error=ServiceUnavailable(self.service, 404, request_id, message, "not_the_service"),
                            retryable=True)
        if response.status_code >= 400:
            return _Outcome(
                error=error_for_response(self.service, response),
                retryable=response.status_code in RETRY_STATUSES,
                retry_after=retry_after_seconds(response),
            )
        if response.status_code == 204 or not response.content:
            return _Outcome(body=None)
        try:
            return _Outcome(body=response.json())
        except ValueError:
            message = f"{method} {path}: answer is not JSON"
            return _Outcome(error=ServiceError(self.service, response.status_code, request_id, message,
                                               "invalid_response"))

    def _read_body(self, response: requests.Response, deadline: float | None) -> bytes:
        """The body, read in chunks: past the deadline (a body that drips) or MAX_BODY, give up."""
        chunks: list[bytes] = []
        size = 0
        while chunk := response.raw.read1(_CHUNK, decode_content=True):  # whatever has arrived: never waits to fill
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY:
                raise _TooLarge
            if deadline is not None and self.retry.clock() > deadline:
                raise _TooSlow
        return b"".join(chunks)

    def _late(self, method: str, path: str) -> _Outcome:
        seconds = self.retry.deadline or 0
        what = "no complete answer" + (" (the outcome is unknown)" if method != "GET" else "")
        error = ServiceTimeout(self.service, None, None, f"{method} {path}: {what} within {seconds:g} s", "deadline")
        return _Outcome(error=error)

    def _parse(self, model: type[M], data: Any) -> M:
        try:
            adapter: TypeAdapter[M] = _adapter(cast(Any, model))  # a model class is hashable
            return adapter.validate_python(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            name = getattr(model, "__name__", str(model))
            message = f"unexpected answer for {name}: {where}: {first['msg']}"
            raise ServiceError(self.service, None, None, message, "invalid_response") from None

    def _redacted(self, error: ServiceError) -> ServiceError:
        """Strip the bearer token from an error's text, whatever the service or transport echoed."""
        if self._token and self._token in error.message:
            error.message = error.message.replace(self._token, "[redacted]")
            error.args = (error.message,)
        return error


class _TooSlow(Exception):
    """The deadline passed while the body was still arriving."""


class _TooLarge(Exception):
    """The body grew past MAX_BODY."""


def _is_json(response: requests.Response) -> bool:
    """Whether the body is a JSON object, as every answer of the services' admin APIs is."""
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


@dataclass
class _Outcome:
    body: Any = None
    error: ServiceError | None = None
    cause: BaseException | None = None
    retryable: bool = False
    retry_after: float | None = None


@lru_cache(maxsize=256)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)
