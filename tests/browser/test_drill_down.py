"""Real browser: every chart's bars open the list behind them, under the chart, and the list's total is
the clicked bar's number (read from the service the chart is drawn from)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect

from portal.charts import counts_by_support_status
from portal.releases import SupportStatus, load_catalog

pytestmark = pytest.mark.browser


def admin(portal_stack, service: str, path: str, **params) -> dict:
    sandbox = portal_stack.sandbox
    return requests.get(f"{sandbox.urls[service]}/admin/v1{path}", params=params, timeout=10,
                        headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()


def click_bar(page: Page, chart_key: str, index: int = 0) -> dict[str, str]:
    """Click one bar of a chart; the query the page moved to."""
    before = page.url
    points = page.locator(f".st-key-{chart_key} .point")
    expect(points.first).to_be_attached()
    # A stacked bar of count 0 is drawn as a point with no area: it cannot be clicked, so count bars that show.
    drawn = [n for n in range(points.count()) if (box := points.nth(n).bounding_box()) and box["width"] >= 1
             and box["height"] >= 1]
    assert drawn, f"{chart_key}: no bar has an area to click"
    points.nth(drawn[min(index, len(drawn) - 1)]).click(force=True)
    page.wait_for_function("(url) => window.location.href !== url", arg=before, timeout=20_000)
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


FLEET_CHARTS = ["chart-versions", "chart-support", "chart-deploy_method", "chart-deploy_platform",
                "chart-registration_state", "chart-hosting", "chart-growth"]


@pytest.mark.parametrize("chart", FLEET_CHARTS)
def test_each_fleet_chart_lists_exactly_its_bar(page: Page, sign_in, portal_stack, chart: str) -> None:
    sign_in(page, "lead")
    expect(page.locator(f".st-key-{chart} .point").first).to_be_attached()
    query = click_bar(page, chart)
    summary = admin(portal_stack, "fleet", "/summary")
    dimension, value = query["drill"], query["value"]
    expected = {
        "minor": lambda: summary["by_minor"][value],
        "support": lambda: counts_by_support_status(summary["by_minor"], load_catalog())[
            next(s for s in SupportStatus if s.label == value)],
        "deploy_method": lambda: summary["by_deploy_method"][value],
        "deploy_platform": lambda: summary["by_deploy_platform"][value],
        "registration_state": lambda: summary["by_registration_state"][value],
        "hosting": lambda: summary["hosted"] if value == "cloud-hosted" else summary["self_managed"],
        "created_month": lambda: summary["created_by_month"][value],
    }[dimension]()
    listing = page.get_by_text(re.compile(rf"· {expected:,} workspaces$"))
    expect(listing).to_be_visible()
    # Under the clicked chart, not at the foot of the page.
    assert listing.bounding_box()["y"] > page.locator(f".st-key-{chart}").bounding_box()["y"]


def test_hosting_charts_filter_the_instance_list(page: Page, sign_in, portal_stack) -> None:
    sign_in(page, "lead")
    page.goto("/hosting")
    for name in ("status", "region", "version"):
        query = click_bar(page, f"chart-hosting-{name}")
        expected = admin(portal_stack, "hosting", "/summary")[f"by_{name}"][query[name]]
        expect(page.get_by_text(re.compile(rf"^{expected:,} instances? \(.*{re.escape(query[name])}"))).to_be_visible()
        page.goto("/hosting")


def test_marketplace_charts_list_their_installs(page: Page, sign_in, portal_stack) -> None:
    sign_in(page, "lead")
    page.goto("/marketplace")
    summary = admin(portal_stack, "marketplace", "/summary")
    query = click_bar(page, "chart-apps")
    expected = next(a["installs"] for a in summary["top_apps"] if a["app_id"] == query["app"])
    expect(page.get_by_text(re.compile(rf"· {expected:,} installs$"))).to_be_visible()
    page.goto("/marketplace")
    query = click_bar(page, "chart-subscriptions")
    expected = summary["subscriptions_by_status"][query["subscription"]]
    expect(page.get_by_text(re.compile(rf"· {expected:,} installs$"))).to_be_visible()


def test_the_push_chart_lists_the_deliveries_of_a_bar(page: Page, sign_in, portal_stack) -> None:
    sign_in(page, "lead")
    page.goto("/push?range=day")
    query = click_bar(page, "chart-push", index=3)
    listing = page.get_by_text(re.compile(r"· [\d,]+ deliveries$"))
    expect(listing).to_be_visible()
    shown = int(listing.inner_text().rsplit("·", 1)[1].split()[0].replace(",", ""))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    counts = admin(portal_stack, "push", "/counts", since=(now - timedelta(days=1)).isoformat(),
                   until=now.isoformat(), bucket="hour")["items"]
    bucket = datetime.fromisoformat(query["bucket"].replace("Z", "+00:00"))
    bucket = bucket if bucket.tzinfo else bucket.replace(tzinfo=UTC)
    expected = sum(item["count"] for item in counts if item["outcome"] == query["value"]
                   and datetime.fromisoformat(item["start"].replace("Z", "+00:00")) == bucket)
    assert query["by"] == "outcome" and shown == expected > 0
