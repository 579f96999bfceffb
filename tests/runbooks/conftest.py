"""Fixtures for the Runbooks screen's AppTests: clean Streamlit caches, a database per test, services offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.settings import SERVICES


@pytest.fixture()
def fresh_streamlit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_streamlit: None) -> None:
    """Empty Streamlit caches, settings read anew, and a database of the test's own."""
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path / 'portal.db'}")


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every service on a closed port: views degrade, nothing can be changed."""
    for service in SERVICES:
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", f"http://127.0.0.1:9/{service}")
