"""One settings object for the whole portal, read from `PORTAL_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("fleet", "push", "stats", "marketplace", "hosting")


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message names the variable."""


class Settings(BaseSettings):
    """Typed configuration. Production needs every service's URL and token; in development an unset
    service is "not configured" (`make run` points them all at the local sandbox)."""

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
    # A page shows what has answered after this many seconds; later answers fill in as they land.
    page_budget: float = Field(default=2.5, gt=0)

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

    def service_url(self, service: str) -> str | None:
        """The configured base URL of a service, or None when it is not configured."""
        url: str | None = getattr(self, f"{service}_url")
        return url.rstrip("/") if url else None

    def service_token(self, service: str) -> str:
        """The bearer token for a service's admin API ("" when not configured)."""
        token: str | None = getattr(self, f"{service}_token")
        return token or ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
