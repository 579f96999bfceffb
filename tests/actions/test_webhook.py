"""The chat webhook: Rocket.Chat incoming-webhook JSON per outcome; a broken webhook never fails an action."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pytest_httpserver import HTTPServer

from portal.actions.executor import ActionRequest, Executor
from portal.actions.webhook import ChatWebhook, message_for
from portal.store.models import RunState

pytestmark = pytest.mark.db


def test_outcome_is_posted_as_incoming_webhook_json(database, fake_registry, people, httpserver: HTTPServer):
    httpserver.expect_request("/hooks/abc", method="POST").respond_with_json({"success": True})
    executor = Executor(database, None, registry=fake_registry, webhook=ChatWebhook(httpserver.url_for("/hooks/abc")),
                        dedupe_window=timedelta(seconds=5))
    outcome = executor.submit(people["oncall"], ActionRequest("hosting.restart", "ws_1", {},
                                                              confirmation="Name of ws_1"))
    assert outcome.state == RunState.SUCCEEDED
    (request, _), = httpserver.log
    body = request.get_json()
    assert set(body) == {"text", "attachments"}
    assert "olga@example.com" in body["text"] and "hosting.restart" in body["text"] and "ws_1" in body["text"]
    attachment = body["attachments"][0]
    assert attachment["title"] == "hosting.restart on ws_1 (3 things)"
    assert {"title": "State", "value": "succeeded", "short": True} in attachment["fields"]


def test_approval_request_is_announced(database, fake_registry, people, httpserver: HTTPServer):
    httpserver.expect_request("/hooks/abc").respond_with_json({"success": True})
    executor = Executor(database, None, registry=fake_registry, webhook=ChatWebhook(httpserver.url_for("/hooks/abc")))
    executor.submit(people["oncall"], ActionRequest("workspace.rotate_client_secret", "ws_1", {}))
    (request, _), = httpserver.log
    assert "asks for approval" in request.get_json()["text"]


@pytest.mark.parametrize("broken", ["refused", "500"])
def test_failing_webhook_never_fails_the_action(database, fake_registry, fake_service, people,
                                                httpserver: HTTPServer, broken):
    if broken == "500":
        httpserver.expect_request("/hooks/abc").respond_with_data("boom", status=500)
        url = httpserver.url_for("/hooks/abc")
    else:
        url = "http://127.0.0.1:9/hooks/abc"  # discard port: connection refused
    executor = Executor(database, None, registry=fake_registry, webhook=ChatWebhook(url))
    outcome = executor.submit(people["support"], ActionRequest("workspace.revoke_access_tokens", "ws_1", {}))
    assert outcome.state == RunState.SUCCEEDED and len(fake_service.calls) == 1


def test_message_names_the_error_and_request_id(database, fake_registry, fake_service, people):
    from portal.clients.errors import BadRequest

    def fail(action: str) -> None:
        raise BadRequest("fleet", 409, "req-42", "conflict")

    fake_service.behaviour = fail
    executor = Executor(database, None, registry=fake_registry)
    outcome = executor.submit(people["support"], ActionRequest("workspace.revoke_access_tokens", "ws_1", {}))
    message = message_for(outcome.run, portal_url="http://portal.example")
    fields = {f["title"]: f["value"] for f in message["attachments"][0]["fields"]}
    assert fields["State"] == "failed" and fields["Request id"] == "req-42" and "conflict" in fields["Error"]
    assert message["attachments"][0]["title_link"] == f"http://portal.example/audit?run={outcome.run.id}"
