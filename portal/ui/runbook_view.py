"""Render a runbook: safe markdown, live view blocks and action blocks as inline forms.

Markdown goes to `st.markdown` without `unsafe_allow_html` (Streamlit then shows raw HTML as
text) and, belt and braces, every `<` outside code is escaped first. Service data in views is shown
in tables and metrics, never interpolated into markdown. Action blocks run through the actions
engineer's `render_action`, i.e. the executor; a block the person may not run is greyed out.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from portal.audit_log import RunbookUsage
from portal.identity import Principal
from portal.livedata import Live, Request
from portal.policy import decide_action, may_offer
from portal.releases import load_catalog
from portal.runbooks import (
    FENCE,
    LINK,
    ActionBlock,
    Markdown,
    Runbook,
    ViewBlock,
    block_target,
    link_target_id,
    prefill,
    render_text,
)
from portal.ui.live import fetch_all, freshness

if TYPE_CHECKING:
    from portal.app_context import AppContext

log = logging.getLogger(__name__)
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK_CONTEXT = ("workspace", "delivery", "since", "until")


def runbook_query(runbook_id: str, context: Mapping[str, str]) -> str:
    """`?runbook=<id>&workspace=<id>...`: the query that opens a runbook with this context."""
    params = {"runbook": runbook_id} | {k: context[k] for k in LINK_CONTEXT if context.get(k)}
    return "?" + urlencode(params)


def _escape_prose(text: str, link_context: Mapping[str, str]) -> str:
    """One line outside fenced code: runbook links become portal links, `<` outside code spans is escaped."""
    parts: list[str] = []
    last = 0
    for span in CODE_SPAN.finditer(text):
        parts.append(_escape_plain(text[last:span.start()], link_context))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_escape_plain(text[last:], link_context))
    return "".join(parts)


def _escape_plain(text: str, link_context: Mapping[str, str]) -> str:
    def relink(match: re.Match[str]) -> str:
        target = link_target_id(match.group(2))
        if target is None:
            return match.group(0)
        return f"[{match.group(1)}]({runbook_query(target, link_context)})"

    return LINK.sub(relink, text).replace("<", "&lt;")


def safe_markdown(text: str, link_context: Mapping[str, str] | None = None) -> str:
    """Markdown whose embedded HTML shows as text, with links between runbooks pointing into the portal."""
    link_context = link_context or {}
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and fence is None:
            fence = match.group(1)
            lines.append(line)
        elif fence is not None:
            if re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", line):
                fence = None
            lines.append(line)
        else:
            lines.append(_escape_prose(line, link_context))
    return "\n".join(lines)


def show_markdown(text: str, link_context: Mapping[str, str] | None = None) -> None:
    """Render untrusted-ish markdown safely (never with unsafe_allow_html)."""
    st.markdown(safe_markdown(text, link_context))


# -- live views -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveView:
    """A view block's implementation: what to fetch (one cached request) and how to show it."""

    title: str
    service: str
    needs_workspace: bool
    fetch: Callable[[Any, Mapping[str, str]], Any]  # (clients, context) -> value
    render: Callable[[Any, Mapping[str, str]], None]

    def request(self, clients: Any, context: Mapping[str, str]) -> Request:
        key = ("runbook-view", self.title, *(context.get(k) for k in LINK_CONTEXT))
        return Request(key, self.service, lambda: self.fetch(clients, context))


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _table(rows: list[dict[str, Any]], empty: str, **columns: Any) -> None:
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", column_config=columns or None)
    else:
        st.caption(empty)


