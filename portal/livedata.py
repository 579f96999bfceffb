"""Live data from the services, cached with a time-to-live, degrading to the last good value.

A page asks for several pieces of data at once; `LiveCache.fetch_many` runs the calls concurrently,
so the page waits about as long as its slowest service, not the sum. A call that fails returns the
last good value marked stale, or an error message when there is none: one service down degrades
one widget, never the page. No Streamlit here: `portal/ui/live.py` renders the results.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from portal.clients.errors import NotFound, ServiceError

T = TypeVar("T")
log = logging.getLogger(__name__)

SERVICE_TITLES = {
    "fleet": "Fleetcommand",
    "push": "Push Gateway",
    "stats": "Statistics Collector",
    "marketplace": "Marketplace",
    "hosting": "Cloud hosting",
}


@dataclass(frozen=True)
class Live(Generic[T]):
    """One piece of service data as a page sees it: the value, where from, as of when, and how sure."""

    service: str
    value: T | None
    fetched_at: datetime | None
    error: str | None = None
    stale: bool = False
    not_found: bool = False

    @property
    def ok(self) -> bool:
        return self.value is not None and self.error is None

    @property
    def source(self) -> str:
        return SERVICE_TITLES.get(self.service, self.service)


@dataclass(frozen=True)
class Request:
    """What to fetch: a cache key, the service it comes from, and the call itself."""

    key: Hashable
    service: str
    call: Callable[[], Any]


def describe_error(error: Exception) -> str:
    """A one-line, secret-free message for a banner (never a stack trace)."""
    if isinstance(error, ServiceError):
        return str(error)
    return f"unexpected {type(error).__name__}"


class LiveCache:
    """Process-wide cache of service answers with a time-to-live and last-good fallback."""

    def __init__(
        self, ttl_seconds: float = 60.0, *, max_workers: int = 32, clock: Callable[[], float] = time.monotonic
    ):
        self.ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, datetime, Any]] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="livedata")

    def invalidate(self, keys: list[Hashable] | None = None) -> None:
        """Expire cached answers (all, or the given keys): the next fetch asks the service again.

        The answers themselves are kept as the last good data, shown stale if the service now fails.
        """
        with self._lock:
            for key in list(self._entries) if keys is None else keys:
                if key in self._entries:
                    _, fetched_at, value = self._entries[key]
                    self._entries[key] = (float("-inf"), fetched_at, value)

    def fetch(self, request: Request, *, ttl: float | None = None) -> Live[Any]:
        return self.fetch_many([request], ttl=ttl)[request.key]

    def fetch_many(self, requests: list[Request], *, ttl: float | None = None) -> Mapping[Hashable, Live[Any]]:
        """Answer every request, calling the services whose answers are missing or expired, concurrently."""
        ttl = self.ttl if ttl is None else ttl
        now = self._clock()
        results: dict[Hashable, Live[Any]] = {}
        to_call: list[Request] = []
        with self._lock:
            for request in requests:
                entry = self._entries.get(request.key)
                if entry is not None and now - entry[0] < ttl:
                    results[request.key] = Live(request.service, entry[2], entry[1])
                else:
                    to_call.append(request)
        futures = {request.key: self._pool.submit(self._call, request) for request in to_call}
        for request in to_call:
            results[request.key] = futures[request.key].result()
        return results

    def _call(self, request: Request) -> Live[Any]:
        try:
            value = request.call()
        except NotFound as error:
            return Live(request.service, None, datetime.now(UTC), error=str(error), not_found=True)
        except Exception as error:  # a widget degrades; the page never sees the exception
            log.warning("live data %r from %s failed: %s", request.key, request.service, describe_error(error))
            with self._lock:
                entry = self._entries.get(request.key)
            message = describe_error(error)
            if entry is not None:
                return Live(request.service, entry[2], entry[1], error=message, stale=True)
            return Live(request.service, None, None, error=message)
        fetched_at = datetime.now(UTC)
        with self._lock:
            self._entries[request.key] = (self._clock(), fetched_at, value)
        return Live(request.service, value, fetched_at)
