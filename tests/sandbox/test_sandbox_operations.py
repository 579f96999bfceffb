"""Admin operations change the sandbox consistently (private sandbox)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.sandbox.sandbox_api import Api


def wait_for(own: Api, op_id: str, timeout: float = 8.0) -> list[dict[str, Any]]:
    """Poll an operation until it finishes; returns every state seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        op = own.ok(f"/hosting/admin/v1/operations/{op_id}")
        seen.append(op)
        if op["state"] in ("succeeded", "failed"):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"operation {op_id} still {seen[-1]['state']}")


def instance_with(own: Api, status: str) -> dict[str, Any]:
    items = own.ok("/hosting/admin/v1/instances", params={"status": status, "limit": 500})["items"]
    if not items:
        pytest.skip(f"no {status} instance in this seed")
    return items[-1]


# The releases file ends at 8.6 and newer minors count as supported, so every instance may take 8.9.x.
NEWER = "8.9.0"


# -- hosting ----------------------------------------------------------------------------------------


def test_upgrade_progresses_and_changes_the_version_everywhere(own: Api) -> None:
    inst = instance_with(own, "running")
    wid = inst["workspace_id"]
    started = own.post(f"/hosting/admin/v1/instances/{wid}/upgrade", json={"version": NEWER})
    assert started.status_code == 202, started.text
    op = started.json()
    assert (op["kind"], op["state"], op["progress"], op["finished_at"]) == ("upgrade", "pending", 0, None)
    assert own.ok(f"/hosting/admin/v1/instances/{wid}")["status"] == "upgrading"
    busy = own.post(f"/hosting/admin/v1/instances/{wid}/restart")
    assert busy.status_code == 409 and busy.json()["error"] == "conflict"

    seen = wait_for(own, op["id"])
    states = [s["state"] for s in seen]
    assert "running" in states and states[-1] == "succeeded"
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress) and progress[-1] == 100 and any(0 < p < 100 for p in progress)
    assert seen[-1]["finished_at"] is not None
    after = own.ok(f"/hosting/admin/v1/instances/{wid}")
    assert (after["status"], after["version"]) == ("running", "8.9.0")
    assert own.ok(f"/fleet/admin/v1/workspaces/{wid}")["version"] == "8.9.0"
    assert own.ok("/fleet/admin/v1/summary")["by_minor"].get("8.9", 0) >= 1
    events = own.ok(f"/hosting/admin/v1/instances/{wid}/events")["items"]
    assert [e["message"] for e in events[:2]] == ["upgrade succeeded", "upgrade requested"]


@pytest.mark.parametrize("version", ["7.1.6", "8.4.0", "8.9.0-rc.1", "eight", "8.6.99", "1.0.0"])
def test_upgrade_to_an_unsupported_or_bad_version_is_422(own: Api, version: str) -> None:
    wid = instance_with(own, "running")["workspace_id"]
    response = own.post(f"/hosting/admin/v1/instances/{wid}/upgrade", json={"version": version})
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid"
    assert own.ok(f"/hosting/admin/v1/instances/{wid}")["status"] == "running"


def test_upgrading_a_degraded_instance_fails_and_keeps_it_degraded(own: Api) -> None:
    inst = instance_with(own, "degraded")
    op = own.post(f"/hosting/admin/v1/instances/{inst['workspace_id']}/upgrade", json={"version": "8.9.1"}).json()
    final = wait_for(own, op["id"])[-1]
    assert final["state"] == "failed" and final["error"] and final["progress"] < 100
    after = own.ok(f"/hosting/admin/v1/instances/{inst['workspace_id']}")
    assert (after["status"], after["version"]) == ("degraded", inst["version"])


def test_maintenance_on_then_off(own: Api) -> None:
    wid = instance_with(own, "stopped")["workspace_id"]
    on = own.post(f"/hosting/admin/v1/instances/{wid}/maintenance", json={"enabled": True})
    assert on.status_code == 202 and on.json()["kind"] == "maintenance_on"
    assert own.ok(f"/hosting/admin/v1/instances/{wid}")["status"] == "maintenance"
    wait_for(own, on.json()["id"])
    off = own.post(f"/hosting/admin/v1/instances/{wid}/maintenance", json={"enabled": False})
    wait_for(own, off.json()["id"])
    assert own.ok(f"/hosting/admin/v1/instances/{wid}")["status"] == "running"
    assert own.post(f"/hosting/admin/v1/instances/{wid}/maintenance", json={}).status_code == 400
    listed = own.ok("/hosting/admin/v1/operations", params={"workspace_id": wid, "state": "succeeded"})["items"]
    assert {off.json()["id"], on.json()["id"]} <= {o["id"] for o in listed}


