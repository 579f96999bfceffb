"""Real browser, end to end: on-call signs in, restarts a hosted workspace (typing its name), sees
the result, and finds the run in the audit log."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.clients import build_clients
from portal.settings import SERVICES, Settings

pytestmark = pytest.mark.browser


def a_running_hosted_workspace(sandbox) -> tuple[str, str]:
    """(id, name) of a running hosted instance; taken from the end of the list, away from other tests."""
    settings = Settings(**{f"{s}_url": sandbox.urls[s] for s in SERVICES},
                        **{f"{s}_token": sandbox.admin_token for s in SERVICES})
    clients = build_clients(settings)
    try:
        instance = clients.hosting.instances(status="running", limit=200).items[-7]
        return instance.workspace_id, clients.fleet.get_workspace(instance.workspace_id).name
    finally:
        clients.close()


def test_oncall_restarts_a_hosted_workspace_and_finds_it_in_the_audit_log(page: Page, sign_in, portal_stack) -> None:
    workspace_id, name = a_running_hosted_workspace(portal_stack.sandbox)
    sign_in(page, "oncall")

    page.goto(f"/actions?action=hosting.restart&workspace={workspace_id}")
    expect(page.get_by_role("heading", name="Actions")).to_be_visible()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text(f"restart the hosted instance of {name}")).to_be_visible()

    run = page.get_by_role("button", name="Run", exact=True)
    expect(run).to_be_disabled()  # not before the name is typed
    confirm = page.get_by_role("textbox", name=re.compile("to confirm"))
    confirm.fill(name)
    confirm.press("Enter")
    expect(run).to_be_enabled()
    run.click()

    result = page.get_by_test_id("stAlertContentSuccess")
    expect(result).to_contain_text(f"Succeeded: Restart hosted workspace on {name}", timeout=30_000)
    caption = page.get_by_text(re.compile(r"run `?[0-9a-f-]{36}"))
    expect(caption.first).to_be_visible()

    page.get_by_role("link", name="Find it in the audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(page.get_by_text(re.compile(r"succeeded\s*→\s*succeeded"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"started\s*→\s*running"))).to_be_visible()
    expect(page.get_by_text("oncall@example.com").first).to_be_visible()
