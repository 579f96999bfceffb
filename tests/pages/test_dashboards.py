"""The dashboards under AppTest, per role, against the sandbox."""

from __future__ import annotations

import pytest
import requests

from tests.support.apptest import open_screen, texts

DASHBOARDS = {
    "fleet": "Fleet overview",
    "workspace": "Workspaces",
    "push": "Push health",
    "hosting": "Cloud hosting",
    "marketplace": "Marketplace",
}


@pytest.mark.parametrize("sub", ["lead", "support", "oncall", "admin"])
@pytest.mark.parametrize("screen_id", list(DASHBOARDS))
def test_every_role_opens_every_dashboard(sub, screen_id):
    at = open_screen(sub, screen_id)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [DASHBOARDS[screen_id]]
    assert "unavailable" not in texts(at)


def test_fleet_overview_shows_the_sandbox_numbers(sandbox):
    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", timeout=5,
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    at = open_screen("lead", "fleet")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Workspaces"] == f"{summary['total']:,}"
    assert metrics["Cloud-hosted"] == f"{summary['hosted']:,}"
    assert metrics["Silent > 48 h"] == f"{summary['stats_silent_48h']:,}"
    assert "Source: Fleetcommand" in texts(at)
    assert len(at.get("plotly_chart")) >= 5


def test_fleet_drill_down_lists_the_workspaces_behind_a_number(sandbox):
    at = open_screen("lead", "fleet", query={"drill": "deploy_method", "value": "snap"})
    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", timeout=5,
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    expected = summary["by_deploy_method"]["snap"]
    assert f"Deploy method: snap** · {expected:,} workspaces" in texts(at)
    rows = at.dataframe[-1].value
    assert set(rows["deploy"].str.split("/").str[0]) == {"snap"}


def test_bad_drill_down_in_the_link_is_explained_not_fatal():
    at = open_screen("lead", "fleet", query={"drill": "colour", "value": "red"})
    assert not at.exception
    assert "drill must be one of" in texts(at)


def test_push_health_time_range_from_the_url():
    at = open_screen("support", "push", query={"range": "week"})
    assert not at.exception
    assert "Deliveries (last week)" in texts(at)
    bad = open_screen("support", "push", query={"range": "fortnight"})
    assert "range must be one of" in texts(bad)


@pytest.mark.parametrize(("value", "field"), [("cloud-hosted", "hosted"), ("self-managed", "self_managed")])
def test_fleet_drill_down_by_hosting(sandbox, value, field):
    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", timeout=5,
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    at = open_screen("lead", "fleet", query={"drill": "hosting", "value": value})
    assert f"Hosting: {value}** · {summary[field]:,} workspaces" in texts(at)
    assert set(at.dataframe[-1].value["hosted"]) == {field == "hosted"}


def test_fleet_drill_down_by_support_status_matches_the_chart(sandbox):
    from portal import charts
    from portal.releases import SupportStatus, load_catalog

    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", timeout=5,
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    expected = charts.counts_by_support_status(summary["by_minor"], load_catalog())[SupportStatus.OUT_OF_SUPPORT]
    at = open_screen("lead", "fleet", query={"drill": "support", "value": "out_of_support"})
    assert f"Support status: out_of_support** · {expected:,} workspaces" in texts(at)
    assert set(at.dataframe[-1].value["support"]) == {"Out of support"}


def test_fleet_drill_down_by_month_created_matches_the_growth_chart(sandbox):
    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", timeout=5,
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()
    month, count = max(summary["created_by_month"].items(), key=lambda kv: kv[1])
    at = open_screen("lead", "fleet", query={"drill": "created_month", "value": month})
    assert f"Created in month: {month}** · {count:,} workspaces" in texts(at)
