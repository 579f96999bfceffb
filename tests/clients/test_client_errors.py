"""Error paths of the shared HTTP layer against a real local server (pytest-httpserver)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from portal.clients import (
    BadRequest,
    FleetClient,
    HostingClient,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceError,
    ServiceTimeout,
    ServiceUnavailable,
)
from portal.clients.http import RetryPolicy

SUMMARY_PATH = "/fleet/admin/v1/summary"
SUSPEND_PATH = "/fleet/admin/v1/workspaces/ws_000001/suspend"
OPERATION = {"workspace_id": "ws_000001", "operation": "suspend", "performed_at": "2026-08-03T12:00:00Z",
             "detail": {"suspended": True}}
SUMMARY = {"total": 3, "by_minor": {"7.10": 3}, "by_deploy_method": {"docker": 3}, "by_deploy_platform": {},
           "hosted": 1, "self_managed": 2, "by_registration_state": {"registered": 3}, "suspended": 0,
           "stats_silent_48h": 1, "created_by_month": {"2026-07": 3}, "as_of": "2026-08-03T12:00:00Z"}


def error_body(code: str, message: str, request_id: str = "req-1") -> str:
    return json.dumps({"error": code, "message": message, "request_id": request_id})


def received(httpserver: HTTPServer, path: str) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == path)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_get_is_retried_on_5xx_then_raises_unavailable(httpserver: HTTPServer, make_client, sleeps, status) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data(error_body("unavailable", "down"), status=status,
                                                             content_type="application/json")
    with pytest.raises(ServiceUnavailable) as caught:
        make_client(FleetClient).summary()
    assert received(httpserver, SUMMARY_PATH) == 3
    assert len(sleeps) == 2
    assert caught.value.status == status


def test_get_recovers_after_one_503(httpserver: HTTPServer, make_client, sleeps) -> None:
    httpserver.expect_ordered_request(SUMMARY_PATH).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(SUMMARY_PATH).respond_with_json(SUMMARY)
    summary = make_client(FleetClient).summary()
    assert summary.total == 3 and summary.by_minor == {"7.10": 3}
    assert received(httpserver, SUMMARY_PATH) == 2
    assert len(sleeps) == 1 and 0 < sleeps[0] <= 0.1


def test_post_without_idempotency_key_is_sent_once(httpserver: HTTPServer, make_client, sleeps) -> None:
    httpserver.expect_request(SUSPEND_PATH, method="POST").respond_with_data("oops", status=503)
    with pytest.raises(ServiceUnavailable):
        make_client(FleetClient).suspend("ws_000001")
    assert received(httpserver, SUSPEND_PATH) == 1
    assert sleeps == []


def test_post_with_idempotency_key_is_retried_with_the_same_key(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_ordered_request(SUSPEND_PATH, method="POST").respond_with_data("oops", status=502)
    httpserver.expect_ordered_request(SUSPEND_PATH, method="POST").respond_with_json(OPERATION)
    operation = make_client(FleetClient).suspend("ws_000001", idempotency_key="op-123")
    assert operation.detail == {"suspended": True}
    keys = [request.headers.get("Idempotency-Key") for request, _ in httpserver.log]
    assert keys == ["op-123", "op-123"]


def test_post_without_key_sends_no_idempotency_header(httpserver: HTTPServer, make_client, token) -> None:
    httpserver.expect_request(SUSPEND_PATH, method="POST").respond_with_json(OPERATION)
    make_client(FleetClient).suspend("ws_000001")
    request, _ = httpserver.log[0]
    assert "Idempotency-Key" not in request.headers
    assert request.headers["Authorization"] == f"Bearer {token}"


@pytest.mark.parametrize(
    ("status", "error_class", "code"),
    [
        (400, BadRequest, "bad_request"),
        (401, PermissionDenied, "unauthorized"),
        (403, PermissionDenied, "forbidden"),
        (404, NotFound, "not_found"),
        (409, BadRequest, "conflict"),
        (422, BadRequest, "invalid"),
    ],
)
def test_4xx_maps_to_its_class_and_is_not_retried(
    httpserver: HTTPServer, make_client, sleeps, status, error_class, code
) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data(
        error_body(code, f"it went {code}", "req-4xx"), status=status, content_type="application/json",
        headers={"X-Request-Id": "req-4xx"})
    with pytest.raises(error_class) as caught:
        make_client(FleetClient).summary()
    error = caught.value
    assert type(error) is error_class
    assert (error.service, error.status, error.code, error.request_id) == ("fleet", status, code, "req-4xx")
    assert error.message == f"it went {code}"
    assert received(httpserver, SUMMARY_PATH) == 1
    assert sleeps == []


def test_429_honours_retry_after_then_raises_rate_limited(httpserver: HTTPServer, make_client, sleeps) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data(
        error_body("rate_limited", "slow down"), status=429, headers={"Retry-After": "7"},
        content_type="application/json")
    with pytest.raises(RateLimited) as caught:
        make_client(FleetClient).summary()
    assert sleeps == [7.0, 7.0]
    assert caught.value.retry_after == 7.0
    assert received(httpserver, SUMMARY_PATH) == 3


def test_retry_after_is_capped(httpserver: HTTPServer, make_client, sleeps) -> None:
    httpserver.expect_ordered_request(SUMMARY_PATH).respond_with_data("", status=503, headers={"Retry-After": "3600"})
    httpserver.expect_ordered_request(SUMMARY_PATH).respond_with_json(SUMMARY)
    make_client(FleetClient).summary()
    assert sleeps == [10.0]


def test_429_on_a_write_without_key_is_not_retried(httpserver: HTTPServer, make_client, sleeps) -> None:
    httpserver.expect_request(SUSPEND_PATH, method="POST").respond_with_data(
        error_body("rate_limited", "slow down"), status=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimited) as caught:
        make_client(FleetClient).suspend("ws_000001")
    assert caught.value.retry_after == 2.0
    assert received(httpserver, SUSPEND_PATH) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        ({"error": "oauth_invalid_client_credentials"}, "oauth_invalid_client_credentials",
         "oauth_invalid_client_credentials"),
        ({"errorMsg": "unsupported version"}, "unsupported version", None),
        ({"error": "invalid", "message": "version 1.0.0 is not supported"}, "version 1.0.0 is not supported",
         "invalid"),
    ],
)
def test_message_comes_from_message_error_or_errormsg(httpserver: HTTPServer, make_client, body, message,
                                                      code) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_json(body, status=400)
    with pytest.raises(BadRequest) as caught:
        make_client(FleetClient).summary()
    assert caught.value.message == message
    assert caught.value.code == code


def test_unknown_4xx_is_a_plain_service_error(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_json({"errorMsg": "unsupported version"}, status=426)
    with pytest.raises(ServiceError) as caught:
        make_client(FleetClient).summary()
    assert type(caught.value) is ServiceError and caught.value.status == 426


def echo_authorization(request: Request) -> Response:
    message = f"token {request.headers.get('Authorization')} is not allowed here"
    return Response(error_body("forbidden", message), status=403, content_type="application/json")


def test_token_never_appears_in_the_error(httpserver: HTTPServer, make_client, caplog, token) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_handler(echo_authorization)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PermissionDenied) as caught:
        make_client(FleetClient).summary()
    error = caught.value
    assert token not in str(error) and token not in repr(error) and token not in str(error.args)
    assert "[redacted]" in error.message
    assert token not in caplog.text
    assert token not in repr(make_client(FleetClient))


def test_str_of_an_error_names_service_status_and_request(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data(
        error_body("not_found", "no such thing", "req-77"), status=404, headers={"X-Request-Id": "req-77"})
    with pytest.raises(NotFound) as caught:
        make_client(FleetClient).summary()
    assert str(caught.value) == "fleet: no such thing | HTTP 404 | code not_found | request req-77"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_unavailable_and_retried_for_reads(retry: RetryPolicy, sleeps, token) -> None:
    client = FleetClient(f"http://127.0.0.1:{closed_port()}/fleet", token, retry=retry, timeout=(0.5, 0.5))
    with pytest.raises(ServiceUnavailable) as caught:
        client.summary()
    assert type(caught.value) is ServiceUnavailable
    assert caught.value.status is None and caught.value.code == "unreachable"
    assert len(sleeps) == 2
    assert token not in str(caught.value)


def test_connection_refused_on_a_write_is_not_retried(retry: RetryPolicy, sleeps, token) -> None:
    client = FleetClient(f"http://127.0.0.1:{closed_port()}/fleet", token, retry=retry, timeout=(0.5, 0.5))
    with pytest.raises(ServiceUnavailable):
        client.suspend("ws_000001")
    assert sleeps == []


class SlowHandler:
    """Answers after `delay` seconds and counts arrivals (before answering, unlike the server log)."""

    def __init__(self, delay: float, body: dict[str, object]) -> None:
        self.delay, self.body, self.arrivals, self.answered = delay, body, 0, 0
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Response:
        with self._lock:
            self.arrivals += 1
        time.sleep(self.delay)
        with self._lock:
            self.answered += 1
        return Response(json.dumps(self.body), content_type="application/json")

    def settle(self, limit: float = 5.0) -> None:
        """Wait until every request it took has been answered, so none lands in the next test's log."""
        deadline = time.monotonic() + limit
        while self.answered < self.arrivals and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture()
