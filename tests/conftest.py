"""Shared fixtures: a real sandbox on loopback, settings pointing at it, clean Streamlit caches."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

from portal.settings import SERVICES, Settings

# Tests never read the developer's own environment.
for _name in list(os.environ):
    if _name.startswith("PORTAL_") and not _name.startswith("PORTAL_TEST_"):
        del os.environ[_name]

# Nothing a test opens may write the developer's var/portal.db: one throwaway database per run.
_RUN_DIR = tempfile.mkdtemp(prefix="portal-tests-")
os.environ["PORTAL_DATABASE_URL"] = f"sqlite:///{_RUN_DIR}/portal.db"

SANDBOX_WORKSPACES = 2000
SANDBOX_SEED = 7


@pytest.fixture(scope="session")
def sandbox() -> Iterator[object]:
    """One sandbox (2,000 workspaces, seed 7) for the whole run, on a free loopback port."""
    from portal_dev.sandbox.server import start_in_thread

    running = start_in_thread(workspaces=SANDBOX_WORKSPACES, seed=SANDBOX_SEED, port=0)
    try:
        yield running
    finally:
        running.stop()


def settings_for(sandbox, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose service URLs point at `sandbox`, also exported as PORTAL_* vars (for AppTest)."""
    from portal.settings import get_settings

    values: dict[str, str] = {}
    for service in SERVICES:
        values[f"{service}_url"] = sandbox.urls[service]
        values[f"{service}_token"] = sandbox.admin_token
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", sandbox.urls[service])
        monkeypatch.setenv(f"PORTAL_{service.upper()}_TOKEN", sandbox.admin_token)
    get_settings.cache_clear()
    return Settings(**values)


@pytest.fixture()
def sandbox_settings(sandbox, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings whose service URLs point at the session sandbox, also exported as PORTAL_* vars."""
    from portal.settings import get_settings

    yield settings_for(sandbox, monkeypatch)
    get_settings.cache_clear()


@pytest.fixture()
def clean_faults(sandbox) -> Iterator[None]:
    """Clear every injected fault before and after a test."""
    import requests

    requests.delete(f"{sandbox.base_url}/_sandbox/faults", timeout=5)
    yield
    requests.delete(f"{sandbox.base_url}/_sandbox/faults", timeout=5)


@pytest.fixture()
def clean_streamlit() -> Iterator[None]:
    """Empty Streamlit caches (the live-data cache and app context live there) and settings read anew."""
    from tests.support.apptest import reset_streamlit

    reset_streamlit()
    yield
    reset_streamlit()


@pytest.fixture()
def database_url(tmp_path) -> Iterator[str]:
    """An empty database of the test's own: a PostgreSQL schema when PORTAL_TEST_DATABASE_URL is set, else SQLite."""
    from portal_dev.testdb import temporary_database_url

    with temporary_database_url(tmp_path) as url:
        yield url


@pytest.fixture()
def database(database_url: str) -> Iterator[object]:
    """That database, migrated to head (portal.store.Database)."""
    from portal.store.db import open_database

    db = open_database(database_url)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture(autouse=True)
def _navigation_as_served(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AppTest runs its pages through the entrypoint, as `app.py` serves them
    (`portal.web.prepare_process`); tests/auth/test_direct_page_runs.py runs page files on their own."""
    from tests.support.apptest import steady_state_navigation

    steady_state_navigation(monkeypatch)
