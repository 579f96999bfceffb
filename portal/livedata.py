"""Live data from the services: fetched concurrently, cached briefly, never waited on for long.

A page asks for all its data at once; `LiveCache.fetch_many` starts every call that is not fresh
in the cache (joining a call already in flight for the same key, so twenty people on one page
ask a service once) and waits at most the page's remaining budget. What has not answered by then
comes back `pending`, with the last good value if there is one; the ui fills it in when it lands.
A call that fails returns the last good value marked stale, or the problem when there is none,
described by kind so screens can say it in plain words: one service down or slow degrades its
widgets, never the page. No Streamlit here: `portal/ui/live.py` renders the results.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any, Generic, TypeVar

from portal.clients.errors import NotFound, PermissionDenied, ServiceError, ServiceTimeout, ServiceUnavailable

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
class Problem:
    """Why a service's answer is missing, as a person reads it, with the detail an engineer wants."""

    summary: str  # plain words: "is not answering", "did not answer in time", ...
    status: int | None = None
    code: str | None = None
    request_id: str | None = None
    message: str = ""  # the service's or transport's own words (untrusted text)

    def __str__(self) -> str:
        """The technical one-liner (for a details toggle or a log line)."""
        parts = [self.summary if not self.message else f"{self.summary}: {self.message}"]
        parts += [f"HTTP {self.status}"] if self.status is not None else []
        parts += [f"code {self.code}"] if self.code else []
        parts += [f"request {self.request_id}"] if self.request_id else []
        return " | ".join(parts)


def problem_of(error: Exception) -> Problem:
    """The plain-words problem behind an exception (never a stack trace, never a secret)."""
    if not isinstance(error, ServiceError):
        return Problem(f"failed inside the portal ({type(error).__name__})")
    if error.code == "not_configured":
        summary = "is not configured for this portal"
    elif isinstance(error, ServiceTimeout):
        summary = "did not answer in time"
    elif error.code == "not_the_service":
        summary = "answered with a page that is not its own (a proxy or a wrong address?)"
    elif error.code == "invalid_response":
        summary = "sent an answer the portal cannot read"
    elif isinstance(error, PermissionDenied):
        summary = "refused the portal's credentials"
    elif isinstance(error, ServiceUnavailable):
        summary = "cannot be reached" if error.status is None else "is failing"
    else:
        summary = "answered with an error"
    return Problem(summary, error.status, error.code, error.request_id, error.message)


@dataclass(frozen=True)
class Live(Generic[T]):
    """One piece of service data as a page sees it: the value, where from, as of when, and how sure.

    `pending`: no answer yet (the call goes on; `value` is the last good one, if any). `stale`: the
    value is older than the service's latest answer, which failed or has not come. `not_found`:
    the service said cleanly that there is no such thing; nothing else ever means that.
    """

    service: str
    value: T | None
    fetched_at: datetime | None
    problem: Problem | None = None
    stale: bool = False
    not_found: bool = False
    pending: bool = False

    @property
    def ok(self) -> bool:
        return self.value is not None and self.problem is None and not self.pending

    @property
    def error(self) -> str | None:
        """The problem in one line (None when there is none)."""
        return str(self.problem) if self.problem is not None else None

    @property
    def unavailable(self) -> bool:
        """The service did not give its current answer: failed, or has not answered yet."""
        return self.pending or (self.problem is not None and not self.not_found)

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
    """A one-line, secret-free message (never a stack trace)."""
    return str(problem_of(error))


@dataclass
class _Entry:
    service: str
    stamp: float  # clock() when answered; -inf once invalidated
    fetched_at: datetime
    value: Any


