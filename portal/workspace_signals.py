"""What is wrong with a workspace, read from its records: signals that suggest runbooks.

Pure functions over the clients' models, so the workspace page, runbook suggestions and tests
share one reading of "this workspace's state".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.clients.models import HostedInstance, PushDelivery, StatsReport, Workspace
from portal.releases import SupportStatus, VersionSupport

STATS_SILENT_AFTER = timedelta(hours=48)

# Which runbooks answer which signal (a test checks every id exists in runbooks/).
SIGNAL_RUNBOOKS: dict[str, tuple[str, ...]] = {
    "deregistered": ("workspace-deregistered-after-secret-rotation",),
    "connection-disabled": ("workspace-deregistered-after-secret-rotation",),
    "out-of-support": ("out-of-support-version", "marketplace-426-unsupported-version"),
    "stats-silent": ("stats-not-reporting",),
    "push-401": ("push-workspace-401-unauthorized",),
    "invalid-tokens": ("push-invalid-token-storm",),
    "hosted-down": ("hosted-workspace-down",),
}


@dataclass(frozen=True)
class Signal:
    """One observation about a workspace; `tag` matches runbook tags."""

    tag: str
    severity: str  # info | warning | critical
    message: str


def push_settings(report: StatsReport | None, workspace: Workspace | None = None, *,
                  fleet_answered: bool = True) -> str:
    """How the server really sends pushes. The `push` bitmask (6.5.0+) carries the settings (1 on,
    2 `Push_enable_gateway`, 4 `Push_gateway` changed); the server uses a gateway only when
    `Push_enable_gateway`, `Register_Server` and the cloud terms agreement are all on
    (`apps/meteor/server/configuration/pushNotification.ts`), else it sends with its own APNs/FCM
    credentials. Registration comes from the statistics (`wizard.registerServer`) and Fleetcommand."""
    if report is None:
        return "unknown (no statistics)"
    stats = report.statistics
    if stats.push_enabled is None:
        return "unknown (its statistics carry no push settings: they arrived in 6.5)"
    if not stats.push_enabled:
        return "off"
    direct = "sent directly with the server's own APNs/FCM credentials"
    if not stats.push_via_gateway:
        return f"on, gateway disabled: {direct}"
    gateway = "a custom gateway URL (not the cloud gateway)" if stats.push_custom_gateway else "the cloud gateway"
    state = workspace.registration_state if workspace is not None else "unregistered" if fleet_answered else None
    if stats.register_server is False or state in ("connection_disabled", "unregistered"):
        why = "cloud connection disabled" if state == "connection_disabled" else "not registered"
        return f"on, gateway enabled but unused ({why}): {direct}"
    if state == "deregistered":
        return f"on, through {gateway}, but it holds no valid cloud credentials: its pushes are refused (401)"
    if state is None:
        return f"on, through {gateway} if it is registered (Fleetcommand unavailable: cannot tell)"
    return f"on, through {gateway}"


def _pushes(count: int) -> str:
    return f"{count} recent push" + ("" if count == 1 else "es")


def failures_by_code(deliveries: Iterable[PushDelivery]) -> dict[int, int]:
    """How many of the given deliveries failed, per HTTP status code (2xx excluded)."""
    return dict(Counter(d.status_code for d in deliveries if not 200 <= d.status_code < 300))


def signals(
    *,
    workspace: Workspace | None,
    report: StatsReport | None,
    support: VersionSupport,
    deliveries: Sequence[PushDelivery] = (),
    instance: HostedInstance | None = None,
    fleet_answered: bool = True,
    now: datetime | None = None,
) -> list[Signal]:
    """Everything worth an engineer's attention about one workspace, most severe first.

    `workspace` None with `fleet_answered` means Fleetcommand said cleanly it does not know it
    (never registered); with `fleet_answered=False` Fleetcommand could not be asked, and nothing
    is said about registration."""
    now = now or datetime.now(UTC)
    found: list[Signal] = []
    if workspace is None:
        if fleet_answered:
            found.append(Signal("unregistered", "info",
                                "Known only from the statistics it sends: never registered with the cloud."))
    else:
        if workspace.registration_state == "deregistered":
            found.append(Signal("deregistered", "critical",
                                "De-registered: its client secret no longer works; it must register again."))
        elif workspace.registration_state == "connection_disabled":
            found.append(Signal("connection-disabled", "warning",
                                "Cloud connection disabled by its admin (Register_Server off): it keeps its "
                                "credentials but does not sync, and sends pushes without the cloud gateway."))
        if workspace.suspended:
            found.append(Signal("suspended", "warning", "Suspended."))
        if workspace.unique_id_history:
            change = workspace.unique_id_history[-1]
            found.append(Signal("unique-id-changed", "info",
                                f"Its uniqueId changed on {change.until:%Y-%m-%d} (it was {change.unique_id}): "
                                "statistics sent under the old one stop there."))
    if support.status is SupportStatus.OUT_OF_SUPPORT:
        found.append(Signal("out-of-support", "critical",
                            f"{support.summary}: push gateway and marketplace no longer serve it."))
    last_stats = report.received_at if report else (workspace.last_stats_at if workspace else None)
    if last_stats is None or now - last_stats > STATS_SILENT_AFTER:
        when = f"since {last_stats:%Y-%m-%d %H:%M} UTC" if last_stats else "ever"
        found.append(Signal("stats-silent", "warning", f"No statistics received {when}."))
    codes = failures_by_code(deliveries)
    if codes.get(401):
        found.append(Signal("push-401", "critical",
                            f"{_pushes(codes[401])} refused with 401: the workspace's cloud token is bad."))
    if codes.get(406):
        found.append(Signal("invalid-tokens", "warning", f"{_pushes(codes[406])} to invalid device tokens (406)."))
    if codes.get(422):
        found.append(Signal("push-422", "warning", f"{_pushes(codes[422])} rejected as malformed (422)."))
    if instance is not None and instance.status in {"degraded", "stopped"}:
        found.append(Signal("hosted-down", "critical", f"Hosted instance is {instance.status}."))
    order = {"critical": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda s: order.get(s.severity, 3))


@dataclass(frozen=True)
class OwnPushes:
    """The pushes a workspace sent itself, with its own cached cloud token: what tells whether its token
    works. A test push or a resend from the portal goes out with the gateway's own rights, so it proves
    nothing about the workspace's token."""

    state: str  # accepted | refused | gateway-error | none
    message: str
    pushes: tuple[PushDelivery, ...]


