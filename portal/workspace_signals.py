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


def push_settings(report: StatsReport | None) -> str:
    """The `push` bitmask decoded for people: on/off, via the gateway, custom gateway URL."""
    if report is None:
        return "unknown (no statistics)"
    stats = report.statistics
    if stats.push_enabled is None:
        return "unknown (the version predates the push field)"
    if not stats.push_enabled:
        return "off"
    parts = ["on"]
    if stats.push_via_gateway:
        parts.append("via the cloud gateway")
    elif stats.push_via_gateway is False:
        parts.append("not via the gateway")
    if stats.push_custom_gateway:
        parts.append("custom gateway URL")
    return ", ".join(parts)


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
        if workspace.suspended:
            found.append(Signal("suspended", "warning", "Suspended."))
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


def suggested_runbooks(found: Iterable[Signal]) -> list[str]:
    """Runbook ids for the signals, in signal order, each once."""
    ids: list[str] = []
    for signal in found:
        ids.extend(i for i in SIGNAL_RUNBOOKS.get(signal.tag, ()) if i not in ids)
    return ids
