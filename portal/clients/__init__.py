"""Typed clients of the five services, built in one composition root: `build_clients(settings)`.

No Streamlit here: pages get a `Clients` from `portal.app_context`, tests build their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import requests

from portal.clients.errors import (
    BadRequest,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceError,
    ServiceTimeout,
    ServiceUnavailable,
    error_for_response,
)
from portal.clients.fleet import FleetClient
from portal.clients.hosting import HostingClient
from portal.clients.http import Page, RetryPolicy, ServiceClient
from portal.clients.marketplace import MarketplaceClient
from portal.clients.push import PushClient
from portal.clients.statistics import Statistics, parse_statistics
from portal.clients.stats import StatsClient
from portal.settings import Settings

C = TypeVar("C", bound=ServiceClient)


@dataclass(frozen=True)
class Clients:
    """One client per service, sharing nothing but their settings."""

    fleet: FleetClient
    push: PushClient
    stats: StatsClient
    marketplace: MarketplaceClient
    hosting: HostingClient

    def cache_identity(self) -> tuple[tuple[str, str], ...]:
        """What identifies these clients' answers in a cache (each client's service and base URL)."""
        return tuple(client.cache_identity() for client in (self.fleet, self.push, self.stats, self.marketplace,
                                                             self.hosting))

    def close(self) -> None:
        """Close every client's HTTP session."""
        for client in (self.fleet, self.push, self.stats, self.marketplace, self.hosting):
            client.close()


def build_clients(
    settings: Settings,
    *,
    session_factory: Callable[[], requests.Session] | None = None,
    retry: RetryPolicy | None = None,
) -> Clients:
    """Build the five clients from settings: base URL, token and (connect, read) timeouts per service."""
    timeout = (settings.connect_timeout, settings.read_timeout)

    def build(cls: type[C], name: str) -> C:
        session = session_factory() if session_factory is not None else None
        return cls(settings.service_url(name), settings.service_token(name),
                   session=session, timeout=timeout, retry=retry)

    return Clients(
        fleet=build(FleetClient, "fleet"),
        push=build(PushClient, "push"),
        stats=build(StatsClient, "stats"),
        marketplace=build(MarketplaceClient, "marketplace"),
        hosting=build(HostingClient, "hosting"),
    )


__all__ = [
    "BadRequest", "Clients", "FleetClient", "HostingClient", "MarketplaceClient", "NotFound", "Page",
    "PermissionDenied", "PushClient", "RateLimited", "RetryPolicy", "ServiceError", "ServiceTimeout",
    "ServiceUnavailable", "Statistics", "StatsClient", "build_clients", "error_for_response",
    "parse_statistics",
]
