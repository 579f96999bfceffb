"""Where the development stack listens, and the sandbox's admin token (development and tests only).

Production refuses the token: `portal.startup.PUBLIC_TOKENS` lists it, and a test checks the two agree.
"""

from __future__ import annotations

from portal.settings import SERVICES

SANDBOX_HOST = "127.0.0.1"
SANDBOX_PORT = 8610
SANDBOX_ADMIN_TOKEN = "sandbox-admin-token"  # noqa: S105 - the sandbox only, refused in production

__all__ = ["SANDBOX_ADMIN_TOKEN", "SANDBOX_HOST", "SANDBOX_PORT", "SERVICES", "sandbox_url"]


def sandbox_url(service: str, host: str = SANDBOX_HOST, port: int = SANDBOX_PORT) -> str:
    """Base URL of one service inside a sandbox listening on host:port."""
    return f"http://{host}:{port}/{service}"
