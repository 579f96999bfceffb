"""Each client against the real sandbox (tests/conftest.py `sandbox`), checked against docs/service-contract.md."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest
import requests

from portal.clients import (
    BadRequest,
    Clients,
    FleetClient,
    NotFound,
    PermissionDenied,
    RetryPolicy,
    ServiceTimeout,
    ServiceUnavailable,
    build_clients,
)
from portal.clients.models import HostingOperation, Workspace
from portal.settings import Settings

DATA = Path(__file__).parent / "data"
NOW = datetime.now(UTC)
MONTH_AGO = NOW - timedelta(days=30)


@pytest.fixture()
def sleeps() -> list[float]:
    return []


@pytest.fixture()
def clients(sandbox_settings: Settings, sleeps: list[float]) -> Clients:
    """The five clients exactly as the portal builds them, with a recording sleep instead of waiting."""
    retry = RetryPolicy(max_attempts=3, backoff_base=0.01, max_backoff=0.05, sleep=sleeps.append)
    return build_clients(sandbox_settings, retry=retry)


def health(sandbox) -> dict[str, object]:
    return requests.get(f"{sandbox.base_url}/_sandbox/health", timeout=5).json()


def a_registered_workspace(clients: Clients, *, offset: int = 0) -> Workspace:
    """A registered, self-managed workspace picked from the end of the list, away from other tests' picks."""
    page = clients.fleet.search_workspaces(registration_state="registered", hosted=False, limit=50)
    return page.items[-1 - offset]


# -- fleet ----------------------------------------------------------------------------------------


def test_fleet_summary_counts_the_whole_fleet(clients: Clients, sandbox) -> None:
    summary = clients.fleet.summary()
    assert summary.total == health(sandbox)["workspaces"]
    assert summary.hosted + summary.self_managed == summary.total
    assert sum(summary.by_minor.values()) == summary.total
    assert sum(summary.by_registration_state.values()) == summary.total


def test_fleet_search_pages_with_a_cursor(clients: Clients) -> None:
    first = clients.fleet.search_workspaces(limit=5)
    assert len(first.items) == 5 and first.next_cursor and first.total == clients.fleet.summary().total
    second = clients.fleet.search_workspaces(limit=5, cursor=first.next_cursor)
    assert {w.id for w in first.items}.isdisjoint({w.id for w in second.items})


def test_fleet_iter_workspaces_matches_the_summary_for_one_minor(clients: Clients) -> None:
    summary = clients.fleet.summary()
    minor, count = min(summary.by_minor.items(), key=lambda item: item[1])
    found = list(clients.fleet.iter_workspaces(minor=minor, page_size=7))
    assert len(found) == count
    assert all(w.version.startswith(minor + ".") or w.version == minor for w in found)


def test_fleet_filters_hosted(clients: Clients) -> None:
    page = clients.fleet.search_workspaces(hosted=True, limit=20)
    assert page.items and all(w.hosted for w in page.items)
    assert page.total == clients.fleet.summary().hosted


def test_fleet_get_by_id_or_unique_id_and_q(clients: Clients) -> None:
    some = clients.fleet.search_workspaces(limit=1).items[0]
    assert clients.fleet.get_workspace(some.id) == some
    assert clients.fleet.get_workspace(some.unique_id) == some
    assert clients.fleet.search_workspaces(some.unique_id).items[0].id == some.id


def test_fleet_unknown_workspace_is_not_found_with_a_request_id(clients: Clients) -> None:
    with pytest.raises(NotFound) as caught:
        clients.fleet.get_workspace("ws_does_not_exist")
    assert caught.value.status == 404 and caught.value.code == "not_found" and caught.value.request_id


def test_fleet_wrong_token_is_permission_denied(sandbox) -> None:
    client = FleetClient(sandbox.urls["fleet"], "not-the-token")
    with pytest.raises(PermissionDenied) as caught:
        client.summary()
    assert caught.value.status == 401 and "not-the-token" not in str(caught.value)


