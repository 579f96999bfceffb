"""Principal from ID token claims, roles from groups, and the session's maximum age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal.identity import (
    ROLES,
    Principal,
    parse_group_roles,
    principal_from_claims,
    role_rank,
    session_expired,
)
from portal.settings import Settings
from portal_dev.idp import DEV_USERS, signed_in_user

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def settings(**overrides: object) -> Settings:
    return Settings(**overrides)


def test_roles_are_ordered_viewer_to_admin() -> None:
    assert ROLES == ("viewer", "support", "oncall", "admin")
    assert [role_rank(role) for role in ROLES] == [0, 1, 2, 3]
    assert role_rank(None) == -1
    assert role_rank("root") == -1


def test_default_group_map_is_the_four_company_groups() -> None:
    assert parse_group_roles(Settings().group_roles) == {
        "cloud-leads": "viewer", "cloud-support": "support", "cloud-oncall": "oncall", "cloud-admins": "admin",
    }


def test_group_names_may_contain_colons_and_spaces_are_trimmed() -> None:
    assert parse_group_roles(" okta:cloud:ops : oncall , /keycloak/admins:admin,") == {
        "okta:cloud:ops": "oncall", "/keycloak/admins": "admin",
    }


@pytest.mark.parametrize("spec", ["cloud-leads", "cloud-leads:superuser", ":admin"])
def test_malformed_group_map_is_refused_naming_the_entry(spec: str) -> None:
    with pytest.raises(ValueError, match="PORTAL_GROUP_ROLES"):
        parse_group_roles(spec)


@pytest.mark.parametrize(
    ("sub", "role"),
    [("lead", "viewer"), ("support", "support"), ("oncall", "oncall"), ("admin", "admin"), ("outsider", None)],
)
def test_development_users_get_their_role(sub: str, role: str | None) -> None:
    principal = principal_from_claims(signed_in_user(sub), settings())
    assert principal.sub == sub
    assert principal.email == f"{sub}@example.com"
    assert principal.role == role
    assert principal.roles == ((role,) if role else ())


def test_development_users_match_the_issue_table() -> None:
    assert [(user.sub, user.email, user.groups) for user in DEV_USERS] == [
        ("lead", "lead@example.com", ("cloud-leads",)),
        ("support", "support@example.com", ("cloud-support",)),
        ("oncall", "oncall@example.com", ("cloud-oncall",)),
        ("admin", "admin@example.com", ("cloud-admins",)),
        ("admin2", "admin2@example.com", ("cloud-admins",)),  # so a two-person request can be approved
        ("outsider", "outsider@example.com", ()),
    ]


def test_several_groups_give_several_roles_and_the_highest_counts() -> None:
    claims = {"sub": "x", "groups": ["cloud-admins", "cloud-leads", "unrelated"]}
    principal = principal_from_claims(claims, settings())
    assert principal.roles == ("viewer", "admin")
    assert principal.role == "admin"
    assert principal.groups == ("cloud-admins", "cloud-leads", "unrelated")


def test_a_single_group_string_is_accepted() -> None:
    assert principal_from_claims({"sub": "x", "groups": "cloud-oncall"}, settings()).role == "oncall"


def test_missing_groups_claim_means_no_role() -> None:
    assert principal_from_claims({"sub": "x", "email": "x@example.com"}, settings()).role is None


def test_custom_group_map_replaces_the_default() -> None:
    custom = settings(group_roles="sre:oncall")
    assert principal_from_claims({"sub": "x", "groups": ["sre"]}, custom).role == "oncall"
    assert principal_from_claims({"sub": "x", "groups": ["cloud-admins"]}, custom).role is None


@pytest.mark.parametrize(
    ("role", "min_role", "expected"),
    [("viewer", "viewer", True), ("viewer", "support", False), ("oncall", "support", True),
     ("oncall", "admin", False), ("admin", "oncall", True), (None, "viewer", False)],
)
def test_has_role_follows_the_order(role: str | None, min_role: str, expected: bool) -> None:
    principal = Principal("x", "x@example.com", "X", (), (role,) if role else (), NOW)
    assert principal.has_role(min_role) is expected


def test_has_role_refuses_an_unknown_role_name() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        Principal("x", "", "", (), ("admin",), NOW).has_role("superuser")


def test_auth_time_is_preferred_over_iat() -> None:
    claims = {"auth_time": int((NOW - timedelta(hours=13)).timestamp()), "iat": int(NOW.timestamp())}
    assert session_expired(claims, settings(), now=NOW)
    assert principal_from_claims(claims, settings()).issued_at == NOW - timedelta(hours=13)


@pytest.mark.parametrize(("age_hours", "expired"), [(0, False), (11.9, False), (12, False), (12.01, True), (200, True)])
def test_default_maximum_age_is_twelve_hours_from_iat(age_hours: float, expired: bool) -> None:
    claims = {"iat": (NOW - timedelta(hours=age_hours)).timestamp()}
    assert session_expired(claims, settings(), now=NOW) is expired


def test_maximum_age_is_configurable_and_works_on_a_principal() -> None:
    principal = principal_from_claims(signed_in_user("support", signed_in_at=NOW - timedelta(hours=2)), settings())
    assert not session_expired(principal, settings(), now=NOW)
    assert session_expired(principal, settings(session_max_age_hours=1), now=NOW)
    assert session_expired(principal, SimpleNamespace(session_max_age_hours=1.5, group_roles=""), now=NOW)


@pytest.mark.parametrize("claims", [{}, {"iat": "not a time"}, {"auth_time": None}])
def test_a_sign_in_of_unknown_age_counts_as_expired(claims: dict) -> None:
    assert session_expired(claims, settings(), now=NOW)
