"""Fixtures for the sandbox's own tests.

Read-only checks use the session `sandbox` (tests/conftest.py). Tests that change state (rotate
secrets, suspend, send pushes, start operations) use `own_sandbox`, a small private one, so other
suites sharing the session sandbox never see their effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.sandbox.sandbox_api import Api


@pytest.fixture(scope="session")
def api(sandbox) -> Api:
    """Helper for the shared session sandbox (read-only use, plus faults with `clean_faults`)."""
    return Api(sandbox.base_url, sandbox.admin_token)


@pytest.fixture(scope="session")
def own_sandbox() -> Iterator[Any]:
    """A private 500-workspace sandbox for tests that change state."""
    from portal_dev.sandbox.server import start_in_thread

    running = start_in_thread(workspaces=500, seed=12, port=0)  # seed 12 has every instance status
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def own(own_sandbox) -> Api:
    """Helper for the private sandbox."""
    return Api(own_sandbox.base_url, own_sandbox.admin_token)
