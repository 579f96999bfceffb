"""AppTest per role: the sign-in gate, navigation by policy, no-access, expiry, production refusal."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import streamlit
from auth_apptest import ROOT, TEST_AUTH
from streamlit.testing.v1 import AppTest

from portal.identity import principal_from_claims
from portal.policy import may_view_screen
from portal.screens import SCREENS
from portal.settings import SERVICES, Settings
from portal_dev.idp import signed_in_user
from tests.support.apptest import shown


def texts(at: AppTest) -> str:
    """Everything the run rendered as text, for "does the screen say X" checks."""
    parts = [element.value for kind in ("title", "markdown", "caption", "error", "warning", "info")
             for element in getattr(at, kind)]
    parts += [button.label for button in at.button]
    return "\n".join(shown(part) for part in parts)


def run_as(at: AppTest, sub: str, **kwargs: object) -> AppTest:
    at.user = signed_in_user(sub, **kwargs)
    return at.run()


def existing_screens() -> list:
    return [screen for screen in SCREENS if (ROOT / screen.path).is_file()]


def test_signed_out_sees_only_sign_in_and_the_button_calls_st_login(app: AppTest, monkeypatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(streamlit, "login", lambda provider=None: calls.append(provider))
    app.user = {"is_logged_in": False}
    app.run()
    assert not app.exception
    assert [button.label for button in app.button] == ["Sign in"]
    assert "Sign out" not in texts(app)
    app.button[0].click().run()
    assert calls == [None]


@pytest.mark.parametrize("screen", SCREENS, ids=lambda screen: screen.id)
def test_signed_out_cannot_switch_to_any_screen(app: AppTest, screen) -> None:
    app.user = {"is_logged_in": False}
    app.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(screen.path)


def test_sign_in_without_an_auth_section_explains_how_to_configure_it(monkeypatch, tmp_path: Path) -> None:
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.secrets["unrelated"] = "x"  # replaces st.secrets: no [auth] even if the developer has a secrets.toml
    at.user = {"is_logged_in": False}
    at.run()
    assert "Sign-in is not configured" in texts(at)
    assert not at.button


@pytest.mark.parametrize("sub", ["lead", "support", "oncall", "admin"])
def test_each_role_gets_header_and_exactly_the_screens_policy_allows(app: AppTest, sub: str) -> None:
    run_as(app, sub)
    principal = principal_from_claims(signed_in_user(sub), Settings())
    shown = texts(app)
    assert f"{sub}@example.com" in shown and "Sign out" in shown
    assert "Roles: " + {"lead": "Viewer", "support": "Support", "oncall": "On-call", "admin": "Admin"}[sub] in shown
    allowed = [screen for screen in existing_screens() if may_view_screen(principal, screen.id).allowed]
    assert allowed, "every role sees at least the fleet overview"
    for screen in existing_screens():
        if screen in allowed:
            app.switch_page(screen.path).run()
            assert f"{sub}@example.com" in texts(app), f"{screen.id} ran without the entrypoint's header"
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app.switch_page(screen.path)


@pytest.mark.parametrize("sub", ["lead", "support", "oncall"])
def test_settings_is_forbidden_below_admin(app: AppTest, sub: str) -> None:
    run_as(app, sub)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/settings.py")


def test_admin_sees_settings_with_secrets_masked(app: AppTest, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_PUSH_TOKEN", "push-token-must-not-show")
    monkeypatch.setenv("PORTAL_DATABASE_URL", "postgresql+psycopg://portal:db-password-must-not-show@db:5432/portal")
    run_as(app, "admin")
    app.switch_page("pages/settings.py").run()
    assert not app.exception
    assert [title.value for title in app.title] == ["Settings"]
    frames = "\n".join(frame.value.to_csv() for frame in app.dataframe)
    assert "PORTAL_PUSH_TOKEN" in frames and "PORTAL_DATABASE_URL" in frames and "server_metadata_url" in frames
    for secret in ("push-token-must-not-show", "db-password-must-not-show",
                   TEST_AUTH["cookie_secret"], TEST_AUTH["client_secret"]):
        assert secret not in frames


def test_outsider_sees_only_no_access_and_the_refusal_is_logged(app: AppTest, caplog) -> None:
    caplog.set_level(logging.INFO, logger="portal.auth")
    run_as(app, "outsider")
    shown = texts(app)
    assert "No access" in shown and "outsider@example.com" in shown and "Sign out" in shown
    assert "cloud-support" in shown  # says which groups would grant access
    assert "Groups in your sign-in: none" in shown
    assert "Fleet overview" not in shown
    for screen in SCREENS:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(screen.path)
    refusals = [record for record in caplog.records if "access refused" in record.getMessage()]
    assert len(refusals) == 1 and "sub=outsider" in refusals[0].getMessage()
    assert TEST_AUTH["cookie_secret"] not in caplog.text and TEST_AUTH["client_secret"] not in caplog.text


def test_sign_out_calls_st_logout(app: AppTest, monkeypatch) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(streamlit, "logout", lambda: calls.append(True))
    run_as(app, "support")
    app.button(key="portal-sign-out").click().run()
    assert calls == [True]


def test_an_expired_session_is_sent_back_to_sign_in(app: AppTest, monkeypatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(streamlit, "login", lambda provider=None: calls.append(provider))
    run_as(app, "admin", signed_in_at=datetime.now(UTC) - timedelta(hours=12, minutes=5))
    shown = texts(app)
    assert "Your session has expired" in shown and "12 h" in shown
    assert "Sign out" not in shown and "admin@example.com" not in shown
    for screen in SCREENS:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(screen.path)
    app.button[0].click().run()
    assert calls == [None]


def test_the_maximum_age_is_configurable(app: AppTest, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_SESSION_MAX_AGE_HOURS", "1")
    run_as(app, "support", signed_in_at=datetime.now(UTC) - timedelta(minutes=90))
    assert "Your session has expired" in texts(app)


def test_a_fresh_session_is_not_expired(app: AppTest) -> None:
    run_as(app, "support", signed_in_at=datetime.now(UTC) - timedelta(hours=11))
    assert "Your session has expired" not in texts(app) and "support@example.com" in texts(app)


def test_production_with_unsafe_settings_shows_only_the_refusal(app: AppTest, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    for service in SERVICES:
        monkeypatch.setenv(f"PORTAL_{service.upper()}_TOKEN", "real-looking-token")
    run_as(app, "admin")
    shown = texts(app)
    assert "cannot start" in shown
    assert "development identity provider" in shown  # TEST_AUTH points at 127.0.0.1
    assert "PORTAL_FLEET_URL" in shown and "sandbox address" in shown
    assert "admin@example.com" not in shown
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(SCREENS[0].path)


def test_production_without_service_urls_names_the_missing_variable(app: AppTest, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("PORTAL_FLEET_URL")
    run_as(app, "admin")
    assert "PORTAL_FLEET_URL is required" in texts(app)


def test_a_malformed_group_map_is_shown_not_crashed(app: AppTest, monkeypatch) -> None:
    monkeypatch.setenv("PORTAL_GROUP_ROLES", "cloud-admins:root")
    run_as(app, "admin")
    assert not app.exception
    assert "unknown role 'root'" in texts(app)
