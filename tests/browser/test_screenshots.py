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
