"""Entrypoint: production checks, the sign-in gate, session age, then the role-filtered navigation.

Every run calls `st.navigation` with exactly the pages this person may open, so a page left out
is neither listed nor reachable by URL (and Streamlit never falls back to listing `pages/`).
"""

import logging
from pathlib import Path

import streamlit as st

from portal.identity import Principal, principal_from_claims, session_expired
from portal.policy import may_view_screen
from portal.screens import SCREENS
from portal.settings import Settings, get_settings
from portal.startup import UnsafeProductionSettings, check_production
from portal.ui.gate import auth_section
from portal.ui.header import render_header

ROOT = Path(__file__).resolve().parent
LAST_SECTION = "Admin"
log = logging.getLogger("portal.auth")

st.set_page_config(page_title="Cloud Ops Portal", page_icon=":material/rocket_launch:", layout="wide")


def only(page: st.Page) -> None:
    """Run a single page as the whole navigation: nothing else is listed or reachable."""
    st.navigation([page], position="hidden").run()


def refuse(problem: str) -> None:
    """Show why the portal will not run, and nothing else."""
    def refused() -> None:
        st.title("Cloud Ops Portal cannot start")
        st.error(problem, icon=":material/gpp_bad:")
    only(st.Page(refused, title="Cannot start", url_path="refused"))


def load_settings() -> Settings | None:
    """Settings checked for production safety; on any problem, show it, log it and return None."""
    try:
        settings = get_settings()
        check_production(settings, auth_section())
    except ValueError as exc:  # SettingsError, pydantic's ValidationError and bad group maps alike
        log.error("refusing to start: %s", exc)
        refuse(str(exc))
        return None
    except UnsafeProductionSettings as exc:
        log.error("%s", exc)
        refuse(str(exc))
        return None
    return settings


def log_once(key: str, message: str, *args: object, level: int = logging.WARNING) -> None:
    """Log an access decision once per browser session, not on every rerun."""
    if not st.session_state.get(key):
        st.session_state[key] = True
        log.log(level, message, *args)


def navigation(principal: Principal) -> dict[str, list[st.Page]]:
    """The pages `principal` may open, by section, in screen order (Admin last)."""
    sections: dict[str, list[st.Page]] = {}
    for screen in SCREENS:
        if not may_view_screen(principal, screen.id).allowed:
            continue
        if not (ROOT / screen.path).is_file():
            log.warning("screen %r skipped: %s does not exist", screen.id, screen.path)
            continue
        sections.setdefault(screen.section, []).append(
            st.Page(screen.path, title=screen.title, icon=screen.icon, url_path=screen.id))
    if LAST_SECTION in sections:
        sections[LAST_SECTION] = sections.pop(LAST_SECTION)
    return sections


def main() -> None:
    settings = load_settings()
    if settings is None:
        return
    sign_in = st.Page("pages/sign_in.py", title="Sign in", icon=":material/login:", url_path="sign-in")
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        only(sign_in)
        return
    try:
        principal = principal_from_claims(claims, settings)
    except ValueError as exc:  # PORTAL_GROUP_ROLES is malformed
        refuse(str(exc))
        return
    if session_expired(principal, settings):
        log_once("portal.logged_expired", "session expired for sub=%s (signed in at %s, max %g h)",
                 principal.sub, principal.issued_at, settings.session_max_age_hours, level=logging.INFO)
        only(sign_in)
        return
    pages = navigation(principal) if principal.role else {}
    render_header(principal)
    if not pages:
        log_once("portal.logged_refusal", "access refused: sub=%s email=%s groups=%s map to no portal role",
                 principal.sub, principal.email, list(principal.groups))
        only(st.Page("pages/no_access.py", title="No access", icon=":material/block:", url_path="no-access"))
        return
    st.navigation(pages).run()


main()
