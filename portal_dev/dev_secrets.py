"""Write a development `.streamlit/secrets.toml` that signs in through the local identity provider.

Only when none exists: an existing file (perhaps pointing at a real identity provider) is never
touched. The cookie secret is fresh and random per machine; the file is git-ignored.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from portal.startup import refuse_in_production

DEV_CLIENT_ID = "cloud-ops-portal-dev"
# Streamlit fills in {port} with server.port, so the file fits any --portal-port.
DEV_REDIRECT_URI = "http://localhost:{port}/oauth2callback"


def dev_secrets_toml(metadata_url: str, *, redirect_uri: str = DEV_REDIRECT_URI) -> str:
    """The text of a development secrets.toml for an identity provider at `metadata_url`."""
    return (
        "# Development only: written by `python -m portal dev`; never commit this file.\n"
        "# It signs in through the local identity provider (portal_dev/idp.py).\n"
        "[auth]\n"
        f'redirect_uri = "{redirect_uri}"\n'
        f'cookie_secret = "{secrets.token_urlsafe(48)}"\n'
        f'client_id = "{DEV_CLIENT_ID}"\n'
        f'client_secret = "{secrets.token_urlsafe(24)}"\n'
        f'server_metadata_url = "{metadata_url}"\n'
    )


def write_secrets(path: Path, metadata_url: str, *, redirect_uri: str = DEV_REDIRECT_URI) -> None:
    """Write a development secrets.toml at `path`, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(dev_secrets_toml(metadata_url, redirect_uri=redirect_uri))


def ensure_dev_secrets(path: Path, metadata_url: str) -> bool:
    """Write a development secrets.toml at `path` unless one exists; True when it wrote one."""
    refuse_in_production("the development secrets writer")
    if path.exists():
        return False
    write_secrets(path, metadata_url)
    return True
