"""Screens under AppTest against the session sandbox, with clean caches and no injected faults."""

from __future__ import annotations

import pytest

from tests.support.apptest import steady_state_navigation


@pytest.fixture(autouse=True)
def _screens_against_sandbox(sandbox_settings, clean_faults, clean_streamlit, monkeypatch, tmp_path) -> None:
    steady_state_navigation(monkeypatch)
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")
