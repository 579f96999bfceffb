"""The executor's rules, against a stand-in service: validation, policy denials, confirmation,
approvals, secret masking, outcomes, de-duplication, and what the audit log keeps."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from portal.actions.errors import ApprovalRefused, ConfirmationMismatch, Denied
from portal.actions.executor import ActionRequest, Executor
from portal.actions.spec import MASK, ActionFailed, ActionParams, Danger, InvalidRequest
from portal.clients.errors import ServiceTimeout, ServiceUnavailable
from portal.store import audit
from portal.store.models import ActionRun, AuditRecord, RunState

pytestmark = pytest.mark.db


def records(executor: Executor) -> list[AuditRecord]:
    with executor.sessions() as session:
        return list(session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars())


def runs(executor: Executor) -> list[ActionRun]:
    with executor.sessions() as session:
        return list(session.execute(select(ActionRun)).scalars())


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "params", "field", "rule"),
    [
        ("ws_1", {"api_key": "abc"}, "api_key", "string_too_short"),
        ("ws_1", {}, "api_key", "missing"),
        ("ws_1", {"api_key": "abcd", "colour": "red"}, "colour", "extra_forbidden"),
        ("", {"api_key": "abcd"}, "target", "required"),
        ("ws_1 ws_2", {"api_key": "abcd"}, "target", "one_id"),
        ("ws_*", {"api_key": "abcd"}, "target", "one_id"),
    ],
)
def test_validation_errors_name_the_field_and_the_rule(executor, people, fake_service, target, params, field, rule):
    with pytest.raises(InvalidRequest) as caught:
        executor.submit(people["support"], ActionRequest("push.send_test", target, params))
    assert [(e.field, e.rule) for e in caught.value.errors] == [(field, rule)]
    assert field in str(caught.value) and rule in str(caught.value)
    assert fake_service.calls == [] and runs(executor) == []


# -- policy ---------------------------------------------------------------------------------


def test_denial_is_recorded_and_nothing_runs(executor, people, fake_service):
    with pytest.raises(Denied, match="needs the oncall role"):
        executor.submit(people["support"], ActionRequest("hosting.restart", "ws_1", {}, confirmation="Name of ws_1"))
    with pytest.raises(Denied):
        executor.submit(people["viewer"], ActionRequest("workspace.revoke_access_tokens", "ws_2", {}))
    assert fake_service.calls == [] and runs(executor) == []
    denied = records(executor)
    assert [(r.event, r.outcome, r.actor_sub, r.action, r.target) for r in denied] == [
        ("denied", "denied", "sam", "hosting.restart", "ws_1"),
        ("denied", "denied", "vera", "workspace.revoke_access_tokens", "ws_2"),
    ]
    assert "oncall" in json.loads(denied[0].detail)["reason"]
    assert denied[0].actor_roles == "support"


# -- confirm ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", [None, "", "ws_1", "name of ws_1"])
def test_confirm_action_needs_the_target_name_typed_exactly(executor, people, fake_service, typed):
    with pytest.raises(ConfirmationMismatch) as caught:
        executor.submit(people["oncall"], ActionRequest("hosting.restart", "ws_1", {}, confirmation=typed))
    assert caught.value.expected == "Name of ws_1"
    assert fake_service.calls == [] and runs(executor) == []


def test_confirmed_action_runs_once_and_is_recorded_before_and_after(executor, people, fake_service):
    outcome = executor.submit(people["oncall"],
                              ActionRequest("hosting.restart", "ws_1", {}, confirmation=" Name of ws_1 ",
                                            runbook_id="rb-restart"))
    assert outcome.created and outcome.state == RunState.SUCCEEDED
    assert len(fake_service.calls) == 1
    assert fake_service.calls[0][3] == f"portal-run-{outcome.run.id}"  # idempotency key from the run id
    trail = [r for r in records(executor) if r.run_id == outcome.run.id]
    assert [(r.event, r.outcome) for r in trail] == [("started", "running"), ("succeeded", "succeeded")]
    finished = trail[-1]
    assert finished.preview == "hosting.restart on ws_1 (3 things)"
    assert finished.runbook_id == "rb-restart" and finished.actor_email == "olga@example.com"
    assert finished.started_at is not None and finished.finished_at >= finished.started_at
    assert finished.duration_ms is not None


# -- de-duplication ---------------------------------------------------------------------------


def test_identical_request_within_the_window_returns_the_first_run(executor, people, fake_service):
    request = ActionRequest("workspace.revoke_access_tokens", "ws_1", {})
    first = executor.submit(people["support"], request)
    second = executor.submit(people["support"], request)
    assert first.created and not second.created
    assert second.run.id == first.run.id and len(fake_service.calls) == 1
    other_target = executor.submit(people["support"], ActionRequest("workspace.revoke_access_tokens", "ws_2", {}))
    assert other_target.created and len(fake_service.calls) == 2


def test_an_identical_request_from_someone_else_is_recorded_as_theirs(executor, people, fake_service):
    request = ActionRequest("workspace.revoke_access_tokens", "ws_1", {})
    first = executor.submit(people["support"], request)
    again = executor.submit(people["oncall"], ActionRequest("workspace.revoke_access_tokens", "ws_1", {},
                                                            runbook_id="leaked-workspace-credentials"))
    assert again.run.id == first.run.id and len(fake_service.calls) == 1  # nothing ran twice
    joined = [r for r in records(executor) if r.event == "joined"]
    assert [(r.actor_sub, r.run_id, r.runbook_id) for r in joined] == [
        ("olga", first.run.id, "leaked-workspace-credentials")]
    executor.submit(people["support"], request)  # the requester asking again is no one new
    assert len([r for r in records(executor) if r.event == "joined"]) == 1


def test_a_pending_two_person_request_asked_for_by_someone_else_is_recorded_as_theirs(executor, people):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    pending = executor.submit(people["oncall"], request)
    assert pending.run.state == RunState.AWAITING_APPROVAL
    same = executor.submit(people["admin"], request)
    assert same.run.id == pending.run.id and same.run.actor_sub == "olga"
    assert [(r.event, r.actor_sub) for r in records(executor) if r.run_id == pending.run.id] == [
        ("approval_requested", "olga"), ("joined", "ada")]


def test_after_the_window_the_same_request_runs_again(executor, people, fake_service):
    executor.dedupe_window = timedelta(0)
    request = ActionRequest("workspace.revoke_access_tokens", "ws_1", {})
    assert executor.submit(people["support"], request).created
    assert executor.submit(people["support"], request).created
    assert len(fake_service.calls) == 2


# -- outcomes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "state", "status", "request_id"),
    [
        (ServiceUnavailable("fleet", 503, "req-503", "down"), RunState.FAILED, 503, "req-503"),
        (ServiceTimeout("fleet", None, None, "no answer in time"), RunState.UNKNOWN, None, None),
        (ActionFailed("operation op_1 failed: disk full"), RunState.FAILED, None, None),
        (RuntimeError("bug"), RunState.UNKNOWN, None, None),
    ],
)
def test_outcome_records_the_service_error(executor, people, fake_service, error, state, status, request_id):
    def fail(action: str) -> None:
        raise error

    fake_service.behaviour = fail
    outcome = executor.submit(people["support"], ActionRequest("workspace.revoke_access_tokens", "ws_1", {}))
    assert outcome.state == state
    assert (outcome.run.service_status, outcome.run.request_id) == (status, request_id)
    last = records(executor)[-1]
    assert (last.event, last.outcome, last.service_status, last.request_id) == (state, state, status, request_id)
    assert str(error) in (outcome.run.error or "")


# -- secrets ----------------------------------------------------------------------------------


def test_secret_parameters_are_never_stored(executor, database, people, fake_service):
    secret = "sk-live-ZX81-do-not-store"
    outcome = executor.submit(people["support"],
                              ActionRequest("push.send_test", "ws_1", {"api_key": secret, "title": "hello"}))
    assert outcome.state == RunState.SUCCEEDED
    assert fake_service.calls[0][2]["api_key"] == secret  # the handler got it...
    assert json.loads(outcome.run.params) == {"api_key": MASK, "title": "hello"}
    assert json.loads(records(executor)[-1].params) == {"api_key": MASK, "title": "hello"}
    # ...and no column of any table holds it.
    with database.engine.connect() as connection:
        for table in ("action_run", "action_gate", "audit_record", "audit_head"):
            for row in connection.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 - fixed table names
                assert secret not in " ".join(str(value) for value in row), table


def test_secret_still_counts_for_sameness(executor, people, fake_service):
    executor.submit(people["support"], ActionRequest("push.send_test", "ws_1", {"api_key": "key-one"}))
    again = executor.submit(people["support"], ActionRequest("push.send_test", "ws_1", {"api_key": "key-two"}))
    assert again.created and len(fake_service.calls) == 2


# -- two-person -------------------------------------------------------------------------------


class SuspendParams(ActionParams):
    reason: str


@pytest.fixture()
def with_suspend(executor, fake_service, make_spec):
    executor.registry.register(make_spec("workspace.suspend", Danger.SAFE, fake_service, SuspendParams))
    return executor


def test_two_person_action_waits_for_another_admin(executor, people, fake_service):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    asked = executor.submit(people["oncall"], request)
    assert asked.created and asked.state == RunState.AWAITING_APPROVAL and fake_service.calls == []
    assert executor.submit(people["oncall"], request).run.id == asked.run.id  # asking twice: one request
    assert [r.id for r in executor.pending_approvals()] == [asked.run.id]

    approved = executor.approve(people["admin"], asked.run.id)
    assert approved.state == RunState.APPROVED and approved.approver_sub == "ada"
    assert fake_service.calls == []  # approving does not run it

    ran = executor.submit(people["oncall"], request)  # the requester runs it
    assert ran.state == RunState.SUCCEEDED and ran.run.id == asked.run.id and len(fake_service.calls) == 1
    assert executor.submit(people["oncall"], request).run.id == asked.run.id and len(fake_service.calls) == 1
    trail = [(r.event, r.actor_sub) for r in records(executor) if r.run_id == asked.run.id]
    assert trail == [("approval_requested", "olga"), ("approved", "ada"), ("started", "olga"),
                     ("succeeded", "olga")]
    assert records(executor)[-1].approver == "ada@example.com"


def test_nobody_approves_their_own_request(executor, people, fake_service):
    asked = executor.submit(people["admin"], ActionRequest("workspace.rotate_client_secret", "ws_9", {}))
    with pytest.raises(ApprovalRefused, match="your own request"):
        executor.approve(people["admin"], asked.run.id)
    with pytest.raises(ApprovalRefused, match="admin"):
        executor.approve(people["oncall"], asked.run.id)
    assert executor.get_run(asked.run.id).state == RunState.AWAITING_APPROVAL
    refusals = [(r.event, r.actor_sub) for r in records(executor) if r.event == "approval_denied"]
    assert refusals == [("approval_denied", "ada"), ("approval_denied", "olga")]
    assert fake_service.calls == []


def test_expired_request_cannot_be_approved(executor, people, fake_service):
    executor.approval_ttl = timedelta(seconds=-1)
    asked = executor.submit(people["oncall"], ActionRequest("workspace.rotate_client_secret", "ws_9", {}))
    with pytest.raises(ApprovalRefused, match="expired"):
        executor.approve(people["admin"], asked.run.id)
    assert executor.get_run(asked.run.id).state == RunState.EXPIRED
    assert [r.event for r in records(executor)] == ["approval_requested", "expired"]


def test_expired_approval_cannot_be_used(executor, people, fake_service):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    asked = executor.submit(people["oncall"], request)
    executor.approval_ttl = timedelta(seconds=-1)  # the approval's own time limit is already over
    executor.approve(people["admin"], asked.run.id)
    with pytest.raises(ApprovalRefused, match="expired"):
        executor.run_approved(people["oncall"], asked.run.id, {})
    assert fake_service.calls == []
    assert executor.get_run(asked.run.id).state == RunState.EXPIRED


def test_approval_is_bound_to_the_exact_parameters(with_suspend, people, fake_service):
    executor = with_suspend
    asked = executor.submit(people["oncall"], ActionRequest("workspace.suspend", "ws_9", {"reason": "abuse #12"}))
    executor.approve(people["admin"], asked.run.id)
    with pytest.raises(ApprovalRefused, match="parameters differ"):
        executor.run_approved(people["oncall"], asked.run.id, {"reason": "something else"})
    assert fake_service.calls == []
    refused = [r for r in records(executor) if r.event == "refused"]
    assert len(refused) == 1 and json.loads(refused[0].params) == {"reason": "something else"}
    # The same action with other parameters through the form is a new request, not this approval.
    other = executor.submit(people["oncall"], ActionRequest("workspace.suspend", "ws_9", {"reason": "other"}))
    assert other.created and other.state == RunState.AWAITING_APPROVAL and fake_service.calls == []
    ran = executor.run_approved(people["oncall"], asked.run.id, {"reason": "abuse #12"})
    assert ran.state == RunState.SUCCEEDED and len(fake_service.calls) == 1


def test_only_the_requester_uses_the_approval(executor, people, fake_service):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    asked = executor.submit(people["oncall"], request)
    executor.approve(people["admin"], asked.run.id)
    with pytest.raises(ApprovalRefused, match="only they"):
        executor.submit(people["admin2"], request)
    with pytest.raises(ApprovalRefused, match="only they"):
        executor.run_approved(people["admin2"], asked.run.id, {})
    assert fake_service.calls == []


def test_rejected_request_never_runs(executor, people, fake_service):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    asked = executor.submit(people["oncall"], request)
    rejected = executor.reject(people["admin"], asked.run.id, "wrong workspace")
    assert rejected.state == RunState.REJECTED
    with pytest.raises(ApprovalRefused):
        executor.approve(people["admin2"], asked.run.id)
    again = executor.submit(people["oncall"], request)  # asking again is a new request, never a run
    assert again.created and again.state == RunState.AWAITING_APPROVAL and again.run.id != asked.run.id
    assert fake_service.calls == []
    rejection = [r for r in records(executor) if r.event == "rejected"]
    assert len(rejection) == 1 and json.loads(rejection[0].detail)["reason"] == "wrong workspace"


def test_everything_above_leaves_an_intact_chain(executor, people, fake_service):
    executor.submit(people["oncall"], ActionRequest("hosting.restart", "ws_1", {}, confirmation="Name of ws_1"))
    with pytest.raises(Denied):
        executor.submit(people["viewer"], ActionRequest("hosting.restart", "ws_1", {}))
    asked = executor.submit(people["oncall"], ActionRequest("workspace.rotate_client_secret", "ws_9", {}))
    executor.approve(people["admin"], asked.run.id)
    executor.run_approved(people["oncall"], asked.run.id, {})
    result = audit.verify(executor.sessions)
    assert result.ok and result.checked == 7, result.describe()


def test_an_expired_approval_is_not_offered_and_a_new_submission_asks_again(executor, people, fake_service):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    asked = executor.submit(people["oncall"], request)
    executor.approval_ttl = timedelta(seconds=-1)
    executor.approve(people["admin"], asked.run.id)
    assert executor.prepare(people["oncall"], request).current is None  # the screen offers no "run approved"
    again = executor.submit(people["oncall"], request)
    assert again.created and again.state == RunState.AWAITING_APPROVAL and again.run.id != asked.run.id
    assert executor.get_run(asked.run.id).state == RunState.EXPIRED and fake_service.calls == []


def test_a_preview_with_nothing_to_do_is_refused_and_nothing_is_run_or_recorded(executor, people, fake_service):
    from dataclasses import replace

    from portal.actions.errors import NothingToDo
    from portal.actions.spec import Preview

    spec = executor.registry.get("workspace.revoke_access_tokens")
    executor.registry._specs[spec.name] = replace(  # the stand-in preview, saying there is nothing to do
        spec, preview=lambda ctx, target, params: Preview("revoke nothing", "Name", nothing_to_do="no tokens"))
    with pytest.raises(NothingToDo, match="no tokens"):
        executor.submit(people["support"], ActionRequest("workspace.revoke_access_tokens", "ws_1", {}))
    assert fake_service.calls == [] and runs(executor) == [] and records(executor) == []


@pytest.mark.parametrize("approve_first", [False, True])
def test_the_requester_withdraws_a_request_and_it_never_runs(executor, people, fake_service, approve_first):
    request = ActionRequest("workspace.rotate_client_secret", "ws_9", {})
    asked = executor.submit(people["oncall"], request)
    if approve_first:
        executor.approve(people["admin"], asked.run.id)
    with pytest.raises(ApprovalRefused, match="who asked, may withdraw"):
        executor.withdraw(people["admin"], asked.run.id)  # nobody else takes it back
    assert executor.withdraw(people["oncall"], asked.run.id).state == RunState.WITHDRAWN
    with pytest.raises(ApprovalRefused, match=r"withdrawn, not awaiting approval"):
        executor.approve(people["admin"], asked.run.id)
    with pytest.raises(ApprovalRefused, match="no longer open"):
        executor.withdraw(people["oncall"], asked.run.id)
    assert fake_service.calls == []
    assert executor.open_requests(people["oncall"]) == []
    assert executor.submit(people["oncall"], request).created  # asking again is a new request
    events = [r.event for r in records(executor)]
    assert "withdrawn" in events and "refused" in events
    assert audit.verify(executor.sessions).ok
