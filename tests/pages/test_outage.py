"""One service down: every page still renders; only that service's widgets show a banner."""

from __future__ import annotations

import pytest
import requests

from portal.livedata import SERVICE_TITLES
from tests.support.apptest import open_screen, texts

# Which services each dashboard reads.
USES = {
    "fleet": {"fleet", "stats"},
    "workspace": {"fleet", "stats", "push", "marketplace", "hosting"},
    "push": {"push", "fleet"},  # Fleetcommand names the workspaces next to their ids
    "hosting": {"hosting", "fleet"},
    "marketplace": {"marketplace", "fleet"},
}


def set_outage(sandbox, service: str) -> None:
    # retry_after 0: the clients' retry timing is tested in tests/clients; here only the rendering matters.
    answer = requests.put(f"{sandbox.base_url}/_sandbox/faults/{service}", timeout=5,
                          json={"outage": True, "retry_after": 0})
    answer.raise_for_status()


@pytest.fixture(scope="module")
def hosted_workspace_id(sandbox) -> str:
    answer = requests.get(f"{sandbox.urls['fleet']}/admin/v1/workspaces", params={"hosted": "true", "limit": 1},
                          headers={"Authorization": f"Bearer {sandbox.admin_token}"}, timeout=5)
    return answer.json()["items"][0]["id"]


@pytest.mark.parametrize("service", ["fleet", "stats", "push", "marketplace", "hosting"])
@pytest.mark.parametrize("screen_id", list(USES))
def test_page_renders_with_one_service_down(sandbox, hosted_workspace_id, service, screen_id):
    set_outage(sandbox, service)
    query = {"workspace": hosted_workspace_id} if screen_id == "workspace" else None
    at = open_screen("oncall", screen_id, query=query)
    assert not at.exception, at.exception
    assert at.title, "the page did not render"
    text = texts(at)
    banners = {name for name, title in SERVICE_TITLES.items() if f"{title} unavailable" in text}
    if service in USES[screen_id] and not (screen_id == "workspace" and service == "fleet"):
        assert banners == {service}
    else:
        assert banners <= {service}
    if service not in USES[screen_id]:
        assert not banners


def test_workspace_page_with_fleet_down_still_shows_statistics(sandbox, hosted_workspace_id):
    ws = requests.get(f"{sandbox.urls['fleet']}/admin/v1/workspaces/{hosted_workspace_id}", timeout=5,
                      headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    set_outage(sandbox, "fleet")
    at = open_screen("support", "workspace", query={"workspace": ws["unique_id"]})
    assert not at.exception
    assert "Source: Statistics Collector" in texts(at)


def test_stale_data_is_marked_after_an_outage(sandbox):
    at = open_screen("lead", "push")
    assert "Push Gateway unavailable" not in texts(at)
    set_outage(sandbox, "push")
    at.button(key="push-refresh").click().run()
    text = texts(at)
    assert "**Push Gateway is failing.** Its widgets show what it said last" in text  # one banner, plain words
    assert "Push Gateway unavailable: showing its last good answer" in text  # under each widget
    assert "Deliveries (last day)" in text  # the last good numbers are still on screen