def _render_workspace(ws: Any, _context: Mapping[str, str]) -> None:
    support = load_catalog().support(ws.version)
    cols = st.columns(4)
    cols[0].metric("Version", ws.version, help=support.summary)
    cols[1].metric("Support", support.status.label)
    cols[2].metric("Registration", ws.registration_state)
    cols[3].metric("Suspended", "yes" if ws.suspended else "no")
    _table([{"field": k, "value": v} for k, v in (
        ("name", ws.name), ("id / uniqueId", f"{ws.id} / {ws.unique_id}"), ("site URL", ws.site_url),
        ("contact", ws.contact_email), ("plan", ws.plan), ("hosted", "yes" if ws.hosted else "no"),
        ("deploy", f"{ws.deploy_method} / {ws.deploy_platform}"), ("support", support.summary),
        ("token issued", _when(ws.token_issued_at)), ("secret expires", _when(ws.secret_expires_at)),
        ("last sync", _when(ws.last_sync_at)), ("license synced", _when(ws.license_synced_at)),
        ("last statistics", _when(ws.last_stats_at)),
    )], "")


def _render_outcomes(counts: Any, _context: Mapping[str, str]) -> None:
    totals: Counter[str] = Counter()
    for item in counts.items:
        totals[item.outcome] += item.count
    if not totals:
        st.caption("No deliveries in the window.")
        return
    cols = st.columns(len(totals))
    for col, (outcome, count) in zip(cols, sorted(totals.items()), strict=True):
        col.metric(outcome, f"{count:,}")
    frame = pd.DataFrame([{"start": i.start, "outcome": i.outcome, "count": i.count} for i in counts.items])
    st.bar_chart(frame.pivot_table(index="start", columns="outcome", values="count", aggfunc="sum"))


def _fetch_failures(clients: Any, context: Mapping[str, str]) -> list[Any]:
    found = []
    for outcome in ("unauthorized", "invalid_token", "rejected", "error"):
        found += clients.push.deliveries(workspace_id=context["workspace"], outcome=outcome,
                                         since=context["since"], until=context["until"], limit=10).items
    return sorted(found, key=lambda d: d.created_at, reverse=True)[:20]


def _render_failures(deliveries: list[Any], _context: Mapping[str, str]) -> None:
    _table([{"at": d.created_at, "platform": d.platform, "status": d.status_code, "outcome": d.outcome,
             "error": d.error or "", "device": d.device_token, "delivery": d.id} for d in deliveries],
           "No failed deliveries in the window.")


def _fetch_invalid(clients: Any, context: Mapping[str, str]) -> tuple[Any, list[Any]]:
    page = clients.push.invalid_tokens(workspace_id=context.get("workspace"), since=context["since"], limit=20)
    return page, clients.push.invalid_token_trend(since=context["since"], until=context["until"], bucket="hour")


def _render_invalid(value: tuple[Any, list[Any]], context: Mapping[str, str]) -> None:
    page, trend = value
    scope = "this workspace" if context.get("workspace") else "the gateway"
    total = page.total if page.total is not None else len(page.items)
    st.metric(f"Tokens flagged invalid for {scope} in the window", f"{total:,}")
    if trend:
        st.caption("Gateway-wide trend")
        st.line_chart(pd.DataFrame([{"start": p.start, "flagged": p.count} for p in trend]).set_index("start"))
    _table([{"flagged at": t.flagged_at, "platform": t.platform, "device": t.device_token,
             "workspace": t.workspace_id} for t in page.items], "No invalid tokens in the window.")


def _render_top_failing(items: list[Any], context: Mapping[str, str]) -> None:
    rows = [{"workspace": i.workspace_id, "failed": i.failed, "total": i.total,
             "failure rate": f"{i.failed / i.total:.0%}" if i.total else "",
             "open here": runbook_query(context["runbook"], {**context, "workspace": i.workspace_id})}
            for i in items]
    _table(rows, "No failed deliveries in the window.",
           **{"open here": st.column_config.LinkColumn("open here", display_text="this runbook for it")})


def _fetch_stats(clients: Any, context: Mapping[str, str]) -> Any:
    return clients.stats.latest(clients.fleet.get_workspace(context["workspace"]).unique_id)


