"""One settings object for the whole portal, read from `PORTAL_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("fleet", "push", "stats", "marketplace", "hosting")

# Where `python -m portal dev` and `make run` start the sandbox; development defaults point here.
SANDBOX_HOST = "127.0.0.1"
SANDBOX_PORT = 8610
SANDBOX_ADMIN_TOKEN = "sandbox-admin-token"  # noqa: S105 - the sandbox only, refused in production


def sandbox_url(service: str, host: str = SANDBOX_HOST, port: int = SANDBOX_PORT) -> str:
    """Base URL of one service inside a sandbox listening on host:port."""
    return f"http://{host}:{port}/{service}"


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the variable."""


class Settings(BaseSettings):
    """Typed configuration; unset service URLs mean "the local sandbox" in development only."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    env: Literal["development", "production"] = "development"

    fleet_url: str | None = None
    fleet_token: str | None = None
    push_url: str | None = None
    push_token: str | None = None
    stats_url: str | None = None
    stats_token: str | None = None
    marketplace_url: str | None = None
    marketplace_token: str | None = None
    hosting_url: str | None = None
    hosting_token: str | None = None

    connect_timeout: float = Field(default=2.0, gt=0)
    read_timeout: float = Field(default=5.0, gt=0)

    database_url: str = "sqlite:///var/portal.db"
    chat_webhook_url: str | None = None

    # Identity and sessions (see portal/identity.py).
    session_max_age_hours: float = Field(default=12.0, gt=0)
    group_roles: str = "cloud-leads:viewer,cloud-support:support,cloud-oncall:oncall,cloud-admins:admin"

    @model_validator(mode="after")
    def _production_needs_real_services(self) -> Settings:
        if self.env != "production":
            return self
        for service in SERVICES:
            var = f"PORTAL_{service.upper()}_URL"
            url = getattr(self, f"{service}_url")
            if not url:
                raise SettingsError(f"{var} is required when PORTAL_ENV=production")
            if not getattr(self, f"{service}_token"):
                raise SettingsError(f"PORTAL_{service.upper()}_TOKEN is required when PORTAL_ENV=production")
        return self

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def service_url(self, service: str) -> str:
        """The configured base URL of a service, or the sandbox's in development."""
        url = getattr(self, f"{service}_url")
        return (url or sandbox_url(service)).rstrip("/")

    def service_token(self, service: str) -> str:
        token = getattr(self, f"{service}_token")
        return token or SANDBOX_ADMIN_TOKEN


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
