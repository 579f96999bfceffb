"""Which HTTP status and request id the service answered an action with, for the audit record.

The clients return models, not responses, so the executor learns the answer's status and
`X-Request-Id` from a requests response hook: sessions made by `recording_session` note every
answer into the capture opened by the current thread (and do nothing when none is open).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Exchange:
    """One answer from a service: method, URL, status and the service's request id."""

    method: str
    url: str
    status: int
    request_id: str | None


_CURRENT: ContextVar[list[Exchange] | None] = ContextVar("portal_action_exchanges", default=None)


def _record(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    exchanges = _CURRENT.get()
    if exchanges is not None:
        exchanges.append(Exchange(response.request.method or "", response.url, response.status_code,
                                  response.headers.get("X-Request-Id")))
    return response


def recording_session() -> requests.Session:
    """A requests session whose answers can be captured (pass to `build_clients(session_factory=...)`)."""
    session = requests.Session()
    session.hooks["response"].append(_record)
    return session


@contextmanager
def capture_exchanges() -> Iterator[list[Exchange]]:
    """Collect the answers received by this thread until the block ends."""
    exchanges: list[Exchange] = []
    token = _CURRENT.set(exchanges)
    try:
        yield exchanges
    finally:
        _CURRENT.reset(token)


def decisive(exchanges: list[Exchange]) -> Exchange | None:
    """The answer that tells the outcome: the last write (POST), else the last answer."""
    writes = [e for e in exchanges if e.method.upper() != "GET"]
    seen = writes or exchanges
    return seen[-1] if seen else None
