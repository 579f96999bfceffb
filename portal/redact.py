"""Settings as an admin may see them: every secret masked, everything else as in effect."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from portal.settings import SERVICES, Settings

MASK = "••••••"
SECRET_WORDS = ("token", "secret", "password", "key", "webhook")


def is_secret_name(name: str) -> bool:
    """True for names that hold credentials (tokens, secrets, passwords, keys, webhook URLs)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask_url_password(url: str) -> str:
    """The URL with any password in it replaced by the mask (e.g. a database URL)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if parts.password is None:
        return url
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{parts.username}:{MASK}@{host}{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def redacted(values: Mapping[str, Any]) -> dict[str, str]:
    """Each value as text, secrets masked (or "not set"), passwords removed from URLs."""
    shown: dict[str, str] = {}
    for name, value in values.items():
        if value is None or value == "":
            shown[name] = "not set"
        elif is_secret_name(name):
            shown[name] = MASK
        elif isinstance(value, str) and "://" in value:
            shown[name] = mask_url_password(value)
        else:
            shown[name] = str(value)
    return shown


def effective_settings(settings: Settings) -> dict[str, str]:
    """`redacted` settings; an unset service says so (in development that service is not configured)."""
    values = settings.model_dump()
    shown = redacted(values)
    for service in SERVICES:
        if not values.get(f"{service}_url"):
            shown[f"{service}_url"] = "not set: this service is not configured"
    return shown
