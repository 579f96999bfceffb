"""Sections of the workspace page: each takes already-fetched live data and renders one part."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import streamlit as st

from portal import policy
from portal.clients.models import (
    HostedInstance,
    HostingEvent,
    HostingOperation,
    InstalledApp,
    PushCounts,
    PushDelivery,
    StatsPoint,
    StatsReport,
    Workspace,
)
from portal.identity import Principal
from portal.livedata import Live
from portal.releases import VersionSupport
from portal.ui.layout import metric_cards
from portal.ui.live import freshness
from portal.ui.text import code, count_or_unknown, md
from portal.workspace_signals import Signal, failures_by_code, push_settings

if TYPE_CHECKING:
    from portal.app_context import AppContext

SEVERITY_ICONS = {"critical": ":material/error:", "warning": ":material/warning:", "info": ":material/info:"}


def _when(value: Any) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


def header(key: str, workspace: Workspace | None, report: StatsReport | None, support: VersionSupport, *,
           registration: str) -> None:
    """Name, identifiers and the facts a support agent reads first. `registration`: "registered",
    "never" (Fleetcommand said it does not know it) or "unknown" (Fleetcommand could not be asked)."""
    if workspace is None:
        st.header(md(key))
        site = report.statistics.site_url if report else None
        version = report.statistics.version.raw if report and report.statistics.version else "unknown"
        facts = [f"uniqueId {code(report.unique_id)}" if report else "", code(site) if site else "",
                 f"version {md(version)}", md(support.summary)]
        st.caption(" · ".join(fact for fact in facts if fact))
        if registration == "unknown":
            st.info("Whether this workspace is registered cannot be told right now: Fleetcommand did not answer, "
                    "so its registration, plan and actions are missing below.", icon=":material/help:")
        return
    st.header(md(workspace.name))
    st.caption(f"cloud workspace id {code(workspace.id)} · uniqueId {code(workspace.unique_id)} · "
               f"{code(workspace.site_url)} · contact {code(workspace.contact_email)}")
    for change in workspace.unique_id_history:
        st.caption(f"formerly uniqueId {code(change.unique_id)}, until {_when(change.until)}")
    known = {
        "Connection": workspace.connection + (" · suspended" if workspace.suspended else ""),
        "Plan": workspace.plan,
        "Hosting": "cloud-hosted" if workspace.hosted else "self-managed",
        "Version": workspace.version,
        "Seats": count_or_unknown(workspace.seats),
        "Active contacts (month)": count_or_unknown(workspace.monthly_active_contacts),
        "Last sync": _when(workspace.last_sync_at),
    }
    with st.container(horizontal=True, gap="medium"):
        for label, value in known.items():
            st.markdown(f":gray[{label}]  \n**{md(value)}**", width="content")
    st.caption(f"Support: **{md(support.summary)}** · statistics last received {_when(workspace.last_stats_at)} · "
               f"token issued {_when(workspace.token_issued_at)}, expires {_when(workspace.token_expires_at)} · "
               f"secret expires {_when(workspace.secret_expires_at)}")


def signals(found: Sequence[Signal], *, cannot_tell: Sequence[str] = ()) -> None:
    """The workspace's problems, most severe first; never "nothing wrong" while a source is missing."""
    missing = ", ".join(cannot_tell)
    if not found and cannot_tell:
        st.info(f"Cannot tell whether anything is wrong: {missing} unavailable.", icon=":material/help:")
    elif not found:
        st.success("Nothing looks wrong with this workspace.", icon=":material/check_circle:")
    for signal in found:
        (st.error if signal.severity == "critical" else st.warning if signal.severity == "warning" else st.info)(
            md(signal.message), icon=SEVERITY_ICONS.get(signal.severity))
    if found and cannot_tell:
        st.caption(f"Not checked: what {missing} would tell (unavailable).")


