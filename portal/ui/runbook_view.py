"""Render a runbook: sanitised markdown, live view blocks, and action blocks as inline forms.

Only rendering lives here. The markdown goes through `portal.runbooks.markdown` and then to
`st.markdown` without `unsafe_allow_html`; views come from the registry in `portal.runbooks.views`
(each has one renderer below, registered with `@renders`); service data is shown in tables and
metrics, never interpolated into markdown. Action blocks run through `render_action`, i.e. the
executor; a block the person may not run is greyed out with the role it needs.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from portal.audit_log import RunbookUsage
from portal.identity import Principal
from portal.livedata import Live, Request, ask_for
from portal.policy import decide_action, may_offer
from portal.releases import load_catalog
from portal.runbooks import VIEWS, ActionBlock, Markdown, Runbook, ViewBlock, block_target, prefill, render_text
from portal.runbooks.markdown import LINK_CONTEXT, runbook_query, safe_markdown
from portal.ui.layout import metric_cards
from portal.ui.live import fetch_all, freshness
from portal.ui.text import count_or_unknown, md
from portal.workspace_signals import own_pushes

if TYPE_CHECKING:
    from portal.app_context import AppContext
    from portal.clients import Clients

log = logging.getLogger(__name__)

__all__ = ["LINK_CONTEXT", "RENDERERS", "load_usage", "render_runbook", "runbook_query", "safe_markdown",
           "show_markdown", "usage_summary"]

Renderer = Callable[[Any, Mapping[str, str]], None]
RENDERERS: dict[str, Renderer] = {}


def renders(view: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of one view of `portal.runbooks.views.VIEWS`."""
    if view not in VIEWS:
        raise KeyError(f"no view {view!r} in portal.runbooks.views")

    def register(function: Renderer) -> Renderer:
        RENDERERS[view] = function
        return function

    return register


def show_markdown(text: str, link_context: Mapping[str, str] | None = None) -> None:
    """Render untrusted-ish markdown safely (never with unsafe_allow_html)."""
    st.markdown(safe_markdown(text, link_context))


# -- live views -----------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _table(rows: list[dict[str, Any]], empty: str, **columns: Any) -> None:
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", column_config=columns or None)
    else:
        st.caption(empty)


@renders("workspace.summary")
def _render_workspace(ws: Any, _context: Mapping[str, str]) -> None:
    support = load_catalog().support(ws.version)
    metric_cards([("Version", ws.version, support.summary), ("Support", support.status.label),
                  ("Connection", ws.connection), ("Suspended", "yes" if ws.suspended else "no")])
    former = ", ".join(f"{c.unique_id} (until {_when(c.until)})" for c in ws.unique_id_history)
    _table([{"field": k, "value": v} for k, v in (
        ("name", ws.name), ("cloud workspace id", ws.id), ("uniqueId", ws.unique_id),
        ("former uniqueIds", former or "none"), ("site URL", ws.site_url),
        ("contact", ws.contact_email), ("plan", ws.plan), ("hosted", "yes" if ws.hosted else "no"),
        ("deploy", f"{ws.deploy_method} / {ws.deploy_platform}"), ("support", support.summary),
        ("seats", count_or_unknown(ws.seats)),
        ("active contacts (month)", count_or_unknown(ws.monthly_active_contacts)),
        ("token issued", _when(ws.token_issued_at)), ("token expires", _when(ws.token_expires_at)),
        ("secret expires", _when(ws.secret_expires_at)),
        ("last sync", _when(ws.last_sync_at)), ("license synced", _when(ws.license_synced_at)),
        ("last statistics", _when(ws.last_stats_at)),
    )], "")


@renders("push.outcomes")
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


@renders("push.recent_failures")
def _render_failures(deliveries: list[Any], _context: Mapping[str, str]) -> None:
    _table([{"at": d.created_at, "platform": d.platform, "status": d.status_code, "outcome": d.outcome,
             "error": d.error or "", "device": d.device_token, "delivery": d.id} for d in deliveries],
           "No failed deliveries in the window.")


@renders("push.own_pushes")
def _render_own_pushes(deliveries: list[Any], _context: Mapping[str, str]) -> None:
    verdict = own_pushes(deliveries)
    label = {"accepted": "accepted", "refused": "refused", "gateway-error": "gateway error"}.get(
        verdict.state, "no data")
    latest = verdict.pushes[0].created_at if verdict.pushes else None
    metric_cards([("Its own token", label, f"at the gateway; latest own push {_when(latest)}")])
    st.caption(md(verdict.message))
    _table([{"at": d.created_at, "status": d.status_code, "outcome": d.outcome, "platform": d.platform,
             "device": d.device_token} for d in verdict.pushes[:10]], "")


