"""Real browser, two people: on-call asks for a two-person action and sees the request (with its expiry);
an admin approves it in another browser; on-call is told on screen, without reloading, and runs it."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in_flow

pytestmark = pytest.mark.browser


def test_the_requester_is_told_of_the_approval_and_runs_it(page: Page, browser: Browser, portal_stack,
                                                           browser_context_args) -> None:
    workspace = requests.get(f"{portal_stack.sandbox.base_url}/_sandbox/examples", timeout=5).json()[
        "workspace_ids"]["supported_registered"]
    sign_in_flow(page, "oncall")
    page.goto(f"/actions?action=workspace.suspend&workspace={workspace}&reason=INC-42 abuse report")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Request approval").click()
    expect(page.get_by_text(re.compile("Awaiting approval by an admin other than you since"))).to_be_visible()
    expect(page.get_by_text(re.compile("the request expires at"))).to_be_visible()

    admin = browser.new_context(**browser_context_args).new_page()
    sign_in_flow(admin, "admin")
    admin.goto("/approvals")
    admin.get_by_role("button", name="Approve").first.click()
    expect(admin.get_by_text(re.compile("Approved workspace.suspend"))).to_be_visible()

    # No reload: the requester's screen hears of it within a few seconds.
    expect(page.get_by_test_id("stToast").filter(has_text="Approved by")).to_be_visible(timeout=20_000)
    page.goto("/actions")
    expect(page.get_by_text(re.compile(r"Approved by admin@example\.com at .*run it before"))).to_be_visible()
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_role("button", name="Withdraw")).to_have_count(0)
    admin.context.close()
