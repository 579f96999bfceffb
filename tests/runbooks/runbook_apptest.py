"""AppTest helper for the Runbooks screen: the entrypoint signed in as a dev user, on the Runbooks page.

A module of its own (not conftest.py): `from conftest import ...` would clash with other folders' conftests.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support.apptest import start_as


def open_runbooks(sub: str, **query: str) -> AppTest:
    """The Runbooks screen as `sub` (a dev user: lead = viewer, support, oncall, admin), with a query."""
    at = start_as(sub)
    at.switch_page("pages/runbooks.py")
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()
