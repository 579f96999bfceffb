"""The workspace page: search, one page per workspace, every Rocket.Chat era, degraded services."""

from __future__ import annotations

import pytest
import requests

from tests.support.apptest import open_screen, texts


def admin_get(sandbox, service: str, path: str, **params):
    answer = requests.get(f"{sandbox.urls[service]}{path}", params=params, timeout=10,
                          headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    answer.raise_for_status()
    return answer.json()


def workspace_on(sandbox, minor: str, **filters) -> dict:
    items = admin_get(sandbox, "fleet", "/admin/v1/workspaces", minor=minor, limit=50, **filters)["items"]
    for ws in items:
        try:
            admin_get(sandbox, "stats", f"/admin/v1/reports/{ws['unique_id']}/latest")
        except requests.HTTPError:
            continue
        return ws
    pytest.skip(f"the seeded fleet has no reporting workspace on {minor}")


def test_search_by_name_lists_matches_with_open_buttons(sandbox):
    ws = admin_get(sandbox, "fleet", "/admin/v1/workspaces", limit=1)["items"][0]
    at = open_screen("support", "workspace", query={"q": ws["name"]})
    assert not at.exception
    assert f"open-{ws['id']}" in [b.key for b in at.button]
    at.button(key=f"open-{ws['id']}").click().run()
    assert at.query_params["workspace"] == [ws["id"]] or at.query_params["workspace"] == ws["id"]
    assert ws["name"] in [h.value for h in at.header]


@pytest.mark.parametrize("field", ["id", "unique_id", "contact_email"])
def test_search_by_other_fields(sandbox, field):
    ws = admin_get(sandbox, "fleet", "/admin/v1/workspaces", limit=1, cursor=None)["items"][0]
    at = open_screen("lead", "workspace", query={"q": ws[field]})
    assert f"open-{ws['id']}" in [b.key for b in at.button]


@pytest.mark.parametrize("minor", ["8.5", "6.5", "3.18"])
def test_workspace_page_renders_statistics_of_each_era(sandbox, minor):
    ws = workspace_on(sandbox, minor)
    at = open_screen("support", "workspace", query={"workspace": ws["id"]})
    assert not at.exception, at.exception
    text = texts(at)
    assert ws["name"] in [h.value for h in at.header]
    assert "Users" in text and "Source: Statistics Collector" in text
    assert "unavailable" not in text


def test_very_old_and_very_new_statistics_render(sandbox):
    old = requests.post(f"{sandbox.urls['stats']}/", timeout=10, json={
        "uniqueId": "legacy-0-61-test", "installedAt": "2017-11-02T10:00:00.000Z", "version": "0.61.2",
        "totalUsers": 12, "activeUsers": 5, "totlalLivechat": 3, "lastLogin": "2018-01-02T03:04:05.000Z",
        "host": "https://old.example"})
    assert old.status_code == 200
    at = open_screen("lead", "workspace", query={"workspace": "legacy-0-61-test"})
    assert not at.exception
    text = texts(at)
    assert "Known only from the statistics it sends" in text
    assert "Out of support since 2019-04-30" in text
    new = requests.post(f"{sandbox.urls['stats']}/", timeout=10, json={
        "uniqueId": "future-8-8-test", "version": "8.8.0", "totalUsers": 9000, "push": 7,
        "apps": {"engineVersion": "1.50.0", "totalInstalled": False, "totalActive": None, "totalFailed": 0},
        "lastLogin": "Mon Aug 03 2026 12:00:00 GMT+0000 (Coordinated Universal Time)", "host": "https://new.example"})
    assert new.status_code == 200
    at = open_screen("lead", "workspace", query={"workspace": "future-8-8-test"})
    assert not at.exception
    text = texts(at)
    assert "Newer than known releases" in text
    assert "9,000" in text


def test_unknown_workspace_says_so():
    at = open_screen("lead", "workspace", query={"workspace": "no-such-workspace"})
    assert not at.exception
    assert "neither Fleetcommand nor the statistics collector knows it" in texts(at)


def test_support_runs_send_test_from_the_workspace_page_and_it_lands_in_its_history(sandbox):
    ws = admin_get(sandbox, "fleet", "/admin/v1/workspaces", registration_state="registered", limit=1)["items"][0]
    at = open_screen("support", "workspace", query={"workspace": ws["id"]})
    assert not at.exception, at.exception
    assert "Rotate" not in " ".join(e.label for e in at.expander) or "Needs a higher role" in texts(at)
    preview = [b for b in at.button if b.key and "ws-action-push.send_test" in b.key] or \
        [b for b in at.get("form_submit_button") if "push.send_test" in str(b.form_id)]
    assert preview, "no form for push.send_test"
    preview[0].click().run()
    run = [b for b in at.button if b.key and "ws-action-push.send_test" in b.key and "run" in b.key.lower()]
    assert run, [b.key for b in at.button]
    run[0].click().run()
    assert not at.exception, at.exception
    history = open_screen("support", "workspace", query={"workspace": ws["id"]})
    frames = [df.value for df in history.dataframe if "action" in getattr(df.value, "columns", [])]
    assert frames and "push.send_test" in set(frames[-1]["action"])


def test_a_viewer_sees_no_runnable_actions(sandbox):
    ws = admin_get(sandbox, "fleet", "/admin/v1/workspaces", limit=1)["items"][0]
    at = open_screen("lead", "workspace", query={"workspace": ws["id"]})
    assert "runs no actions" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("ws-action-")]
