"""Fleetcommand and Marketplace actions on one workspace.

Token semantics (read against the server, `apps/meteor/server/lib/cloud/getWorkspaceAccessToken*.ts`):
a workspace caches its access token until it expires and fetches a new one only then or when it
syncs, so revoking its tokens cuts it off (its pushes get 401) until one of those; rotating the
client secret de-registers it at its next token request until its admins register again, hence
two-person. Nothing here can make a workspace sync: the cloud only answers its calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from portal.actions.spec import (
    ActionParams,
    ActionResult,
    ActionSpec,
    Danger,
    NoParams,
    Preview,
    PreviewContext,
    RunContext,
    TargetKind,
    workspace_or_invalid,
)
from portal.clients.fleet import FleetClient
from portal.clients.models import WorkspaceOperation


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def preview_revoke(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    ws = workspace_or_invalid(ctx, target)
    return Preview(
        f"revoke the access tokens of {ws.name} ({ws.id}; token issued {_when(ws.token_issued_at)}, expires "
        f"{_when(ws.token_expires_at)}): any copy of the token stops working at once, including the one the "
        "workspace caches. It keeps sending that one, so its own pushes are refused (401, not retried) until it "
        "expires or the workspace syncs (its admin clicks Sync). Its client secret keeps working.",
        ws.name, warnings=("its pushes fail until its cached token expires or it syncs",),
    )


def preview_rotate(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    ws = workspace_or_invalid(ctx, target)
    warnings = ("the workspace is not registered now; rotating changes nothing for its admins",) \
        if ws.registration_state != "registered" else ()
    return Preview(
        f"rotate the client secret of {ws.name} ({ws.id}, {ws.registration_state}): the workspace is "
        "DE-REGISTERED and its admins must register it again; the new secret is never shown",
        ws.name, warnings=("disruptive: the customer must re-register", *warnings),
    )


def preview_license_sync(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    ws = workspace_or_invalid(ctx, target)
    return Preview(f"re-issue the license of {ws.name} ({ws.id}, plan {ws.plan}; license last synced "
                   f"{_when(ws.license_synced_at)}, workspace last synced {_when(ws.last_sync_at)}): the workspace "
                   "picks it up at its next sync, which only it can start", ws.name)


class SuspendParams(ActionParams):
    """Why the workspace is suspended: kept in the audit log and the approval request."""

    reason: str = Field(min_length=3, max_length=500, description="Why (ticket or incident reference)")


def preview_suspend(ctx: PreviewContext, target: str, params: SuspendParams) -> Preview:
    ws = workspace_or_invalid(ctx, target)
    return Preview(f"suspend {ws.name} ({ws.id}, plan {ws.plan}): its cloud services stop serving it. "
                   f"Reason: {params.reason}", ws.name,
                   nothing_to_do="the workspace is already suspended" if ws.suspended else None)


def preview_unsuspend(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    ws = workspace_or_invalid(ctx, target)
    return Preview(f"lift the suspension of {ws.name} ({ws.id})", ws.name,
                   nothing_to_do="the workspace is not suspended" if not ws.suspended else None)


def preview_resync(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    ws = workspace_or_invalid(ctx, target)
    apps = ctx.clients.marketplace.workspace_apps(ws.id)
    subscribed = sum(1 for app in apps if app.subscription is not None)
    return Preview(f"re-sync {subscribed} app subscriptions ({len(apps)} apps installed) of {ws.name} "
                   "with the Marketplace", ws.name, {"apps": len(apps), "subscriptions": subscribed})


FleetOperation = Callable[..., WorkspaceOperation]  # an unbound FleetClient method: (fleet, workspace_id, *, key)


def _fleet_operation(operation: FleetOperation, describe: Callable[[WorkspaceOperation], str],
                     ) -> Callable[[RunContext, str, Any], ActionResult]:
    """A handler calling one Fleetcommand operation (e.g. `FleetClient.suspend`) on the target."""
    def handler(ctx: RunContext, target: str, params: Any) -> ActionResult:
        answer = operation(ctx.clients.fleet, target, idempotency_key=ctx.idempotency_key)
        return ActionResult(describe(answer), answer.model_dump(mode="json"))

    handler.__name__ = f"run_{operation.__name__}"
    return handler


def run_resync(ctx: RunContext, target: str, params: NoParams) -> ActionResult:
    result = ctx.clients.marketplace.resync_subscriptions(target, idempotency_key=ctx.idempotency_key)
    return ActionResult(f"re-synced {result.resynced} subscriptions", result.model_dump(mode="json"))


def _detail(key: str) -> Callable[[WorkspaceOperation], str]:
    return lambda op: f"{op.operation}: {key} = {op.detail.get(key)}"


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        name="workspace.revoke_access_tokens", title="Revoke access tokens (for a leaked token)", service="fleet",
        description="Containment for a leaked access token: revoke the workspace's cloud access tokens. The "
                    "workspace keeps sending the token it caches, so its pushes are refused (401) until that "
                    "token expires or it syncs (its admin clicks Sync). Does not fix 401s: it causes them.",
        params_model=NoParams, target_kind=TargetKind.WORKSPACE, danger=Danger.SAFE,
        repeat_harmless=True, preview=preview_revoke,
        handler=_fleet_operation(FleetClient.revoke_access_tokens, _detail("revoked")),
    ),
    ActionSpec(
        name="workspace.rotate_client_secret", title="Rotate client secret (de-registers the workspace)",
        service="fleet",
        description="Rotate the workspace's OAuth client secret. Its next token request fails with "
                    "oauth_invalid_client_credentials and it must register again. Needs a second admin.",
        params_model=NoParams, target_kind=TargetKind.WORKSPACE, danger=Danger.SAFE,
        repeat_harmless=False, preview=preview_rotate,
        handler=_fleet_operation(FleetClient.rotate_client_secret, _detail("secret_expires_at")),
    ),
    ActionSpec(
        name="workspace.force_license_sync", title="Re-issue license (picked up at the workspace's next sync)",
        service="fleet",
        description="Re-issue the workspace's license in Fleetcommand now; the workspace fetches it at its next "
                    "sync (scheduled, or its admin clicks Sync). The cloud cannot make a workspace sync.",
        params_model=NoParams, target_kind=TargetKind.WORKSPACE, danger=Danger.SAFE,
        repeat_harmless=True, preview=preview_license_sync,
        handler=_fleet_operation(FleetClient.force_license_sync, _detail("license_synced_at")),
    ),
    ActionSpec(
        name="workspace.suspend", title="Suspend workspace", service="fleet",
        description="Suspend a workspace's cloud services (push, marketplace, license). Needs a second admin.",
        params_model=SuspendParams, target_kind=TargetKind.WORKSPACE, danger=Danger.SAFE,
        repeat_harmless=True, preview=preview_suspend,
        handler=_fleet_operation(FleetClient.suspend, _detail("suspended")),
    ),
    ActionSpec(
        name="workspace.unsuspend", title="Lift workspace suspension", service="fleet",
        description="Restore a suspended workspace's cloud services. Needs a second admin.",
        params_model=NoParams, target_kind=TargetKind.WORKSPACE, danger=Danger.SAFE,
        repeat_harmless=True, preview=preview_unsuspend,
        handler=_fleet_operation(FleetClient.unsuspend, _detail("suspended")),
    ),
    ActionSpec(
        name="marketplace.resync_subscriptions", title="Re-sync app subscriptions", service="marketplace",
        description="Re-sync the workspace's Marketplace subscriptions and licences.",
        params_model=NoParams, target_kind=TargetKind.WORKSPACE, danger=Danger.SAFE,
        repeat_harmless=True, preview=preview_resync, handler=run_resync,
    ),
)
