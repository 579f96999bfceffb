"""Who is signed in, their roles, and a sign-out button: in the sidebar of every screen."""

from __future__ import annotations

import streamlit as st

from portal.identity import Principal
from portal.ui.text import code, md

ROLE_LABELS = {"viewer": "Viewer", "support": "Support", "oncall": "On-call", "admin": "Admin"}


def roles_text(principal: Principal) -> str:
    """The roles as people read them, e.g. "On-call"; "no portal role" when there is none."""
    return ", ".join(ROLE_LABELS.get(role, role) for role in principal.roles) or "no portal role"


def render_header(principal: Principal) -> None:
    """Who is signed in, their roles and "Sign out" (which ends the session at the IdP too), at the foot
    of the sidebar: the screens keep their full height for the work."""
    with st.sidebar:
        st.divider()
        st.markdown(f"**{md(principal.display_name)}**", help=f"Signed in as {principal.sub}")
        st.caption(code(principal.email))
        st.caption(f"Roles: {roles_text(principal)}")
        if st.button("Sign out", key="portal-sign-out", icon=":material/logout:"):
            st.logout()
