"""The header above every screen: who is signed in, their roles, and a sign-out button."""

from __future__ import annotations

import streamlit as st

from portal.identity import Principal

ROLE_LABELS = {"viewer": "Viewer", "support": "Support", "oncall": "On-call", "admin": "Admin"}


def roles_text(principal: Principal) -> str:
    """The roles as people read them, e.g. "On-call"; "no portal role" when there is none."""
    return ", ".join(ROLE_LABELS.get(role, role) for role in principal.roles) or "no portal role"


def render_header(principal: Principal) -> None:
    """One row: name and email, roles, and "Sign out" (which ends the session at the IdP too)."""
    who, roles, action = st.columns([5, 3, 2], vertical_alignment="center")
    who.markdown(f"**{principal.display_name}** · {principal.email}", help=f"Signed in as {principal.sub}")
    roles.markdown(f"Roles: {roles_text(principal)}")
    if action.button("Sign out", key="portal-sign-out", icon=":material/logout:"):
        st.logout()
    st.divider()
