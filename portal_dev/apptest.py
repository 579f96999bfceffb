"""Run portal screens under Streamlit's AppTest as a development user (tests and benchmarks only).

`tests/support/apptest.py` and `benchmarks/apptest.py` both drive the portal this way; this module
is the one copy of how.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

from portal.screens import screen_by_id
from portal_dev.idp import signed_in_user

ROOT = Path(__file__).resolve().parents[1]
ENTRYPOINT = str(ROOT / "streamlit_app.py")
# Only AppTest reads this: st.login is never called through it, nothing is fetched from these addresses.
APPTEST_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret-0123456789-abcdefghij",
    "client_id": "cloud-ops-portal-test",
    "client_secret": "apptest-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def reset_streamlit() -> None:
    """Empty Streamlit's caches (the live-data cache and the app context live there) and re-read settings."""
    import streamlit as st

    from portal.settings import get_settings

    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def steady_navigation_init(original_init: Callable[..., None]) -> Callable[..., None]:
    """A `PagesManager.__init__` that runs as a live server does once a session called st.navigation.

    AppTest resets Streamlit's "is this an old-style pages/ folder app" flag before every run, so
    with a pages/ folder each run starts in the old multipage mode, and `switch_page` then runs a
    page file directly instead of through the entrypoint. (That mode is real for the first sessions
    after a server start: tests/auth/test_direct_page_runs.py covers it.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    def init(self: PagesManager, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    return init


def start_as(sub: str, *, query: Mapping[str, str] | None = None, timeout: float = 60) -> AppTest:
    """Sign in as `sub` and run the entrypoint once (its start page), with URL query parameters."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=timeout)
    at.secrets["auth"] = dict(APPTEST_AUTH)
    at.user = signed_in_user(sub)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def open_screen(sub: str, screen_id: str, *, query: Mapping[str, str] | None = None, timeout: float = 60) -> AppTest:
    """Sign in as `sub`, open one screen through the entrypoint (with URL query parameters), run it."""
    at = start_as(sub, query=query, timeout=timeout)
    at.switch_page(screen_by_id(screen_id).path)
    return at.run()
