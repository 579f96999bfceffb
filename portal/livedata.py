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
from datetime import UTC, date, datetime, timedelta
from enum import Enum
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
    """What to fetch: a call, its arguments, and the service it asks. The cache key is derived from
    the call and its arguments (`key`), never typed by hand: two requests share cached data exactly
    when they make the same call. Build them with `ask` (a client method) or `ask_for`."""

    service: str
    call: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> Hashable:
        return (call_identity(self.call), tuple(keyable(a) for a in self.args),
                tuple((name, keyable(value)) for name, value in self.kwargs))

    def run(self) -> Any:
        return self.call(*self.args, **dict(self.kwargs))


def ask(call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Request:
    """A request for a bound client method, e.g. `ask(clients.push.counts, since=a, until=b)`."""
    service = getattr(getattr(call, "__self__", None), "service", None)
    if not isinstance(service, str):
        raise TypeError(f"ask() takes a bound service-client method, not {call!r}; use ask_for(service, ...)")
    return Request(service, call, args, tuple(sorted(kwargs.items())))


def ask_for(service: str, call: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Request:
    """A request for a module-level function that asks `service`, e.g. a runbook view's fetch."""
    return Request(service, call, args, tuple(sorted(kwargs.items())))


def call_identity(call: Callable[..., Any]) -> Hashable:
    """What names a call in a cache key: its module and qualified name (and, for a bound method,
    who it is bound to). Lambdas and nested functions are refused: their name would not tell two
    of them apart, so keys could collide."""
    function = getattr(call, "__func__", call)
    qualname = getattr(function, "__qualname__", "")
    if not qualname or "<lambda>" in qualname or "<locals>" in qualname:
        raise TypeError(f"cannot derive a cache key from {call!r}: pass a module-level function or a method")
    owner = getattr(call, "__self__", None)
    return (function.__module__, qualname, None if owner is None else keyable(owner))


def keyable(value: Any) -> Hashable:
    """A hashable stand-in for an argument: plain values as they are, containers recursively, and
    objects that define `cache_identity()` (the clients) by what they answer."""
    if value is None or isinstance(value, str | int | float | bool | datetime | date | timedelta | Enum):
        return value
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), keyable(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | frozenset | set):
        items = [keyable(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, frozenset | set) else tuple(items)
    identity = getattr(value, "cache_identity", None)
    if callable(identity):
        return (type(value).__qualname__, identity())
    raise TypeError(f"cannot derive a cache key from a {type(value).__name__} argument")


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
            value = request.run()
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