class LiveCache:
    """Process-wide cache of service answers: short time-to-live, calls in flight shared, last good kept."""

    def __init__(self, ttl_seconds: float = 10.0, *, failure_ttl: float = 5.0, max_workers: int = 32,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl_seconds
        self.failure_ttl = failure_ttl  # a failed call is not repeated sooner than this (unless invalidated)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self._failures: dict[Hashable, tuple[float, Live[Any]]] = {}
        self._inflight: dict[Hashable, Future[Live[Any]]] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="livedata")

    # -- forgetting --------------------------------------------------------------------------

    def invalidate(self, keys: Iterable[Hashable] | None = None) -> None:
        """Expire cached answers (all, or the given keys): the next fetch asks the service again.

        The answers themselves are kept as the last good data, shown stale if the service now fails.
        """
        with self._lock:
            for key in list(self._entries) if keys is None else keys:
                if key in self._entries:
                    self._entries[key].stamp = float("-inf")
                self._failures.pop(key, None)
            if keys is None:
                self._failures.clear()

    def invalidate_where(self, *, services: Iterable[str] = (), mentioning: Iterable[str] = ()) -> int:
        """Expire every answer from one of `services`, or whose call names one of `mentioning`
        (e.g. a workspace id an action just changed); returns how many."""
        wanted, names = set(services), {text for text in mentioning if text}
        with self._lock:
            keys = {key for key, entry in self._entries.items() if entry.service in wanted or _mentions(key, names)}
            keys |= {key for key, (_, live) in self._failures.items() if live.service in wanted
                     or _mentions(key, names)}
        self.invalidate(keys)
        return len(keys)

    # -- fetching ----------------------------------------------------------------------------

    def fetch(self, request: Request, *, ttl: float | None = None, wait: float | None = None) -> Live[Any]:
        return self.fetch_many([request], ttl=ttl, wait=wait)[request.key]

    def fetch_many(self, requests: list[Request], *, ttl: float | None = None,
                   wait: float | None = None) -> Mapping[Hashable, Live[Any]]:
        """Answer every request, calling (concurrently) the services whose answers are missing or expired,
        and waiting at most `wait` seconds for them (None: until each call ends)."""
        ttl = self.ttl if ttl is None else ttl
        now = self._clock()
        results: dict[Hashable, Live[Any]] = {}
        futures: dict[Hashable, tuple[Request, Future[Live[Any]]]] = {}
        with self._lock:
            for request in requests:
                key = request.key
                entry = self._entries.get(key)
                failure = self._failures.get(key)
                if entry is not None and now - entry.stamp < ttl:
                    results[key] = Live(request.service, entry.value, entry.fetched_at)
                elif failure is not None and now - failure[0] < self.failure_ttl and key not in self._inflight:
                    results[key] = failure[1]
                elif key not in futures:
                    future = self._inflight.get(key)
                    if future is None:
                        future = self._pool.submit(self._call, request)
                        self._inflight[key] = future
                        future.add_done_callback(self._landing(key))
                    futures[key] = (request, future)
        if futures:
            wait_for([future for _, future in futures.values()], timeout=wait)
        for key, (request, future) in futures.items():
            results[key] = future.result() if future.done() else self._pending(request)
        return results

    def settled(self, keys: Iterable[Hashable]) -> bool:
        """True when no call for these keys is still in flight."""
        with self._lock:
            return not any(key in self._inflight for key in keys)

    def _pending(self, request: Request) -> Live[Any]:
        with self._lock:
            entry = self._entries.get(request.key)
        if entry is None:
            return Live(request.service, None, None, pending=True)
        return Live(request.service, entry.value, entry.fetched_at, stale=True, pending=True)

    def _landing(self, key: Hashable) -> Callable[[Future[Live[Any]]], None]:
        def landed(_future: Future[Live[Any]]) -> None:
            with self._lock:
                self._inflight.pop(key, None)

        return landed

    def _call(self, request: Request) -> Live[Any]:
        key = request.key
        try:
            value = request.run()
        except NotFound as error:
            live: Live[Any] = Live(request.service, None, datetime.now(UTC), problem=problem_of(error), not_found=True)
            with self._lock:
                self._entries.pop(key, None)
                self._failures[key] = (self._clock(), live)
            return live
        except Exception as error:  # a widget degrades; the page never sees the exception
            problem = problem_of(error)
            log.warning("live data from %s failed: %s", request.service, problem.summary)
            with self._lock:
                entry = self._entries.get(key)
                live = (Live(request.service, entry.value, entry.fetched_at, problem=problem, stale=True)
                        if entry is not None else Live(request.service, None, None, problem=problem))
                self._failures[key] = (self._clock(), live)
            return live
        fetched_at = datetime.now(UTC)
        with self._lock:
            self._entries[key] = _Entry(request.service, self._clock(), fetched_at, value)
            self._failures.pop(key, None)
        return Live(request.service, value, fetched_at)


def _mentions(key: Hashable, names: set[str]) -> bool:
    """Whether any string inside a (nested) cache key is one of `names`."""
    if not names:
        return False
    if isinstance(key, str):
        return key in names
    if isinstance(key, tuple):
        return any(_mentions(part, names) for part in key)
    return False


__all__ = ["SERVICE_TITLES", "Live", "LiveCache", "Problem", "Request", "ask", "ask_for", "problem_of"]
