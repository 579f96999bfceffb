"""AppTest helpers for the Runbooks screen: the entrypoint signed in as a dev user, clean caches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from portal.sandbox.idp import signed_in_user
from portal.settings import SERVICES, get_settings

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "streamlit_app.py")
# Only AppTest reads this: nobody signs in through it.
TEST_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret-runbooks-0123456789",
    "client_id": "cloud-ops-portal-test",
    "client_secret": "apptest-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


@pytest.fixture()
def fresh_streamlit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Empty Streamlit caches, settings read anew, and a database of the test's own."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    get_settings.cache_clear()


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every service on a closed port: views degrade, nothing can be changed."""
    for service in SERVICES:
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", f"http://127.0.0.1:9/{service}")


def open_runbooks(sub: str, **query: str) -> AppTest:
    """The Runbooks screen as `sub` (a dev user: lead = viewer, support, oncall, admin), with a query."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.secrets["auth"] = dict(TEST_AUTH)
    at.user = signed_in_user(sub)
    at.run()
    at.switch_page("pages/runbooks.py")
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()
