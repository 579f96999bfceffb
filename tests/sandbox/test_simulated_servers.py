"""Simulated Rocket.Chat servers (`servers.py`), over real HTTP, in simulated time.

Moving the clock moves it for every later test of a sandbox, so this module runs a private sandbox of
its own (never `own_sandbox`, never the session one). Each test takes workspaces no other test touched
and measures time from its own start, so the order of the tests does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from portal_dev.sandbox.cloud_auth import TOKEN_TTL
from portal_dev.sandbox.servers import RETRY_MINUTES, SCENARIOS
from tests.sandbox.sandbox_api import Api

HOUR = 3600.0
DAY = 86400.0


class Box(Api):
    """The helper, plus when the sandbox started (what its seeded history describes)."""

    started_at: float


@pytest.fixture(scope="module")
def box() -> Iterator[Box]:
    """A private 300-workspace sandbox whose clock these tests move."""
    from portal_dev.sandbox.server import start_in_thread

    running = start_in_thread(workspaces=300, seed=21, port=0)
    try:
        api = Box(running.base_url, running.admin_token)
        api.started_at = epoch(api.ok("/_sandbox/clock", auth=False)["now"])
        yield api
    finally:
        running.stop()


@pytest.fixture(scope="module")
def quiet(box: Box) -> list[str]:
    """Registered, self-managed, unsuspended workspaces that push nothing on their own (no delivery in
    their history) and have a valid device: every delivery of theirs is one a test caused."""
    listing = box.ok("/fleet/admin/v1/workspaces",
                     params={"registration_state": "registered", "hosted": "false", "limit": 300})["items"]
    found = []
    for w in listing:
        if w["suspended"] or box.ok("/push/admin/v1/deliveries", params={"workspace_id": w["id"], "limit": 1})["total"]:
            continue
        if box.credentials(w["id"])["device_tokens"]["valid"]:
            found.append(w["id"])
    assert len(found) >= 12, "seed 21 has enough quiet registered workspaces"
    return found


def take(box: Api, pool: list[str], *, no_sync_for: float = 0.0, syncing: bool = False) -> str:
    """A workspace of `pool` no test used yet (it is removed), whose server will not sync in the next
    `no_sync_for` seconds (a sync forces a new token) or, with `syncing`, whose 12-hourly sync runs (and is
    not due at once)."""
    for wid in list(pool):
        pool.remove(wid)
        nxt = server(box, wid)["next_sync_in"]  # engaged now (a sync due at its start has run)
        if (nxt is not None and nxt > 60) if syncing else (nxt is None or nxt > no_sync_for):
            return wid
    raise AssertionError("no workspace left in the pool")


def server(box: Api, wid: str) -> dict[str, Any]:
    return box.ok(f"/_sandbox/servers/{wid}", auth=False)


def scenario(box: Api, wid: str, name: str, seconds: float = 0) -> dict[str, Any]:
    response = box.post(f"/_sandbox/servers/{wid}/scenario", auth=False, json={"scenario": name, "seconds": seconds})
    assert response.status_code == 200, response.text
    return response.json()


def advance(box: Api, seconds: float) -> None:
    response = box.post("/_sandbox/clock", auth=False, json={"advance": seconds})
    assert response.status_code == 200, response.text


def deliveries(box: Api, wid: str) -> list[dict[str, Any]]:
    """Every delivery of the workspace, oldest first."""
    page = box.ok("/push/admin/v1/deliveries", params={"workspace_id": wid, "limit": 500})
    assert page["next_cursor"] is None
    return page["items"][::-1]


def record(box: Api, wid: str) -> dict[str, Any]:
    return box.ok(f"/fleet/admin/v1/workspaces/{wid}")


def epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def events_after(state: dict[str, Any], marker: str) -> list[str]:
    """The server's event texts after the last one containing `marker`."""
    texts = [e.split(" ", 1)[1] for e in state["events"]]
    last = max(i for i, text in enumerate(texts) if marker in text)
    return texts[last + 1:]


# -- the cached token ------------------------------------------------------------------------------------


