"""Shared by the AppTests of the sign-in gate (the helpers themselves live in tests/support/apptest.py)."""

from __future__ import annotations

from tests.support.apptest import ENTRYPOINT, ROOT, TEST_AUTH, steady_state_navigation

__all__ = ["ENTRYPOINT", "ROOT", "TEST_AUTH", "steady_state_navigation"]
