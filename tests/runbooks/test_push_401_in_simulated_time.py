"""The push 401 scenario end to end, in simulated time, as a real server behaves.

A registered workspace holds a cached access token. When its tokens are revoked through the portal,
the workspace keeps sending the revoked one: its own pushes are refused (401, never retried) until
that token expires by its own clock or it syncs. The runbook's verify step (the `push.own_pushes`
view) must tell the truth at each point, and a test push from the portal (which bypasses the
workspace's token) must not fool it. A private sandbox: moving its clock would disturb every other
test's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from runbook_apptest import open_runbooks

from portal.clients import Clients, build_clients
from portal.runbooks.views import VIEWS
from portal.settings import get_settings
from portal.workspace_signals import own_pushes
from portal_dev.sandbox.server import RunningSandbox, start_in_thread
from tests.conftest import settings_for
from tests.support.apptest import shown

RUNBOOK = "push-workspace-401-unauthorized"
pytestmark = pytest.mark.usefixtures("fresh_streamlit")


@pytest.fixture(scope="module")
def private_sandbox() -> Iterator[RunningSandbox]:
    running = start_in_thread(workspaces=300, seed=31, port=0)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture()
def clients(private_sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clients]:
    """The portal's own clients (and, for AppTest, its settings) pointed at the private sandbox."""
    built = build_clients(settings_for(private_sandbox, monkeypatch))
    yield built
    built.close()
    get_settings.cache_clear()


class Control:
    """The sandbox's control endpoints: simulated time and what a workspace's server does."""

    def __init__(self, sandbox: RunningSandbox, workspace: str) -> None:
        self.base, self.workspace = sandbox.base_url, workspace

    def scenario(self, name: str, seconds: float = 0) -> dict[str, Any]:
        response = requests.post(f"{self.base}/_sandbox/servers/{self.workspace}/scenario",
                                 json={"scenario": name, "seconds": seconds}, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def server(self) -> dict[str, Any]:
        return requests.get(f"{self.base}/_sandbox/servers/{self.workspace}", timeout=10).json()

    def advance(self, seconds: float) -> None:
        response = requests.post(f"{self.base}/_sandbox/clock", json={"advance": seconds}, timeout=30)
        assert response.status_code == 200, response.text

    def its_users_post(self) -> None:
        """Users of the workspace post messages: its server sends pushes now, with its cached token."""
        self.scenario("user_activity", 4)


def verify_step(clients: Clients, workspace: str) -> str:
    """What the runbook's verify view concludes right now (the view's own fetch, the view's own reading)."""
    deliveries = VIEWS["push.own_pushes"].fetch(clients, {"workspace": workspace})
    return own_pushes(deliveries).state


@pytest.fixture()
def workspace(private_sandbox: RunningSandbox) -> str:
    examples = requests.get(f"{private_sandbox.base_url}/_sandbox/examples", timeout=10).json()["workspace_ids"]
    found = examples["supported_registered"]
    assert found, "the private sandbox has no registered workspace on a supported version"
    return found


def test_revoke_while_cached_fails_its_own_pushes_until_its_token_expires(clients, private_sandbox, workspace):
    control = Control(private_sandbox, workspace)
    control.scenario("sync_now")  # it holds a fresh token, as a healthy server does
    control.its_users_post()
    assert verify_step(clients, workspace) == "accepted"

    revoked = clients.fleet.revoke_access_tokens(workspace)  # what the portal's action calls
    cached_until = datetime.fromisoformat(str(revoked.detail["cached_until"]).replace("Z", "+00:00"))
    held = control.server()
    assert held["token_cached"] and held["token_expires_in"] > 60  # it still holds the revoked token

    control.its_users_post()
    assert verify_step(clients, workspace) == "refused"
    # A test push from the portal goes through (the gateway's own rights), and proves nothing:
    test_push = clients.push.send_test(workspace)
    assert test_push.status_code == 200 and test_push.kind == "test"
    assert verify_step(clients, workspace) == "refused"

    # Half-way to the token's expiry: still refused, it never refreshes because of a 401.
    control.advance(held["token_expires_in"] / 2)
    control.its_users_post()
    assert verify_step(clients, workspace) == "refused"
    assert control.server()["token_cached"]

    # Past the expiry by its own clock: it fetches a new token and its pushes are accepted again.
    control.advance(held["token_expires_in"] / 2 + 60)
    control.its_users_post()
    assert verify_step(clients, workspace) == "accepted"
    events = " ".join(control.server()["events"])
    assert "new access token" in events
    assert cached_until > datetime.now(UTC)  # the revoke told when the cached token would die


def test_a_sync_fixes_it_at_once(clients, private_sandbox, workspace):
    control = Control(private_sandbox, workspace)
    control.scenario("sync_now")
    clients.fleet.revoke_access_tokens(workspace)
    control.its_users_post()
    assert verify_step(clients, workspace) == "refused"
    control.scenario("sync_now")  # its admin clicked Sync: a forced new token
    control.its_users_post()
    assert verify_step(clients, workspace) == "accepted"


def test_a_server_clock_behind_keeps_sending_an_expired_token(clients, private_sandbox, workspace):
    control = Control(private_sandbox, workspace)
    control.scenario("sync_now")
    expires_in = control.server()["token_expires_in"]
    control.scenario("clock_skew")  # by default its clock runs two hours behind
    control.advance(expires_in + 60)  # the token has expired for the cloud, not by its clock
    control.its_users_post()
    assert verify_step(clients, workspace) == "refused"
    control.advance(2 * 3600)  # now its own clock passes the expiry too
    control.its_users_post()
    assert verify_step(clients, workspace) == "accepted"
    control.scenario("clock_skew", seconds=0.001)  # put its clock right for the next test


def test_the_runbook_page_shows_the_verdict_of_its_own_pushes(clients, private_sandbox, workspace):
    control = Control(private_sandbox, workspace)
    control.scenario("sync_now")
    clients.fleet.revoke_access_tokens(workspace)
    control.its_users_post()
    at = open_runbooks("oncall", runbook=RUNBOOK, workspace=workspace)
    assert not at.exception, at.exception
    verdict = {m.label: m.value for m in at.metric}.get("Its own token")
    assert verdict == "refused"
    assert any(shown(c.value).startswith("Still refused: its latest own push") for c in at.caption)
    # The fix is on the customer's side: the page never offers a revoke for a 401.
    assert "workspace.revoke_access_tokens" not in " ".join(str(b.key) for b in at.button)
    control.scenario("sync_now")
    control.its_users_post()
    from portal_dev.apptest import reset_streamlit

    reset_streamlit()  # a fresh page: the live-data cache would otherwise keep the answer for a minute
    at = open_runbooks("oncall", runbook=RUNBOOK, workspace=workspace)
    assert {m.label: m.value for m in at.metric}.get("Its own token") == "accepted"


def test_advancing_the_clock_is_refused_backwards(private_sandbox):
    response = requests.post(f"{private_sandbox.base_url}/_sandbox/clock", json={"advance": -5}, timeout=10)
    assert response.status_code == 400 and "advance" in response.json()["message"]
