"""Every action against the real sandbox: previews with counts, outcomes with the service's status and
request id, failures and timeouts, and no double execution (threads and separate processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from portal.actions.capture import recording_session
from portal.actions.errors import PreviewUnavailable
from portal.actions.executor import ActionRequest, Executor
from portal.actions.spec import InvalidRequest
from portal.clients import RetryPolicy, build_clients
from portal.settings import SERVICES
from portal.store import audit
from portal.store.models import ActionRun, RunState

pytestmark = pytest.mark.db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def clients(sandbox_settings) -> Iterator[Any]:
    built = build_clients(sandbox_settings, session_factory=recording_session,
                          retry=RetryPolicy(max_attempts=2, backoff_base=0.01))
    yield built
    built.close()


@pytest.fixture()
def live(database, clients) -> Executor:
    return Executor(database, clients, dedupe_window=timedelta(seconds=10), poll_interval=0.1)


class Picker:
    """Hands out sandbox workspaces no other test of this module has touched (the sandbox is shared)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, candidates: list[Any]) -> str:
        for item in candidates:
            key = getattr(item, "workspace_id", None) or item.id
            if key not in self.used:
                self.used.add(key)
                return key
        raise LookupError("no unused workspace left")


PICKER = Picker()


def running_instance(clients: Any, *, below: tuple[int, int] | None = None, status: str = "running") -> str:
    items = [i for i in clients.hosting.instances(status=status, limit=200).items
             if below is None or tuple(int(p) for p in i.version.split(".")[:2]) < below]
    return PICKER.take(list(reversed(items)))


def registered_workspace(clients: Any) -> str:
    page = clients.fleet.search_workspaces(registration_state="registered", hosted=False, limit=200)
    return PICKER.take([w for w in page.items if not w.suspended][50:])


def requests_to(sandbox: Any, method: str, path: str, since: float) -> list[dict[str, Any]]:
    items = requests.get(f"{sandbox.base_url}/_sandbox/requests", params={"since": since}, timeout=5).json()["items"]
    return [e for e in items if e["method"] == method and e["path"] == path]


def sandbox_now(sandbox: Any) -> float:
    return requests.get(f"{sandbox.base_url}/_sandbox/requests", params={"since": 1e12}, timeout=5).json()["now"]


def window() -> dict[str, str]:
    now = datetime.now(UTC).replace(microsecond=0)
    return {"since": (now - timedelta(hours=24)).isoformat(), "until": now.isoformat()}


# -- each action, end to end --------------------------------------------------------------------


def _succeeds(outcome: Any) -> None:
    run = outcome.run
    assert outcome.state == RunState.SUCCEEDED, run.error
    assert run.service_status in (200, 202) and (run.request_id or "").startswith("req_")


def test_push_actions(live, clients, people):
    # A workspace with failures to resend and invalid tokens to purge (other suites share the sandbox: one
    # may have caused 401s alone somewhere, which are resendable but leave no invalid token).
    resendable = [f for f in clients.push.top_failing(**window(), limit=50)
                  if f.workspace_id not in PICKER.used and clients.push.preview_resend_failed(
                      f.workspace_id, **window()).failed > 0
                  and clients.push.invalid_tokens(workspace_id=f.workspace_id, limit=1).items]
    ws = PICKER.take(resendable)
    prepared = live.prepare(people["support"], ActionRequest("push.resend", ws, window()))
    failed = prepared.preview.counts["failed"]
    assert failed > 0 and f"resend {failed} failed pushes to" in prepared.preview.summary
    resent = live.submit(people["support"], ActionRequest("push.resend", ws, window()))
    _succeeds(resent)
    assert json.loads(resent.run.result)["resent"] == failed

    delivery = clients.push.deliveries(workspace_id=ws, limit=1).items[0]
    _succeeds(live.submit(people["support"], ActionRequest("push.resend", ws, {"delivery_id": delivery.id})))
    _succeeds(live.submit(people["support"], ActionRequest("push.send_test", ws, {"title": "Portal test"})))
    purge = live.prepare(people["oncall"], ActionRequest("push.purge_invalid_tokens", ws, {}))
    assert "device tokens flagged invalid" in purge.preview.summary
    _succeeds(live.submit(people["oncall"], ActionRequest("push.purge_invalid_tokens", ws, {})))


def test_resend_refuses_another_workspaces_delivery(live, clients, people):
    ws, other = (f.workspace_id for f in clients.push.top_failing(**window(), limit=2))
    delivery = clients.push.deliveries(workspace_id=other, limit=1).items[0]
    with pytest.raises(InvalidRequest) as caught:
        live.submit(people["support"], ActionRequest("push.resend", ws, {"delivery_id": delivery.id}))
    assert caught.value.errors[0].field == "delivery_id" and caught.value.errors[0].rule == "same_workspace"


