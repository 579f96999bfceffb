"""The requests the executor takes and the answers it gives (shared by the executor and approvals)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.actions.spec import ActionParams, ActionSpec, Danger, Preview
from portal.store.models import ActionRun, RunState


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
