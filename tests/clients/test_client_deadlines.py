"""A deadline on every call, and answers that are not the service's: against the sandbox's garbage faults
and pytest-httpserver. What is asserted is what the client says and how many requests the server got."""

from __future__ import annotations

import time

import pytest
import requests
from pytest_httpserver import HTTPServer

from portal.clients import FleetClient, NotFound, ServiceError, ServiceTimeout, ServiceUnavailable
from portal.clients.http import RetryPolicy

SUMMARY_PATH = "/fleet/admin/v1/summary"


@pytest.fixture()
def fleet(sandbox, clean_faults) -> FleetClient:
    return FleetClient(sandbox.urls["fleet"], sandbox.admin_token, timeout=(1.0, 5.0),
                       retry=RetryPolicy(max_attempts=3, backoff_base=0.01, deadline=1.2))


def garbage(sandbox, kind: str) -> None:
    requests.put(f"{sandbox.base_url}/_sandbox/faults/fleet", json={"garbage": kind}, timeout=5).raise_for_status()


def test_a_body_that_drips_is_cut_at_the_deadline(sandbox, fleet) -> None:
    garbage(sandbox, "drip")  # one byte every 0.3 s: each read is quick, the whole answer would take minutes
    started = time.monotonic()
    with pytest.raises(ServiceTimeout) as caught:
        fleet.summary()
    elapsed = time.monotonic() - started
    assert caught.value.code == "deadline" and "within 1.2 s" in str(caught.value)
    assert elapsed < 5.0, f"the read timeout alone would not have stopped it ({elapsed:.1f}s)"


def test_an_html_404_from_a_proxy_is_not_not_found(sandbox, fleet) -> None:
    garbage(sandbox, "html_404")
    with pytest.raises(ServiceUnavailable) as caught:
        fleet.get_workspace("ws_000000")
    assert not isinstance(caught.value, NotFound)
    assert caught.value.code == "not_the_service" and caught.value.status == 404


def test_the_services_own_404_is_not_found(sandbox, fleet) -> None:
    with pytest.raises(NotFound):
        fleet.get_workspace("ws_999999999")


@pytest.mark.parametrize("kind", ["malformed_json", "html_login"])
def test_an_answer_that_is_not_the_contract_is_an_error_not_data(sandbox, fleet, kind: str) -> None:
    garbage(sandbox, kind)
    with pytest.raises(ServiceError) as caught:
        fleet.get_workspace("ws_000000")
    assert not isinstance(caught.value, NotFound)
    assert caught.value.code == "invalid_response"


def test_retries_start_only_within_their_window(httpserver: HTTPServer, token: str) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data("busy", status=503)
    clock = {"now": 0.0}

    def sleep(seconds: float) -> None:
        clock["now"] += seconds

    policy = RetryPolicy(max_attempts=10, backoff_base=1.0, max_backoff=1.0, jitter=lambda: 1.0, sleep=sleep,
                         clock=lambda: clock["now"], retry_within=2.5)
    client = FleetClient(httpserver.url_for("/fleet"), token, retry=policy)
    with pytest.raises(ServiceUnavailable):
        client.summary()
    # pauses of 1 s: attempts at 0, 1 and 2 s; a fourth would start at 3 s, past the 2.5 s window
    assert sum(1 for request, _ in httpserver.log if request.path == SUMMARY_PATH) == 3


def test_no_attempt_starts_past_the_deadline(httpserver: HTTPServer, token: str) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data("busy", status=503)
    clock = {"now": 0.0}
    policy = RetryPolicy(max_attempts=10, backoff_base=1.0, max_backoff=1.0, jitter=lambda: 1.0,
                         sleep=lambda s: clock.update(now=clock["now"] + s), clock=lambda: clock["now"], deadline=1.5)
    client = FleetClient(httpserver.url_for("/fleet"), token, retry=policy)
    with pytest.raises(ServiceUnavailable):
        client.summary()
    assert sum(1 for request, _ in httpserver.log if request.path == SUMMARY_PATH) == 2