def test_hosting_refuses_self_managed_workspaces(own: Api) -> None:
    wid = own.examples()["workspace_ids"]["registered"]
    assert own.post(f"/hosting/admin/v1/instances/{wid}/restart").status_code == 404


# -- idempotency --------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer_without_acting_again(own: Api) -> None:
    wid = instance_with(own, "running")["workspace_id"]
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = own.post(f"/hosting/admin/v1/instances/{wid}/restart", headers=key)
    again = own.post(f"/hosting/admin/v1/instances/{wid}/restart", headers=key)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()
    ops = own.ok("/hosting/admin/v1/operations", params={"workspace_id": wid, "limit": 500})["items"]
    assert sum(1 for o in ops if o["started_at"] >= first.json()["started_at"] and o["kind"] == "restart") == 1
    other_body = own.post(f"/hosting/admin/v1/instances/{wid}/maintenance", headers=key, json={"enabled": True})
    assert other_body.status_code == 409
    wait_for(own, first.json()["id"])


def test_without_a_key_a_write_acts_each_time(own: Api) -> None:
    wid = own.examples()["workspace_ids"]["pushing"]
    a = own.post(f"/push/admin/v1/workspaces/{wid}/test-push").json()
    b = own.post(f"/push/admin/v1/workspaces/{wid}/test-push").json()
    assert a["id"] != b["id"]


# -- push operations ------------------------------------------------------------------------------------


def test_resend_creates_a_linked_delivery(own: Api) -> None:
    original = own.ok("/push/admin/v1/deliveries", params={"outcome": "error", "limit": 1})["items"][0]
    resent = own.post(f"/push/admin/v1/deliveries/{original['id']}/resend")
    assert resent.status_code == 200
    new = resent.json()
    assert new["resent_from"] == original["id"] and new["id"] != original["id"]
    assert new["workspace_id"] == original["workspace_id"] and new["device_token"] == original["device_token"]
    assert own.ok(f"/push/admin/v1/deliveries/{new['id']}") == new
    assert own.post("/push/admin/v1/deliveries/d_nope/resend").status_code == 404


def test_resend_failed_preview_then_act(own: Api) -> None:
    top = own.ok("/push/admin/v1/top-failing", params={"limit": 20, "since": "2026-01-01T00:00:00Z"})["items"]
    window = {"since": "2026-01-01T00:00:00Z", "until": "2100-01-01T00:00:00Z"}
    for row in top:
        preview = own.ok(f"/push/admin/v1/workspaces/{row['workspace_id']}/resend-failed", params=window)
        if preview["failed"]:
            break
    else:
        pytest.skip("no resendable failures in this seed")
    wid = row["workspace_id"]
    assert 0 < preview["devices"] <= preview["failed"]
    done = own.post(f"/push/admin/v1/workspaces/{wid}/resend-failed", json=window).json()
    assert (done["resent"], done["devices"], len(done["delivery_ids"])) == (preview["failed"], preview["devices"],
                                                                            preview["failed"])
    again = own.ok(f"/push/admin/v1/workspaces/{wid}/resend-failed", params=window)
    resent_failures = sum(1 for d in done["delivery_ids"]
                          if own.ok(f"/push/admin/v1/deliveries/{d}")["status_code"] in (401, 500, 503))
    assert again["failed"] == resent_failures  # originals are done; only new failures remain
    bad = own.post(f"/push/admin/v1/workspaces/{wid}/resend-failed", json={"since": "2027-01-01T00:00:00Z",
                                                                         "until": "2026-01-01T00:00:00Z"})
    assert bad.status_code == 400


def test_test_push(own: Api) -> None:
    ids = own.examples()["workspace_ids"]
    delivery = own.post(f"/push/admin/v1/workspaces/{ids['pushing']}/test-push", json={"title": "Test", "text": "x"})
    assert delivery.status_code == 200
    body = delivery.json()
    assert (body["kind"], body["outcome"], body["workspace_id"]) == ("test", "sent", ids["pushing"])
    too_long = own.post(f"/push/admin/v1/workspaces/{ids['pushing']}/test-push", json={"title": "t" * 66})
    assert too_long.status_code == 422
    assert own.post(f"/push/admin/v1/workspaces/{ids['unregistered']}/test-push").status_code == 409


