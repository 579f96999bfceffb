"""Real browser: the main screens render for an on-call engineer; `PORTAL_TEST_SCREENSHOTS_DIR` keeps the pictures.

`PORTAL_TEST_SCREENSHOTS_DIR=docs/screenshots make test` refreshes the README's screenshots.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_main_screens_render(page: Page, sign_in, portal_stack, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PORTAL_TEST_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    sandbox = portal_stack.sandbox
    example = requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()["workspace_ids"]
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, "oncall")
    screens = [
        ("fleet-overview", "/", "Fleet overview"),
        ("workspace", f"/workspace?workspace={example['with_invalid_tokens']}", "Workspaces"),
        ("push-health", "/push?range=week", "Push health"),
        ("runbooks", f"/runbooks?runbook=push-invalid-token-storm&workspace={example['with_invalid_tokens']}",
         "Storm of 406 invalid device tokens"),
        ("hosting", "/hosting", "Cloud hosting"),
        ("actions", f"/actions?action=push.resend&workspace={example['with_invalid_tokens']}", "Actions"),
        ("audit", "/audit", "Audit log"),
    ]
    for name, path, heading in screens:
        page.goto(path)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        page.wait_for_timeout(1500)  # let charts draw
        expect(page.get_by_test_id("stException")).to_have_count(0)
        shot = folder / f"{name}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 10_000


def test_degraded_and_after_action_screens(page: Page, sign_in, portal_stack, tmp_path: Path) -> None:
    """During an incident: Statistics slow and Push Gateway down on the workspace page; after a restart
    from a runbook, the instance's new state. Both kept as the README's pictures."""
    folder = Path(os.environ.get("PORTAL_TEST_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    sandbox = portal_stack.sandbox
    example = requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()["workspace_ids"]
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, "oncall")
    try:
        requests.put(f"{sandbox.base_url}/_sandbox/faults/push", json={"outage": True, "retry_after": 0}, timeout=5)
        requests.put(f"{sandbox.base_url}/_sandbox/faults/stats", json={"latency_ms": 8000}, timeout=5)
        page.goto(f"/workspace?workspace={example['hosted']}")
        expect(page.get_by_text("Push Gateway is failing.")).to_be_visible()
        expect(page.get_by_text("Statistics Collector is slow")).to_be_visible()
        expect(page.get_by_text("Nothing looks wrong")).to_have_count(0)
        page.screenshot(path=str(folder / "degraded.png"), full_page=False)
    finally:
        requests.delete(f"{sandbox.base_url}/_sandbox/faults", timeout=5)

    hosting = requests.get(f"{sandbox.urls['hosting']}/admin/v1/instances", params={"status": "degraded", "limit": 1},
                           headers={"Authorization": f"Bearer {sandbox.admin_token}"}, timeout=5).json()["items"]
    if not hosting:
        pytest.skip("no degraded hosted instance in this fleet")
    workspace = hosting[0]["workspace_id"]
    name = requests.get(f"{sandbox.urls['fleet']}/admin/v1/workspaces/{workspace}", timeout=5,
                        headers={"Authorization": f"Bearer {sandbox.admin_token}"}).json()["name"]
    page.goto(f"/runbooks?runbook=hosted-workspace-down&workspace={workspace}")
    view = page.locator(".stVerticalBlock").filter(has=page.get_by_text("Hosted instance", exact=True)).last
    expect(page.get_by_text("degraded").first).to_be_visible()
    restart = page.get_by_test_id("stForm").filter(has=page.get_by_text("Hosted workspace id")).first
    restart.get_by_role("button", name="Preview").click()
    confirm = page.get_by_role("textbox", name="to confirm").first
    confirm.fill(name)
    confirm.press("Enter")
    page.get_by_role("button", name="Run", exact=True).first.click()
    expect(page.get_by_text("Succeeded: Restart hosted workspace").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Run", exact=True)).to_have_count(0)  # the Run button became the outcome
    # The view above the steps shows the instance as it is now, not as the cache had it.
    page.get_by_text("Hosted instance", exact=True).first.scroll_into_view_if_needed()
    expect(view.get_by_text("running").first).to_be_visible()
    page.mouse.wheel(0, -120)
    page.screenshot(path=str(folder / "after-action.png"), full_page=False)