@pytest.mark.parametrize("action", ["workspace.revoke_access_tokens", "workspace.force_license_sync",
                                    "marketplace.resync_subscriptions"])
def test_safe_workspace_actions(live, clients, people, action):
    ws = registered_workspace(clients)
    outcome = live.submit(people["support"], ActionRequest(action, ws, {}))
    _succeeds(outcome)
    assert clients.fleet.get_workspace(ws).name in outcome.preview.summary


def test_unknown_workspace_is_a_target_error(live, people):
    with pytest.raises(InvalidRequest) as caught:
        live.submit(people["support"], ActionRequest("workspace.revoke_access_tokens", "ws_999999", {}))
    assert (caught.value.errors[0].field, caught.value.errors[0].rule) == ("target", "exists")


@pytest.mark.parametrize(("action", "params", "check"), [
    ("workspace.rotate_client_secret", {}, lambda w: w.registration_state == "deregistered"),
    ("workspace.suspend", {"reason": "abuse report #4711"}, lambda w: w.suspended),
])
def test_two_person_workspace_actions(live, clients, people, action, params, check):
    ws = registered_workspace(clients)
    request = ActionRequest(action, ws, params)
    asked = live.submit(people["oncall"], request)
    assert asked.state == RunState.AWAITING_APPROVAL and not check(clients.fleet.get_workspace(ws))
    live.approve(people["admin"], asked.run.id)
    _succeeds(live.submit(people["oncall"], request))
    assert check(clients.fleet.get_workspace(ws))
    if action == "workspace.suspend":
        back = ActionRequest("workspace.unsuspend", ws, {})
        pending = live.submit(people["oncall"], back)
        live.approve(people["admin2"], pending.run.id)
        _succeeds(live.run_approved(people["oncall"], pending.run.id, {}))
        assert not clients.fleet.get_workspace(ws).suspended


def test_hosting_restart_waits_for_the_operation_and_sends_the_run_key(live, clients, people):
    ws = running_instance(clients)
    name = clients.fleet.get_workspace(ws).name
    progress: list[tuple[int | None, str]] = []
    outcome = live.submit(people["oncall"], ActionRequest("hosting.restart", ws, {}, confirmation=name),
                          progress=lambda p, m: progress.append((p, m)))
    _succeeds(outcome)
    operation = json.loads(outcome.run.result)
    assert operation["state"] == "succeeded" and operation["kind"] == "restart"
    assert progress and progress[-1][0] == 100
    # The run's idempotency key reached the service: the same key replays the same operation.
    replay = clients.hosting.restart(ws, idempotency_key=f"portal-run-{outcome.run.id}")
    assert replay.id == operation["id"]


def test_hosting_maintenance_on_and_off(live, clients, people):
    ws = running_instance(clients)
    name = clients.fleet.get_workspace(ws).name
    on = live.submit(people["oncall"], ActionRequest("hosting.set_maintenance", ws, {"enabled": True},
                                                     confirmation=name))
    _succeeds(on)
    assert clients.hosting.get_instance(ws).status == "maintenance"
    _succeeds(live.submit(people["oncall"], ActionRequest("hosting.set_maintenance", ws, {"enabled": False},
                                                          confirmation=name)))
    assert clients.hosting.get_instance(ws).status == "running"


def test_hosting_upgrade_shows_progress_until_done(live, clients, people):
    ws = running_instance(clients, below=(8, 6))
    name = clients.fleet.get_workspace(ws).name
    steps: list[int | None] = []
    outcome = live.submit(people["oncall"], ActionRequest("hosting.upgrade", ws, {"version": "8.6.2"},
                                                          confirmation=name),
                          progress=lambda p, m: steps.append(p))
    _succeeds(outcome)
    assert clients.hosting.get_instance(ws).version == "8.6.2"
    assert len(set(steps)) >= 3 and steps[-1] == 100  # pending 0 → running … → 100


def test_upgrade_to_an_unsupported_version_is_refused_before_any_call(live, clients, people):
    ws = running_instance(clients, below=(8, 6))
    with pytest.raises(InvalidRequest) as caught:
        live.submit(people["oncall"], ActionRequest("hosting.upgrade", ws, {"version": "7.0.0"}, confirmation="x"))
    assert (caught.value.errors[0].field, caught.value.errors[0].rule) == ("version", "supported_version")