def test_a_revoked_token_stays_cached_and_refused_until_it_expires(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=2 * HOUR)
    state = scenario(box, wid, "token_revoked_while_cached", seconds=1800)
    assert state["has_credentials"] and state["token_cached"]
    assert state["token_expires_in"] == pytest.approx(1800, abs=5)
    assert record(box, wid)["token_issued_at"] is None  # the cloud holds no live token of it any more

    state = scenario(box, wid, "user_activity", 3)
    sent = deliveries(box, wid)
    assert [(d["status_code"], d["outcome"]) for d in sent] == [(401, "unauthorized")] * 3
    # It kept the revoked token: no new one fetched, the same expiry, nothing queued (401 is not retried).
    assert "new access token" not in " ".join(events_after(state, "token_revoked_while_cached"))
    assert state["token_cached"] and state["token_expires_in"] == pytest.approx(1800, abs=5)
    assert state["retries_pending"] == 0

    advance(box, state["token_expires_in"] + 60)
    state = scenario(box, wid, "user_activity", 3)
    sent = deliveries(box, wid)
    assert [d["status_code"] for d in sent] == [401] * 3 + [200] * 3
    assert [d["outcome"] for d in sent[3:]] == ["sent"] * 3
    assert "new access token" in events_after(state, "token_revoked_while_cached")
    assert state["token_expires_in"] == pytest.approx(TOKEN_TTL, abs=5)
    assert record(box, wid)["token_issued_at"] is not None


def test_a_sync_right_after_a_revoke_fetches_a_new_token_at_once(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=2 * HOUR)
    scenario(box, wid, "token_revoked_while_cached", seconds=1800)
    scenario(box, wid, "user_activity", 2)
    assert [d["status_code"] for d in deliveries(box, wid)] == [401, 401]

    before = record(box, wid)["last_sync_at"]
    state = scenario(box, wid, "sync_now")
    after_revoke = events_after(state, "token_revoked_while_cached")
    assert after_revoke.index("new access token") < after_revoke.index("synced")  # getWorkspaceAccessToken(true)
    assert state["token_expires_in"] == pytest.approx(TOKEN_TTL, abs=5)
    synced = record(box, wid)
    assert synced["last_sync_at"] is not None and (before is None or epoch(synced["last_sync_at"]) >= epoch(before))
    assert synced["token_issued_at"] == synced["last_sync_at"]

    scenario(box, wid, "user_activity", 2)
    assert [d["status_code"] for d in deliveries(box, wid)] == [401, 401, 200, 200]


# -- the push retry schedule (push.ts) ----------------------------------------------------------------


def test_401_is_never_retried(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=2 * HOUR)
    scenario(box, wid, "token_revoked_while_cached", seconds=2 * HOUR)
    state = scenario(box, wid, "user_activity", 3)
    assert state["retries_pending"] == 0
    first = deliveries(box, wid)
    assert [d["status_code"] for d in first] == [401] * 3

    advance(box, sum(RETRY_MINUTES) * 60 + 120)
    assert deliveries(box, wid) == first
    assert server(box, wid)["retries_pending"] == 0


def test_5xx_is_retried_after_1_2_4_8_and_16_minutes(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=2 * HOUR)
    scenario(box, wid, "gateway_outage", seconds=600)  # the gateway answers 503 for ten minutes
    state = scenario(box, wid, "user_activity", 2)
    assert state["retries_pending"] == 2
    assert [d["status_code"] for d in deliveries(box, wid)] == [503, 503]

    pending = []
    for minutes in RETRY_MINUTES:  # 1, 3, 7, 15 and 31 minutes after the first try
        advance(box, minutes * 60)
        pending.append(server(box, wid)["retries_pending"])
    # The retries 1, 3 and 7 minutes in still meet the outage; the one 15 minutes in goes through.
    assert pending == [2, 2, 2, 0, 0]

    sent = deliveries(box, wid)
    start = epoch(sent[0]["created_at"])
    offsets = [epoch(d["created_at"]) - start for d in sent]
    assert offsets == [0, 0, 60, 60, 180, 180, 420, 420, 900, 900]  # 1, 2, 4 and 8 minutes apart
    assert [d["status_code"] for d in sent] == [503] * 8 + [200] * 2
    assert {d["outcome"] for d in sent[:8]} == {"error"}


