"""Render live data honestly, and never let one service hold the page.

- `begin_page()` (the entrypoint, before each page) starts the page's budget and reserves the
  place at the top where `end_page()` writes one banner per service that is down or slow.
- `fetch_all()` waits for a page's data at most until the budget is spent; what has not answered
  is `pending`, and a small fragment watches for it and reruns the page once it lands.
- `freshness()` under a widget: its source and time, or one short line saying the data is late,
  stale or missing (the banner at the top says why, in plain words, with the detail behind a toggle).

Everything a service sends is shown as text (`portal.ui.text.md`), never interpreted as markdown.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

import streamlit as st

from portal.livedata import Live, LiveCache, Problem, Request
from portal.settings import get_settings
from portal.ui.text import md

_PAGE = "portal.page"
WATCH_EVERY = 0.5  # seconds between checks for late answers


@st.cache_resource(show_spinner=False)
def live_cache() -> LiveCache:
    """One cache per portal process, shared by every session (the data is not per-user)."""
    return LiveCache(ttl_seconds=10.0)


@dataclass
class _PageState:
    """What one run of a page knows about its services."""

    started: float
    budget: float
    banner: Any = None  # the place at the top of the page for the banners
    troubles: dict[str, list[Live[Any]]] = field(default_factory=dict)  # service -> its degraded answers
    pending: set[Hashable] = field(default_factory=set)
    ended: bool = False
    refreshing: bool = False  # Refresh was clicked in this run: every fetch of the page asks again


def begin_page() -> None:
    """Start this run's budget and reserve the banner place (call before the page's content)."""
    st.session_state[_PAGE] = _PageState(time.monotonic(), get_settings().page_budget, st.container())


def _page() -> _PageState:
    state = st.session_state.get(_PAGE)
    if not isinstance(state, _PageState):  # a page run on its own (tests, the old multipage mode)
        state = _PageState(time.monotonic(), get_settings().page_budget)
        st.session_state[_PAGE] = state
    return state


def remaining_budget() -> float:
    """Seconds left of this run's budget (never below a sliver, so a fast answer is still taken)."""
    state = _page()
    return max(0.05, state.budget - (time.monotonic() - state.started))


def fetch_all(requests: Sequence[Request], *, refresh_key: str | None) -> list[Live[Any]]:
    """Fetch a page's data concurrently, in the order asked, waiting at most the page's remaining budget;
    a Refresh button (one per page: pass `refresh_key=None` for a page's later fetches) forgets the
    page's answers and asks again."""
    cache = live_cache()
    state = _page()
    if refresh_key is not None and st.button("Refresh", key=refresh_key, icon=":material/refresh:",
                                             help="Ask the services again now"):
        state.refreshing = True
    if state.refreshing:
        cache.invalidate([r.key for r in requests])
    found = cache.fetch_many(list(requests), wait=remaining_budget())
    answers = [found[request.key] for request in requests]
    late = {request.key for request, live in zip(requests, answers, strict=True) if live.pending}
    if late:
        _page().pending |= late
        _watch(late)
    return answers


def _watch(keys: set[Hashable]) -> None:
    """A fragment that reruns the page as soon as these late answers have landed."""
    @st.fragment(run_every=WATCH_EVERY)
    def watch_late_answers() -> None:
        if live_cache().settled(keys):
            st.rerun()

    watch_late_answers()


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "unknown time"


def freshness(live: Live[Any]) -> None:
    """One line under a widget: source and time, or that its data is late, stale or missing."""
    if live.not_found:
        return  # the caller says what "not found" means for its widget
    if not live.unavailable:
        st.caption(f"Source: {live.source} · as of {when(live.fetched_at)}")
        return
    _page().troubles.setdefault(live.service, []).append(live)
    if live.pending and live.value is None:
        st.caption(f":material/hourglass_top: Waiting for {live.source}… (fills in when it answers)")
    elif live.pending:
        st.caption(f":material/hourglass_top: Waiting for {live.source}; showing its answer from "
                   f"{when(live.fetched_at)}")
    elif live.value is not None:
        st.caption(f":material/history: {live.source} unavailable: showing its last good answer, "
                   f"from {when(live.fetched_at)}")
    else:
        st.caption(f":material/cloud_off: {live.source} unavailable: nothing to show (see above)")


def unavailable(*answers: Live[Any]) -> list[str]:
    """The services among these answers that did not give their current answer (for "cannot tell")."""
    seen: list[str] = []
    for live in answers:
        if live.unavailable and live.source not in seen:
            seen.append(live.source)
    return seen


def end_page() -> None:
    """One banner per service that was down or slow on this page, at the top, in plain words (once)."""
    state = _page()
    if not state.troubles or state.banner is None or state.ended:
        return
    state.ended = True
    with state.banner:
        for answers in state.troubles.values():
            _banner(answers)


def stop_page() -> NoReturn:
    """End the page here (`st.stop`), banners included: what is written after st.stop is dropped."""
    end_page()
    st.stop()


def _banner(answers: list[Live[Any]]) -> None:
    source = answers[0].source
    problems = [live.problem for live in answers if live.problem is not None]
    stale = [live.fetched_at for live in answers if live.value is not None and live.fetched_at is not None]
    if problems:
        first: Problem = problems[0]
        headline = f"**{source} {md(first.summary)}.**"
        icon = ":material/cloud_off:"
    else:
        headline = f"**{source} is slow**: no answer within {_page().budget:g} s; its widgets fill in when it does."
        icon = ":material/hourglass_top:"
    then = f" Its widgets show what it said last, as of {when(min(stale))}." if stale else ""
    if problems and not stale:
        then = " Its widgets are empty until it answers; the rest of the page is not affected."
    with st.container():
        st.warning(headline + then, icon=icon)
        if problems:
            with st.expander(f"Details ({source})"):
                st.code("\n".join(sorted({str(problem) for problem in problems})), language=None)
