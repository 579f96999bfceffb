"""Settings as an admin may see them: every secret masked, everything else as in effect."""

from __future__ import annotations

import re
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


# Field names a service answer must never carry to the database or a screen (exact, lower-cased).
SECRET_FIELDS = frozenset({
    "client_secret", "secret", "access_token", "refresh_token", "id_token", "token", "password", "passphrase",
    "private_key", "privatekey", "api_key", "apikey", "authorization", "cookie", "set-cookie", "registration_token",
    "reg_token", "webhook_url", "signing_key",
})
# Values shaped like credentials whatever their field: a JWT, a bearer header, a PEM private key.
_SECRET_VALUES = re.compile(
    r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
    re.DOTALL,
)


def redact_answer(value: Any) -> Any:
    """A service answer with secrets masked before it is stored or shown: known secret field names
    anywhere in it, and token-shaped text in any string (services must not send them; some might)."""
    if isinstance(value, Mapping):
        return {key: MASK if str(key).lower() in SECRET_FIELDS and item not in (None, "")
                else redact_answer(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_answer(item) for item in value]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(MASK, value)
    return value