def slow_handler() -> Iterator[Callable[[float, dict[str, object]], SlowHandler]]:
    """Slow handlers that are all answered before the test ends (the server outlives the test)."""
    made: list[SlowHandler] = []

    def make(delay: float, body: dict[str, object]) -> SlowHandler:
        made.append(SlowHandler(delay, body))
        return made[-1]

    yield make
    for handler in made:
        handler.settle()


def test_read_timeout_on_a_read_is_retried_then_service_timeout(
    httpserver: HTTPServer, make_client, sleeps, slow_handler
) -> None:
    slow = slow_handler(0.6, SUMMARY)
    httpserver.expect_request(SUMMARY_PATH).respond_with_handler(slow)
    client = make_client(FleetClient, timeout=(1.0, 0.15))
    with pytest.raises(ServiceTimeout) as caught:
        client.summary()
    assert isinstance(caught.value, ServiceUnavailable)
    assert slow.arrivals == 3 and len(sleeps) == 2


def test_read_timeout_on_a_write_is_not_retried_and_says_outcome_unknown(
    httpserver: HTTPServer, make_client, sleeps, slow_handler
) -> None:
    slow = slow_handler(0.6, OPERATION)
    httpserver.expect_request(SUSPEND_PATH, method="POST").respond_with_handler(slow)
    with pytest.raises(ServiceTimeout) as caught:
        make_client(FleetClient, timeout=(1.0, 0.15)).suspend("ws_000001")
    assert "outcome is unknown" in str(caught.value)
    time.sleep(0.1)
    assert slow.arrivals == 1 and sleeps == []


