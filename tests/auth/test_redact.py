"""What the admin settings screen shows: secrets masked, passwords out of URLs, defaults explained."""

from __future__ import annotations

from portal.redact import MASK, effective_settings, mask_url_password, redacted
from portal.settings import Settings


def test_secret_names_are_masked_and_empty_values_say_not_set() -> None:
    shown = redacted({"push_token": "abc", "cookie_secret": "def", "client_secret": "", "client_id": "portal",
                      "chat_webhook_url": "https://chat.example.com/hooks/abc/def", "read_timeout": 5.0})
    assert shown == {"push_token": MASK, "cookie_secret": MASK, "client_secret": "not set", "client_id": "portal",
                     "chat_webhook_url": MASK, "read_timeout": "5.0"}


def test_passwords_are_removed_from_urls() -> None:
    assert mask_url_password("postgresql+psycopg://portal:s3cret@db:5432/portal") == (
        f"postgresql+psycopg://portal:{MASK}@db:5432/portal")
    assert mask_url_password("sqlite:///var/portal.db") == "sqlite:///var/portal.db"


def test_effective_settings_say_which_services_are_not_configured() -> None:
    shown = effective_settings(Settings(push_url="https://push.example.com", push_token="real"))
    assert shown["push_url"] == "https://push.example.com"
    assert shown["push_token"] == MASK
    assert shown["fleet_url"].startswith("not set")
    assert shown["fleet_token"] == "not set"
    assert "real" not in shown.values()
