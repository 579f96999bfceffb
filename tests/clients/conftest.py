"""Fixtures for the client tests: a threaded local HTTP server, a recording sleep, client factories."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer

from portal.clients.http import RetryPolicy, ServiceClient

TOKEN = "s3cret-admin-token-4f9a"


@pytest.fixture(scope="session")
def make_httpserver() -> Iterator[HTTPServer]:
    """pytest-httpserver's server, threaded so a slow handler cannot block the client's retries."""
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture()
def token() -> str:
    """The bearer token the test clients send; it must never show up in errors or logs."""
    return TOKEN


@pytest.fixture()
def sleeps() -> list[float]:
    """Every pause the retry policy asked for, instead of really sleeping."""
    return []


@pytest.fixture()
def retry(sleeps: list[float]) -> RetryPolicy:
    """Three attempts, tiny backoff, sleeping into `sleeps`."""
    return RetryPolicy(max_attempts=3, backoff_base=0.01, max_backoff=0.1, max_retry_after=10.0,
                       sleep=sleeps.append)


@pytest.fixture()
def make_client(httpserver: HTTPServer, retry: RetryPolicy) -> Callable[..., ServiceClient]:
    """Build any client against the local server, under a path prefix like the sandbox's."""

    def make(cls: type[ServiceClient], *, timeout: tuple[float, float] = (1.0, 2.0)) -> ServiceClient:
        return cls(httpserver.url_for(f"/{cls.service}"), TOKEN, timeout=timeout, retry=retry)

    return make
