"""Fixtures for the executor: a migrated database per test, principals per role, a recording
stand-in for the services (fast, for the executor's rules) and the real sandbox (for the handlers)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.actions.executor import Executor
from portal.actions.registry import Registry
from portal.actions.spec import (
    ActionParams,
    ActionResult,
    ActionSpec,
    Danger,
    NoParams,
    Preview,
    SecretField,
    TargetKind,
)
from portal.identity import Principal
from portal.store.db import Database


def make_principal(sub: str, role: str | None) -> Principal:
    """Someone signed in just now with one role (or none)."""
    return Principal(sub=sub, email=f"{sub}@example.com", name=sub.title(), groups=(),
                     roles=(role,) if role else (), issued_at=datetime.now(UTC))


@pytest.fixture()
def people() -> dict[str, Principal]:
    return {
        "viewer": make_principal("vera", "viewer"),
        "support": make_principal("sam", "support"),
        "oncall": make_principal("olga", "oncall"),
        "admin": make_principal("ada", "admin"),
        "admin2": make_principal("bob", "admin"),
    }


@dataclass
class FakeService:
    """Counts calls per action and target; a test can make the next calls block, fail or time out."""

    calls: list[tuple[str, str, dict[str, Any], str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    behaviour: Callable[[str], None] | None = None
    delay: float = 0.0

    def call(self, action: str, target: str, params: dict[str, Any], key: str) -> None:
        with self.lock:
            self.calls.append((action, target, params, key))
        if self.delay:
            import time

            time.sleep(self.delay)
        if self.behaviour is not None:
            self.behaviour(action)


class SecretParams(ActionParams):
    """A test-only parameter model with a secret."""

    title: str | None = None
    api_key: str = SecretField(description="a credential", min_length=4)


def _spec(name: str, danger: Danger, service: FakeService, params_model: type[ActionParams] = NoParams) -> ActionSpec:
    def preview(ctx: Any, target: str, params: Any) -> Preview:
        return Preview(f"{name} on {target} (3 things)", f"Name of {target}", {"things": 3})

    def handler(ctx: Any, target: str, params: Any) -> ActionResult:
        ctx.progress(50, "half way")
        service.call(name, target, params.model_dump(mode="json"), ctx.idempotency_key)
        return ActionResult(f"{name} done", {"ok": True})

    return ActionSpec(name=name, title=name, description=name, service=name.split(".")[0], params_model=params_model,
                      target_kind=TargetKind.WORKSPACE, danger=danger, repeat_harmless=False,
                      preview=preview, handler=handler)


@pytest.fixture()
def make_spec() -> Callable[..., ActionSpec]:
    """Build a stand-in spec: `make_spec(name, danger, service, params_model)` (roles are the policy's)."""
    return _spec


@pytest.fixture()
def fake_service() -> FakeService:
    return FakeService()


@pytest.fixture()
def fake_registry(fake_service: FakeService) -> Registry:
    """Real action names (the policy knows them) with stand-in previews and handlers."""
    return Registry([
        _spec("push.send_test", Danger.SAFE, fake_service, SecretParams),
        _spec("workspace.revoke_access_tokens", Danger.SAFE, fake_service),
        _spec("hosting.restart", Danger.CONFIRM, fake_service),
        _spec("workspace.rotate_client_secret", Danger.SAFE, fake_service),  # two-person by the policy
    ])


@pytest.fixture()
def executor(database: Database, fake_registry: Registry) -> Executor:
    return Executor(database, clients=None, registry=fake_registry, dedupe_window=timedelta(seconds=30),
                    approval_ttl=timedelta(minutes=30))
