"""AppTest of the Runbooks screen against the sandbox: live views, and an action block run through the
executor whose audit record names the runbook."""

from __future__ import annotations

import os

import pytest
from runbook_apptest import open_runbooks
from sqlalchemy import select

from portal.clients import build_clients
from portal.runbooks import RUNBOOKS_DIR, load_library
from portal.store import open_database
from portal.store.models import AuditRecord
from tests.support.apptest import shown

pytestmark = pytest.mark.usefixtures("fresh_streamlit", "clean_faults")

RUNBOOK = "push-workspace-401-unauthorized"


@pytest.fixture()
def workspace_id(sandbox_settings) -> str:
    """A registered, self-managed sandbox workspace."""
    clients = build_clients(sandbox_settings)
    try:
        page = clients.fleet.search_workspaces(hosted=False, registration_state="registered", limit=1)
    finally:
        clients.close()
    return page.items[0].id


def audit_records(runbook_id: str) -> list[AuditRecord]:
    database = open_database(os.environ["PORTAL_DATABASE_URL"])
    try:
        with database.sessions() as session:
            statement = select(AuditRecord).where(AuditRecord.runbook_id == runbook_id).order_by(AuditRecord.seq)
            return list(session.execute(statement).scalars())
    finally:
        database.dispose()


def test_views_show_the_workspace_from_the_link(workspace_id):
    at = open_runbooks("lead", runbook=RUNBOOK, workspace=workspace_id)
    assert not at.exception
    assert "Connection" in [m.label for m in at.metric]
    assert not [w.value for w in at.warning]  # every service answered
    assert any(f",{workspace_id}\n" in str(frame.value.to_csv()) for frame in at.dataframe)  # cloud workspace id


def test_a_service_outage_degrades_only_its_view(workspace_id, sandbox):
    import requests

    requests.put(f"{sandbox.base_url}/_sandbox/faults/push", json={"outage": True}, timeout=5)
    at = open_runbooks("lead", runbook=RUNBOOK, workspace=workspace_id)
    assert not at.exception
    assert [w.value.split("**")[1] for w in at.warning] == ["Push Gateway is failing."]  # one banner, its source
    assert "Connection" in [m.label for m in at.metric]  # Fleetcommand's view still there


LEAKED = "leaked-workspace-credentials"


def test_support_runs_a_block_from_the_deep_link_and_the_audit_record_names_the_runbook(workspace_id):
    at = open_runbooks("support", runbook=LEAKED, workspace=workspace_id)
    assert not at.exception
    revoke_key = f"rb-{LEAKED}-2"  # blocks: two views, then revoke, rotate (oncall), suspend (oncall)
    assert at.text_input(key=f"{revoke_key}-target").value == workspace_id
    assert [c.value for c in at.caption if c.value.startswith("Needs the")] == [
        "Needs the oncall role or higher to run; you are support."] * 2
    previews = [b for b in at.button if b.label == "Preview"]
    assert len(previews) == 1
    previews[0].click().run()
    assert not at.exception, at.exception
    at.button(key=f"{revoke_key}-run").click().run()
    assert not at.exception, at.exception
    assert any(shown(s.value).startswith("Succeeded: Revoke access tokens (for a leaked token) on ")
               for s in at.success)

    records = audit_records(LEAKED)
    assert [(r.event, r.action, r.target, r.actor_sub) for r in records] == [
        ("started", "workspace.revoke_access_tokens", workspace_id, "support"),
        ("succeeded", "workspace.revoke_access_tokens", workspace_id, "support"),
    ]
    at.run()
    assert any("actions ran once: workspace.revoke_access_tokens 1 succeeded" in c.value for c in at.caption)


def test_a_viewer_cannot_run_any_block_even_with_the_sandbox_up(workspace_id):
    at = open_runbooks("lead", runbook=RUNBOOK, workspace=workspace_id)
    assert not [b for b in at.button if b.label == "Preview"]
    assert all(b.disabled for b in at.button if b.label == "Run")
    assert audit_records(RUNBOOK) == []


@pytest.fixture()
def hosted_workspace_id(sandbox_settings) -> str:
    """A cloud-hosted sandbox workspace: every view has something to show."""
    clients = build_clients(sandbox_settings)
    try:
        return clients.fleet.search_workspaces(hosted=True, limit=1).items[0].id
    finally:
        clients.close()


@pytest.mark.parametrize("runbook_id", sorted(p.stem for p in RUNBOOKS_DIR.glob("*.md")))
def test_every_runbook_renders_its_views_and_forms_for_oncall(runbook_id, hosted_workspace_id):
    at = open_runbooks("oncall", runbook=runbook_id, workspace=hosted_workspace_id)
    assert not at.exception, at.exception
    assert not [w.value for w in at.warning], "a view could not load"
    assert not [e.value for e in at.error]
    library = load_library()
    blocks = library.runbooks[runbook_id].action_blocks
    assert len([b for b in at.button if b.label == "Preview"]) == len(blocks)
