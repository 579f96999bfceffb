"""Real browser: sign in through the local identity provider, see your role's pages, sign out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from portal.identity import principal_from_claims
from portal.policy import may_view_screen
from portal.screens import SCREENS
from portal.settings import Settings
from portal_dev.idp import signed_in_user

pytestmark = pytest.mark.browser


def visible_screens(sub: str) -> tuple[list, list]:
    """(allowed, forbidden) screens for a development user, by the policy."""
    principal = principal_from_claims(signed_in_user(sub), Settings())
    allowed = [screen for screen in SCREENS if may_view_screen(principal, screen.id).allowed]
    return allowed, [screen for screen in SCREENS if screen not in allowed]


def expect_navigation(page: Page, sub: str) -> None:
    """The sidebar lists exactly the allowed screens (Streamlit hides it when there is only one)."""
    allowed, forbidden = visible_screens(sub)
    nav = page.locator(".st-key-portal-nav")
    if len(allowed) > 1:
        for screen in allowed:
            expect(nav.get_by_role("link", name=screen.title, exact=True)).to_be_visible()
    for screen in forbidden:
        expect(page.get_by_role("link", name=screen.title, exact=True)).to_have_count(0)


def expect_forbidden_urls_refused(page: Page, sub: str) -> None:
    """Typing a forbidden screen's address says which role it needs, never shows the screen itself."""
    _, forbidden = visible_screens(sub)
    for screen in forbidden:
        page.goto(f"/{screen.id}")
        expect(page.get_by_role("heading", name=f"No access to {screen.title}")).to_be_visible()
        expect(page.get_by_text(f"needs the {screen.min_role} role or higher")).to_be_visible()
        expect(page.get_by_text(f"{sub}@example.com")).to_be_visible()
        expect(page.get_by_role("heading", name=screen.title, exact=True)).to_have_count(0)
        expect(page).to_have_url(re.compile(rf"/{screen.id}$"))  # the address stays what was asked for
    page.goto("/")


@pytest.mark.parametrize(("sub", "role_label"), [("support", "Support"), ("lead", "Viewer")])
def test_sign_in_see_your_pages_and_sign_out(page: Page, sign_in, sign_out, sub: str, role_label: str) -> None:
    sign_in(page, sub)
    name = {"support": "Sam Support", "lead": "Lee Lead"}[sub]
    expect(page.get_by_text(name)).to_be_visible()
    expect(page.get_by_text(f"Roles: {role_label}", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Fleet overview")).to_be_visible()
    expect_navigation(page, sub)
    expect_forbidden_urls_refused(page, sub)

    sign_out(page)
    expect(page.get_by_text(f"{sub}@example.com")).to_have_count(0)
    page.goto("/")  # the identity cookie is gone: a new visit is signed out too
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("heading", name="Fleet overview")).to_have_count(0)


def test_admin_sees_settings_in_the_navigation(page: Page, sign_in) -> None:
    sign_in(page, "admin")
    expect_navigation(page, "admin")
    page.locator(".st-key-portal-nav").get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/settings$"))


def test_outsider_reaches_only_the_no_access_screen(page: Page, sign_in) -> None:
    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name="outsider", exact=True).click()
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    expect(page.get_by_text("outsider@example.com")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator(".st-key-portal-nav")).to_have_count(0)
    page.goto(f"/{SCREENS[0].id}")
    expect(page.get_by_role("heading", name="No access")).to_be_visible()
    expect(page.get_by_role("heading", name=SCREENS[0].title)).to_have_count(0)


def test_the_first_request_after_a_start_goes_through_the_sign_in(page: Page, fresh_portal) -> None:
    """The first session after a start runs the entrypoint too (app.py): a deep link gets the sign-in,
    never "Page not found" nor a page file run on its own (whose own check, tests/auth/test_direct_page_runs.py,
    still holds)."""
    portal = fresh_portal()
    page.goto(f"{portal.base_url}/settings?x=1")
    expect(page.get_by_text("Sign in to open Settings")).to_be_visible()
    expect(page.get_by_role("heading", name="Settings", exact=True)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/settings\?x=1$"))


def test_a_signed_out_alert_link_lands_on_its_runbook_after_sign_in(page: Page, portal_stack) -> None:
    import requests

    workspace = requests.get(f"{portal_stack.sandbox.base_url}/_sandbox/examples", timeout=5).json()[
        "workspace_ids"]["pushing"]
    link = f"/runbooks?runbook=push-workspace-401-unauthorized&workspace={workspace}"
    page.goto(link)
    expect(page.get_by_text("Sign in to open Runbooks")).to_be_visible()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name="oncall", exact=True).click()
    expect(page.get_by_role("heading", name="Workspace pushes fail with 401 (cloud token rejected)")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(link) + "$"))
    expect(page.get_by_role("textbox", name="Workspace", exact=True)).to_have_value(workspace)
    # The cookie that carried the link is gone: signing in again from the start page lands there.
    assert not [c for c in page.context.cookies() if c["name"] == "portal_next"]
