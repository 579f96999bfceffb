"""The screens a person reaches by URL: sign-in wherever they were going, and a refusal that names
the role a screen needs. The entrypoint builds its navigation from these.

Every screen's address is always part of the navigation, so a link never ends in Streamlit's
"Page not found" and the address (with its query) stays in the browser: signed out, the screen
shows the sign-in (and after signing in the person lands back on it, see `portal.web`); signed in
without the role, it says which role the screen needs. Neither records anything.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from portal.identity import Principal
from portal.policy import may_view_screen
from portal.screens import SCREENS, Screen
from portal.settings import get_settings
from portal.ui.text import md


def render_sign_in(wanted: Screen | None = None) -> None:
    """The sign-in screen (also where an expired session is sent back to)."""
    st.title("Cloud Ops Portal")
    st.caption("Rocket.Chat cloud services: fleet, push, statistics, marketplace and hosting.")
    if st.user.get("is_logged_in"):
        # The entrypoint sends a signed-in person here only when their sign-in is too old.
        hours = get_settings().session_max_age_hours
        st.warning(f"Your session has expired: sign-ins last at most {hours:g} h. Sign in again to continue.",
                   icon=":material/timer_off:")
    try:
        configured = bool(st.secrets.get("auth"))
    except FileNotFoundError:
        configured = False
    if not configured:
        st.error("Sign-in is not configured: there is no [auth] section in .streamlit/secrets.toml. "
                 "`make run` writes one for the local identity provider; the README explains how to connect "
                 "a real one.")
        st.stop()
    if wanted is not None:
        st.info(f"Sign in to open **{md(wanted.title)}**: you come back here, with this link's details, "
                "once you have signed in.", icon=":material/link:")
    else:
        st.write("Sign in with your company account to continue.")
    if st.button("Sign in", type="primary", icon=":material/login:"):
        st.login()


def render_refusal(principal: Principal, screen: Screen) -> None:
    """A signed-in person followed a link to a screen their role does not open."""
    decision = may_view_screen(principal, screen.id)
    st.title(f"No access to {screen.title}")
    needs = decision.needs_role or screen.min_role
    st.error(f"The {md(screen.title)} screen needs the **{needs}** role or higher; you are "
             f"{principal.role or 'without a portal role'}. Nothing was opened or recorded.", icon=":material/lock:")
    st.caption("Roles follow group membership at the identity provider: ask for the group that grants it, "
               "then sign out and in again.")


def sign_in_pages() -> list[st.Page]:
    """Signed out (or expired): the sign-in screen, at its own address and at every screen's."""
    pages = [st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:", url_path="sign-in", default=True)]
    pages += [st.Page(_signing_in_to(screen), title=screen.title, url_path=screen.id, visibility="hidden")
              for screen in SCREENS]
    return pages


def refusal_pages(principal: Principal, screens: list[Screen]) -> list[st.Page]:
    """Hidden pages at the addresses of the screens this person may not open."""
    return [st.Page(_refusing(principal, screen), title=screen.title, url_path=screen.id, visibility="hidden")
            for screen in screens]


def _signing_in_to(screen: Screen) -> Callable[[], None]:
    def page() -> None:
        render_sign_in(screen)

    page.__name__ = f"sign_in_for_{screen.id}"
    return page


def _refusing(principal: Principal, screen: Screen) -> Callable[[], None]:
    def page() -> None:
        render_refusal(principal, screen)

    page.__name__ = f"refuse_{screen.id}"
    return page