def test_purge_invalid_tokens_empties_the_workspace_list(own: Api) -> None:
    flagged = own.ok("/push/admin/v1/invalid-tokens", params={"limit": 1})["items"][0]
    wid = flagged["workspace_id"]
    before = own.ok("/push/admin/v1/invalid-tokens", params={"workspace_id": wid})["total"]
    total_before = own.ok("/push/admin/v1/invalid-tokens")["total"]
    purged = own.post(f"/push/admin/v1/workspaces/{wid}/purge-invalid-tokens").json()
    assert purged == {"purged": before} and before > 0
    assert own.ok("/push/admin/v1/invalid-tokens", params={"workspace_id": wid})["total"] == 0
    assert own.ok("/push/admin/v1/invalid-tokens")["total"] == total_before - before
    assert own.post(f"/push/admin/v1/workspaces/{wid}/purge-invalid-tokens").json() == {"purged": 0}


# -- fleet operations ---------------------------------------------------------------------------------------


def test_suspend_and_unsuspend_update_the_summary(own: Api) -> None:
    wid = own.examples()["workspace_ids"]["registered"]
    before = own.ok("/fleet/admin/v1/summary")["suspended"]
    op = own.post(f"/fleet/admin/v1/workspaces/{wid}/suspend").json()
    assert op["detail"] == {"suspended": True} and op["workspace_id"] == wid and op["performed_at"].endswith("Z")
    assert own.ok("/fleet/admin/v1/summary")["suspended"] == before + 1
    assert own.ok(f"/fleet/admin/v1/workspaces/{wid}")["suspended"] is True
    own.post(f"/fleet/admin/v1/workspaces/{wid}/unsuspend")
    assert own.ok("/fleet/admin/v1/summary")["suspended"] == before


def test_force_license_sync(own: Api) -> None:
    ids = own.examples()["workspace_ids"]
    before = own.ok(f"/fleet/admin/v1/workspaces/{ids['registered']}")
    op = own.post(f"/fleet/admin/v1/workspaces/{ids['registered']}/force-license-sync").json()
    after = own.ok(f"/fleet/admin/v1/workspaces/{ids['registered']}")
    assert after["license_synced_at"] == op["detail"]["license_synced_at"]
    # Only the workspace's own sync moves last_sync_at: the cloud cannot make a workspace sync.
    assert after["last_sync_at"] == before["last_sync_at"]
    assert own.post(f"/fleet/admin/v1/workspaces/{ids['unregistered']}/force-license-sync").status_code == 409
    assert own.post(f"/fleet/admin/v1/workspaces/{ids['unregistered']}/rotate-client-secret").status_code == 409
    assert own.post(f"/fleet/admin/v1/workspaces/{ids['registered']}/explode").status_code == 404


def test_rotation_moves_the_registration_counters(own: Api) -> None:
    summary = own.ok("/fleet/admin/v1/summary")["by_registration_state"]
    wid = own.ok("/fleet/admin/v1/workspaces", params={"registration_state": "registered", "limit": 500,
                                                        "hosted": "false"})["items"][-5]["id"]
    own.post(f"/fleet/admin/v1/workspaces/{wid}/rotate-client-secret")
    after = own.ok("/fleet/admin/v1/summary")["by_registration_state"]
    assert after["registered"] == summary["registered"] - 1
    assert after["deregistered"] == summary["deregistered"] + 1
    found = own.ok("/fleet/admin/v1/workspaces", params={"q": wid, "registration_state": "deregistered"})
    assert [w["id"] for w in found["items"]] == [wid]


# -- marketplace ---------------------------------------------------------------------------------------------


def test_resync_subscriptions(own: Api) -> None:
    failed = own.ok("/marketplace/admin/v1/failed-installs", params={"limit": 500})["items"]
    wid = failed[0]["workspace_id"]
    apps = own.ok(f"/marketplace/admin/v1/workspaces/{wid}/apps")["items"]
    result = own.post(f"/marketplace/admin/v1/workspaces/{wid}/resync-subscriptions").json()
    assert result["workspace_id"] == wid
    assert result["resynced"] == sum(1 for a in apps if a["subscription"] is not None)
    summary = own.ok("/marketplace/admin/v1/summary")
    assert summary["failed_installs"] == own.ok("/marketplace/admin/v1/failed-installs")["total"]
