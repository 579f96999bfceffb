"""AppTest helper for the Runbooks screen: the entrypoint signed in as a dev user, on the Runbooks page.

A module of its own (not conftest.py): `from conftest import ...` would clash with other folders' conftests.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from portal.sandbox.idp import signed_in_user

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = str(ROOT / "streamlit_app.py")
# Only AppTest reads this: nobody signs in through it.
TEST_AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "apptest-cookie-secret-runbooks-0123456789",
    "client_id": "cloud-ops-portal-test",
    "client_secret": "apptest-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}


def open_runbooks(sub: str, **query: str) -> AppTest:
    """The Runbooks screen as `sub` (a dev user: lead = viewer, support, oncall, admin), with a query."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.secrets["auth"] = dict(TEST_AUTH)
    at.user = signed_in_user(sub)
    at.run()
    at.switch_page("pages/runbooks.py")
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()
