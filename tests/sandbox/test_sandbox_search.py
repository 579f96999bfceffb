"""Cursor pagination walks and fleet search on the session sandbox (read-only)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.sandbox.sandbox_api import Api

MONTH_AGO = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def walk(api: Api, path: str, params: dict[str, Any], limit: int) -> tuple[list[dict[str, Any]], list[int]]:
    """Every item of a list, page by page; returns the items and the `total` of every page."""
    items: list[dict[str, Any]] = []
    totals: list[int] = []
    cursor = None
    for _ in range(10_000):
        page = api.ok(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert len(page["items"]) <= limit
        items += page["items"]
        totals.append(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items, totals
    raise AssertionError("pagination never ended")


def test_walking_all_workspaces_visits_each_once(api: Api, sandbox) -> None:
    items, totals = walk(api, "/fleet/admin/v1/workspaces", {}, 500)
    health = api.ok("/_sandbox/health", auth=False)
    assert len(items) == health["workspaces"] == set(totals).pop() and len(set(totals)) == 1
    assert len({w["id"] for w in items}) == len(items)
    assert [w["id"] for w in items] == sorted(w["id"] for w in items)


def test_filtered_walk_matches_the_summary(api: Api) -> None:
    summary = api.ok("/fleet/admin/v1/summary")
    minor = sorted(summary["by_minor"], key=lambda m: summary["by_minor"][m])[len(summary["by_minor"]) // 2]
    items, totals = walk(api, "/fleet/admin/v1/workspaces", {"minor": minor}, 7)
    assert len(items) == summary["by_minor"][minor] == totals[0]
    assert all(w["version"].startswith(minor + ".") for w in items)
    hosted, _ = walk(api, "/fleet/admin/v1/workspaces", {"hosted": "true"}, 50)
    assert len(hosted) == summary["hosted"] and all(w["hosted"] for w in hosted)
    silent, _ = walk(api, "/fleet/admin/v1/workspaces", {"stats_silent_hours": 48}, 100)
    assert len(silent) == summary["stats_silent_48h"]


def test_walking_one_workspace_deliveries_is_newest_first_and_complete(api: Api) -> None:
    top = api.ok("/push/admin/v1/top-failing", params={"limit": 1,
                                                       "since": MONTH_AGO})["items"]
    workspace_id = top[0]["workspace_id"]
    items, totals = walk(api, "/push/admin/v1/deliveries", {"workspace_id": workspace_id}, 40)
    assert len(items) == totals[0] >= top[0]["total"]
    stamps = [d["created_at"] for d in items]
    assert stamps == sorted(stamps, reverse=True)
    assert len({d["id"] for d in items}) == len(items)
    failed = [d for d in items if d["outcome"] != "sent"]
    errors, _ = walk(api, "/push/admin/v1/deliveries", {"workspace_id": workspace_id, "outcome": "error"}, 25)
    assert {d["id"] for d in errors} == {d["id"] for d in failed if d["outcome"] == "error"}
    for d in items[:20]:
        assert api.ok(f"/push/admin/v1/deliveries/{d['id']}") == d


def test_counts_add_up_to_the_delivery_log(api: Api) -> None:
    window = {"since": MONTH_AGO, "bucket": "day"}
    top = api.ok("/push/admin/v1/top-failing", params={"limit": 3, "since": window["since"]})["items"]
    for row in top:
        counts = api.ok("/push/admin/v1/counts", params={**window, "workspace_id": row["workspace_id"]})
        assert sum(c["count"] for c in counts["items"]) == row["total"]
        assert sum(c["count"] for c in counts["items"] if c["outcome"] != "sent") == row["failed"]


def test_a_cursor_only_works_with_its_own_query(api: Api) -> None:
    page = api.ok("/fleet/admin/v1/workspaces", params={"limit": 2, "hosted": "true"})
    other = api.get("/fleet/admin/v1/workspaces", params={"limit": 2, "hosted": "false", "cursor": page["next_cursor"]})
    assert other.status_code == 400 and "cursor" in other.json()["message"]
    assert api.get("/fleet/admin/v1/workspaces", params={"cursor": "garbage"}).status_code == 400
    for bad in (0, 501, "x"):
        assert api.get("/fleet/admin/v1/workspaces", params={"limit": bad}).status_code == 400


@pytest.fixture(scope="module")
def target(api: Api) -> dict[str, Any]:
    """A registered workspace from the middle of the first 500."""
    items = api.ok("/fleet/admin/v1/workspaces", params={"limit": 500, "registration_state": "registered"})["items"]
    return items[len(items) // 2]


def search(api: Api, q: str, **params: Any) -> dict[str, Any]:
    return api.ok("/fleet/admin/v1/workspaces", params={"q": q, "limit": 500, **params})


def test_search_by_exact_id_and_unique_id(api: Api, target) -> None:
    for q in (target["id"], target["unique_id"]):
        found = search(api, q)
        assert found["items"][0]["id"] == target["id"], q
    assert api.ok(f"/fleet/admin/v1/workspaces/{target['unique_id']}")["id"] == target["id"]


def test_old_style_unique_ids_are_found_exactly_and_case_sensitively(api: Api) -> None:
    """Servers installed before 6.5.0 carry Meteor's `Random.id()`: 17 characters, mixed case."""
    wid = api.examples()["workspace_ids"]["old_style_id"]
    ws = api.ok(f"/fleet/admin/v1/workspaces/{wid}")
    uid = ws["unique_id"]
    assert len(uid) == 17 and uid != uid.lower() and uid != uid.upper()
    assert search(api, uid)["items"][0]["id"] == wid
    assert api.ok(f"/fleet/admin/v1/workspaces/{uid}")["id"] == wid
    for other_case in (uid.lower(), uid.swapcase()):
        assert api.get(f"/fleet/admin/v1/workspaces/{other_case}").status_code == 404
        assert all(item["id"] != wid for item in search(api, other_case)["items"])


