"""Push Gateway actions: send a test push, resend failed pushes, purge tokens flagged invalid."""

from __future__ import annotations

from pydantic import AwareDatetime, Field, model_validator

from portal.actions.spec import (
    ActionParams,
    ActionResult,
    ActionSpec,
    Danger,
    FieldError,
    InvalidRequest,
    NoParams,
    Preview,
    PreviewContext,
    RuleError,
    RunContext,
    TargetKind,
    workspace_or_invalid,
)
from portal.clients.errors import NotFound

# -- push.send_test ---------------------------------------------------------------------------


class SendTestParams(ActionParams):
    """A test push to a workspace's registered devices; the gateway's payload limits apply."""

    title: str | None = Field(default=None, max_length=65, description="Title (at most 65 characters)")
    text: str | None = Field(default=None, max_length=240, description="Text (at most 240 characters)")


def preview_send_test(ctx: PreviewContext, target: str, params: SendTestParams) -> Preview:
    workspace = workspace_or_invalid(ctx, target)
    what = f' titled "{params.title}"' if params.title else ""
    return Preview(f"send one test push{what} to the devices of {workspace.name} ({workspace.id})", workspace.name)


def run_send_test(ctx: RunContext, target: str, params: SendTestParams) -> ActionResult:
    delivery = ctx.clients.push.send_test(target, title=params.title, text=params.text,
                                          idempotency_key=ctx.idempotency_key)
    return ActionResult(f"test push {delivery.id}: {delivery.outcome} (HTTP {delivery.status_code})",
                        delivery.model_dump(mode="json"))


# -- push.resend ------------------------------------------------------------------------------

# Why a failed push is not sent again (the gateway would refuse it the same way).
NOT_RESENT = {
    "406": "sent to invalid device tokens (406: the workspace deletes such tokens)",
    "422": "refused as malformed (422: a resend would be refused again)",
    "already_resent": "already resent",
}


class ResendParams(ActionParams):
    """One delivery by id, or the workspace's failed deliveries between `since` and `until`."""

    delivery_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                                    description="One delivery to resend (leave empty to resend a time window)")
    since: AwareDatetime | None = Field(default=None, description="Window start (UTC); ignored with a delivery_id",
                                        json_schema_extra={"x-default": "now-24h"})
    until: AwareDatetime | None = Field(default=None, description="Window end (UTC); ignored with a delivery_id",
                                        json_schema_extra={"x-default": "now"})

    @model_validator(mode="after")
    def _one_delivery_or_a_window(self) -> ResendParams:
        if self.delivery_id:
            # One delivery: the form's default window means nothing here, so it is dropped.
            self.since = self.until = None
            return self
        if self.since is None or self.until is None:
            missing = "since" if self.since is None else "until"
            raise RuleError(missing, "one_delivery_or_window", "give delivery_id, or both since and until")
        if self.until <= self.since:
            raise RuleError("until", "after_since", "until must be after since")
        return self