def own_pushes(deliveries: Iterable[PushDelivery], *, since: datetime | None = None) -> OwnPushes:
    """Read the workspace's own pushes (newest first) since `since`: is its token accepted now?"""
    own = sorted((d for d in deliveries if d.kind == "message" and d.resent_from is None
                  and (since is None or d.created_at >= since)), key=lambda d: d.created_at, reverse=True)
    if not own:
        scope = f" since {since:%Y-%m-%d %H:%M} UTC" if since else ""
        return OwnPushes("none", f"No push from the workspace itself{scope} yet: cannot tell whether its token "
                                 "works (a test push or a resend from here does not use its token).", ())
    latest = own[0]
    when = f"{latest.created_at:%Y-%m-%d %H:%M} UTC"
    if latest.status_code == 401:
        state, message = "refused", (f"Still refused: its latest own push ({when}) got 401. It is still sending a "
                                     "token the cloud rejects; it keeps it until it expires or the workspace syncs.")
    elif 200 <= latest.status_code < 300 or latest.status_code in (406, 422):
        state, message = "accepted", (f"Its token is accepted: its latest own push ({when}) got "
                                      f"{latest.status_code} ({latest.outcome}).")
    else:
        state, message = "gateway-error", (f"Its latest own push ({when}) got {latest.status_code}: a gateway "
                                           "problem, not its token; the workspace retries after 1, 2, 4, 8 and "
                                           "16 minutes.")
    return OwnPushes(state, message, tuple(own))


def suggested_runbooks(found: Iterable[Signal]) -> list[str]:
    """Runbook ids for the signals, in signal order, each once."""
    ids: list[str] = []
    for signal in found:
        ids.extend(i for i in SIGNAL_RUNBOOKS.get(signal.tag, ()) if i not in ids)
    return ids