def test_a_former_unique_id_still_finds_its_workspace(api: Api) -> None:
    wid = api.examples()["workspace_ids"]["unique_id_changed"]
    ws = api.ok(f"/fleet/admin/v1/workspaces/{wid}")
    former = ws["unique_id_history"][0]["unique_id"]
    assert former != ws["unique_id"]
    assert api.ok(f"/fleet/admin/v1/workspaces/{former}")["id"] == wid
    assert search(api, former)["items"][0]["id"] == wid


def test_connection_disabled_is_a_filterable_state(api: Api) -> None:
    found = api.ok("/fleet/admin/v1/workspaces", params={"registration_state": "connection_disabled", "limit": 50})
    assert found["total"] > 0
    assert {item["registration_state"] for item in found["items"]} == {"connection_disabled"}
    summary = api.ok("/fleet/admin/v1/summary")["by_registration_state"]
    assert summary["connection_disabled"] == found["total"]


def test_search_by_name_prefix_ranks_prefixes_first(api: Api, target) -> None:
    prefix = target["name"][:6].lower()
    found = search(api, prefix)
    names = [w["name"].lower() for w in found["items"]]
    assert target["id"] in {w["id"] for w in found["items"]}
    starts = [n.startswith(prefix) for n in names]
    assert starts == sorted(starts, reverse=True)  # every prefix match before any other match
    assert all(prefix in f"{w['name']} {w['site_url']} {w['contact_email']}".lower() for w in found["items"])
    assert found["total"] == len(found["items"]) or found["next_cursor"]


def test_search_by_site_url_and_email_substrings(api: Api, target) -> None:
    host = target["site_url"].split("://", 1)[1]
    assert target["id"] in {w["id"] for w in search(api, host)["items"]}
    assert search(api, target["site_url"] + "/")["items"][0]["id"] == target["id"]
    domain = target["contact_email"].split("@", 1)[1]
    found = search(api, "@" + domain)
    assert target["id"] in {w["id"] for w in found["items"]}
    assert all(domain in w["contact_email"] for w in found["items"])


def test_search_combines_with_filters_and_counts_all_matches(api: Api, target) -> None:
    everything = search(api, "e")
    narrowed = search(api, "e", registration_state="registered", hosted="false")
    assert 0 < narrowed["total"] < everything["total"]
    assert all(w["registration_state"] == "registered" and not w["hosted"] for w in narrowed["items"])
    assert search(api, "zzzz-no-such-workspace")["total"] == 0


def test_every_response_has_a_request_id_and_says_it_is_a_sandbox(api: Api) -> None:
    generated = {api.get("/fleet/admin/v1/summary").headers["X-Request-Id"] for _ in range(3)}
    assert len(generated) == 3 and all(generated)
    echoed = api.get("/hosting/admin/v1/summary", headers={"X-Request-Id": "trace-42"})
    assert echoed.headers["X-Request-Id"] == "trace-42"
    for response in (api.get("/nowhere"), api.get("/_sandbox/health", auth=False),
                     api.post("/push/push/apn/send", auth=False, json={})):
        assert response.headers["X-Request-Id"] and response.headers["X-Sandbox"] == "true"
