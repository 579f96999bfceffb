"""Production refuses to start on unsafe settings; each problem is named so it can be fixed.

`streamlit_app.py` runs these checks before anything else, and `python -m portal.startup`
runs them from a shell (e.g. a container's start command) with exit status 1 on any problem.
Development tools (`python -m portal dev`, the dev identity provider, the dev secrets writer)
call `refuse_in_production` so no development shortcut can be switched on in production.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from portal.settings import SERVICES, Settings

MIN_COOKIE_SECRET_LENGTH = 32
# Values seen in docs, examples and templates; a secret anyone can read signs anyone's cookie.
KNOWN_DEFAULT_SECRETS = frozenset({
    "xxx", "changeme", "change-me", "change_me", "secret", "cookie_secret", "cookie-secret",
    "your-secret", "your_secret", "mysecret", "development", "dev", "test", "password",
    "<random, same on every replica>", "streamlit", "default",
})
# What the development stack (portal_dev) uses, public in this repository: refused in production.
# A test checks that portal_dev.config's values are in these sets.
DEVELOPMENT_PORTS = frozenset({8610})
PUBLIC_TOKENS = frozenset({"sandbox-admin-token"})
REQUIRED_AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url")


class UnsafeProductionSettings(RuntimeError):
    """Production start-up was refused; `problems` lists each unsafe setting in words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("refusing to start in production:\n- " + "\n- ".join(problems))


def is_loopback_host(host: str | None) -> bool:
    """True for localhost, *.localhost, loopback and unspecified addresses."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _cookie_secret_problems(secret: str) -> list[str]:
    if secret.strip().lower() in KNOWN_DEFAULT_SECRETS:
        return ["[auth] cookie_secret is a well-known default value; generate a random one "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))')"]
    if len(secret) < MIN_COOKIE_SECRET_LENGTH:
        return [f"[auth] cookie_secret is {len(secret)} characters; use at least "
                f"{MIN_COOKIE_SECRET_LENGTH} random characters"]
    if len(set(secret)) < 8:
        return ["[auth] cookie_secret repeats a few characters; use a random value"]
    return []


def _identity_provider_problems(metadata_url: str) -> list[str]:
    parsed = urlparse(metadata_url)
    if is_loopback_host(parsed.hostname) or "mock" in (parsed.hostname or "").lower():
        return [f"[auth] server_metadata_url {metadata_url!r} is a development identity provider; "
                "point it at the company's identity provider"]
    if parsed.scheme != "https":
        return [f"[auth] server_metadata_url {metadata_url!r} is not https; a real identity provider "
                "is reached over https"]
    return []


def _redirect_uri_problems(redirect_uri: str) -> list[str]:
    parsed = urlparse(redirect_uri)
    if is_loopback_host(parsed.hostname):
        return [f"[auth] redirect_uri {redirect_uri!r} is a local address; use the portal's public https address"]
    if parsed.scheme != "https":
        return [f"[auth] redirect_uri {redirect_uri!r} is not https; the identity cookie must not travel in clear"]
    if not parsed.path.endswith("/oauth2callback"):
        return [f"[auth] redirect_uri {redirect_uri!r} must end with /oauth2callback"]
    return []


def auth_problems(auth: Mapping[str, Any] | None) -> list[str]:
    """Problems with the `[auth]` section of secrets.toml for a production deployment."""
    if not auth:
        return ["no [auth] section in .streamlit/secrets.toml: production needs single sign-on "
                "(see the README: Connecting a real identity provider)"]
    problems = [f"[auth] {key} is missing" for key in REQUIRED_AUTH_KEYS if not auth.get(key)]
    if auth.get("cookie_secret"):
        problems += _cookie_secret_problems(str(auth["cookie_secret"]))
    if auth.get("server_metadata_url"):
        problems += _identity_provider_problems(str(auth["server_metadata_url"]))
    if auth.get("redirect_uri"):
        problems += _redirect_uri_problems(str(auth["redirect_uri"]))
    return problems


def service_problems(settings: Settings) -> list[str]:
    """Service URLs or tokens that belong to the local sandbox rather than the real services."""
    problems: list[str] = []
    for service in SERVICES:
        var = f"PORTAL_{service.upper()}"
        url = getattr(settings, f"{service}_url")
        if url:
            parsed = urlparse(url)
            if is_loopback_host(parsed.hostname) or parsed.port in DEVELOPMENT_PORTS:
                problems.append(f"{var}_URL {url!r} is a sandbox address; point it at the real {service} service")
        if getattr(settings, f"{service}_token") in PUBLIC_TOKENS:
            problems.append(f"{var}_TOKEN is the sandbox's admin token")
    return problems


def production_problems(settings: Settings, auth: Mapping[str, Any] | None) -> list[str]:
    """Every reason production must not start; empty outside production or when all is safe."""
    if not settings.is_production:
        return []
    return auth_problems(auth) + service_problems(settings)


def check_production(settings: Settings, auth: Mapping[str, Any] | None) -> None:
    """Raise `UnsafeProductionSettings` naming each problem; return quietly when safe."""
    problems = production_problems(settings, auth)
    if problems:
        raise UnsafeProductionSettings(problems)


def refuse_in_production(what: str) -> None:
    """Stop a development tool when PORTAL_ENV=production: no dev shortcut runs there."""
    if os.environ.get("PORTAL_ENV", "").strip().lower() == "production":
        raise SystemExit(f"refusing to start {what}: PORTAL_ENV=production (development tools never run in production)")


def read_auth_section(secrets_path: Path) -> dict[str, Any] | None:
    """The `[auth]` table of a secrets.toml file, or None when the file or the table is absent."""
    if not secrets_path.is_file():
        return None
    with secrets_path.open("rb") as handle:
        auth = tomllib.load(handle).get("auth")
    return dict(auth) if isinstance(auth, dict) else None


def main(argv: list[str] | None = None) -> int:
    """`python -m portal.startup [--secrets PATH]`: exit 1 and name each problem when unsafe."""
    parser = argparse.ArgumentParser(prog="python -m portal.startup")
    parser.add_argument("--secrets", type=Path, default=Path(".streamlit/secrets.toml"))
    args = parser.parse_args(argv)
    try:
        settings = Settings()
        check_production(settings, read_auth_section(args.secrets))
    except (UnsafeProductionSettings, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"settings are safe for PORTAL_ENV={settings.env}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
