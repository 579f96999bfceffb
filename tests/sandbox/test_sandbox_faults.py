"""Fault injection per service and the request log that proves concurrency."""

from __future__ import annotations

import threading
import time

import pytest

from tests.sandbox.sandbox_api import Api

SUMMARY = {"fleet": "/fleet/admin/v1/summary", "push": "/push/admin/v1/top-failing",
           "stats": "/stats/admin/v1/freshness", "marketplace": "/marketplace/admin/v1/summary",
           "hosting": "/hosting/admin/v1/summary"}


def put_fault(api: Api, service: str, **fault: object) -> None:
    response = api.session.put(f"{api.base_url}/_sandbox/faults/{service}", json=fault, timeout=5)
    assert response.status_code == 200, response.text


def test_outage_is_503_with_retry_after_for_that_service_only(api: Api, clean_faults) -> None:
    put_fault(api, "push", outage=True, retry_after=7)
    down = api.get(SUMMARY["push"])
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "7"
    assert down.json()["error"] == "unavailable" and down.json()["request_id"] == down.headers["X-Request-Id"]
    public = api.post("/push/push/apn/send", auth=False, json={})
    assert public.status_code == 503  # the public side of the service is down too
    for service, path in SUMMARY.items():
        if service != "push":
            assert api.get(path).status_code == 200, service
    assert api.ok("/_sandbox/faults", auth=False)["push"]["outage"] is True


def test_clearing_faults_restores_service(api: Api, clean_faults) -> None:
    put_fault(api, "fleet", outage=True)
    assert api.get(SUMMARY["fleet"]).status_code == 503
    api.session.delete(f"{api.base_url}/_sandbox/faults", timeout=5)
    assert api.get(SUMMARY["fleet"]).status_code == 200


def test_error_rate_answers_500(api: Api, clean_faults) -> None:
    put_fault(api, "stats", error_rate=1.0)
    response = api.get(SUMMARY["stats"])
    assert response.status_code == 500 and response.json()["error"] == "internal"
    put_fault(api, "stats", error_rate=0.5)
    codes = {api.get(SUMMARY["stats"]).status_code for _ in range(60)}
    assert codes == {200, 500}


def test_latency_does_not_block_other_requests(api: Api, clean_faults) -> None:
    """Two services slowed by 600 ms, called at once: the request log shows them overlapping."""
    put_fault(api, "fleet", latency_ms=600)
    put_fault(api, "hosting", latency_ms=600)
    mark = api.ok("/_sandbox/requests", auth=False)["now"]
    results: dict[str, int] = {}

    def call(service: str) -> None:
        results[service] = Api(api.base_url).get(SUMMARY[service]).status_code

    threads = [threading.Thread(target=call, args=(s,)) for s in ("fleet", "hosting")]
    started = time.monotonic()
    for t in threads:
        t.start()
    fast = api.get(SUMMARY["marketplace"])  # an unslowed service answers meanwhile
    fast_done = time.monotonic() - started
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    assert results == {"fleet": 200, "hosting": 200} and fast.status_code == 200
    assert fast_done < 0.5
    assert elapsed < 1.1  # serialised, they would take 1.2 s
    log = [e for e in api.ok("/_sandbox/requests", auth=False, params={"since": mark})["items"]
           if e["service"] in ("fleet", "hosting")]
    assert len(log) == 2
    a, b = log
    assert a["finished_at"] - a["started_at"] >= 0.6 and b["finished_at"] - b["started_at"] >= 0.6
    assert a["started_at"] < b["finished_at"] and b["started_at"] < a["finished_at"]  # overlapped
    assert {e["path"] for e in log} == {SUMMARY["fleet"], SUMMARY["hosting"]}
    assert a["started_at_iso"].endswith("Z")


@pytest.mark.parametrize("body", [{"latency_ms": -1}, {"error_rate": 2}, {"outage": "yes"}, {"bogus": 1}])
def test_bad_fault_bodies_are_400(api: Api, clean_faults, body: dict[str, object]) -> None:
    response = api.session.put(f"{api.base_url}/_sandbox/faults/fleet", json=body, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "bad_request"


def test_unknown_service_fault_is_404(api: Api, clean_faults) -> None:
    assert api.session.put(f"{api.base_url}/_sandbox/faults/nope", json={}, timeout=5).status_code == 404


def test_request_log_can_be_cleared(api: Api) -> None:
    api.get(SUMMARY["fleet"])
    assert api.ok("/_sandbox/requests", auth=False)["items"]
    assert api.session.delete(f"{api.base_url}/_sandbox/requests", timeout=5).status_code == 200
    assert [e for e in api.ok("/_sandbox/requests", auth=False)["items"] if e["path"] == SUMMARY["fleet"]] == []
