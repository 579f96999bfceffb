"""Cursor pagination, lazy iteration, query encoding and the composition root, against a local server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from portal.clients import Clients, FleetClient, PushClient, build_clients
from portal.clients.http import Page, iter_pages
from portal.clients.models import Workspace
from portal.settings import SERVICES, Settings

WORKSPACES_PATH = "/fleet/admin/v1/workspaces"


def workspace(n: int) -> dict[str, object]:
    return {"id": f"ws_{n:06d}", "unique_id": f"uuid-{n}", "name": f"Acme {n}", "site_url": f"https://{n}.example",
            "contact_email": f"it@{n}.example", "version": "7.10.3", "deploy_method": "docker",
            "deploy_platform": "selfinstall", "hosted": False, "plan": "pro", "registration_state": "registered",
            "suspended": False, "created_at": "2025-01-01T00:00:00Z", "last_sync_at": None,
            "last_stats_at": None, "region": None, "token_issued_at": None, "secret_expires_at": None,
            "license_synced_at": None, "a_field_added_later": {"ignored": True}}


def paged(request: Request) -> Response:
    """Three pages of two workspaces each; the cursor is the index of the next item."""
    start = int(request.args.get("cursor") or 0)
    limit = int(request.args["limit"])
    items = [workspace(n) for n in range(start, min(start + limit, 6))]
    next_cursor = str(start + limit) if start + limit < 6 else None
    return Response(Page[dict](items=items, next_cursor=next_cursor, total=6).model_dump_json(),
                    content_type="application/json")


def test_iter_workspaces_fetches_pages_only_when_consumed(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request(WORKSPACES_PATH).respond_with_handler(paged)
    workspaces = make_client(FleetClient).iter_workspaces(hosted=False, page_size=2)
    assert len(httpserver.log) == 0
    first = next(workspaces)
    assert first.id == "ws_000000" and len(httpserver.log) == 1
    next(workspaces)
    assert len(httpserver.log) == 1
    next(workspaces)
    assert len(httpserver.log) == 2
    assert [w.id for w in workspaces] == ["ws_000003", "ws_000004", "ws_000005"]
    assert len(httpserver.log) == 3
    cursors = [request.args.get("cursor") for request, _ in httpserver.log]
    assert cursors == [None, "2", "4"]
    assert all(request.args["hosted"] == "false" for request, _ in httpserver.log)


def test_search_workspaces_returns_one_page(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request(WORKSPACES_PATH, query_string={"q": "acme", "limit": "2", "minor": "7.10"}
                              ).respond_with_handler(paged)
    page = make_client(FleetClient).search_workspaces("acme", limit=2, minor="7.10")
    assert [w.id for w in page.items] == ["ws_000000", "ws_000001"]
    assert page.next_cursor == "2" and page.total == 6
    assert isinstance(page.items[0], Workspace) and page.items[0].last_sync_at is None


def test_unknown_workspace_filter_is_refused_before_any_request(httpserver: HTTPServer, make_client) -> None:
    with pytest.raises(TypeError, match="deploy_metod"):
        make_client(FleetClient).search_workspaces(deploy_metod="docker")
    assert httpserver.log == []


def test_times_are_sent_as_iso_utc_and_none_is_dropped(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request("/push/admin/v1/deliveries").respond_with_json({"items": [], "next_cursor": None,
                                                                              "total": 0})
    since = datetime(2026, 8, 3, 12, 0, tzinfo=UTC)
    make_client(PushClient).deliveries(since=since, outcome="invalid_token")
    request, _ = httpserver.log[0]
    assert request.args["since"] == "2026-08-03T12:00:00Z"
    assert request.args["outcome"] == "invalid_token"
    assert "until" not in request.args and "workspace_id" not in request.args


def test_ids_are_escaped_into_one_path_segment(httpserver: HTTPServer, make_client) -> None:
    httpserver.expect_request(re.compile("/fleet/.*")).respond_with_json(workspace(1))
    make_client(FleetClient).get_workspace("../summary?x=1")
    request, _ = httpserver.log[0]
    assert request.environ["RAW_URI"] == "/fleet/admin/v1/workspaces/..%2Fsummary%3Fx%3D1"


def test_a_repeated_cursor_stops_instead_of_looping() -> None:
    def fetch(cursor: str | None) -> Page[int]:
        return Page[int](items=[1], next_cursor="same")

    with pytest.raises(RuntimeError, match="repeated"):
        list(iter_pages(fetch))


class RecordingSession(requests.Session):
    """A real session that remembers the timeout of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[object] = []

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.timeouts.append(kwargs.get("timeout"))
        return super().request(method, url, *args, **kwargs)


# Valid for every call below: each model ignores the keys it does not know.
ANY_ANSWER = {"total": 1, "hosted": 0, "self_managed": 1, "suspended": 0, "stats_silent_48h": 0, "failed_installs": 0,
              "total_reporting": 1, "reported_24h": 1, "silent_48h": 0, "never_reported": 0, "items": [],
              "as_of": "2026-08-03T12:00:00Z"}


def test_build_clients_uses_each_services_url_token_and_the_timeouts(httpserver: HTTPServer) -> None:
    values: dict[str, object] = {"connect_timeout": 1.5, "read_timeout": 4.5}
    for service in SERVICES:
        values[f"{service}_url"] = httpserver.url_for(f"/{service}-base/")
        values[f"{service}_token"] = f"token-{service}"
    settings = Settings(**values)  # type: ignore[arg-type]
    sessions: list[RecordingSession] = []

    def factory() -> RecordingSession:
        sessions.append(RecordingSession())
        return sessions[-1]

    clients = build_clients(settings, session_factory=factory)
    assert isinstance(clients, Clients) and len(sessions) == 5
    httpserver.expect_request(re.compile(".*")).respond_with_json(ANY_ANSWER)
    clients.fleet.summary()
    clients.push.top_failing(since="2026-08-01T00:00:00Z", until="2026-08-02T00:00:00Z")
    clients.stats.freshness()
    clients.marketplace.summary()
    clients.hosting.summary()
    seen = [(request.path, request.headers["Authorization"]) for request, _ in httpserver.log]
    assert seen == [
        ("/fleet-base/admin/v1/summary", "Bearer token-fleet"),
        ("/push-base/admin/v1/top-failing", "Bearer token-push"),
        ("/stats-base/admin/v1/freshness", "Bearer token-stats"),
        ("/marketplace-base/admin/v1/summary", "Bearer token-marketplace"),
        ("/hosting-base/admin/v1/summary", "Bearer token-hosting"),
    ]
    assert [t for s in sessions for t in s.timeouts] == [(1.5, 4.5)] * 5
    with pytest.raises(AttributeError):
        clients.fleet = clients.push  # type: ignore[misc]