@renders("push.invalid_tokens")
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


@renders("push.top_failing")
def _render_top_failing(items: list[Any], context: Mapping[str, str]) -> None:
    rows = [{"workspace": i.workspace_id, "failed": i.failed, "total": i.total,
             "failure rate": f"{i.failed / i.total:.0%}" if i.total else "",
             "open here": runbook_query(context["runbook"], {**context, "workspace": i.workspace_id})}
            for i in items]
    _table(rows, "No failed deliveries in the window.",
           **{"open here": st.column_config.LinkColumn("open here", display_text="this runbook for it")})


@renders("stats.latest")
def _render_stats(report: Any, _context: Mapping[str, str]) -> None:
    s = report.statistics
    age = (datetime.now(UTC) - report.received_at).total_seconds() / 3600
    metric_cards([("Last report", f"{age:.0f} h ago", _when(report.received_at)),
                  ("Version", s.version.raw if s.version else "unknown"),
                  ("Active users", f"{s.active_users:,}" if s.active_users is not None else "n/a"),
                  ("Push queue", f"{s.push_queue:,}" if s.push_queue is not None else "n/a")])
    _table([{"field": k, "value": str(v) if v is not None else "n/a"} for k, v in (
        ("deploy", f"{s.deploy_method} / {s.deploy_platform}"), ("MongoDB", s.mongo_version),
        ("Node", s.node_version), ("push enabled", s.push_enabled), ("push via gateway", s.push_via_gateway),
        ("custom gateway", s.push_custom_gateway), ("Register_Server", s.register_server),
        ("total users", s.total_users),
        ("apps (installed / active / failed)", None if s.apps is None else
         f"{s.apps.total_installed} / {s.apps.total_active} / {s.apps.total_failed}"),
    )], "")


@renders("marketplace.apps")
def _render_apps(apps: list[Any], _context: Mapping[str, str]) -> None:
    _table([{"app": a.name, "version": a.version, "status": a.status, "purchase": a.purchase_type or "free",
             "subscription": a.subscription.status if a.subscription else "",
             "seats": f"{a.subscription.seats}/{a.subscription.max_seats}" if a.subscription else "",
             "expires": _when(a.subscription.expire_date) if a.subscription else ""} for a in apps],
           "No apps installed.")


@renders("hosting.instance")
def _render_instance(value: tuple[Any, list[Any]], _context: Mapping[str, str]) -> None:
    instance, events = value
    metric_cards([("Status", instance.status),
                  ("Version", instance.version, load_catalog().support(instance.version).summary),
                  ("Region", instance.region), ("Size", instance.size)])
    _table([{"at": e.at, "kind": e.kind, "message": e.message} for e in events], "No recent events.")


def fetch_views(runbook: Runbook, clients: Clients, context: Mapping[str, str]) -> dict[int, Live[Any] | None]:
    """Fetch every view block's data at once (concurrently); None for a view that needs a missing workspace."""
    requests: dict[int, Request] = {}
    view_context = {name: context[name] for name in LINK_CONTEXT if context.get(name)}
    for block in runbook.view_blocks:
        view = VIEWS.get(block.view)
        if view is None or (view.needs_workspace and not context.get("workspace")):
            continue
        requests[block.index] = ask_for(view.service, view.fetch, clients, view_context)
    answers = fetch_all(list(requests.values()), refresh_key=f"runbook-refresh-{runbook.id}") if requests else []
    found = dict(zip(requests, answers, strict=True))
    return {block.index: found.get(block.index) for block in runbook.view_blocks}


def render_view(block: ViewBlock, live: Live[Any] | None, context: Mapping[str, str]) -> None:
    """One view block in a bordered box: heading, data (or why not), freshness."""
    view = VIEWS.get(block.view)
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
            RENDERERS[view.name](live.value, context)
        freshness(live)


def render_action_block(ctx: AppContext, principal: Principal, runbook: Runbook, block: ActionBlock,
                        context: Mapping[str, str]) -> None:
    """An action block: an inline form through the executor, or greyed out with the role it needs."""
    values = prefill(block, context)
    target = block_target(block, context)
    title = block.label or block.action
    with st.container(border=True):
        offer = may_offer(principal, block.action)
        if not offer.allowed:
            needed = offer.needs_role or "an unknown"
            role = principal.role or "no role"
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


def render_runbook(ctx: AppContext, principal: Principal, runbook: Runbook, context: Mapping[str, str],
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
