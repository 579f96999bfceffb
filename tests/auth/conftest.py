"""AppTest fixtures for the sign-in gate: the entrypoint with an [auth] section, clean caches."""

from __future__ import annotations

import pytest
from auth_apptest import ENTRYPOINT, TEST_AUTH, steady_state_navigation
from streamlit.testing.v1 import AppTest


@pytest.fixture(autouse=True)
def _fresh_streamlit_state(clean_streamlit: None) -> None:
    """Each test starts with empty Streamlit caches and settings read anew from the environment."""


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The entrypoint under AppTest with an [auth] section; services point at a closed port."""
    steady_state_navigation(monkeypatch)
    for service in ("fleet", "push", "stats", "marketplace", "hosting"):
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", f"http://127.0.0.1:9/{service}")
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.secrets["auth"] = dict(TEST_AUTH)
    return at