def preview_resend(ctx: PreviewContext, target: str, params: ResendParams) -> Preview:
    workspace = workspace_or_invalid(ctx, target)
    if params.delivery_id:
        try:
            delivery = ctx.clients.push.get_delivery(params.delivery_id)
        except NotFound:
            raise InvalidRequest([FieldError("delivery_id", "exists", f"no delivery {params.delivery_id!r}")]) from None
        if delivery.workspace_id != workspace.id:
            raise InvalidRequest([FieldError("delivery_id", "same_workspace",
                                             f"delivery {delivery.id} belongs to {delivery.workspace_id}, "
                                             f"not {workspace.id}")])
        summary = (f"resend delivery {delivery.id} ({delivery.platform}, last outcome {delivery.outcome}) "
                   f"to device {delivery.device_token} of {workspace.name}")
        refused = NOT_RESENT.get(str(delivery.status_code))
        nothing = f"delivery {delivery.id} cannot be resent: it was {refused}" if refused else None
        return Preview(summary, workspace.name, {"deliveries": 1, "devices": 1}, nothing_to_do=nothing)
    assert params.since is not None and params.until is not None
    counts = ctx.clients.push.preview_resend_failed(workspace.id, since=params.since, until=params.until)
    window = f"{params.since:%Y-%m-%d %H:%M} to {params.until:%Y-%m-%d %H:%M} UTC"
    summary = f"resend {counts.failed} failed pushes to {counts.devices} devices of {workspace.name} ({window})"
    others = "; ".join(f"{n} {NOT_RESENT.get(reason, reason)}" for reason, n in sorted(counts.not_resendable.items())
                       if n)
    nothing = None
    if counts.failed == 0:
        nothing = (f"nothing to resend in this window; its failed pushes were {others}" if others
                   else "no failed pushes in this window")
    warnings = (f"not resent: {others}",) if others and counts.failed else ()
    return Preview(summary, workspace.name, {"failed": counts.failed, "devices": counts.devices,
                                             **{f"not resent ({reason})": n
                                                for reason, n in counts.not_resendable.items()}},
                   warnings, nothing_to_do=nothing)


def run_resend(ctx: RunContext, target: str, params: ResendParams) -> ActionResult:
    if params.delivery_id:
        delivery = ctx.clients.push.resend_delivery(params.delivery_id, idempotency_key=ctx.idempotency_key)
        return ActionResult(f"resent as {delivery.id}: {delivery.outcome}", delivery.model_dump(mode="json"))
    assert params.since is not None and params.until is not None
    result = ctx.clients.push.resend_failed(target, since=params.since, until=params.until,
                                            idempotency_key=ctx.idempotency_key)
    return ActionResult(f"resent {result.resent} pushes to {result.devices} devices", result.model_dump(mode="json"))


# -- push.purge_invalid_tokens ----------------------------------------------------------------


def preview_purge(ctx: PreviewContext, target: str, params: NoParams) -> Preview:
    workspace = workspace_or_invalid(ctx, target)
    page = ctx.clients.push.invalid_tokens(workspace_id=workspace.id, limit=1)
    flagged = page.total if page.total is not None else len(page.items)
    summary = f"purge {flagged} device tokens flagged invalid (406) for {workspace.name}"
    nothing = "no device tokens of this workspace are flagged invalid" if flagged == 0 else None
    return Preview(summary, workspace.name, {"tokens": flagged}, nothing_to_do=nothing)


def run_purge(ctx: RunContext, target: str, params: NoParams) -> ActionResult:
    result = ctx.clients.push.purge_invalid_tokens(target, idempotency_key=ctx.idempotency_key)
    return ActionResult(f"purged {result.purged} invalid tokens", result.model_dump(mode="json"))


SPECS: tuple[ActionSpec, ...] = (
    ActionSpec(
        name="push.send_test", title="Send a test push", service="push",
        description="Send one test push through the gateway to the workspace's registered devices.",
        params_model=SendTestParams, target_kind=TargetKind.WORKSPACE,
        danger=Danger.SAFE, repeat_harmless=True, preview=preview_send_test, handler=run_send_test,
    ),
    ActionSpec(
        name="push.resend", title="Resend pushes", service="push",
        description="Resend one logged delivery, or a workspace's failed deliveries in a time window "
                    "(support: up to 24 h; on-call: up to 7 days).",
        params_model=ResendParams, target_kind=TargetKind.WORKSPACE,
        danger=Danger.SAFE, repeat_harmless=False, preview=preview_resend, handler=run_resend,
    ),
    ActionSpec(
        name="push.purge_invalid_tokens", title="Purge invalid device tokens", service="push",
        description="Delete the device tokens the gateway flagged invalid for a workspace.",
        params_model=NoParams, target_kind=TargetKind.WORKSPACE,
        danger=Danger.SAFE, repeat_harmless=True, preview=preview_purge, handler=run_purge,
    ),
)
