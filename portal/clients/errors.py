"""One error hierarchy for every service client; HTTP status → class lives in `error_for_response`.

Messages come from the service's JSON body or from the transport, never from request headers, so
an error's text cannot carry the bearer token (the HTTP layer also redacts it defensively).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

# The longest text we keep from an error body: enough for a human, not a whole HTML page.
_MAX_MESSAGE = 500


class ServiceError(Exception):
    """A call to one of the five services failed; carries what a support engineer needs to follow up."""

    def __init__(
        self,
        service: str,
        status: int | None,
        request_id: str | None,
        message: str,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.service = service
        self.status = status
        self.request_id = request_id
        self.message = message
        self.code = code

    def __str__(self) -> str:
        parts = [f"{self.service}: {self.message}"]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(f"code {self.code}")
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return " | ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(service={self.service!r}, status={self.status!r}, "
            f"request_id={self.request_id!r}, code={self.code!r}, message={self.message!r})"
        )


class ServiceUnavailable(ServiceError):
    """The service could not be reached or answered 5xx (after retries, for reads)."""


class ServiceTimeout(ServiceUnavailable):
    """The service accepted the connection but did not answer in time; for a write the outcome is unknown."""


class NotFound(ServiceError):
    """404: the workspace, delivery, operation... does not exist."""


class PermissionDenied(ServiceError):
    """401/403: the portal's token was refused or lacks the right."""


class BadRequest(ServiceError):
    """400/409/422: the service refused the request as invalid or conflicting."""


class RateLimited(ServiceError):
    """429: too many requests; `retry_after` is the service's hint in seconds, if any."""

    def __init__(
        self,
        service: str,
        status: int | None,
        request_id: str | None,
        message: str,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(service, status, request_id, message, code)
        self.retry_after = retry_after


_CLASS_BY_STATUS: dict[int, type[ServiceError]] = {
    400: BadRequest,
    401: PermissionDenied,
    403: PermissionDenied,
    404: NotFound,
    409: BadRequest,
    422: BadRequest,
    500: ServiceUnavailable,
    502: ServiceUnavailable,
    503: ServiceUnavailable,
    504: ServiceUnavailable,
}


def error_for_response(service: str, response: requests.Response) -> ServiceError:
    """The one place an HTTP error answer becomes a `ServiceError` subclass."""
    status = response.status_code
    body = _json_object(response)
    message = _message(body, response)
    code = _code(body)
    request_id = response.headers.get("X-Request-Id") or _str_or_none(body.get("request_id"))
    if status == 429:
        return RateLimited(service, status, request_id, message, code, retry_after=retry_after_seconds(response))
    cls = _CLASS_BY_STATUS.get(status)
    if cls is None:
        cls = ServiceUnavailable if status >= 500 else ServiceError
    return cls(service, status, request_id, message, code)


def retry_after_seconds(response: requests.Response) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or HTTP date), or None when absent/unreadable."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _message(body: dict[str, Any], response: requests.Response) -> str:
    # Admin APIs use `message`; public ones use `error` (OAuth) or `errorMsg` (marketplace).
    for key in ("message", "errorMsg", "error"):
        text = _str_or_none(body.get(key))
        if text:
            return text[:_MAX_MESSAGE]
    reason = response.reason or "error"
    return f"HTTP {response.status_code} {reason}"


def _code(body: dict[str, Any]) -> str | None:
    for key in ("error", "code"):
        value = body.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
            return str(value)
    return None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
