"""AppTest helpers for the sign-in gate: the entrypoint, an [auth] section, clean caches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from portal.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "streamlit_app.py")
# Only AppTest reads this: st.login is patched, so nothing is ever fetched from these addresses.
TEST_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret-0123456789-abcdefghij",
    "client_id": "cloud-ops-portal-test",
    "client_secret": "apptest-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture(autouse=True)
def _fresh_streamlit_state() -> Iterator[None]:
    """Each test starts with empty Streamlit caches and settings read anew from the environment."""
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def steady_state_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a live server does once any session has called st.navigation.

    AppTest resets Streamlit's "is this an old-style pages/ folder app" flag before every run, so
    with a pages/ folder each run starts in the old multipage mode, and `switch_page` then runs a
    page file directly instead of through the entrypoint. (That mode is real for the first
    sessions after a server start: `test_direct_page_runs.py` covers it.)
    """
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The entrypoint under AppTest with an [auth] section; services point at a closed port."""
    steady_state_navigation(monkeypatch)
    for service in ("fleet", "push", "stats", "marketplace", "hosting"):
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", f"http://127.0.0.1:9/{service}")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.secrets["auth"] = dict(TEST_AUTH)
    return at
