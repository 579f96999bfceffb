"""Entrypoint: production checks, the sign-in gate, session age, then the role-filtered navigation.

Every run calls `st.navigation` with the pages this person may open; every other screen's address
is a hidden page that signs them in (signed out) or says which role it needs (signed in), so a
link never ends in "Page not found" and a screen left out never runs. Each page runs inside the
page budget (`portal.ui.live.begin_page` / `end_page`: one banner per degraded service).
"""

import logging
from pathlib import Path

import streamlit as st

from portal import policy
from portal.app_context import app_context
from portal.identity import Principal, principal_from_claims, session_expired
from portal.policy import may_view_screen
from portal.screens import SCREENS
from portal.settings import Settings, get_settings
from portal.startup import UnsafeProductionSettings, check_production
from portal.ui.entry import refusal_pages, sign_in_pages
from portal.ui.gate import auth_section
from portal.ui.header import render_header
from portal.ui.live import begin_page, end_page
from portal.ui.requests import approval_notices

ROOT = Path(__file__).resolve().parent
LAST_SECTION = "Admin"
log = logging.getLogger("portal.auth")

# A local icon: a `:material/...:` page icon makes every browser fetch it from Google's font servers,
# which the Content-Security-Policy (portal/web.py) rightly blocks.
st.set_page_config(page_title="Cloud Ops Portal", page_icon=str(Path(__file__).parent / "portal" / "data" / "icon.png"),
                   layout="wide")


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
    """The pages `principal` may open, by section, in screen order (Admin last); the screens they may
    not open are there too, hidden, saying which role each needs."""
    sections: dict[str, list[st.Page]] = {}
    refused = []
    for screen in SCREENS:
        if not may_view_screen(principal, screen.id).allowed:
            refused.append(screen)
            continue
        if not (ROOT / screen.path).is_file():
            log.warning("screen %r skipped: %s does not exist", screen.id, screen.path)
            continue
        sections.setdefault(screen.section, []).append(
            st.Page(screen.path, title=screen.title, icon=screen.icon, url_path=screen.id))
    if LAST_SECTION in sections:
        sections[LAST_SECTION] = sections.pop(LAST_SECTION)
    if sections and refused:
        sections[next(iter(sections))] += refusal_pages(principal, refused)
    return sections


def main() -> None:
    settings = load_settings()
    if settings is None:
        return
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        signed_out()
        return
    try:
        principal = principal_from_claims(claims, settings)
    except ValueError as exc:  # PORTAL_GROUP_ROLES is malformed
        refuse(str(exc))
        return
    if session_expired(principal, settings):
        log_once("portal.logged_expired", "session expired for sub=%s (signed in at %s, max %g h)",
                 principal.sub, principal.issued_at, settings.session_max_age_hours, level=logging.INFO)
        signed_out()
        return
    pages = navigation(principal) if principal.role else {}
    if not pages:
        render_header(principal)
        log_once("portal.logged_refusal", "access refused: sub=%s email=%s groups=%s map to no portal role",
                 principal.sub, principal.email, list(principal.groups))
        no_access = [st.Page("pages/no_access.py", title="No access", icon=":material/block:", url_path="no-access")]
        no_access += [st.Page("pages/no_access.py", title=screen.title, url_path=screen.id, visibility="hidden")
                      for screen in SCREENS]
        st.navigation(no_access, position="hidden").run()
        return
    page = st.navigation(pages, position="hidden")
    sidebar_navigation(pages)
    render_header(principal)
    begin_page()
    try:
        page.run()
    finally:
        end_page()
    requester_notices(principal)
    if not st.query_params:
        st.query_params.clear()  # a screen's default view: the address says so too


def requester_notices(principal: Principal) -> None:
    """Someone who may ask for two-person actions hears, on any screen, when a request is decided."""
    if not any(policy.needs_approval(action) and policy.may_offer(principal, action).allowed
               for action in policy.ACTION_RULES):
        return
    executor = app_context().executor
    if executor is not None:
        approval_notices(executor, principal)


def sidebar_navigation(pages: dict[str, list[st.Page]]) -> None:
    """The screens by section, as links that open each screen's default view, even the one already
    open (Streamlit's own menu would keep the current screen's query: its workspace, its filters)."""
    with st.sidebar, st.container(key="portal-nav"):
        for section, entries in pages.items():
            visible = [entry for entry in entries if entry.visibility != "hidden"]
            if not visible:
                continue
            st.caption(section)
            for entry in visible:
                st.page_link(entry, label=entry.title, icon=entry.icon)


def signed_out() -> None:
    """The sign-in screen, at whatever screen address the person came to (the address is kept)."""
    st.navigation(sign_in_pages(), position="hidden").run()


main()
