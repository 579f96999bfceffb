"""The requests the executor takes and the answers it gives (shared by the executor and approvals)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from portal.actions.spec import ActionParams, ActionSpec, Danger, Preview, masked_params
from portal.identity import Principal
from portal.store.audit import canonical_json
from portal.store.models import ActionRun, RunState, utcnow
from portal.store.runs import Worker


@dataclass(frozen=True)
class ActionRequest:
    """What someone asks for. `confirmation` is the typed target name for `confirm` actions."""

    action: str
    target: str
    params: Mapping[str, Any] = field(default_factory=dict)
    confirmation: str | None = None
    runbook_id: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A request that passed validation and the policy, with its preview."""

    spec: ActionSpec
    target: str
    params: ActionParams
    fingerprint: str
    preview: Preview
    reason: str  # the policy's words for why it is allowed
    needs_approval: bool
    current: ActionRun | None  # a run that already stands for this exact request, if any

    @property
    def needs_confirmation(self) -> bool:
        return self.spec.danger == Danger.CONFIRM and not self.needs_approval

    @property
    def expected_confirmation(self) -> str:
        return self.preview.target_name


@dataclass(frozen=True)
class RunOutcome:
    """The run a submission led to; `created` is False when an identical request's run came back."""

    run: ActionRun
    created: bool
    preview: Preview | None = None

    @property
    def state(self) -> RunState:
        return RunState(self.run.state)


def candidate_run(principal: Principal, request: ActionRequest, prepared: Prepared, state: RunState, *,
                  worker: Worker, approval_ttl: timedelta) -> ActionRun:
    """The run a prepared request would open (`portal.store.runs.open_run` decides whether it does)."""
    now = utcnow()
    return ActionRun(
        id=str(uuid.uuid4()), action=prepared.spec.name, target=prepared.target,
        target_kind=prepared.spec.target_kind.value, target_name=prepared.preview.target_name[:200],
        fingerprint=prepared.fingerprint, params=canonical_json(masked_params(prepared.params)),
        preview=prepared.preview.summary[:2000], danger=prepared.spec.safeguard.value, state=state.value,
        actor_sub=principal.sub, actor_email=principal.email, actor_roles=",".join(principal.roles),
        runbook_id=request.runbook_id, created_at=now, worker=str(worker),
        expires_at=now + approval_ttl if state == RunState.AWAITING_APPROVAL else None,
    )
