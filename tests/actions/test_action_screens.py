"""AppTest of the Actions, Approvals and Audit screens, per role, through the entrypoint's navigation.

The executor is the real one on a test database; its actions are stand-ins (`fake_registry`), so
these tests are about the screens. `test_actions_sandbox.py` runs the real actions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from portal.settings import get_settings
from portal.store import audit
from portal.store.db import transaction
from tests.support.apptest import shown as unescaped

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
AUTH = {  # st.login is never called here: the user is set on the AppTest
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret-0123456789-abcdefghij",
    "client_id": "cloud-ops-portal-test",
    "client_secret": "apptest-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
GROUPS = {"lead": "cloud-leads", "support": "cloud-support", "oncall": "cloud-oncall", "admin": "cloud-admins",
          "admin2": "cloud-admins"}


def user(sub: str) -> dict[str, Any]:
    return {"is_logged_in": True, "sub": sub, "email": f"{sub}@example.com", "name": sub.title(),
            "groups": [GROUPS[sub]], "iat": int(datetime.now(UTC).timestamp())}


@pytest.fixture()
def portal(monkeypatch: pytest.MonkeyPatch, database_url: str, fake_registry) -> Iterator[Callable[..., AppTest]]:
    """`portal(sub, page, **query)`: the entrypoint signed in as `sub`, switched to `page`."""
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def steady_navigation(self: PagesManager, *args: object, **kwargs: object) -> None:
        # AppTest would otherwise treat the pages/ folder as an old-style multipage app (see tests/auth).
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", steady_navigation)
    monkeypatch.setattr("portal.actions.executor.default_registry", lambda: fake_registry)
    monkeypatch.setenv("PORTAL_DATABASE_URL", database_url)
    for service in ("fleet", "push", "stats", "marketplace", "hosting"):
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", f"http://127.0.0.1:9/{service}")
    st.cache_resource.clear()
    st.cache_data.clear()
    get_settings.cache_clear()

    def open_page(sub: str, page: str, **query: str) -> AppTest:
        at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
        at.secrets["auth"] = dict(AUTH)
        at.user = user(sub)
        at.run()
        at.switch_page(page)
        at.query_params.update(query)
        return at.run()

    yield open_page
    # Close the executor's database before the test's database is dropped.
    from portal.app_context import app_context

    with contextlib.suppress(Exception):  # nothing to close when the context was never built
        app_context().database.dispose()
    st.cache_resource.clear()
    get_settings.cache_clear()


def shown(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "markdown", "caption", "error", "warning", "info", "success")
             for e in getattr(at, kind)]
    parts += [b.label for b in at.button]
    parts += [s.label for s in at.status] if hasattr(at, "status") else []
    return "\n".join(unescaped(p) for p in parts)


def button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} in {[b.label for b in at.button]}"
    return matches[0]


# -- who sees which screen ----------------------------------------------------------------------


@pytest.mark.parametrize(("sub", "page", "allowed"), [
    ("lead", "pages/actions.py", False), ("support", "pages/actions.py", True),
    ("oncall", "pages/approvals.py", False), ("admin", "pages/approvals.py", True),
    ("lead", "pages/audit.py", True),
])
def test_screens_by_role(portal, sub, page, allowed):
    if allowed:
        at = portal(sub, page)
        assert not at.exception, at.exception
    else:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            portal(sub, page)


def test_actions_offers_only_what_the_role_may_run(portal):
    at = portal("support", "pages/actions.py")
    options = at.selectbox(key="actions-chosen").options
    assert any("workspace.revoke_access_tokens" in o for o in options)
    assert not any("hosting.restart" in o or "rotate_client_secret" in o for o in options)
    oncall = portal("oncall", "pages/actions.py")
    assert any("hosting.restart" in o for o in oncall.selectbox(key="actions-chosen").options)


# -- Actions: safe, confirm, two-person ---------------------------------------------------------


def test_safe_action_from_url_prefill_preview_run_result(portal, fake_service, database):
    at = portal("support", "pages/actions.py", action="workspace.revoke_access_tokens", workspace="ws_000042")
    assert not at.exception, at.exception
    key = "actions-workspace.revoke_access_tokens"
    assert at.text_input(key=f"{key}-target").value == "ws_000042"
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    assert "workspace.revoke_access_tokens on ws_000042 (3 things)" in shown(at)
    assert fake_service.calls == []
    button(at, "Run").click().run()
    assert not at.exception, at.exception
    assert len(fake_service.calls) == 1
    assert "Succeeded" in shown(at)
    events = [r.event for r in audit.page(database.sessions, audit.AuditFilter(target="ws_000042")).records]
    assert events == ["succeeded", "started"]


@pytest.mark.parametrize(("linked", "recorded"), [
    ("push-workspace-401-unauthorized", "push-workspace-401-unauthorized"),  # a runbook of this portal
    ("no-such-runbook", None), ("x" * 200, None),  # anyone's text in a link attributes nothing
])
def test_only_a_runbook_that_exists_is_recorded_as_used(portal, fake_service, database, linked, recorded):
    at = portal("support", "pages/actions.py", action="workspace.revoke_access_tokens", workspace="ws_000042",
                runbook=linked)
    key = "actions-workspace.revoke_access_tokens"
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    button(at, "Run").click().run()
    assert not at.exception, at.exception
    records = audit.page(database.sessions, audit.AuditFilter(target="ws_000042")).records
    assert [r.runbook_id for r in records] == [recorded, recorded]
    assert ("names no runbook of this portal" in shown(at)) is (recorded is None)


def test_confirm_action_needs_the_name_typed(portal, fake_service):
    at = portal("oncall", "pages/actions.py", action="hosting.restart", workspace="ws_7")
    key = "actions-hosting.restart"
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    assert button(at, "Run").disabled
    at.text_input(key=f"{key}-confirm").input("Name of ws").run()
    assert button(at, "Run").disabled
    at.text_input(key=f"{key}-confirm").input("Name of ws_7").run()
    assert not button(at, "Run").disabled
    button(at, "Run").click().run()
    assert len(fake_service.calls) == 1 and "Succeeded" in shown(at)


def test_validation_errors_are_shown_by_field(portal, fake_service):
    at = portal("support", "pages/actions.py", action="push.send_test", workspace="ws_1")
    key = "actions-push.send_test"
    at.text_input(key=f"{key}-api_key").input("ab")
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    assert "api_key" in shown(at) and "string_too_short" in shown(at)
    assert fake_service.calls == []


def test_two_person_request_approve_then_run(portal, fake_service):
    key = "actions-workspace.rotate_client_secret"
    at = portal("oncall", "pages/actions.py", action="workspace.rotate_client_secret", workspace="ws_9")
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    button(at, "Request approval").click().run()
    assert "Approval requested" in shown(at) and fake_service.calls == []

    admin = portal("admin", "pages/approvals.py")
    assert "asked by **oncall@example.com**" in shown(admin)
    assert "workspace.rotate_client_secret on ws_9 (3 things)" in shown(admin)
    button(admin, "Approve").click().run()
    assert not admin.exception, admin.exception
    assert "Approved workspace.rotate_client_secret" in shown(admin)
    assert "No request is waiting" in shown(admin)

    back = portal("oncall", "pages/actions.py")
    assert "approved" in shown(back)
    button(back, "Run now").click().run()
    assert len(fake_service.calls) == 1 and "Succeeded" in shown(back)


def test_admin_cannot_approve_own_request_on_screen(portal, fake_service):
    key = "actions-workspace.rotate_client_secret"
    at = portal("admin", "pages/actions.py", action="workspace.rotate_client_secret", workspace="ws_9")
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    button(at, "Request approval").click().run()
    mine = portal("admin", "pages/approvals.py")
    assert button(mine, "Approve").disabled and "your own request" in shown(mine)
    other = portal("admin2", "pages/approvals.py")
    assert not button(other, "Approve").disabled


# -- Audit ---------------------------------------------------------------------------------------


def _fill(database, n: int) -> None:
    for i in range(n):
        with transaction(database.sessions) as session:
            audit.append(session, event="succeeded", outcome="succeeded", actor_sub="oncall",
                         actor_email="oncall@example.com", action="hosting.restart" if i % 2 else "push.send_test",
                         target=f"ws_{i:03d}", params={"i": i})


def test_audit_pages_filters_and_verifies(portal, database):
    _fill(database, 120)
    at = portal("lead", "pages/audit.py")
    assert not at.exception, at.exception
    first = at.dataframe[0].value
    assert len(first) == 50 and first["seq"].iloc[0] == 120
    button(at, "Older →").click().run()
    second = at.dataframe[0].value
    assert second["seq"].iloc[0] == 70
    button(at, "Older →").click().run()
    assert len(at.dataframe[0].value) == 20 and button(at, "Older →").disabled

    filtered = portal("lead", "pages/audit.py", action="hosting.restart", target="ws_007")
    frame = filtered.dataframe[0].value
    assert list(frame["target"]) == ["ws_007"]

    button(at, "Verify the chain").click().run()
    assert "audit log OK: 120 records" in shown(at)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE audit_record SET target = 'ws_x' WHERE seq = 33"))
    button(at, "Verify the chain").click().run()
    assert "TAMPERED" in shown(at) and "record #33" in shown(at)


def test_audit_run_link_shows_that_runs_records(portal, database, fake_service):
    _fill(database, 5)
    at = portal("support", "pages/actions.py", action="workspace.revoke_access_tokens", workspace="ws_5")
    key = "actions-workspace.revoke_access_tokens"
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    button(at, "Run").click().run()
    run_id = audit.page(database.sessions, audit.AuditFilter(target="ws_5")).records[0].run_id
    trail = portal("lead", "pages/audit.py", run=run_id).dataframe[0].value
    assert list(trail["event"]) == ["succeeded", "started"]


@pytest.mark.parametrize(("sub", "page"), [("oncall", "pages/approvals.py"), ("lead", "pages/actions.py")])
def test_pages_run_directly_refuse_a_role_below_theirs(portal, sub, page, fake_service):
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)  # no entrypoint, no navigation
    at.secrets["auth"] = dict(AUTH)
    at.user = user(sub)
    at.run()
    assert any("You may not open this screen" in e.value for e in at.error)
    assert not [b for b in at.button if b.label in ("Approve", "Run", "Preview")]


def test_unknown_outcome_warns_before_a_repeat(portal, fake_service):
    from portal.clients.errors import ServiceTimeout

    def hang(action: str) -> None:
        raise ServiceTimeout("fleet", None, None, "POST …: no answer in time; the outcome is unknown")

    fake_service.behaviour = hang
    at = portal("support", "pages/actions.py", action="workspace.revoke_access_tokens", workspace="ws_3")
    key = "actions-workspace.revoke_access_tokens"
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    button(at, "Run").click().run()
    assert "Outcome unknown" in shown(at)
    assert "Check its state before running this again" in shown(at)


def test_the_audit_filters_write_the_address(portal, database):
    _fill(database, 10)
    at = portal("lead", "pages/audit.py")
    next(t for t in at.text_input if t.label == "Target").input("ws_003")  # applied on submit
    at.button(key="FormSubmitter:audit-filters-Apply filters").click().run()
    assert at.query_params["target"] == ["ws_003"] or at.query_params["target"] == "ws_003"
    assert list(at.dataframe[0].value["target"]) == ["ws_003"]


def test_the_requester_sees_approver_expiry_and_withdraws(portal, fake_service):
    key = "actions-workspace.rotate_client_secret"
    at = portal("oncall", "pages/actions.py", action="workspace.rotate_client_secret", workspace="ws_9")
    at.button(key=f"FormSubmitter:{key}-form-Preview").click().run()
    button(at, "Request approval").click().run()
    mine = portal("oncall", "pages/actions.py")
    assert "Awaiting approval by an admin other than you since" in shown(mine)
    assert "the request expires at" in shown(mine)
    admin = portal("admin", "pages/approvals.py")
    button(admin, "Approve").click().run()
    mine = portal("oncall", "pages/actions.py")
    assert "Approved by `admin@example.com` at" in shown(mine) and "run it before" in shown(mine)
    button(mine, "Withdraw").click().run()
    assert not mine.exception, mine.exception
    again = portal("oncall", "pages/actions.py")
    assert "Withdraw" not in [b.label for b in again.button] and "Run now" not in [b.label for b in again.button]
    assert fake_service.calls == []