def test_5xx_retries_stop_after_the_fifth(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=2 * HOUR)
    scenario(box, wid, "gateway_outage", seconds=HOUR)
    scenario(box, wid, "user_activity", 1)
    advance(box, 45 * 60)
    assert server(box, wid)["retries_pending"] == 0
    sent = deliveries(box, wid)
    start = epoch(sent[0]["created_at"])
    assert [epoch(d["created_at"]) - start for d in sent] == [0, 60, 180, 420, 900, 1860]
    assert {d["status_code"] for d in sent} == {503}


# -- credentials and clock ------------------------------------------------------------------------------


def test_rotated_secret_deregisters_the_server_at_its_next_token_fetch(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=2 * HOUR)
    scenario(box, wid, "sync_now")  # it holds a fresh token
    scenario(box, wid, "user_activity", 1)
    state = scenario(box, wid, "secret_rotated")
    assert state["has_credentials"] and state["token_cached"]  # it does not know yet
    assert record(box, wid)["registration_state"] == "deregistered"

    state = scenario(box, wid, "user_activity", 1)  # its cached token died with the secret
    assert state["has_credentials"]
    assert [d["status_code"] for d in deliveries(box, wid)] == [200, 401]

    advance(box, state["token_expires_in"] + 60)
    state = scenario(box, wid, "user_activity", 1)  # the next token fetch is refused
    assert not state["has_credentials"] and not state["token_cached"]
    assert any("oauth_invalid_client_credentials" in text for text in events_after(state, "secret_rotated"))
    assert record(box, wid)["registration_state"] == "deregistered"
    assert [d["status_code"] for d in deliveries(box, wid)] == [200, 401, 401]  # an empty bearer


def test_a_clock_behind_keeps_sending_an_expired_token_until_its_own_clock_says_expired(
        box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, no_sync_for=3 * HOUR)
    state = scenario(box, wid, "sync_now")  # a fresh token, expiring by the true clock in TOKEN_TTL
    assert state["token_expires_in"] == pytest.approx(TOKEN_TTL, abs=5)
    state = scenario(box, wid, "clock_skew", seconds=1800)  # then its clock jumps half an hour back
    assert state["clock_skew"] == -1800
    assert state["token_expires_in"] == pytest.approx(TOKEN_TTL + 1800, abs=5)

    advance(box, TOKEN_TTL + 60)  # expired for the cloud, 29 minutes left by its own clock
    state = scenario(box, wid, "user_activity", 2)
    assert [d["status_code"] for d in deliveries(box, wid)] == [401, 401]
    assert state["token_cached"] and state["token_expires_in"] == pytest.approx(1740, abs=5)
    assert "new access token" not in events_after(state, "clock_skew")

    advance(box, 1800)
    state = scenario(box, wid, "user_activity", 2)
    assert [d["status_code"] for d in deliveries(box, wid)] == [401, 401, 200, 200]
    assert "new access token" in events_after(state, "clock_skew")


# -- connection and sync ------------------------------------------------------------------------------------


def test_registration_off_disables_the_connection_and_the_gateway(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet)
    scenario(box, wid, "user_activity", 2)
    assert [d["status_code"] for d in deliveries(box, wid)] == [200, 200]

    state = scenario(box, wid, "registration_off")
    assert not state["register_server"] and not state["uses_gateway"] and state["has_credentials"]
    assert record(box, wid)["registration_state"] == "connection_disabled"

    scenario(box, wid, "user_activity", 3)
    advance(box, 13 * HOUR)  # a 12-hourly sync too: it reports connectionDisable, the record stays
    assert len(deliveries(box, wid)) == 2
    assert record(box, wid)["registration_state"] == "connection_disabled"


