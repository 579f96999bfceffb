"""Run the portal under Streamlit's AppTest as a signed-in person, against whatever PORTAL_* points at."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from portal.sandbox.idp import signed_in_user
from portal.screens import screen_by_id
from portal.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "streamlit_app.py")
# Only AppTest reads this: nothing is ever fetched from these addresses.
TEST_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret-0123456789-abcdefghij",
    "client_id": "cloud-ops-portal-test",
    "client_secret": "apptest-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def reset_streamlit() -> None:
    """Empty Streamlit's caches (the live-data cache lives in cache_resource) and re-read settings."""
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


def steady_state_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a live server does once a session has called st.navigation (see tests/auth/conftest.py)."""
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def start_as(sub: str, *, query: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    """Sign in as `sub` and run the entrypoint once (its start page), with URL query parameters."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=timeout)
    at.secrets["auth"] = dict(TEST_AUTH)
    at.user = signed_in_user(sub)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def open_screen(sub: str, screen_id: str, *, query: dict[str, str] | None = None, timeout: float = 60) -> AppTest:
    """Sign in as `sub`, open one screen through the entrypoint (with URL query parameters), run it."""
    at = start_as(sub, query=query, timeout=timeout)
    at.switch_page(screen_by_id(screen_id).path)
    return at.run()


def texts(at: AppTest) -> str:
    """Everything a run rendered as text, for "does the screen say X" checks."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success")
    parts = [element.value for kind in kinds for element in getattr(at, kind)]
    parts += [f"{metric.label}: {metric.value}" for metric in at.metric]
    parts += [button.label for button in at.button]
    return "\n".join(str(part) for part in parts)
