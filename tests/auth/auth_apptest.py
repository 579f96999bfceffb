"""Shared by the AppTests of the sign-in gate: the entrypoint, a test [auth] section, steady navigation."""

from __future__ import annotations

from pathlib import Path

import pytest

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
