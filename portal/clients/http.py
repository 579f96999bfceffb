"""The shared HTTP base of every service client: timeouts, retries, errors, pagination.

Retry rule (see docs/service-contract.md): reads (GET) are retried on connection errors, read
timeouts, 500/502/503/504 and 429 with exponential backoff and jitter, honouring `Retry-After`.
A write (POST) is sent once, unless the caller gave an idempotency key: the services answer a
repeated key with the first answer, so only then is a write retried like a read.
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


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently idempotent requests are retried; `sleep` is injectable for tests."""

    max_attempts: int = 3
    backoff_base: float = 0.05
    max_backoff: float = 2.0
    # A service asking for a longer pause than this still gets retried after this long.
    max_retry_after: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

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
        for attempt in range(1, attempts + 1):
            outcome = self._attempt(method, path, query(params or {}), json, headers)
            if outcome.error is None:
                return outcome.body
            if not outcome.retryable or attempt == attempts:
                raise self._redacted(outcome.error) from outcome.cause
            pause = self.retry.delay(attempt, outcome.retry_after)
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
    ) -> _Outcome:
        """One HTTP exchange, its failure classified (retryable or not) but not raised."""
        if not self.base_url:
            error = ServiceUnavailable(self.service, None, None, "not configured: no base URL is set for this service",
                                       "not_configured")
            return _Outcome(error=error)
        try:
            response = self._session.request(
                method, self.base_url + path, params=params, json=json, headers=headers, timeout=self.timeout
            )
        except requests.ReadTimeout as exc:
            what = "no answer in time" if method == "GET" else "no answer in time; the outcome is unknown"
            timeout = ServiceTimeout(self.service, None, None, f"{method} {path}: {what}", "timeout")
            return _Outcome(error=timeout, cause=exc, retryable=True)
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as exc:
            invalid = ServiceError(self.service, None, None, f"invalid service URL: {exc}", "invalid_url")
            return _Outcome(error=invalid, cause=exc)
        except requests.RequestException as exc:
            message = f"{method} {path}: cannot reach the service ({type(exc).__name__})"
            unreachable = ServiceUnavailable(self.service, None, None, message, "unreachable")
            return _Outcome(error=unreachable, cause=exc, retryable=True)
        request_id = response.headers.get("X-Request-Id")
        log.debug("%s %s %s -> %s (request %s)", self.service, method, path, response.status_code, request_id)
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
