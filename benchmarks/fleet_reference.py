"""The naive fleet overview: fetch every workspace record through the client and aggregate in Python.

This is the reference for the fleet overview rows. It computes what the page shows (counts by
minor version, support status, deploy method and platform, registration state, hosted, silent for
48 h, growth by month) from the records instead of asking Fleetcommand for its summary. Pages of
500 (the service's largest) make the reference as fast as the client allows.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.clients import Clients
from portal.releases import load_catalog

PAGE_SIZE = 500


def fetch_and_aggregate(clients: Clients) -> dict[str, Any]:
    """Every record through `FleetClient.iter_workspaces`, folded into the overview's numbers."""
    catalog = load_catalog()
    silent_before = datetime.now(UTC) - timedelta(hours=48)
    by_minor: Counter[str] = Counter()
    by_method: Counter[str] = Counter()
    by_platform: Counter[str] = Counter()
    by_state: Counter[str] = Counter()
    by_month: Counter[str] = Counter()
    total = hosted = silent = 0
    for workspace in clients.fleet.iter_workspaces(page_size=PAGE_SIZE):
        total += 1
        by_minor[".".join(workspace.version.split(".")[:2])] += 1
        by_method[workspace.deploy_method] += 1
        by_platform[workspace.deploy_platform] += 1
        by_state[workspace.registration_state] += 1
        by_month[workspace.created_at.strftime("%Y-%m")] += 1
        hosted += workspace.hosted
        silent += workspace.last_stats_at is None or workspace.last_stats_at < silent_before
    by_support: Counter[str] = Counter()
    for minor, count in by_minor.items():
        by_support[catalog.support(minor).status.value] += count
    return {"total": total, "hosted": hosted, "self_managed": total - hosted, "stats_silent_48h": silent,
            "by_minor": dict(by_minor), "by_support": dict(by_support), "by_deploy_method": dict(by_method),
            "by_deploy_platform": dict(by_platform), "by_registration_state": dict(by_state),
            "created_by_month": dict(by_month)}
