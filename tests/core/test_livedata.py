"""The live-data cache: time-to-live, last-good fallback marked stale, concurrency, never raising;
and cache keys derived from what is called."""

import threading
import time
from datetime import UTC, datetime

import pytest

from portal.clients.errors import NotFound, ServiceUnavailable
from portal.livedata import LiveCache, ask, ask_for


def answer(function, *args):
    """Call `function(*args)`: a module-level call, so a request for it has a derived key."""
    return function(*args)


def Request(key, service, call):
    return ask_for(service, answer, _Keyed(key, call))


class _Keyed:
    """A call with a name of the test's choosing (what makes two requests "the same call")."""

    def __init__(self, key, call):
        self.key, self.call = key, call

    def __call__(self):
        return self.call()

    def cache_identity(self):
        return self.key


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
    assert live.error == "failed inside the portal (RuntimeError)"  # no exception text, which might carry anything


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
    requests = [Request(i, "fleet", lambda i=i: call(i)) for i in range(3)]
    results = cache.fetch_many(requests)
    assert [results[r.key].value for r in requests] == [0, 1, 2]


def test_invalidate_forces_a_new_call():
    calls = []
    cache = LiveCache(ttl_seconds=3600)
    request = Request("k", "fleet", lambda: calls.append(time.monotonic()) or len(calls))
    cache.fetch(request)
    cache.invalidate([request.key])
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


class FakeClient:
    service = "push"

    def __init__(self, base_url):
        self.base_url = base_url

    def counts(self, *, since, until, workspace_id=None):
        return (since, until, workspace_id)

    def cache_identity(self):
        return (self.service, self.base_url)


def test_keys_are_derived_from_the_call_and_its_arguments():
    client, t0, t1 = FakeClient("http://push"), datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    a = ask(client.counts, since=t0, until=t1, workspace_id="ws_1")
    assert a.service == "push"
    assert a.key == ask(FakeClient("http://push").counts, until=t1, since=t0, workspace_id="ws_1").key
    assert a.key != ask(client.counts, since=t0, until=t1, workspace_id="ws_2").key
    assert a.key != ask(FakeClient("http://other").counts, since=t0, until=t1, workspace_id="ws_1").key
    assert a.run() == (t0, t1, "ws_1")
    # A workspace page's and a dashboard's call differ in their arguments, so they cannot collide.
    assert ask(client.counts, since=t0, until=t1).key != a.key


def test_keys_cannot_be_derived_from_lambdas_or_unknown_objects():
    client = FakeClient("http://push")
    with pytest.raises(TypeError, match="cache key"):
        ask_for("push", lambda: 1).key  # noqa: B018 - the property raises
    with pytest.raises(TypeError, match="cache key"):
        ask_for("push", answer, object()).key  # noqa: B018
    with pytest.raises(TypeError, match="bound service-client method"):
        ask(answer, client)
    assert ask_for("push", answer, {"b": 1, "a": [1, 2]}).key == ask_for("push", answer, {"a": [1, 2], "b": 1}).key
