"""Real browser: what an engineer sees when the sandbox's workspaces behave like real servers.

The 401 runbook's verify step reads the workspace's own pushes (a revoked token it still caches is
refused, a test push from here proves nothing), and a workspace whose admin disabled the cloud
connection says so, with push decoded as the server really sends. `PORTAL_TEST_SCREENSHOTS_DIR`
keeps the pictures.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def _setting(portal_stack, tmp_path: Path, kind: str) -> tuple[Path, Any, str | None]:
    """Where pictures go, the browser tests' sandbox, and its first workspace of `kind`."""
    folder = Path(os.environ.get("PORTAL_TEST_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    sandbox = portal_stack.sandbox
    examples = requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()["workspace_ids"]
    return folder, sandbox, examples[kind]


def _scenario(sandbox, workspace: str, name: str, seconds: float = 0) -> None:
    answer = requests.post(f"{sandbox.base_url}/_sandbox/servers/{workspace}/scenario",
                           json={"scenario": name, "seconds": seconds}, timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_401_runbook_verifies_with_the_workspaces_own_pushes(page: Page, sign_in, portal_stack,
                                                                  tmp_path: Path) -> None:
    folder, sandbox, workspace = _setting(portal_stack, tmp_path, "supported_registered")
    _scenario(sandbox, workspace, "sync_now")
    _scenario(sandbox, workspace, "token_revoked_while_cached")  # it keeps the revoked token cached
    _scenario(sandbox, workspace, "user_activity", 3)
    try:
        page.set_viewport_size({"width": 1400, "height": 1000})
        sign_in(page, "support")
        page.goto(f"/runbooks?runbook=push-workspace-401-unauthorized&workspace={workspace}")
        expect(page.get_by_text("Still refused: its latest own push")).to_be_visible(timeout=15_000)
        expect(page.get_by_text("refused", exact=True)).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)
        page.get_by_text("The workspace's own pushes (with its own token)").scroll_into_view_if_needed()
        page.screenshot(path=str(folder / "runbook-401-own-pushes.png"), full_page=False)
    finally:
        _scenario(sandbox, workspace, "sync_now")  # leave it healthy for the other browser tests


def test_a_disconnected_workspace_says_so(page: Page, sign_in, portal_stack, tmp_path: Path) -> None:
    folder, _sandbox, workspace = _setting(portal_stack, tmp_path, "connection_disabled")
    if workspace is None:
        pytest.skip("the browser sandbox's fleet has no disconnected workspace")
    page.set_viewport_size({"width": 1400, "height": 1000})
    sign_in(page, "support")
    page.goto(f"/workspace?workspace={workspace}")
    expect(page.get_by_text("Cloud connection disabled by its admin")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("connection disabled", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing looks wrong")).to_have_count(0)
    # Push decoded as the server sends: the gateway needs Register_Server, which this admin turned off.
    expect(page.get_by_text("gateway enabled but unused (cloud connection disabled)")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("via the cloud gateway")).to_have_count(0)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.screenshot(path=str(folder / "workspace-connection-disabled.png"), full_page=True)