def test_service_refusal_is_a_failed_run_with_its_status(live, clients, people):
    ws = running_instance(clients, below=(8, 6))
    name = clients.fleet.get_workspace(ws).name
    clients.hosting.restart(ws)  # someone else's operation is in progress: the service answers 409
    outcome = live.submit(people["oncall"], ActionRequest("hosting.upgrade", ws, {"version": "8.6.2"},
                                                          confirmation=name))
    assert outcome.state == RunState.FAILED
    assert outcome.run.service_status == 409 and outcome.run.request_id.startswith("req_")
    assert "in progress" in outcome.run.error


def test_failed_operation_is_a_failed_run(live, clients, people):
    ws = running_instance(clients, status="degraded")  # the sandbox fails upgrades of sick instances
    name = clients.fleet.get_workspace(ws).name
    current = clients.hosting.get_instance(ws).version
    if current.startswith("8.6"):
        pytest.skip("picked instance is already on the newest line")
    outcome = live.submit(people["oncall"], ActionRequest("hosting.upgrade", ws, {"version": "8.6.2"},
                                                          confirmation=name))
    assert outcome.state == RunState.FAILED and "health checks failed" in outcome.run.error


# -- when the service misbehaves -------------------------------------------------------------------


def test_service_outage_fails_the_run_with_status_and_request_id(live, clients, people, sandbox, clean_faults):
    ws = registered_workspace(clients)
    requests.put(f"{sandbox.base_url}/_sandbox/faults/push", json={"outage": True, "retry_after": 0}, timeout=5)
    outcome = live.submit(people["support"], ActionRequest("push.send_test", ws, {}))
    assert outcome.state == RunState.FAILED
    assert outcome.run.service_status == 503 and outcome.run.request_id.startswith("req_")
    record = audit.trail(live.sessions, run_id=outcome.run.id)[-1]
    assert (record.outcome, record.service_status, record.request_id) == ("failed", 503, outcome.run.request_id)


def test_timeout_leaves_the_outcome_unknown(database, sandbox_settings, people, sandbox, clean_faults):
    slow = sandbox_settings.model_copy(update={"read_timeout": 0.3})
    clients = build_clients(slow, session_factory=recording_session, retry=RetryPolicy(max_attempts=1))
    executor = Executor(database, clients)
    ws = registered_workspace(clients)
    requests.put(f"{sandbox.base_url}/_sandbox/faults/push", json={"latency_ms": 1200}, timeout=5)
    outcome = executor.submit(people["support"], ActionRequest("push.send_test", ws, {}))
    assert outcome.state == RunState.UNKNOWN and "outcome is unknown" in outcome.run.error


def test_preview_outage_refuses_without_running(live, clients, people, sandbox, clean_faults):
    ws = registered_workspace(clients)
    requests.put(f"{sandbox.base_url}/_sandbox/faults/fleet", json={"outage": True, "retry_after": 0}, timeout=5)
    with pytest.raises(PreviewUnavailable):
        live.submit(people["support"], ActionRequest("workspace.force_license_sync", ws, {}))
    with live.sessions() as session:
        assert session.execute(select(func.count()).select_from(ActionRun)).scalar_one() == 0


# -- no double execution -----------------------------------------------------------------------------


def test_twenty_threads_one_service_call_one_run(live, clients, people, sandbox):
    ws = running_instance(clients)
    name = clients.fleet.get_workspace(ws).name
    request = ActionRequest("hosting.restart", ws, {}, confirmation=name)
    started = sandbox_now(sandbox)
    barrier = threading.Barrier(20)
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait()
            outcomes.append(live.submit(people["oncall"], request))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=click) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(requests_to(sandbox, "POST", f"/hosting/admin/v1/instances/{ws}/restart", started)) == 1
    assert len({o.run.id for o in outcomes}) == 1 and sum(o.created for o in outcomes) == 1
    with live.sessions() as session:
        assert session.execute(select(func.count()).select_from(ActionRun)).scalar_one() == 1
    assert audit.verify(live.sessions).ok


CLICKER = """
import json, sys, threading, time
from datetime import UTC, datetime
from portal.actions.capture import recording_session
from portal.actions.executor import ActionRequest, Executor
from portal.clients import build_clients
from portal.identity import Principal
from portal.settings import Settings
from portal.store import open_database

url, target, name, start_at = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
executor = Executor(open_database(url), build_clients(Settings(), session_factory=recording_session))
olga = Principal("olga", "olga@example.com", "Olga", (), ("oncall",), datetime.now(UTC))
request = ActionRequest("hosting.restart", target, {}, confirmation=name)
results = []
def click():
    outcome = executor.submit(olga, request)
    results.append([outcome.run.id, outcome.created])
threads = [threading.Thread(target=click) for _ in range(10)]
time.sleep(max(0.0, start_at - time.time()))
for t in threads: t.start()
for t in threads: t.join(120)
print(json.dumps(results))
"""


