"""The registry and the policy know the same actions; two-person is the policy's alone."""

from __future__ import annotations

import pytest

from portal import policy
from portal.actions.registry import Registry, UnknownAction, default_registry
from portal.actions.spec import Danger, secret_fields

REQUIRED = {
    "push.send_test", "push.resend", "push.purge_invalid_tokens", "workspace.revoke_access_tokens",
    "workspace.rotate_client_secret", "workspace.force_license_sync", "workspace.suspend", "workspace.unsuspend",
    "marketplace.resync_subscriptions", "hosting.restart", "hosting.set_maintenance", "hosting.upgrade",
}


def test_every_required_action_is_registered() -> None:
    assert set(default_registry().names()) >= REQUIRED


def test_registry_and_policy_know_the_same_actions() -> None:
    assert set(default_registry().names()) == set(policy.ACTION_RULES)


@pytest.mark.parametrize("spec", list(default_registry()), ids=lambda s: s.name)
def test_the_safeguard_is_two_person_exactly_when_the_policy_says_so(spec) -> None:
    assert spec.danger in (Danger.SAFE, Danger.CONFIRM)  # two-person is declared in the policy only
    assert (spec.safeguard == Danger.TWO_PERSON) == policy.needs_approval(spec.name)


def test_a_spec_cannot_declare_two_person_itself() -> None:
    from dataclasses import replace

    spec = replace(default_registry().get("workspace.suspend"), danger=Danger.TWO_PERSON)
    with pytest.raises(ValueError, match="policy"):
        Registry([spec])


@pytest.mark.parametrize("spec", list(default_registry()), ids=lambda s: s.name)
def test_each_spec_is_complete(spec) -> None:
    assert spec.title and spec.description and callable(spec.preview) and callable(spec.handler)
    schema = spec.json_schema()
    assert schema["type"] == "object"
    assert schema.get("additionalProperties") is False  # unknown parameters are refused, not dropped


def test_dangers_the_issue_names() -> None:
    registry = default_registry()
    assert registry.get("hosting.restart").danger == Danger.CONFIRM
    assert registry.get("hosting.upgrade").danger == Danger.CONFIRM
    for name in ("workspace.rotate_client_secret", "workspace.suspend", "workspace.unsuspend"):
        assert registry.get(name).safeguard == Danger.TWO_PERSON


def test_unknown_action_and_duplicate_names() -> None:
    registry = Registry(list(default_registry())[:1])
    with pytest.raises(UnknownAction):
        registry.get("push.nuke")
    with pytest.raises(ValueError, match="twice"):
        registry.register(next(iter(default_registry())))


def test_secret_marking_is_visible_in_the_schema() -> None:
    from portal.actions.spec import ActionParams, SecretField

    class Credentials(ActionParams):
        user: str
        password: str = SecretField(description="never stored")

    assert secret_fields(Credentials) == {"password"}
    assert Credentials.model_json_schema()["properties"]["password"]["secret"] is True
