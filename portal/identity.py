"""Who is signed in: a `Principal` built from the ID token's claims, roles from groups, session age.

Streamlit's `st.user` holds the validated ID token claims (`sub`, `email`, `name`, `iat`,
`auth_time`, and custom claims such as `groups`). Nothing here imports Streamlit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

ROLES: tuple[str, ...] = ("viewer", "support", "oncall", "admin")

# The claim that carries group names; the identity provider must put it in the ID token.
GROUPS_CLAIM = "groups"


class IdentitySettings(Protocol):
    """The two settings identity needs (satisfied by `portal.settings.Settings`)."""

    group_roles: str
    session_max_age_hours: float


def role_rank(role: str | None) -> int:
    """Position of a role in `ROLES` (viewer = 0), or -1 for None or an unknown role."""
    return ROLES.index(role) if role in ROLES else -1


@dataclass(frozen=True)
class Principal:
    """A signed-in person: identity claims plus the portal roles their groups grant."""

    sub: str
    email: str
    name: str
    groups: tuple[str, ...]
    roles: tuple[str, ...]
    issued_at: datetime | None

    @property
    def role(self) -> str | None:
        """The highest role held, or None for someone with no portal role."""
        return max(self.roles, key=role_rank) if self.roles else None

    def has_role(self, min_role: str) -> bool:
        """True when the highest role held is at least `min_role` (roles are ordered)."""
        if min_role not in ROLES:
            raise ValueError(f"unknown role {min_role!r}; roles are {', '.join(ROLES)}")
        return role_rank(self.role) >= role_rank(min_role)

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.sub


def parse_group_roles(spec: str) -> dict[str, str]:
    """Parse "group:role,group:role" into {group: role}; a group may itself contain colons."""
    mapping: dict[str, str] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        group, sep, role = item.rpartition(":")
        group, role = group.strip(), role.strip()
        if not sep or not group:
            raise ValueError(f"PORTAL_GROUP_ROLES entry {item!r} is not of the form group:role")
        if role not in ROLES:
            raise ValueError(
                f"PORTAL_GROUP_ROLES entry {item!r} names unknown role {role!r}; roles are {', '.join(ROLES)}"
            )
        mapping[group] = role
    return mapping


def _claim_groups(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The groups claim as a tuple of strings; IdPs send a list, some a single string."""
    raw = claims.get(GROUPS_CLAIM)
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    return tuple(str(group) for group in raw)


def _timestamp(value: Any) -> datetime | None:
    """A JWT NumericDate (seconds since the epoch) as an aware datetime, or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def authenticated_at(claims: Mapping[str, Any]) -> datetime | None:
    """When the person authenticated: `auth_time` if the IdP sent it, else the token's `iat`."""
    return _timestamp(claims.get("auth_time")) or _timestamp(claims.get("iat"))


def principal_from_claims(claims: Mapping[str, Any], settings: IdentitySettings) -> Principal:
    """Build the Principal for ID token claims; roles come from the configured group → role map."""
    group_roles = parse_group_roles(settings.group_roles)
    groups = _claim_groups(claims)
    granted = {group_roles[group] for group in groups if group in group_roles}
    return Principal(
        sub=str(claims.get("sub") or ""),
        email=str(claims.get("email") or ""),
        name=str(claims.get("name") or ""),
        groups=groups,
        roles=tuple(sorted(granted, key=role_rank)),
        issued_at=authenticated_at(claims),
    )


def session_expired(
    principal_or_claims: Principal | Mapping[str, Any],
    settings: IdentitySettings,
    now: datetime | None = None,
) -> bool:
    """True when the sign-in is older than `session_max_age_hours` or its age is unknown.

    Streamlit keeps its identity cookie for 30 days and never checks the token's `exp`, so this
    is what ends a session. A token without `auth_time` and `iat` counts as expired.
    """
    if isinstance(principal_or_claims, Principal):
        signed_in = principal_or_claims.issued_at
    else:
        signed_in = authenticated_at(principal_or_claims)
    if signed_in is None:
        return True
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - signed_in > timedelta(hours=settings.session_max_age_hours)