def _render_stats(report: Any, _context: Mapping[str, str]) -> None:
    s = report.statistics
    age = (datetime.now(UTC) - report.received_at).total_seconds() / 3600
    cols = st.columns(4)
    cols[0].metric("Last report", f"{age:.0f} h ago", help=_when(report.received_at))
    cols[1].metric("Version", s.version.raw if s.version else "unknown")
    cols[2].metric("Active users", f"{s.active_users:,}" if s.active_users is not None else "n/a")
    cols[3].metric("Push queue", f"{s.push_queue:,}" if s.push_queue is not None else "n/a")
    _table([{"field": k, "value": str(v) if v is not None else "n/a"} for k, v in (
        ("deploy", f"{s.deploy_method} / {s.deploy_platform}"), ("MongoDB", s.mongo_version),
        ("Node", s.node_version), ("push enabled", s.push_enabled), ("push via gateway", s.push_via_gateway),
        ("custom gateway", s.push_custom_gateway), ("total users", s.total_users),
    )], "")


def _render_apps(apps: list[Any], _context: Mapping[str, str]) -> None:
    _table([{"app": a.name, "version": a.version, "status": a.status, "purchase": a.purchase_type or "free",
             "subscription": a.subscription.status if a.subscription else "",
             "seats": f"{a.subscription.seats}/{a.subscription.max_seats}" if a.subscription else "",
             "expires": _when(a.subscription.expire_date) if a.subscription else ""} for a in apps],
           "No apps installed.")


def _fetch_instance(clients: Any, context: Mapping[str, str]) -> tuple[Any, list[Any]]:
    workspace = context["workspace"]
    return clients.hosting.get_instance(workspace), clients.hosting.events(workspace, limit=10)


def _render_instance(value: tuple[Any, list[Any]], _context: Mapping[str, str]) -> None:
    instance, events = value
    cols = st.columns(4)
    cols[0].metric("Status", instance.status)
    cols[1].metric("Version", instance.version, help=load_catalog().support(instance.version).summary)
    cols[2].metric("Region", instance.region)
    cols[3].metric("Size", instance.size)
    _table([{"at": e.at, "kind": e.kind, "message": e.message} for e in events], "No recent events.")


LIVE_VIEWS: dict[str, LiveView] = {
    "workspace.summary": LiveView("Workspace", "fleet", True,
                                  lambda c, x: c.fleet.get_workspace(x["workspace"]), _render_workspace),
    "push.outcomes": LiveView("Push deliveries by outcome", "push", False,
                              lambda c, x: c.push.counts(since=x["since"], until=x["until"], bucket="hour",
                                                         workspace_id=x.get("workspace")), _render_outcomes),
    "push.recent_failures": LiveView("Recent failed pushes", "push", True, _fetch_failures, _render_failures),
    "push.invalid_tokens": LiveView("Invalid device tokens (406)", "push", False, _fetch_invalid, _render_invalid),
    "push.top_failing": LiveView("Workspaces with the most failed pushes", "push", False,
                                 lambda c, x: c.push.top_failing(since=x["since"], until=x["until"], limit=10),
                                 _render_top_failing),
    "stats.latest": LiveView("Latest statistics", "stats", True, _fetch_stats, _render_stats),
    "marketplace.apps": LiveView("Installed apps", "marketplace", True,
                                 lambda c, x: c.marketplace.workspace_apps(x["workspace"]), _render_apps),
    "hosting.instance": LiveView("Hosted instance", "hosting", True, _fetch_instance, _render_instance),
}


def fetch_views(runbook: Runbook, clients: Any, context: Mapping[str, str]) -> dict[int, Live[Any] | None]:
    """Fetch every view block's data at once (concurrently); None for a view that needs a missing workspace."""
    requests: dict[int, Request] = {}
    for block in runbook.view_blocks:
        view = LIVE_VIEWS.get(block.view)
        if view is None or (view.needs_workspace and not context.get("workspace")):
            continue
        requests[block.index] = view.request(clients, context)
    results = fetch_all(list(requests.values()), refresh_key=f"runbook-refresh-{runbook.id}") if requests else {}
    return {block.index: results.get(requests[block.index].key) if block.index in requests else None
            for block in runbook.view_blocks}