def test_fleet_suspend_and_unsuspend(clients: Clients) -> None:
    target = a_registered_workspace(clients, offset=1)
    operation = clients.fleet.suspend(target.id)
    assert operation.workspace_id == target.id and operation.detail["suspended"] is True
    assert clients.fleet.get_workspace(target.id).suspended is True
    assert clients.fleet.unsuspend(target.id).detail["suspended"] is False
    assert clients.fleet.get_workspace(target.id).suspended is False


def test_fleet_write_with_idempotency_key_is_answered_once(clients: Clients) -> None:
    target = a_registered_workspace(clients, offset=2)
    key = f"test-{uuid.uuid4()}"
    first = clients.fleet.force_license_sync(target.id, idempotency_key=key)
    time.sleep(1.1)  # a second sync would carry a later time
    again = clients.fleet.force_license_sync(target.id, idempotency_key=key)
    assert again == first
    assert first.detail["license_synced_at"]


def test_fleet_revoke_tokens_and_rotate_secret(clients: Clients) -> None:
    target = a_registered_workspace(clients, offset=0)
    revoked = clients.fleet.revoke_access_tokens(target.id)
    assert revoked.operation and isinstance(revoked.detail["revoked"], int)
    assert clients.fleet.get_workspace(target.id).registration_state == "registered"
    rotated = clients.fleet.rotate_client_secret(target.id)
    assert rotated.detail["secret_expires_at"]
    assert "secret" not in {k for k in rotated.detail if k != "secret_expires_at"}
    assert clients.fleet.get_workspace(target.id).registration_state == "deregistered"


# -- push -----------------------------------------------------------------------------------------


def test_push_deliveries_page_iter_and_get(clients: Clients) -> None:
    page = clients.push.deliveries(limit=10)
    assert page.items and len(page.items) <= 10
    times = [d.created_at for d in page.items]
    assert times == sorted(times, reverse=True)
    one = page.items[0]
    assert clients.push.get_delivery(one.id) == one
    mine = list(islice(clients.push.iter_deliveries(workspace_id=one.workspace_id, page_size=3), 5))
    assert mine and all(d.workspace_id == one.workspace_id for d in mine)
    with pytest.raises(NotFound):
        clients.push.get_delivery("d_does_not_exist")


def test_push_counts_tokens_trend_and_top_failing(clients: Clients) -> None:
    counts = clients.push.counts(since=MONTH_AGO, until=NOW, bucket="day")
    assert counts.bucket == "day"
    assert all(item.count >= 0 and item.platform in {"apn", "gcm"} for item in counts.items)
    tokens = clients.push.invalid_tokens(limit=5)
    assert len(tokens.items) <= 5
    assert all("…" in t.device_token or len(t.device_token) <= 7 for t in tokens.items)  # masked
    trend = clients.push.invalid_token_trend(since=MONTH_AGO, until=NOW, bucket="day")
    assert trend and all(point.count >= 0 for point in trend)
    assert all(point.start.hour == 0 for point in trend)  # day buckets are UTC-aligned
    failing = clients.push.top_failing(since=MONTH_AGO, until=NOW, limit=3)
    assert len(failing) <= 3 and all(f.failed <= f.total for f in failing)


def test_push_test_send_resend_and_purge(clients: Clients) -> None:
    workspace_id = clients.push.deliveries(limit=1).items[0].workspace_id
    test = clients.push.send_test(workspace_id, title="Portal test", text="Hello")
    assert test.kind == "test" and test.workspace_id == workspace_id
    resent = clients.push.resend_delivery(test.id)
    assert resent.resent_from == test.id and resent.id != test.id
    preview = clients.push.preview_resend_failed(workspace_id, since=MONTH_AGO, until=NOW)
    result = clients.push.resend_failed(workspace_id, since=MONTH_AGO, until=NOW)
    assert result.resent == preview.failed and len(result.delivery_ids) == result.resent
    assert clients.push.purge_invalid_tokens(workspace_id).purged >= 0


# -- stats ----------------------------------------------------------------------------------------


