"""Real browser: a support agent finds a customer's workspace, opens it and sends a test push from its page."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_support_searches_opens_and_sends_a_test_push(page: Page, sign_in, portal_stack) -> None:
    sandbox = portal_stack.sandbox
    example = requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()
    workspace = requests.get(f"{sandbox.urls['fleet']}/admin/v1/workspaces/{example['workspace_ids']['pushing']}",
                             headers={"Authorization": f"Bearer {sandbox.admin_token}"}, timeout=5).json()

    sign_in(page, "support")
    page.locator(".st-key-portal-nav").get_by_role("link", name="Workspaces", exact=True).click()
    search = page.get_by_label("Find a workspace")
    search.press_sequentially(workspace["contact_email"], delay=20)  # no Enter: results come as you type
    expect(page.get_by_text(workspace["id"], exact=False).first).to_be_visible()
    page.locator(f".st-key-open-{workspace['id']} button").click()  # several may share the e-mail domain
    expect(page.get_by_role("heading", name=workspace["name"])).to_be_visible()

    page.get_by_role("tab", name="Actions").click()
    action = page.get_by_test_id("stExpander").filter(has=page.get_by_text("Send a test push", exact=True).first)
    action.locator("summary").click()
    action.get_by_role("button", name="Preview").click()
    expect(action.get_by_text("Preview:", exact=False)).to_be_visible()
    action.get_by_role("button", name="Run").click()
    expect(action.get_by_text("Succeeded: Send a test push on", exact=False).first).to_be_visible()

    # The gateway's log has the test push, and the workspace's own history shows the portal's run.
    deliveries = requests.get(f"{sandbox.urls['push']}/admin/v1/deliveries",
                              params={"workspace_id": workspace["id"], "limit": 5},
                              headers={"Authorization": f"Bearer {sandbox.admin_token}"}, timeout=5).json()
    assert any(d["kind"] == "test" for d in deliveries["items"])
    page.reload()
    page.get_by_role("tab", name="Portal history").click()
    expect(page.get_by_text("Source: the portal's audit log", exact=False)).to_be_visible()


def test_the_sidebar_opens_a_screens_default_view(page: Page, sign_in, portal_stack) -> None:
    """A sidebar click starts the screen afresh: the workspace page's search, the audit log unfiltered."""
    sign_in(page, "lead")
    workspace = requests.get(f"{portal_stack.sandbox.base_url}/_sandbox/examples", timeout=5).json()[
        "workspace_ids"]["registered"]
    page.goto(f"/workspace?workspace={workspace}")
    expect(page.get_by_role("button", name="Back to search")).to_be_visible()
    page.locator(".st-key-portal-nav").get_by_role("link", name="Workspaces", exact=True).click()
    expect(page.get_by_label("Find a workspace")).to_be_visible()
    expect(page).not_to_have_url(re.compile(r"workspace="))
    page.goto(f"/audit?target={workspace}")
    expect(page.get_by_role("textbox", name="Target")).to_have_value(workspace)
    page.locator(".st-key-portal-nav").get_by_role("link", name="Audit log", exact=True).click()
    expect(page.get_by_role("textbox", name="Target")).to_have_value("")
    expect(page).not_to_have_url(re.compile(r"target="))