def test_read_timeout_on_a_write_with_key_is_retried(httpserver: HTTPServer, make_client, slow_handler) -> None:
    slow = slow_handler(0.6, OPERATION)
    httpserver.expect_request(SUSPEND_PATH, method="POST").respond_with_handler(slow)
    with pytest.raises(ServiceTimeout):
        make_client(FleetClient, timeout=(1.0, 0.15)).suspend("ws_000001", idempotency_key="k-1")
    assert slow.arrivals == 3


def test_non_json_success_is_a_service_error(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request(SUMMARY_PATH).respond_with_data("<html>proxy login</html>", status=200)
    with pytest.raises(ServiceError) as caught:
        make_client(FleetClient).summary()
    assert caught.value.code == "invalid_response"


def test_unexpected_shape_is_a_service_error_not_a_validation_error(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request("/hosting/admin/v1/summary").respond_with_json({"total": "many"})
    with pytest.raises(ServiceError) as caught:
        make_client(HostingClient).summary()
    assert caught.value.code == "invalid_response" and caught.value.service == "hosting"


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    top = RetryPolicy(backoff_base=0.05, max_backoff=2.0, jitter=lambda: 1.0)
    bottom = RetryPolicy(backoff_base=0.05, max_backoff=2.0, jitter=lambda: 0.0)
    assert [top.delay(n) for n in (1, 2, 3)] == pytest.approx([0.05, 0.1, 0.2])
    assert [bottom.delay(n) for n in (1, 2, 3)] == pytest.approx([0.025, 0.05, 0.1])
    assert top.delay(20) == 2.0
    assert top.delay(1, retry_after=3.0) == 3.0
    assert top.delay(1, retry_after=999.0) == top.max_retry_after