def test_stats_freshness(clients: Clients) -> None:
    freshness = clients.stats.freshness()
    assert freshness.reported_24h <= freshness.total_reporting
    assert freshness.as_of.tzinfo is not None


def test_stats_latest_and_history_of_a_reporting_workspace(clients: Clients) -> None:
    reporting = next(w for w in clients.fleet.iter_workspaces(registration_state="registered")
                     if w.last_stats_at is not None)
    report = clients.stats.latest(reporting.unique_id)
    assert report.unique_id == reporting.unique_id == report.statistics.unique_id
    assert report.raw["uniqueId"] == reporting.unique_id
    history = clients.stats.history(reporting.unique_id, limit=3)
    assert 1 <= len(history) <= 3
    assert [p.received_at for p in history] == sorted((p.received_at for p in history), reverse=True)


def test_stats_never_reported_is_not_found(clients: Clients) -> None:
    with pytest.raises(NotFound):
        clients.stats.latest(str(uuid.uuid4()))


@pytest.mark.parametrize("fixture", ["stats-0.61.json", "stats-6.3.json", "stats-8.2.json"])
def test_stats_document_posted_to_the_collector_comes_back_normalised(clients: Clients, sandbox,
                                                                      fixture: str) -> None:
    doc = json.loads((DATA / fixture).read_text())
    doc["uniqueId"] = str(uuid.uuid4())
    answer = requests.post(sandbox.urls["stats"] + "/", json={**doc, "host": "https://posted.example"}, timeout=5)
    assert answer.status_code == 200 and "statsToken" in answer.json()
    report = clients.stats.latest(doc["uniqueId"])
    assert report.statistics.version is not None and report.statistics.version.raw == doc["version"]
    assert report.statistics.total_users == doc["totalUsers"]
    assert any(r.unique_id == doc["uniqueId"] for r in clients.stats.unregistered(doc["uniqueId"]).items)


def test_stats_unregistered_page(clients: Clients) -> None:
    page = clients.stats.unregistered(limit=5)
    assert len(page.items) <= 5 and (page.total or 0) >= len(page.items)


# -- marketplace ----------------------------------------------------------------------------------


def test_marketplace_summary_failed_installs_apps_and_resync(clients: Clients) -> None:
    summary = clients.marketplace.summary()
    assert summary.failed_installs >= 0
    failed = clients.marketplace.failed_installs(limit=5)
    assert len(failed.items) <= 5
    workspace_id = failed.items[0].workspace_id if failed.items else a_registered_workspace(clients).id
    apps = clients.marketplace.workspace_apps(workspace_id)
    assert all(app.app_id and app.status for app in apps)
    result = clients.marketplace.resync_subscriptions(workspace_id)
    assert result.workspace_id == workspace_id and result.resynced >= 0


# -- hosting --------------------------------------------------------------------------------------


def test_hosting_summary_instances_and_events(clients: Clients) -> None:
    summary = clients.hosting.summary()
    assert summary.total == clients.fleet.summary().hosted
    page = clients.hosting.instances(limit=5)
    assert page.items and page.total == summary.total
    one = page.items[0]
    assert clients.hosting.get_instance(one.workspace_id) == one
    events = clients.hosting.events(one.workspace_id, limit=3)
    assert len(events) <= 3
    running = clients.hosting.instances(status="running", limit=5)
    assert all(i.status == "running" for i in running.items)


def test_hosting_self_managed_workspace_is_not_found(clients: Clients) -> None:
    with pytest.raises(NotFound):
        clients.hosting.get_instance(a_registered_workspace(clients).id)


def wait_until_done(clients: Clients, operation: HostingOperation, seconds: float = 20.0) -> HostingOperation:
    deadline = time.monotonic() + seconds
    while not operation.done and time.monotonic() < deadline:
        time.sleep(0.25)
        operation = clients.hosting.get_operation(operation.id)
    return operation


