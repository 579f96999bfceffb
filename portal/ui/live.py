"""Render live data honestly: where it came from, as of when, and a banner when a service failed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from portal.livedata import Live, LiveCache, Request


@st.cache_resource(show_spinner=False)
def live_cache() -> LiveCache:
    """One cache per portal process, shared by every session (the data is not per-user)."""
    return LiveCache(ttl_seconds=60.0)


def fetch_all(requests: Sequence[Request], *, refresh_key: str) -> list[Live[Any]]:
    """Fetch a page's data concurrently, in the order asked; a refresh button forgets these answers."""
    cache = live_cache()
    if st.button("Refresh", key=refresh_key, icon=":material/refresh:", help="Ask the services again now"):
        cache.invalidate([r.key for r in requests])
    found = cache.fetch_many(list(requests))
    return [found[request.key] for request in requests]


def freshness(live: Live[Any]) -> None:
    """One caption under a widget: source and time, or a banner when the data is stale or missing."""
    if live.not_found:
        return  # the caller says what "not found" means for its widget
    if live.error and live.value is None:
        st.warning(f"**{live.source} unavailable.** {live.error}", icon=":material/cloud_off:")
        return
    when = live.fetched_at.strftime("%Y-%m-%d %H:%M:%S UTC") if live.fetched_at else "unknown time"
    if live.stale:
        st.warning(
            f"**{live.source} unavailable**, showing the last good data from {when}. {live.error}",
            icon=":material/history:",
        )
    else:
        st.caption(f"Source: {live.source} · as of {when}")
