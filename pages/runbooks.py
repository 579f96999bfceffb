"""Runbooks: find the one for the alert, open it with the incident's context, fix the problem from inside it.

`?runbook=<id>&workspace=<id>` (optionally `&since=...&until=...&delivery=...`) opens a runbook with
its context filled in; without `runbook` the page lists them, with search and filters.
"""

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any

import streamlit as st

from portal.app_context import app_context
from portal.runbooks import CONTEXT_VARIABLES, SERVICES, clean_context, load_library
from portal.runbooks.context import moment as parse_moment
from portal.ui.gate import require_screen
from portal.ui.runbook_view import (
    LINK_CONTEXT,
    load_usage,
    render_runbook,
    runbook_query,
    safe_markdown,
    show_markdown,
    usage_summary,
)

principal = require_screen("runbooks")
ctx = app_context()
library = load_library()
query = st.query_params


def open_runbook(runbook_id: str | None) -> None:
    """Switch the page to one runbook (or back to the list), keeping the context in the URL."""
    if runbook_id:
        query["runbook"] = runbook_id
    else:
        query.pop("runbook", None)


def moment(column: Any, label: str, given: str, *, key: str, help: str) -> str:
    """A date and a time (UTC) from the link's ISO value; the chosen moment as ISO, or "" when none."""
    parsed = parse_moment(given) if given else None
    if given and parsed is None:
        st.warning(f"Ignoring the {label.lower()} in the link: it is not a real time like 2026-05-01T08:00:00Z "
                   "(between 2000 and 2100).", icon=":material/error:")
    picked_day = column.date_input(label, value=parsed.date() if parsed else None, key=f"{key}-day", help=help)
    picked_time = column.time_input(f"{label}, time (UTC)", value=parsed.time() if parsed else None,
                                    key=f"{key}-time", step=timedelta(minutes=5), label_visibility="collapsed")
    if not isinstance(picked_day, date):
        return ""
    chosen = datetime.combine(picked_day, picked_time or dtime.min, tzinfo=UTC)
    return chosen.strftime("%Y-%m-%dT%H:%M:%SZ")


def context_form() -> tuple[dict[str, str], dict[str, str]]:
    """The context inputs, prefilled from the link: (full context, the part given explicitly)."""
    given = {name: query.get(name, "") for name in LINK_CONTEXT}
    cols = st.columns([3, 2, 2, 2])
    typed = {
        "workspace": cols[0].text_input("Workspace", value=given["workspace"], placeholder="ws_000042",
                                        help="Workspace id or uniqueId: fills {{ workspace }} in the runbook"),
        "since": moment(cols[1], "Window start", given["since"], key="context-since",
                        help="UTC; empty: 24 h before the end"),
        "until": moment(cols[2], "Window end", given["until"], key="context-until", help="UTC; empty: now"),
        "delivery": cols[3].text_input("Delivery", value=given["delivery"], placeholder="d_…"),
    }
    context = clean_context(typed)
    explicit = {name: value.strip() for name, value in typed.items() if value.strip() and context.get(name)}
    for name, value in typed.items():  # never echo the value: it comes from a link anyone can craft
        if value.strip() and context.get(name) != value.strip():
            st.warning(f"Ignoring the {name} given: it does not look like one ({CONTEXT_VARIABLES[name].description}).",
                       icon=":material/error:")
    for name in LINK_CONTEXT:  # keep the URL equal to what is on screen, so it can be copied
        if explicit.get(name):
            query[name] = explicit[name]
        else:
            query.pop(name, None)
    return context, explicit


def show_runbook(runbook_id: str) -> None:
    runbook = library.runbooks.get(runbook_id)
    if st.button("All runbooks", icon=":material/arrow_back:", key="runbook-back"):
        open_runbook(None)
        st.rerun()
    if runbook is None:
        st.error(f"No runbook {runbook_id!r}.", icon=":material/search_off:")
        return
    st.title(runbook.title)
    show_markdown(runbook.summary)
    st.caption(f"{runbook.severity} · services: {', '.join(runbook.services)} · tags: {', '.join(runbook.tags)} · "
               f"owners: {', '.join(runbook.owners)} · last reviewed {runbook.last_reviewed.isoformat()}")
    context, explicit = context_form()
    link = (st.context.url or "/runbooks") + runbook_query(runbook.id, explicit)
    st.caption("Link to this runbook with this context (paste it into an alert definition):")
    st.code(link, language=None)
    usage = load_usage(ctx, [runbook.id])
    st.caption(usage_summary(usage.get(runbook.id)))
    st.divider()
    render_runbook(ctx, principal, runbook, context, explicit)


def show_list() -> None:
    st.title("Runbooks")
    cols = st.columns([3, 1, 1])
    text = cols[0].text_input("Search", placeholder="title, tag or anything in the text, e.g. 406")
    service = cols[1].selectbox("Service", ["all", *SERVICES])
    tag = cols[2].selectbox("Tag", ["all", *library.tags])
    found = library.search(text, service=None if service == "all" else service, tag=None if tag == "all" else tag)
    usage = load_usage(ctx, [runbook.id for runbook in found])
    st.caption(f"{len(found)} of {len(library.runbooks)} runbooks")
    for runbook in found:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(safe_markdown(f"**{runbook.title}** · `{runbook.severity}` · {', '.join(runbook.services)}"))
            left.caption(safe_markdown(runbook.summary))
            left.caption(f"tags: {', '.join(runbook.tags)} · {usage_summary(usage.get(runbook.id))}")
            if right.button("Open", key=f"open-{runbook.id}", icon=":material/menu_book:"):
                open_runbook(runbook.id)
                st.rerun()
    if library.problems:
        with st.expander(f"{len(library.problems)} problem(s) in the runbooks folder"):
            st.code("\n".join(str(p) for p in library.problems), language=None)


if query.get("runbook"):
    show_runbook(query["runbook"])
else:
    show_list()