def test_hosting_restart_is_an_operation_that_finishes(clients: Clients) -> None:
    target = clients.hosting.instances(status="running", limit=1).items[0]
    operation = clients.hosting.restart(target.workspace_id)
    assert operation.kind == "restart" and operation.workspace_id == target.workspace_id
    assert operation.state in {"pending", "running"}
    finished = wait_until_done(clients, operation)
    assert finished.done and finished.finished_at is not None and finished.progress == 100
    listed = clients.hosting.operations(workspace_id=target.workspace_id, limit=50)
    assert operation.id in {op.id for op in listed.items}


def test_hosting_maintenance_on_and_off(clients: Clients) -> None:
    target = clients.hosting.instances(status="running", limit=2).items[-1]
    on = wait_until_done(clients, clients.hosting.set_maintenance(target.workspace_id, True))
    assert on.kind == "maintenance_on" and on.state == "succeeded"
    off = wait_until_done(clients, clients.hosting.set_maintenance(target.workspace_id, False))
    assert off.kind == "maintenance_off" and off.state == "succeeded"


def test_hosting_upgrade_to_an_unsupported_version_is_refused(clients: Clients) -> None:
    target = clients.hosting.instances(limit=1).items[0]
    with pytest.raises(BadRequest) as caught:
        clients.hosting.upgrade(target.workspace_id, "1.0.0")
    assert caught.value.status == 422 and caught.value.code == "invalid"


# -- faults: retries seen from the service's side --------------------------------------------------


def requests_seen(sandbox, service: str) -> list[dict[str, object]]:
    items = requests.get(f"{sandbox.base_url}/_sandbox/requests", timeout=5).json()["items"]
    return [item for item in items if item["service"] == service]


def set_fault(sandbox, service: str, **fault: object) -> None:
    body = {"latency_ms": 0, "error_rate": 0.0, "outage": False, **fault}
    requests.put(f"{sandbox.base_url}/_sandbox/faults/{service}", json=body, timeout=5).raise_for_status()


def test_outage_is_retried_for_reads_only(clients: Clients, sandbox, clean_faults, sleeps) -> None:
    target = a_registered_workspace(clients, offset=3)
    set_fault(sandbox, "fleet", outage=True)
    requests.delete(f"{sandbox.base_url}/_sandbox/requests", timeout=5)
    with pytest.raises(ServiceUnavailable) as caught:
        clients.fleet.summary()
    assert caught.value.status == 503
    assert len(requests_seen(sandbox, "fleet")) == 3 and len(sleeps) == 2
    requests.delete(f"{sandbox.base_url}/_sandbox/requests", timeout=5)
    with pytest.raises(ServiceUnavailable):
        clients.fleet.force_license_sync(target.id)
    assert len(requests_seen(sandbox, "fleet")) == 1


def test_latency_beyond_the_read_timeout_is_a_service_timeout(sandbox_settings: Settings, sandbox,
                                                              clean_faults) -> None:
    set_fault(sandbox, "stats", latency_ms=600)
    slow = build_clients(sandbox_settings.model_copy(update={"read_timeout": 0.2}),
                         retry=RetryPolicy(max_attempts=2, sleep=lambda _: None))
    with pytest.raises(ServiceTimeout):
        slow.stats.freshness()


def test_names_for_ids_in_one_call(clients) -> None:
    first = clients.fleet.search_workspaces(limit=3).items
    ids = tuple(ws.id for ws in first)
    assert clients.fleet.names((*ids, "ws_no_such_one")) == {ws.id: ws.name for ws in first}
    assert clients.fleet.names(()) == {}


def test_installs_are_the_rows_behind_the_marketplace_summary(clients) -> None:
    summary = clients.marketplace.summary()
    top = summary.top_apps[0]
    page = clients.marketplace.installs(app_id=top.app_id, limit=5)
    assert page.total == top.installs and {i.app_id for i in page.items} == {top.app_id}
    status, count = next((s, n) for s, n in summary.subscriptions_by_status.items() if n)
    by_status = clients.marketplace.installs(subscription_status=status, limit=5)
    assert by_status.total == count and all(i.subscription and i.subscription.status == status for i in by_status.items)