def statistics(live: Live[StatsReport], history: Live[list[StatsPoint]], support: VersionSupport,
               workspace: Live[Workspace]) -> None:
    """Latest statistics, decoded (push as the server really sends, which needs its registration), and
    their history as a chart."""
    report = live.value
    if report is None:
        if live.not_found:
            st.info("This workspace has never sent statistics.", icon=":material/query_stats:")
        freshness(live)
        return
    s = report.statistics
    users = f"active {count_or_unknown(s.active_users)}, online {count_or_unknown(s.online_users)}"
    metric_cards([("Users", count_or_unknown(s.total_users), users),
                  ("Rooms", count_or_unknown(s.total_rooms)), ("Messages", count_or_unknown(s.total_messages)),
                  ("Version", s.version.raw if s.version else "unknown", support.summary)])
    apps = s.apps
    rows = {
        "Deploy": f"{s.deploy_method} / {s.deploy_platform}",
        "Push": push_settings(report, workspace.value, fleet_answered=workspace.value is not None
                              or workspace.not_found),
        "Registration (its own setting)": "unknown" if s.register_server is None
        else f"Register_Server {'on' if s.register_server else 'off'}",
        "Push queue": count_or_unknown(s.push_queue),
        "Apps": (f"{count_or_unknown(apps.total_installed)} installed, {count_or_unknown(apps.total_active)} "
                 f"active, {count_or_unknown(apps.total_failed)} failed (engine {apps.engine_version or '?'})")
        if apps else "unknown",
        "Node / MongoDB": f"{s.node_version or '?'} / {s.mongo_version or '?'}",
        "OS": " ".join(x for x in (s.os_type, s.os_release, s.os_arch) if x) or "unknown",
        "Last login": _when(s.last_login),
        "Enterprise modules": ", ".join(s.enterprise_modules or []) or "none",
        "Received": _when(report.received_at),
    }
    st.table({"": list(rows), "value": list(rows.values())})
    freshness(live)
    points = history.value or []
    if points:
        ordered = sorted(points, key=lambda p: p.received_at)
        figure = go.Figure()
        for field, name in (("total_users", "users"), ("active_users", "active users")):
            figure.add_scatter(x=[p.received_at for p in ordered], y=[getattr(p, field) for p in ordered],
                               name=name, mode="lines+markers")
        figure.update_layout(height=280, margin={"t": 10, "b": 10}, legend={"orientation": "h"})
        st.plotly_chart(figure, width="stretch")
    freshness(history)


def push(deliveries: Live[Any], counts: Live[PushCounts], invalid: Live[Any]) -> None:
    """Recent deliveries, failures by code, counts over the week and the invalid tokens."""
    items: list[PushDelivery] = list(deliveries.value.items) if deliveries.value else []
    if counts.value is not None:
        per_outcome: Counter[str] = Counter()
        for item in counts.value.items:
            per_outcome[item.outcome] += item.count
        cols = st.columns(max(1, len(per_outcome)))
        for col, (outcome, count) in zip(cols, sorted(per_outcome.items()), strict=False):
            col.metric(f"{outcome} (7 days)", f"{count:,}")
    freshness(counts)
    codes = failures_by_code(items)
    if codes:
        st.caption("Failures among the recent deliveries, by code: "
                   + ", ".join(f"**{code}** × {n}" for code, n in sorted(codes.items())))
    if items:
        st.dataframe(
            [{"at": d.created_at, "platform": d.platform, "code": d.status_code, "outcome": d.outcome,
              "kind": d.kind, "device": d.device_token, "error": d.error or "", "id": d.id} for d in items[:50]],
            hide_index=True, width="stretch")
    elif deliveries.value is not None:
        st.info("No recent push deliveries.")
    freshness(deliveries)
    if invalid.value is not None and invalid.value.items:
        st.caption(f"{invalid.value.total:,} device tokens flagged invalid (406)")
        st.dataframe([{"device": t.device_token, "platform": t.platform, "flagged": t.flagged_at}
                      for t in invalid.value.items], hide_index=True, width="stretch")
    freshness(invalid)


