"""Workspaces: find one by name, id, uniqueId, site URL or email; then everything about it on one page."""

from datetime import timedelta
from typing import Any

import streamlit as st

from portal import timerange
from portal.app_context import app_context
from portal.livedata import Live, Request, ask, ask_for
from portal.releases import load_catalog
from portal.runbooks import load_library
from portal.ui import workspace as sections
from portal.ui.gate import require_screen
from portal.ui.live import fetch_all, freshness, unavailable
from portal.ui.text import code, md
from portal.workspace_signals import signals, suggested_runbooks

principal = require_screen("workspace")

ctx = app_context()
clients = ctx.clients
catalog = load_catalog()


SEARCH_PAGE = 20


def open_workspace(workspace_id: str) -> None:
    st.query_params["workspace"] = workspace_id


def search_box() -> None:
    """The search field; results link to the workspace page. `q` lives in the URL so it can be shared."""
    q = st.text_input("Find a workspace", value=st.query_params.get("q", ""),
                      placeholder="name, workspace id, uniqueId, site URL or contact email",
                      key="workspace-search", live="250ms").strip()  # answers as you type
    if q != st.query_params.get("q", ""):
        st.query_params["q"] = q
        st.query_params.pop("cursor", None)
    if not q:
        return
    cursor = st.query_params.get("cursor") or None
    found, unregistered = fetch_all([ask(clients.fleet.search_workspaces, q, limit=SEARCH_PAGE, cursor=cursor),
                                     ask(clients.stats.unregistered, q, limit=5)], refresh_key="search-refresh")
    if found.value is not None:
        total = found.value.total if found.value.total is not None else len(found.value.items)
        st.caption(f"{total:,} registered {'workspace matches' if total == 1 else 'workspaces match'}"
                   + (f", {SEARCH_PAGE} a page" if total > SEARCH_PAGE else ""))
        for ws in found.value.items:
            name, facts, button = st.columns([4, 5, 1], vertical_alignment="center")
            name.markdown(f"**{md(ws.name)}**  \n{code(ws.id)}")
            facts.caption(f"uniqueId {code(ws.unique_id)} · {code(ws.site_url)} · {code(ws.contact_email)} · "
                          f"{md(ws.version)} · {ws.connection}{' · hosted' if ws.hosted else ''}")
            button.button("Open", key=f"open-{ws.id}", on_click=open_workspace, args=(ws.id,))
        nav = st.columns([1, 1, 4])
        if cursor and nav[0].button("First page", key="search-first"):
            st.query_params.pop("cursor", None)
            st.rerun()
        if found.value.next_cursor and nav[1].button("Next page", key="search-next"):
            st.query_params["cursor"] = found.value.next_cursor
            st.rerun()
    freshness(found)
    if unregistered.value is not None and unregistered.value.items:
        st.caption("Known only from statistics (never registered):")
        for rep in unregistered.value.items:
            name, button = st.columns([9, 1], vertical_alignment="center")
            name.markdown(f"{code(rep.site_url) if rep.site_url else '(no site URL)'} · {code(rep.unique_id)} · "
                          f"{md(rep.version or '?')}")
            button.button("Open", key=f"open-{rep.unique_id}", on_click=open_workspace, args=(rep.unique_id,))


WorkspaceData = dict[str, Live[Any]]


def workspace_requests(key: str) -> dict[str, Request]:
    """Every call the page needs, fired together: the page waits for the slowest, not the sum."""
    week, month = timerange.trailing(timedelta(days=7), bucket="day"), timerange.trailing(timedelta(days=30),
                                                                                         bucket="day")
    return {
        "workspace": ask(clients.fleet.get_workspace, key),
        "stats": ask(clients.stats.latest, key),
        "stats_history": ask_for("stats", timerange.stats_history, clients.stats, key, month),
        "deliveries": ask(clients.push.deliveries, workspace_id=key, limit=100),
        "push_counts": ask_for("push", timerange.push_counts, clients.push, week, workspace_id=key),
        "invalid_tokens": ask(clients.push.invalid_tokens, workspace_id=key, limit=20),
        "apps": ask(clients.marketplace.workspace_apps, key),
        "instance": ask(clients.hosting.get_instance, key),
        "events": ask(clients.hosting.events, key, limit=20),
        "operations": ask(clients.hosting.operations, workspace_id=key, limit=20),
    }


def fetch_workspace(key: str, *, refresh_key: str | None) -> WorkspaceData:
    requests = workspace_requests(key)
    return dict(zip(requests, fetch_all(list(requests.values()), refresh_key=refresh_key), strict=True))


def load(key: str) -> tuple[str, WorkspaceData]:
    """All of a workspace's data. A link may carry the uniqueId: then ask again with the workspace id (the
    collector answers by either, docs/service-contract.md; the other services know the workspace id)."""
    data = fetch_workspace(key, refresh_key="workspace-refresh")
    workspace = data["workspace"].value
    if workspace is not None and workspace.id != key:
        data = fetch_workspace(workspace.id, refresh_key=None)
        key = workspace.id
    return key, data


def workspace_page(key: str) -> None:
    with st.container(horizontal=True):  # Back and Refresh side by side
        if st.button("Back to search", icon=":material/arrow_back:", key="back-to-search"):
            del st.query_params["workspace"]
            st.rerun()
        key, data = load(key)
    record, latest = data["workspace"], data["stats"]
    workspace, report = record.value, latest.value
    if record.not_found and latest.not_found:
        st.error(f"No workspace {code(key)}: neither Fleetcommand nor the statistics collector knows it.",
                 icon=":material/search_off:")
        return
    version = (report.statistics.version.raw if report and report.statistics.version else None) or (
        workspace.version if workspace else None)
    support = catalog.support(version)
    deliveries = data["deliveries"]
    instance = data["instance"]
    # Only Fleetcommand's own clean "no such workspace" means it never registered; down, slow or
    # answering garbage, it says nothing about the workspace.
    registration = "registered" if workspace is not None else "never" if record.not_found else "unknown"
    sections.header(key, workspace, report, support, registration=registration)
    freshness(record)
    hosted = bool(workspace and workspace.hosted)
    checked = [record, latest, deliveries] + ([instance] if hosted or workspace is None else [])
    found = signals(workspace=workspace, report=report, support=support,
                    deliveries=deliveries.value.items if deliveries.value else (), instance=instance.value,
                    fleet_answered=registration != "unknown")
    sections.signals(found, cannot_tell=unavailable(*checked))
    sections.runbooks(suggested_runbooks(found), runbook_titles(), key)
    names = ["Statistics", "Push", "Marketplace", "Hosting"] + (["Actions", "Portal history"] if workspace else [])
    tabs = st.tabs(names)
    with tabs[0]:
        sections.statistics(latest, data["stats_history"], support, record)
    with tabs[1]:
        sections.push(deliveries, data["push_counts"], data["invalid_tokens"])
    with tabs[2]:
        sections.marketplace(data["apps"])
    with tabs[3]:
        sections.hosting(instance, data["events"], data["operations"],
                         hosted=bool(workspace and workspace.hosted))
    if workspace is not None:
        with tabs[4]:
            sections.actions(ctx, principal, workspace.id, hosted=workspace.hosted)
        with tabs[5]:
            sections.portal_history(ctx, workspace.id)


@st.cache_data(ttl=300, show_spinner=False)
def runbook_titles() -> dict[str, str]:
    library = load_library()
    return {rb.id: rb.title for rb in library.runbooks.values()}


st.title("Workspaces")
selected = st.query_params.get("workspace")
if selected:
    workspace_page(selected)
else:
    search_box()