def test_two_processes_one_service_call_one_run(database_url, database, clients, sandbox):
    ws = running_instance(clients)
    name = clients.fleet.get_workspace(ws).name
    env = {**os.environ}
    for service in SERVICES:
        env[f"PORTAL_{service.upper()}_URL"] = sandbox.urls[service]
        env[f"PORTAL_{service.upper()}_TOKEN"] = sandbox.admin_token
    started = sandbox_now(sandbox)
    start_at = str(time.time() + 3.0)  # both processes are up and connected by then
    procs = [subprocess.Popen([sys.executable, "-c", CLICKER, database_url, ws, name, start_at], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.extend(json.loads(out.strip().splitlines()[-1]))
    assert len(results) == 20
    assert len({run_id for run_id, _ in results}) == 1 and sum(created for _, created in results) == 1
    assert len(requests_to(sandbox, "POST", f"/hosting/admin/v1/instances/{ws}/restart", started)) == 1
    with database.sessions() as session:
        assert session.execute(select(func.count()).select_from(ActionRun)).scalar_one() == 1
    assert audit.verify(database.sessions).ok


def test_picker_hands_out_distinct_workspaces() -> None:
    picker = Picker()
    items = [type("W", (), {"id": f"ws_{i}"})() for i in range(3)]
    assert [picker.take(items) for _ in range(3)] == ["ws_0", "ws_1", "ws_2"]
    with pytest.raises(LookupError):
        picker.take(items)


STUCK_CLICKER = """
import sys
from datetime import UTC, datetime
from portal.actions.capture import recording_session
from portal.actions.executor import ActionRequest, Executor
from portal.clients import build_clients
from portal.identity import Principal
from portal.settings import Settings
from portal.store import open_database

url, target = sys.argv[1], sys.argv[2]
executor = Executor(open_database(url), build_clients(Settings(read_timeout=30), session_factory=recording_session))
sam = Principal("sam", "sam@example.com", "Sam", (), ("support",), datetime.now(UTC))
executor.submit(sam, ActionRequest("push.send_test", target, {}))
"""


def test_run_left_running_by_a_killed_process_is_abandoned_at_next_start(database_url, database, clients, sandbox,
                                                                         clean_faults):
    ws = registered_workspace(clients)
    env = {**os.environ}
    for service in SERVICES:
        env[f"PORTAL_{service.upper()}_URL"] = sandbox.urls[service]
        env[f"PORTAL_{service.upper()}_TOKEN"] = sandbox.admin_token
    # Push hangs (the preview asks only Fleetcommand), so the process is killed with the call in flight.
    requests.put(f"{sandbox.base_url}/_sandbox/faults/push", json={"latency_ms": 3000}, timeout=5)
    proc = subprocess.Popen([sys.executable, "-c", STUCK_CLICKER, database_url, ws], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        running = None
        while running is None and time.monotonic() < deadline:
            with database.sessions() as session:
                running = session.execute(select(ActionRun).where(ActionRun.state == "running")).scalar_one_or_none()
            time.sleep(0.1)
        assert running is not None, "the run never started"
    finally:
        proc.kill()
        proc.wait(10)
    requests.delete(f"{sandbox.base_url}/_sandbox/faults", timeout=5)

    restarted = Executor(database, clients)  # what app_context does on start
    assert restarted.recover_abandoned() == [running.id]
    run = restarted.get_run(running.id)
    assert run.state == RunState.ABANDONED and "outcome unknown" in run.error
    events = [r.event for r in audit.trail(database.sessions, run_id=running.id)]
    assert events == ["started", "abandoned"]
    assert restarted.recover_abandoned() == []


def test_long_operations_keep_the_heartbeat_fresh(live, clients, people, monkeypatch):
    monkeypatch.setattr("portal.actions.running.HEARTBEAT_EVERY", 0.0)
    ws = running_instance(clients)
    name = clients.fleet.get_workspace(ws).name
    beats: list[Any] = []
    original = live.runner._liveness

    def spy(run_id: str) -> Any:
        alive = original(run_id)

        def beat() -> None:
            alive()
            beats.append(live.get_run(run_id).heartbeat_at)

        return beat

    monkeypatch.setattr(live.runner, "_liveness", spy)
    outcome = live.submit(people["oncall"], ActionRequest("hosting.restart", ws, {}, confirmation=name))
    _succeeds(outcome)
    assert len(beats) >= 5 and beats[-1] > outcome.run.started_at  # polled for ~1.5 s, every 0.1 s