def marketplace(apps: Live[list[InstalledApp]]) -> None:
    """Installed apps and their subscriptions."""
    if apps.value:
        st.dataframe(
            [{"app": a.name, "version": a.version, "status": a.status, "purchase": a.purchase_type or "free",
              "subscription": a.subscription.status if a.subscription else "",
              "seats": f"{a.subscription.seats}/{a.subscription.max_seats}" if a.subscription else "",
              "installed": a.installed_at} for a in apps.value],
            hide_index=True, width="stretch")
    elif apps.value is not None or apps.not_found:
        st.info("No marketplace apps installed.")
    freshness(apps)


def hosting(instance: Live[HostedInstance], events: Live[list[HostingEvent]],
            operations: Live[Any], *, hosted: bool) -> None:
    """The hosted instance, its recent events and operations."""
    if not hosted and instance.value is None:
        st.info("Self-managed: the customer runs this workspace; there is no hosted instance.")
        return
    if instance.value is not None:
        i = instance.value
        metric_cards([("Status", i.status), ("Version", i.version), ("Region", i.region or "?"), ("Size", i.size)])
        st.caption(f"{code(i.url)} · last deploy {_when(i.last_deploy_at)}")
    freshness(instance)
    ops: list[HostingOperation] = list(operations.value.items) if operations.value else []
    if ops:
        st.dataframe([{"operation": o.kind, "state": o.state, "progress": o.progress, "started": o.started_at,
                       "finished": o.finished_at, "error": o.error or "", "id": o.id} for o in ops],
                     hide_index=True, width="stretch")
    if events.value:
        st.dataframe([{"at": e.at, "event": e.kind, "message": e.message} for e in events.value],
                     hide_index=True, width="stretch")


def runbooks(ids: Sequence[str], titles: dict[str, str], workspace_key: str) -> None:
    """Links to the runbooks that fit the workspace's state, with the workspace filled in."""
    if not ids:
        return
    st.markdown("**Runbooks for this state:** " + " · ".join(
        f"[{titles.get(i, i)}](/runbooks?runbook={i}&workspace={workspace_key})" for i in ids))


def portal_history(ctx: AppContext, workspace_id: str) -> None:
    """What the portal's own users did to this workspace, newest first, from the audit log."""
    from portal.audit_log import AuditFilter

    if ctx.audit is None:
        st.info("The portal's database is unavailable, so its history of this workspace cannot be shown.")
        return
    records = ctx.audit.page(AuditFilter(target=workspace_id), limit=25).records
    if not records:
        st.info("Nobody has run a portal action on this workspace yet.")
        return
    st.dataframe([{"at": r.at, "who": r.actor_email or r.actor_sub, "action": r.action, "event": r.event,
                   "outcome": r.outcome, "runbook": r.runbook_id or "", "run": r.run_id or ""} for r in records],
                 hide_index=True, width="stretch")
    st.caption("Source: the portal's audit log · [all records for this workspace]"
               f"(/audit?target={workspace_id})")


def actions(ctx: AppContext, principal: Principal, workspace_id: str, *, hosted: bool) -> None:
    """The actions this person may run on the workspace, each one click away; the rest named."""
    from portal.actions.registry import default_registry
    from portal.actions.spec import TargetKind
    from portal.ui.actions import render_action

    kinds = {TargetKind.WORKSPACE} | ({TargetKind.HOSTED_INSTANCE} if hosted else set())
    specs = [spec for spec in default_registry() if spec.target_kind in kinds]
    decisions = policy.offers(principal, [spec.name for spec in specs])
    allowed = [spec for spec in specs if decisions[spec.name].allowed]
    others = [spec for spec in specs if not decisions[spec.name].allowed]
    if not allowed:
        st.info(f"Your role ({principal.role}) runs no actions; the audit log shows who did what.")
    for spec in allowed:
        with st.expander(spec.title, icon=":material/bolt:"):
            render_action(ctx, principal, spec.name, prefill={"workspace": workspace_id},
                          key=f"ws-action-{spec.name}", lock_target=True)
    if others:
        st.caption("Needs a higher role: " + ", ".join(f"{s.title} ({decisions[s.name].needs_role})" for s in others))