def render_view(block: ViewBlock, live: Live[Any] | None, context: Mapping[str, str]) -> None:
    """One view block in a bordered box: heading, data (or why not), freshness."""
    view = LIVE_VIEWS.get(block.view)
    with st.container(border=True):
        st.markdown(f"**{safe_markdown(block.title or (view.title if view else block.view))}**")
        if view is None:
            st.error(f"Unknown view {block.view!r}; `python -m portal runbooks lint` reports it.")
            return
        if live is None:
            st.info("Enter a workspace above to see this.", icon=":material/input:")
            return
        if live.not_found:
            st.info(f"{live.source} knows nothing about this: {live.error}", icon=":material/search_off:")
            return
        if live.value is not None:
            view.render(live.value, context)
        freshness(live)


def render_action_block(ctx: Any, principal: Principal | None, runbook: Runbook, block: ActionBlock,
                        context: Mapping[str, str]) -> None:
    """An action block: an inline form through the executor, or greyed out with the role it needs."""
    values = prefill(block, context)
    target = block_target(block, context)
    title = block.label or block.action
    with st.container(border=True):
        offer = may_offer(principal, block.action)
        if not offer.allowed:
            needed = offer.needs_role or "an unknown"
            role = principal.role if principal and principal.role else "no role"
            st.markdown(f":gray[:material/lock: **{safe_markdown(title)}** · `{block.action}`]")
            st.caption(f"Needs the {needed} role or higher to run; you are {role}.")
            st.json({"target": target, **values}, expanded=False)
            st.button("Run", key=f"rb-{runbook.id}-{block.index}-locked", disabled=True,
                      help=f"needs the {needed} role")
            return
        if block.label:
            st.markdown(f":material/play_circle: **{safe_markdown(block.label)}**")
        decision = decide_action(principal, block.action, target=target, params=values)
        if not decision.allowed:
            st.caption(f"As prefilled: {decision.reason}")
        from portal.ui.actions import render_action

        render_action(ctx, principal, block.action, prefill={**values, "target": target or ""},
                      runbook_id=runbook.id, key=f"rb-{runbook.id}-{block.index}")


def render_runbook(ctx: Any, principal: Principal | None, runbook: Runbook, context: Mapping[str, str],
                   link_context: Mapping[str, str]) -> None:
    """The body of a runbook, segment by segment, with its views fetched up front."""
    views = fetch_views(runbook, ctx.clients, context)
    view_context = {**context, "runbook": runbook.id}
    for segment in runbook.segments:
        if isinstance(segment, Markdown):
            show_markdown(render_text(segment.text, context), link_context)
        elif isinstance(segment, ViewBlock):
            render_view(segment, views.get(segment.index), view_context)
        else:
            render_action_block(ctx, principal, runbook, segment, context)


# -- usage ----------------------------------------------------------------------------------------


def load_usage(ctx: AppContext, runbook_ids: list[str]) -> dict[str, RunbookUsage]:
    """Usage of the runbooks from the audit log; empty (and logged) when the database cannot answer."""
    if ctx.audit is None or not runbook_ids:  # None when the portal's database could not be opened
        return {}
    try:
        return ctx.audit.usage(runbook_ids)
    except Exception as error:  # usage is a courtesy: the runbook must still open
        log.warning("runbook usage unavailable: %s", type(error).__name__)
        return {}


def usage_summary(usage: RunbookUsage | None) -> str:
    """One line: when the runbook was last used, and how its actions ended."""
    if usage is None:
        return "usage unavailable"
    if usage.last_used is None:
        return "not used from the portal yet"
    runs = "; ".join(
        f"{action} " + ", ".join(f"{count} {outcome}" for outcome, count in sorted(by_outcome.items()))
        for action, by_outcome in sorted(usage.outcomes.items())
    )
    times = "once" if usage.total == 1 else f"{usage.total} times"
    return f"last used {_when(usage.last_used)} · actions ran {times}" + (f": {runs}" if runs else "")
