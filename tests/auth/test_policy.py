"""The policy: roles × actions, parameter rules, screens and approvals, including every denial."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal.identity import ROLES, Principal, principal_from_claims, role_rank
from portal.policy import (
    ACTION_RULES,
    Decision,
    decide_action,
    may_approve,
    may_offer,
    may_view_screen,
    needs_approval,
    offers,
)
from portal.screens import SCREENS
from portal.settings import Settings
from portal_dev.idp import signed_in_user

T0 = datetime(2026, 3, 1, tzinfo=UTC)
SUB_FOR_ROLE = {"viewer": "lead", "support": "support", "oncall": "oncall", "admin": "admin"}

# The issue's table: the least role for each action, and which need an admin's approval.
EXPECTED_LEAST_ROLE = {
    "push.send_test": "support",
    "push.resend": "support",
    "push.purge_invalid_tokens": "oncall",
    "workspace.revoke_access_tokens": "support",
    "workspace.force_license_sync": "support",
    "marketplace.resync_subscriptions": "support",
    "workspace.rotate_client_secret": "oncall",
    "workspace.suspend": "oncall",
    "workspace.unsuspend": "oncall",
    "hosting.restart": "oncall",
    "hosting.set_maintenance": "oncall",
    "hosting.upgrade": "oncall",
}
TWO_PERSON = {"workspace.rotate_client_secret", "workspace.suspend", "workspace.unsuspend"}
ONE_DELIVERY = {"delivery_id": "d-123"}


def person(sub: str) -> Principal:
    return principal_from_claims(signed_in_user(sub), Settings())


def as_role(role: str) -> Principal:
    return person(SUB_FOR_ROLE[role])


def window(hours: float, workspace: str = "ws-1") -> dict[str, object]:
    return {"workspace_id": workspace, "since": T0.isoformat(), "until": (T0 + timedelta(hours=hours)).isoformat()}


def valid_params(action: str) -> dict[str, object]:
    return dict(ONE_DELIVERY) if action == "push.resend" else {}


def test_the_rule_table_is_the_issues_table() -> None:
    assert {name: rule.min_role for name, rule in ACTION_RULES.items()} == EXPECTED_LEAST_ROLE
    assert {name for name, rule in ACTION_RULES.items() if rule.two_person} == TWO_PERSON


@pytest.mark.parametrize("action", sorted(EXPECTED_LEAST_ROLE))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_runs_exactly_the_actions_at_or_below_it(role: str, action: str) -> None:
    decision = decide_action(as_role(role), action, target="ws-1", params=valid_params(action))
    expected = role_rank(role) >= role_rank(EXPECTED_LEAST_ROLE[action])
    assert decision.allowed is expected, decision.reason
    if not expected:
        assert f"needs the {EXPECTED_LEAST_ROLE[action]} role" in decision.reason
        assert role in decision.reason


@pytest.mark.parametrize("action", sorted(EXPECTED_LEAST_ROLE))
@pytest.mark.parametrize("sub", ["outsider", None])
def test_no_role_or_no_person_runs_nothing(sub: str | None, action: str) -> None:
    decision = decide_action(person(sub) if sub else None, action, target="ws-1", params=valid_params(action))
    assert not decision.allowed
    assert decision.reason in {"not signed in", "your groups grant no portal role; ask for one of the portal groups"}


@pytest.mark.parametrize("role", ROLES)
def test_unknown_actions_are_denied_for_everyone(role: str) -> None:
    decision = decide_action(as_role(role), "workspace.delete_everything", target="ws-1")
    assert decision == Decision(False, "unknown action 'workspace.delete_everything'")
    assert not decision


@pytest.mark.parametrize("action", sorted(TWO_PERSON))
def test_two_person_actions_are_allowed_to_request_and_say_an_admin_must_approve(action: str) -> None:
    decision = decide_action(as_role("oncall"), action, target="ws-1")
    assert decision.allowed
    assert "admin other than you must approve" in decision.reason
    assert needs_approval(action)


def test_single_person_actions_need_no_approval() -> None:
    assert not needs_approval("push.send_test")
    assert not needs_approval("no.such.action")


# push.resend: (role, params, target, allowed, words the reason must contain)
RESEND_CASES = [
    ("support", ONE_DELIVERY, None, True, "may run"),
    ("support", window(1), None, True, "may run"),
    ("support", window(24), None, True, "may run"),
    ("support", window(24.5), None, False, "at most 24 h"),
    ("support", window(24 * 7), None, False, "on-call may resend up to 7 days"),
    ("oncall", window(25), None, True, "may run"),
    ("oncall", window(24 * 7), None, True, "may run"),
    ("oncall", window(24 * 7 + 1), None, False, "at most 7 days"),
    ("admin", window(24 * 8), None, False, "at most 7 days"),
    ("support", {"since": T0.isoformat(), "until": (T0 + timedelta(hours=1)).isoformat()}, "ws-9", True, "may run"),
    ("support", {}, None, False, "fleet-wide resends are not allowed"),
    ("oncall", {}, None, False, "fleet-wide resends are not allowed"),
    ("admin", {"since": T0.isoformat(), "until": T0.isoformat()}, None, False, "fleet-wide"),
    ("support", window(1, workspace="*"), None, False, "exactly one workspace"),
    ("support", window(1, workspace="ws-1,ws-2"), None, False, "exactly one workspace"),
    ("oncall", {**window(1), "workspace_id": ["ws-1", "ws-2"]}, None, False, "exactly one workspace"),
    ("support", {"delivery_id": ["d-1", "d-2"]}, None, False, "exactly one delivery"),
    ("support", {"workspace_id": "ws-1"}, None, False, "needs since and until"),
    ("support", {**window(1), "since": "yesterday"}, None, False, "ISO 8601"),
    ("support", {**window(1), "until": T0.isoformat()}, None, False, "until must be after since"),
    ("viewer", ONE_DELIVERY, None, False, "needs the support role"),
]


@pytest.mark.parametrize(("role", "params", "target", "allowed", "words"), RESEND_CASES)
def test_push_resend_parameter_rules(role: str, params: dict, target: str | None, allowed: bool, words: str) -> None:
    decision = decide_action(as_role(role), "push.resend", target=target, params=params)
    assert decision.allowed is allowed, decision.reason
    assert words in decision.reason


def test_push_resend_accepts_datetimes_and_naive_times_as_utc() -> None:
    params = {"workspace_id": "ws-1", "since": T0.replace(tzinfo=None), "until": T0 + timedelta(hours=2)}
    assert decide_action(as_role("support"), "push.resend", params=params).allowed


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("screen", SCREENS, ids=lambda screen: screen.id)
def test_screens_follow_their_least_role(role: str, screen) -> None:
    decision = may_view_screen(as_role(role), screen.id)
    least = "admin" if screen.id == "settings" else screen.min_role
    assert decision.allowed is (role_rank(role) >= role_rank(least)), decision.reason


@pytest.mark.parametrize(
    ("role", "allowed"), [("viewer", False), ("support", False), ("oncall", False), ("admin", True)]
)
def test_only_admins_see_settings(role: str, allowed: bool) -> None:
    decision = may_view_screen(as_role(role), "settings")
    assert decision.allowed is allowed
    if not allowed:
        assert "needs the admin role" in decision.reason


def test_every_role_sees_the_fleet_overview_and_no_one_sees_an_unknown_screen() -> None:
    assert all(may_view_screen(as_role(role), "fleet").allowed for role in ROLES)
    assert may_view_screen(as_role("admin"), "secret-admin-console") == Decision(
        False, "unknown screen 'secret-admin-console'")
    assert not may_view_screen(person("outsider"), "fleet").allowed
    assert not may_view_screen(None, "fleet").allowed


@pytest.mark.parametrize(
    ("approver", "requested_by", "allowed", "words"),
    [("admin", "oncall", True, "may approve"),
     ("admin", "admin", False, "cannot approve your own request"),
     ("oncall", "support", False, "needs the admin role"),
     ("support", "oncall", False, "needs the admin role"),
     ("viewer", "oncall", False, "needs the admin role"),
     ("outsider", "oncall", False, "no portal role")],
)
def test_approvals_are_for_admins_and_never_for_your_own_request(
    approver: str, requested_by: str, allowed: bool, words: str
) -> None:
    principal = person("outsider") if approver == "outsider" else as_role(approver)
    decision = may_approve(principal, requested_by=requested_by)
    assert decision.allowed is allowed
    assert words in decision.reason


def test_no_one_signed_in_approves_nothing() -> None:
    assert may_approve(None, requested_by="oncall") == Decision(False, "not signed in")


@pytest.mark.parametrize("action", sorted(EXPECTED_LEAST_ROLE))
@pytest.mark.parametrize("role", ROLES)
def test_an_action_is_offered_exactly_to_the_roles_that_may_run_it(role: str, action: str) -> None:
    offer = may_offer(as_role(role), action)
    assert offer.allowed is (role_rank(role) >= role_rank(EXPECTED_LEAST_ROLE[action]))
    assert offer.needs_role == (None if offer.allowed else EXPECTED_LEAST_ROLE[action])


def test_offers_keep_the_order_asked_and_name_the_missing_role() -> None:
    found = offers(as_role("support"), ["hosting.restart", "push.send_test", "no.such.action"])
    assert list(found) == ["hosting.restart", "push.send_test", "no.such.action"]
    refusal = "hosting.restart needs the oncall role or higher; you are support"
    assert found["hosting.restart"] == Decision(False, refusal, "oncall")
    assert found["push.send_test"].allowed
    assert not found["no.such.action"].allowed and found["no.such.action"].needs_role is None
    assert not may_offer(None, "push.send_test").allowed
    assert may_offer(person("outsider"), "push.send_test").needs_role == "support"


def test_a_screen_refusal_names_the_role_it_needs() -> None:
    assert may_view_screen(as_role("oncall"), "approvals").needs_role == "admin"
    assert may_view_screen(as_role("support"), "actions").needs_role is None
