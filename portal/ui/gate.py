"""Each screen checks the policy itself, so no screen relies on the navigation to hide it.

Why pages must do this, not only `streamlit_app.py`: while a folder named `pages/` sits next to
the entrypoint, Streamlit 1.67 serves the first sessions after a server start in its old
multipage mode until some run calls `st.navigation`. In that mode a URL such as `/settings` runs
`pages/settings.py` directly, without the entrypoint's sign-in gate. Put

    principal = require_screen("<screen id>")

at the top of every page listed in `portal.screens.SCREENS`.
"""

from __future__ import annotations

import logging

import streamlit as st

from portal.identity import Principal, principal_from_claims, session_expired
from portal.policy import may_view_screen
from portal.settings import get_settings
from portal.startup import production_problems

log = logging.getLogger("portal.auth")


def auth_section() -> dict | None:
    """The [auth] table of secrets.toml, or None."""
    try:
        section = st.secrets.get("auth")
    except FileNotFoundError:
        return None
    return dict(section) if section else None


def signed_in_principal() -> Principal | None:
    """The Principal of this session when signed in, recently enough, on safe settings; else None."""
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        return None
    try:
        settings = get_settings()
        if production_problems(settings, auth_section()):
            return None
        principal = principal_from_claims(claims, settings)
    except ValueError:  # unsafe or malformed settings: the entrypoint shows why
        return None
    return None if session_expired(principal, settings) else principal


def require_screen(screen_id: str) -> Principal:
    """The signed-in Principal when the policy lets them open `screen_id`; otherwise stop the page."""
    principal = signed_in_principal()
    decision = may_view_screen(principal, screen_id)
    if not decision.allowed:
        log.warning("screen %r refused to sub=%s: %s", screen_id, principal.sub if principal else None,
                    decision.reason)
        st.error(f"You may not open this screen: {decision.reason}. Go to the start page to sign in.",
                 icon=":material/lock:")
        st.stop()
    assert principal is not None
    return principal
