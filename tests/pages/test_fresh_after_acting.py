"""After an action, the page shows the service's new state at once (not after the cache's lifetime),
the Run button has become the outcome, and a preview that would do nothing offers no Run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from tests.support.apptest import open_screen, shown, texts

API = "/admin/v1"


def admin_get(sandbox, service: str, path: str, **params):
    answer = requests.get(f"{sandbox.urls[service]}{API}{path}", params=params, timeout=5,
                          headers={"Authorization": f"Bearer {sandbox.admin_token}"})
    answer.raise_for_status()
    return answer.json()


def example(sandbox, kind: str) -> str:
    return requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()["workspace_ids"][kind]


def run(at, key: str, *, confirm: str | None = None):
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    if confirm is not None:
        at.text_input(key=f"{key}-confirm").input(confirm).run()
    at.button(key=f"{key}-run").click().run()
    assert not at.exception, at.exception
    return at


def test_purging_invalid_tokens_shows_none_left_on_the_workspace_page(sandbox):
    workspace = example(sandbox, "with_invalid_tokens")
    at = open_screen("oncall", "workspace", query={"workspace": workspace})
    assert "device tokens flagged invalid (406)" in texts(at)
    run(at, "ws-action-push.purge_invalid_tokens")
    assert any(shown(s.value).startswith("Succeeded: Purge invalid device tokens") for s in at.success)
    assert "device tokens flagged invalid (406)" not in texts(at)  # asked again, not the cached answer
    assert not [b for b in at.button if b.key == "ws-action-push.purge_invalid_tokens-run"]  # no second Run
    # Previewing again now: nothing to do, so no Run at all.
    at.button(key="FormSubmitter:ws-action-push.purge_invalid_tokens-form-Preview").click().run()
    assert "Nothing to do: no device tokens of this workspace are flagged invalid" in texts(at)
    assert not [b for b in at.button if b.key == "ws-action-push.purge_invalid_tokens-run"]


def test_maintenance_shows_on_the_hosted_instance_at_once(sandbox):
    workspace = admin_get(sandbox, "hosting", "/instances", status="running", limit=1)["items"][0]["workspace_id"]
    name = admin_get(sandbox, "fleet", f"/workspaces/{workspace}")["name"]
    at = open_screen("oncall", "workspace", query={"workspace": workspace})
    assert ("Status", "running") in [(m.label, m.value) for m in at.metric]
    run(at, "ws-action-hosting.set_maintenance", confirm=name)
    assert ("Status", "maintenance") in [(m.label, m.value) for m in at.metric]


def test_a_resend_preview_with_only_406s_says_why_and_offers_no_run(sandbox):
    workspace = example(sandbox, "with_invalid_tokens")
    now = datetime.now(UTC).replace(microsecond=0)
    failures = admin_get(sandbox, "push", "/deliveries", workspace_id=workspace, outcome="invalid_token", limit=1)
    assert failures["items"], "the example workspace has 406 failures"
    since = datetime.fromisoformat(failures["items"][0]["created_at"].replace("Z", "+00:00")) - timedelta(minutes=1)
    until = min(since + timedelta(minutes=2), now)
    at = open_screen("support", "actions", query={"action": "push.resend", "workspace": workspace,
                                                  "since": since.isoformat(), "until": until.isoformat()})
    key = "actions-push.resend"
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    preview = admin_get(sandbox, "push", f"/workspaces/{workspace}/resend-failed", since=since.isoformat(),
                        until=until.isoformat())
    text = texts(at)
    if preview["failed"] == 0:
        assert "Nothing to do: nothing to resend in this window; its failed pushes were" in text
        assert "invalid device tokens (406" in text
        assert not [b for b in at.button if b.key == f"{key}-run"]
    else:  # the window also holds resendable failures: the 406s are named as not resent
        assert "not resent" in text
