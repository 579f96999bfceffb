"""A secret in a service answer is never stored or shown: a Fleetcommand that (against its contract)
returns credentials in an operation's answer has them masked in the run's result and the audit log."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from portal.actions.executor import ActionRequest, Executor
from portal.clients import build_clients
from portal.redact import MASK, redact_answer
from portal.settings import SERVICES, Settings
from portal.store.models import ActionRun, AuditRecord
from tests.actions.conftest import make_principal

pytestmark = pytest.mark.db

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ3c18wMDAwNDIifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
SECRET = "sbx_cs_0123456789abcdef0123456789abcdef01234567"
WORKSPACE = {"id": "ws_000042", "unique_id": "u-42", "name": "Acme", "site_url": "https://acme.example",
             "contact_email": "it@acme.example", "version": "8.5.1", "deploy_method": "docker",
             "deploy_platform": "selfinstall", "hosted": False, "plan": "pro", "registration_state": "registered",
             "suspended": False, "created_at": "2025-01-01T00:00:00Z"}


def test_redact_answer_masks_secret_fields_and_token_shapes():
    answer = {"revoked": 1, "client_secret": SECRET, "nested": [{"access_token": "abc123456789"}],
              "note": f"issued {JWT} with Bearer abcdefghijklmnop", "token_issued_at": "2026-12-06T00:00:00Z",
              "token": None}
    shown = redact_answer(answer)
    assert shown["client_secret"] == MASK and shown["nested"][0]["access_token"] == MASK
    assert JWT not in shown["note"] and "abcdefghijklmnop" not in shown["note"] and shown["note"].startswith("issued ")
    assert shown["revoked"] == 1 and shown["token_issued_at"] == "2026-12-06T00:00:00Z"  # not secrets
    assert shown["token"] is None  # nothing to hide


def test_a_secret_in_an_operation_answer_is_masked_where_it_is_stored(httpserver: HTTPServer, database):
    httpserver.expect_request("/fleet/admin/v1/workspaces/ws_000042").respond_with_json(WORKSPACE)
    httpserver.expect_request("/fleet/admin/v1/workspaces/ws_000042/revoke-access-tokens", method="POST") \
        .respond_with_json({"workspace_id": "ws_000042", "operation": "revoke-access-tokens",
                            "performed_at": "2026-12-06T00:00:00Z",
                            "detail": {"revoked": 1, "client_secret": SECRET, "debug": f"new token {JWT}"}})
    values: dict[str, object] = {}
    for service in SERVICES:
        values[f"{service}_url"] = httpserver.url_for(f"/{service}")
        values[f"{service}_token"] = f"admin-token-{service}-0123456789"
    clients = build_clients(Settings(**values))  # type: ignore[arg-type]
    try:
        executor = Executor(database, clients, dedupe_window=timedelta(seconds=5))
        outcome = executor.submit(make_principal("sam", "support"),
                                  ActionRequest("workspace.revoke_access_tokens", "ws_000042"))
    finally:
        clients.close()
    assert outcome.run.state == "succeeded"
    with database.sessions() as session:
        stored = session.execute(select(ActionRun.result)).scalars().all()
        audit_text = json.dumps([r.model_dump(mode="json") for r in session.execute(select(AuditRecord)).scalars()])
    assert stored and all(SECRET not in (text or "") and JWT not in (text or "") for text in stored)
    detail = json.loads(stored[0])["detail"]
    assert detail["client_secret"] == MASK and detail["revoked"] == 1 and detail["debug"].startswith("new token ")
    assert SECRET not in audit_text and JWT not in audit_text
