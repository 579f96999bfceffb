"""Run portal screens under Streamlit's AppTest, signed in, against a given sandbox and database.

Like tests/support/apptest.py, without pytest: environment and the PagesManager patch are applied
by a context manager and undone afterwards, so the smoke test leaves the test session untouched.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from streamlit import logger as streamlit_logger
from streamlit.testing.v1 import AppTest

from portal.screens import screen_by_id
from portal_dev import apptest as shared
from portal_dev.apptest import reset_streamlit

__all__ = ["check", "open_screen", "portal_environment", "reset_streamlit"]


@contextmanager
def portal_environment(env: Mapping[str, str]) -> Iterator[None]:
    """PORTAL_* variables set, caches empty and navigation as a live server has it; all undone after."""
    from streamlit.runtime.pages_manager import PagesManager

    saved = {name: os.environ.get(name) for name in env}
    original_init = PagesManager.__init__
    original_flag = PagesManager.uses_pages_directory

    os.environ.update(env)
    PagesManager.__init__ = shared.steady_navigation_init(original_init)  # type: ignore[method-assign]
    level = streamlit_logger._global_log_level
    streamlit_logger.set_log_level(logging.ERROR)  # AppTest's "no runtime" notices, on every run
    reset_streamlit()
    try:
        yield
    finally:
        reset_streamlit()
        streamlit_logger.set_log_level(level)
        PagesManager.__init__ = original_init  # type: ignore[method-assign]
        PagesManager.uses_pages_directory = original_flag
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def open_screen(sub: str, screen_id: str, *, query: Mapping[str, str] | None = None,
                timeout: float = 120) -> AppTest:
    """Sign in as `sub`, open one screen through the entrypoint, run it once (untimed warm-up)."""
    at = shared.open_screen(sub, screen_id, query=query, timeout=timeout)
    check(at, screen_id)
    return at


def check(at: AppTest, screen_id: str) -> None:
    """Fail loudly when a run raised or did not render the screen: a fast error page is no figure."""
    if at.exception:
        raise RuntimeError(f"{screen_id}: the page raised: {at.exception[0].value}")
    titles = [t.value for t in at.title]
    expected = screen_by_id(screen_id).title
    if not any(expected.split()[0] in str(t) for t in titles):
        raise RuntimeError(f"{screen_id}: expected the {expected!r} screen, got titles {titles}")
