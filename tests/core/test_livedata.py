"""The live-data cache: time-to-live, last-good fallback marked stale, concurrency, never raising."""

import threading
import time

from portal.clients.errors import NotFound, ServiceUnavailable
from portal.livedata import LiveCache, Request


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fresh_answer_is_cached_until_ttl():
    clock, calls = Clock(), []
    cache = LiveCache(ttl_seconds=60, clock=clock)
    request = Request("k", "fleet", lambda: calls.append(1) or len(calls))
    assert cache.fetch(request).value == 1
    clock.now += 59
    assert cache.fetch(request).value == 1
    clock.now += 2
    assert cache.fetch(request).value == 2
    assert len(calls) == 2


def test_failure_returns_last_good_value_marked_stale():
    clock, state = Clock(), {"down": False}

    def call():
        if state["down"]:
            raise ServiceUnavailable("push", 503, "req-1", "service unavailable")
        return {"sent": 5}

    cache = LiveCache(ttl_seconds=10, clock=clock)
    first = cache.fetch(Request("k", "push", call))
    assert first.ok and not first.stale
    state["down"] = True
    clock.now += 11
    second = cache.fetch(Request("k", "push", call))
    assert second.stale and second.value == {"sent": 5}
    assert second.fetched_at == first.fetched_at
    assert "HTTP 503" in second.error and "req-1" in second.error


def test_failure_without_history_is_an_error_not_an_exception():
    def call():
        raise RuntimeError("boom with a secret token abc")

    live = LiveCache().fetch(Request("k", "stats", call))
    assert live.value is None and not live.ok
    assert live.error == "unexpected RuntimeError"  # no exception text, which might carry anything


def test_not_found_is_reported_as_such():
    def call():
        raise NotFound("stats", 404, None, "no report")

    live = LiveCache().fetch(Request("k", "stats", call))
    assert live.not_found and live.value is None


def test_fetch_many_runs_calls_concurrently():
    barrier = threading.Barrier(3, timeout=5)

    def call(n):
        barrier.wait()  # only passes when all three run at the same time
        return n

    cache = LiveCache()
    results = cache.fetch_many([Request(i, "fleet", lambda i=i: call(i)) for i in range(3)])
    assert [results[i].value for i in range(3)] == [0, 1, 2]


def test_invalidate_forces_a_new_call():
    calls = []
    cache = LiveCache(ttl_seconds=3600)
    request = Request("k", "fleet", lambda: calls.append(time.monotonic()) or len(calls))
    cache.fetch(request)
    cache.invalidate(["k"])
    assert cache.fetch(request).value == 2


def test_refresh_keeps_the_last_good_value_for_a_failing_service():
    state = {"down": False}

    def call():
        if state["down"]:
            raise ServiceUnavailable("push", 503, None, "down")
        return 42

    cache = LiveCache(ttl_seconds=3600)
    cache.fetch(Request("k", "push", call))
    state["down"] = True
    cache.invalidate()
    live = cache.fetch(Request("k", "push", call))
    assert live.stale and live.value == 42
