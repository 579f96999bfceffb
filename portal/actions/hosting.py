"""Cloud-hosting actions: restart, maintenance mode, upgrade. Each starts an operation the service
runs for a while; the handler polls it, reporting progress, until it succeeds or fails."""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from portal.actions.spec import (
    ActionFailed,
    ActionParams,
    ActionResult,
    ActionSpec,
    Danger,
    FieldError,
    InvalidRequest,
    NoParams,
    Preview,
    PreviewContext,
    RunContext,
    TargetKind,
)
from portal.clients.errors import NotFound
from portal.releases import load_catalog, parse_minor


def _instance_and_name(ctx: PreviewContext, target: str) -> tuple[Any, str]:
    """The hosted instance, and the workspace's name (what a person types to confirm)."""
    try:
        instance = ctx.clients.hosting.get_instance(target)
    except NotFound:
        raise InvalidRequest([FieldError("target", "hosted", f"{target!r} is not a cloud-hosted workspace")]) from None
    try:
        name = ctx.clients.fleet.get_workspace(target).name
    except NotFound:
        name = target  # hosted but unknown to Fleetcommand: confirm by id
    return instance, name


def _describe(instance: Any, name: str) -> str:
    return (f"{name} ({instance.workspace_id}; {instance.region}, {instance.size}, "
            f"version {instance.version}, now {instance.status})")


def wait_for_operation(ctx: RunContext, operation: Any) -> ActionResult:
    """Poll the operation until it finishes, reporting its progress; a failed operation raises."""
    deadline = time.monotonic() + ctx.poll_timeout
    last_progress = None
    while not operation.done:
        if (operation.progress, operation.state) != last_progress:
            ctx.progress(operation.progress, f"{operation.kind}: {operation.state}, {operation.progress}%")
            last_progress = (operation.progress, operation.state)
        if time.monotonic() > deadline:
            raise TimeoutError(f"operation {operation.id} still {operation.state} after {ctx.poll_timeout:.0f}s")
        ctx.alive()
        time.sleep(ctx.poll_interval)
        operation = ctx.clients.hosting.get_operation(operation.id)
    ctx.progress(operation.progress, f"{operation.kind}: {operation.state}")
    detail = operation.model_dump(mode="json")
    if operation.state != "succeeded":
        raise ActionFailed(f"operation {operation.id} failed: {operation.error or 'no reason given'}", detail=detail)
    return ActionResult(f"{operation.kind} finished (operation {operation.id})", detail)


def preview_restart(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    instance, name = _instance_and_name(ctx, target)
    warnings = (f"the instance is {instance.status}",) if instance.status in {"upgrading", "maintenance"} else ()
    return Preview(f"restart the hosted instance of {_describe(instance, name)}: users are disconnected for "
                   "a minute", name, warnings=warnings)


def run_restart(ctx: RunContext, target: str, params: NoParams) -> ActionResult:
    operation = ctx.clients.hosting.restart(target, idempotency_key=ctx.idempotency_key)
    ctx.progress(0, f"restart accepted as operation {operation.id}")
    return wait_for_operation(ctx, operation)


class MaintenanceParams(ActionParams):
    """Turn maintenance mode on or off."""

    enabled: bool = Field(default=True, description="On (checked) or off")


def preview_maintenance(ctx: PreviewContext, target: str, params: MaintenanceParams) -> Preview:
    instance, name = _instance_and_name(ctx, target)
    turning = "on" if params.enabled else "off"
    already = (instance.status == "maintenance") == params.enabled
    effect = "users see a maintenance page" if params.enabled else "users can sign in again"
    return Preview(f"turn maintenance {turning} for {_describe(instance, name)}: {effect}", name,
                   nothing_to_do=f"maintenance is already {turning}" if already else None)


def run_maintenance(ctx: RunContext, target: str, params: MaintenanceParams) -> ActionResult:
    operation = ctx.clients.hosting.set_maintenance(target, params.enabled, idempotency_key=ctx.idempotency_key)
    return wait_for_operation(ctx, operation)


class UpgradeParams(ActionParams):
    """The version to upgrade to: a full x.y.z of a supported release."""

    version: str = Field(pattern=r"^\d+\.\d+\.\d+$", max_length=20, description="Target version, e.g. 8.5.1")

    @field_validator("version")
    @classmethod
    def _supported(cls, version: str) -> str:
        support = load_catalog().support(version)
        if not support.status.is_supported:
            raise PydanticCustomError("supported_version", "{version} is not a supported release ({status})",
                                      {"version": version, "status": support.summary})
        return version


def preview_upgrade(ctx: PreviewContext, target: str, params: UpgradeParams) -> Preview:
    instance, name = _instance_and_name(ctx, target)
    current, wanted = _triple(instance.version), _triple(params.version)
    if current is not None and wanted is not None and wanted <= current:
        rule = "newer_version" if wanted < current else "different_version"
        raise InvalidRequest([FieldError("version", rule,
                                         f"{name} runs {instance.version}; upgrade only to a newer version")])
    warnings = []
    if instance.status != "running":
        warnings.append(f"the instance is {instance.status}")
    if parse_minor(instance.version) != parse_minor(params.version):
        warnings.append("a minor upgrade runs database migrations; it takes longer")
    return Preview(f"upgrade {_describe(instance, name)} from {instance.version} to {params.version}",
                   name, warnings=tuple(warnings))


def _triple(version: str) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in version.split("-")[0].split(".")[:3])
    except ValueError:
        return None


def run_upgrade(ctx: RunContext, target: str, params: UpgradeParams) -> ActionResult:
    operation = ctx.clients.hosting.upgrade(target, params.version, idempotency_key=ctx.idempotency_key)
    ctx.progress(0, f"upgrade to {params.version} accepted as operation {operation.id}")
    return wait_for_operation(ctx, operation)


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        name="hosting.restart", title="Restart hosted workspace", service="hosting",
        description="Restart a cloud-hosted workspace's instance and wait until it is back.",
        params_model=NoParams, target_kind=TargetKind.HOSTED_INSTANCE, danger=Danger.CONFIRM,
        repeat_harmless=False, preview=preview_restart, handler=run_restart,
    ),
    ActionSpec(
        name="hosting.set_maintenance", title="Maintenance mode", service="hosting",
        description="Put a cloud-hosted workspace in maintenance mode, or take it out.",
        params_model=MaintenanceParams, target_kind=TargetKind.HOSTED_INSTANCE,
        danger=Danger.CONFIRM, repeat_harmless=True, preview=preview_maintenance, handler=run_maintenance,
    ),
    ActionSpec(
        name="hosting.upgrade", title="Upgrade hosted workspace", service="hosting",
        description="Upgrade a cloud-hosted workspace to a newer supported version; shows progress until done.",
        params_model=UpgradeParams, target_kind=TargetKind.HOSTED_INSTANCE,
        danger=Danger.CONFIRM, repeat_harmless=False, preview=preview_upgrade, handler=run_upgrade,
    ),
)
