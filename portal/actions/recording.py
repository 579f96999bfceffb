"""What the executor writes down: refusals, and how each run ended, in the audit log and the chat.

Every record goes through `portal.store` (runs move forward only; the audit chain is appended in
the same transaction as the change it describes). The chat notice is best effort.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from portal.actions.spec import ActionParams, ActionSpec, masked_params
from portal.actions.webhook import ChatWebhook
from portal.identity import Principal
from portal.redact import redact_answer
from portal.store import audit
from portal.store.db import Database, transaction
from portal.store.models import ActionRun, AuditEvent, RunState, utcnow
from portal.store.runs import EVENT_FOR_STATE, StaleTransition, audit_run, get_run, transition

log = logging.getLogger("portal.actions")


def actor_of(principal: Principal) -> dict[str, str]:
    """The person as the audit log records them."""
    return {"sub": principal.sub, "email": principal.email, "roles": ",".join(principal.roles)}


class Recorder:
    """Writes refusals and outcomes to the audit log and tells the chat webhook, if there is one."""

    def __init__(self, database: Database, webhook: ChatWebhook | None = None) -> None:
        self.sessions = database.sessions
        self.webhook = webhook

    def denial(self, principal: Principal, spec: ActionSpec, target: str, params: ActionParams, reason: str,
               runbook_id: str | None) -> None:
        """The policy refused a request: recorded, though no run was created."""
        who = actor_of(principal)
        with transaction(self.sessions) as session:
            audit.append(session, event=AuditEvent.DENIED.value, outcome="denied", actor_sub=who["sub"],
                         actor_email=who["email"], actor_roles=who["roles"], action=spec.name, target=target,
                         target_kind=spec.target_kind.value, params=masked_params(params), runbook_id=runbook_id,
                         detail={"reason": reason})
        log.info("denied %s on %s for %s: %s", spec.name, target, principal.sub, reason)

    def asked_again(self, actor: Principal, run: ActionRun, runbook_id: str | None) -> None:
        """An identical request got the standing `run` back. When someone other than its requester asked,
        their request is recorded as theirs (`joined`, with the runbook they came from); nothing runs twice."""
        if actor.sub == run.actor_sub:
            return
        who = actor_of(actor)
        with transaction(self.sessions) as session:
            audit.append(session, event=AuditEvent.JOINED.value, outcome=run.state, actor_sub=who["sub"],
                         actor_email=who["email"], actor_roles=who["roles"], action=run.action, target=run.target,
                         target_kind=run.target_kind, params=json.loads(run.params), preview=run.preview,
                         run_id=run.id, runbook_id=runbook_id,
                         detail={"reason": f"the same request by {run.actor_email or run.actor_sub} stands"})

    def refusal(self, actor: Principal, run: ActionRun, reason: str, event: AuditEvent,
                params: Mapping[str, Any] | None = None) -> None:
        """Someone was refused something about an existing run (approving their own, other parameters)."""
        who = actor_of(actor)
        with transaction(self.sessions) as session:
            audit.append(session, event=event.value, outcome=run.state, actor_sub=who["sub"],
                         actor_email=who["email"], actor_roles=who["roles"], action=run.action, target=run.target,
                         target_kind=run.target_kind, params=params if params is not None else json.loads(run.params),
                         preview=run.preview, run_id=run.id, runbook_id=run.runbook_id, detail={"reason": reason})

    def finish(self, run: ActionRun, state: RunState, *, status: int | None, request_id: str | None,
               error: str | None, result: Mapping[str, Any] | None, detail: Mapping[str, Any]) -> ActionRun:
        """Record how a running run ended (and tell the chat); a run another replica already declared
        abandoned stays so, but its real outcome still goes into the log."""
        # What a service answered is stored and shown only after redaction (a secret it should not send).
        error, detail = redact_answer(error), redact_answer(detail)
        values = {"finished_at": utcnow(), "service_status": status, "request_id": request_id,
                  "error": error[:2000] if error else None,
                  "result": json.dumps(redact_answer(result), default=str) if result is not None else None}
        with transaction(self.sessions) as session:
            try:
                moved = transition(session, run.id, RunState.RUNNING, state, **values)
            except StaleTransition:
                late = session.get(ActionRun, run.id, populate_existing=True)
                assert late is not None
                audit_run(session, late, EVENT_FOR_STATE[state],
                          detail={**detail, "late_outcome": state.value, "error": error})
                moved = late
            else:
                audit_run(session, moved, EVENT_FOR_STATE[state], detail={**detail, "error": error})
        self.notify(moved)
        return moved

    def notify(self, run: ActionRun) -> None:
        """Tell the chat about a run in its current state (never raises)."""
        if self.webhook is not None:
            self.webhook.notify(run)

    def notify_ids(self, run_ids: list[str]) -> None:
        """Tell the chat about runs by id, as the database has them now."""
        for run_id in run_ids:
            run = get_run(self.sessions, run_id)
            if run is not None:
                self.notify(run)
