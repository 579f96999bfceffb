"""Every screen checks the policy itself: run directly (as Streamlit's old multipage mode does for
the first sessions after a server start while a pages/ folder exists), it shows nothing forbidden.
"""

from __future__ import annotations

import pytest
from auth_apptest import ROOT, TEST_AUTH
from streamlit.testing.v1 import AppTest

from portal.screens import SCREENS
from portal_dev.idp import signed_in_user

GUARD = "You may not open this screen"
FIX = ("runs without checking the policy when opened directly; put "
       "`from portal.ui.gate import require_screen` and `require_screen({id!r})` at the top of {path}")


def run_page(path: str, user: dict) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.secrets["auth"] = dict(TEST_AUTH)
    at.user = user
    return at.run()


def existing(screens: tuple = SCREENS) -> list:
    return [screen for screen in screens if (ROOT / screen.path).is_file()]


@pytest.mark.parametrize("screen", existing(), ids=lambda screen: screen.id)
@pytest.mark.parametrize("who", ["signed-out", "outsider"])
def test_a_screen_run_directly_refuses_people_without_access(screen, who: str) -> None:
    user = {"is_logged_in": False} if who == "signed-out" else signed_in_user("outsider")
    at = run_page(screen.path, user)
    errors = [element.value for element in at.error]
    assert any(GUARD in error for error in errors), screen.path + " " + FIX.format(id=screen.id, path=screen.path)
    assert not at.title and not at.dataframe and not at.metric, f"{screen.path} rendered content before its check"


@pytest.mark.parametrize("sub", ["lead", "support", "oncall"])
def test_settings_run_directly_refuses_non_admins(sub: str) -> None:
    at = run_page("pages/settings.py", signed_in_user(sub))
    assert any("needs the admin role" in error.value for error in at.error)
    assert not at.dataframe


def test_settings_run_directly_opens_for_an_admin() -> None:
    at = run_page("pages/settings.py", signed_in_user("admin"))
    assert [title.value for title in at.title] == ["Settings"]