def test_the_twelve_hourly_sync_updates_last_sync_at(box: Box, quiet: list[str]) -> None:
    wid = take(box, quiet, syncing=True)
    state = server(box, wid)
    before = record(box, wid)["last_sync_at"]

    advance(box, state["next_sync_in"] + 60)
    first = record(box, wid)
    assert first["last_sync_at"] != before
    assert first["token_issued_at"] == first["last_sync_at"]  # each sync forces a new token
    assert "synced" in " ".join(e for e in server(box, wid)["events"])

    advance(box, 12 * HOUR)
    second = record(box, wid)
    assert epoch(second["last_sync_at"]) - epoch(first["last_sync_at"]) == 12 * HOUR
    assert server(box, wid)["next_sync_in"] == pytest.approx(12 * HOUR - 60, abs=5)


def test_a_server_first_looked_at_after_the_clock_moved_on_still_syncs(box: Box, quiet: list[str]) -> None:
    listing = box.ok("/fleet/admin/v1/workspaces", params={"ids": ",".join(quiet), "limit": 200})["items"]
    # Synced within 12 h before the sandbox started, and never engaged (a list read engages nothing).
    fresh = [w["id"] for w in listing if w["last_sync_at"] and box.started_at - epoch(w["last_sync_at"]) < 12 * HOUR]
    wid = fresh[-1]
    quiet.remove(wid)

    advance(box, DAY)  # nobody looks at it for a day
    state = server(box, wid)  # it syncs at start, then every 12 hours; not "stopped" for having been unseen
    assert state["events"][-1].endswith("synced")
    assert state["next_sync_in"] == pytest.approx(12 * HOUR, abs=5)
    assert epoch(record(box, wid)["last_sync_at"]) >= box.started_at + DAY


def test_a_server_without_registration_shows_no_sync_and_sends_nothing(box: Api) -> None:
    wid = box.examples()["workspace_ids"]["unregistered"]
    state = server(box, wid)  # no sync planned: `next_sync_in` is null (once a 500: JSON has no infinity)
    assert state["next_sync_in"] is None
    assert not state["has_credentials"] and not state["uses_gateway"]
    before = box.ok("/push/admin/v1/deliveries", params={"workspace_id": wid, "limit": 1})["total"]
    scenario(box, wid, "user_activity", 2)
    assert box.ok("/push/admin/v1/deliveries", params={"workspace_id": wid, "limit": 1})["total"] == before


# -- bad control input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"scenario": "meteor_strike"}, "scenario"),
    ({"seconds": 10}, "scenario"),
    ({"scenario": 7}, "scenario"),
    ({"scenario": "gateway_outage", "seconds": -1}, "seconds"),
    ({"scenario": "gateway_outage", "seconds": "60"}, "seconds"),
    ({"scenario": "gateway_outage", "seconds": True}, "seconds"),
])
def test_bad_scenario_input_is_400_naming_the_field(box: Api, body: dict[str, Any], field: str) -> None:
    wid = box.examples()["workspace_ids"]["registered"]
    response = box.post(f"/_sandbox/servers/{wid}/scenario", auth=False, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert response.json()["message"].startswith(f"{field}:")
    if field == "scenario":
        assert all(name in response.json()["message"] for name in SCENARIOS)


@pytest.mark.parametrize("body", [{"advance": -1}, {"advance": 366 * DAY + 1}, {"advance": "60"},
                                  {"advance": True}, {}, {"seconds": 60}])
def test_bad_clock_advance_is_400_and_moves_nothing(box: Api, body: dict[str, Any]) -> None:
    before = box.ok("/_sandbox/clock", auth=False)["offset_seconds"]
    response = box.post("/_sandbox/clock", auth=False, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith("advance:")
    assert box.ok("/_sandbox/clock", auth=False)["offset_seconds"] == before


def test_clock_body_must_be_a_json_object(box: Api) -> None:
    response = box.post("/_sandbox/clock", auth=False, data=b"[60]", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("body:")


def test_unknown_workspace_is_404(box: Api) -> None:
    assert box.get("/_sandbox/servers/ws_999999", auth=False).status_code == 404
    response = box.post("/_sandbox/servers/ws_999999/scenario", auth=False, json={"scenario": "sync_now"})
    assert response.status_code == 404
    assert response.json()["error"] == "not_found" and "ws_999999" in response.json()["message"]
