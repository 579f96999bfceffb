"""Fleet drill-downs: a chart segment → the filter of the workspace list behind it, and CSV export.

A drill-down lives in the URL (`?drill=<dimension>&value=<value>`) so the list can be shared.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import cast

from portal.clients.fleet import WorkspaceFilters
from portal.clients.models import Workspace
from portal.csv_export import write_csv
from portal.releases import ReleaseCatalog, SupportStatus

# dimension → (label, fleet search filter it becomes)
DIMENSIONS: dict[str, str] = {
    "minor": "Version",
    "support": "Support status",
    "deploy_method": "Deploy method",
    "deploy_platform": "Deploy platform",
    "registration_state": "Registration",
    "hosting": "Hosting",
    "silent": "Statistics silent > 48 h",
    "created_month": "Created in month",
}
CSV_LIMIT = 20_000  # rows per export: beyond that, narrow the filter (the service pages lazily)
CSV_COLUMNS = ("id", "unique_id", "name", "site_url", "contact_email", "version", "deploy_method", "deploy_platform",
               "hosted", "plan", "registration_state", "suspended", "last_sync_at", "last_stats_at")


@dataclass(frozen=True)
class Drill:
    dimension: str
    value: str

    @property
    def label(self) -> str:
        return f"{DIMENSIONS[self.dimension]}: {self.value}"


def from_query(params: Mapping[str, str | None]) -> Drill | None:
    """The drill-down in the URL, or None; an unknown dimension raises ValueError naming it."""
    dimension, value = params.get("drill"), params.get("value")
    if not dimension:
        return None
    if dimension not in DIMENSIONS:
        raise ValueError(f"drill must be one of {', '.join(DIMENSIONS)}, not {dimension!r}")
    if not value and dimension != "silent":
        raise ValueError("value is required with drill")
    return Drill(dimension, value or "yes")


def minors_with_status(status: str, by_minor: Mapping[str, int], catalog: ReleaseCatalog) -> list[str]:
    """The fleet's minor versions whose support status is `status` (value or label)."""
    wanted = {s for s in SupportStatus if status in (s.value, s.label)}
    if not wanted:
        raise ValueError(f"value must be a support status ({', '.join(s.value for s in SupportStatus)}), "
                         f"not {status!r}")
    return sorted(m for m in by_minor if catalog.support(m).status in wanted)


def fleet_filters(drill: Drill, *, by_minor: Mapping[str, int], catalog: ReleaseCatalog) -> WorkspaceFilters:
    """The Fleetcommand search filters that list the workspaces behind a drill-down."""
    if drill.dimension == "support":
        # The service knows versions, not our support data: ask for the minors with that status.
        return {"minor": ",".join(minors_with_status(drill.value, by_minor, catalog)) or "none"}
    if drill.dimension == "hosting":
        return {"hosted": "true" if drill.value in {"hosted", "cloud-hosted", "true"} else "false"}
    if drill.dimension == "silent":
        return {"stats_silent_hours": 48}
    return cast(WorkspaceFilters, {drill.dimension: drill.value})  # DIMENSIONS are filter names (a test checks)


def workspaces_csv(workspaces: Iterable[Workspace], *, limit: int = CSV_LIMIT) -> str:
    """CSV of the workspaces (at most `limit` rows), one column per CSV_COLUMNS field, safe in spreadsheets."""
    return write_csv(CSV_COLUMNS, ([getattr(ws, column) for column in CSV_COLUMNS]
                                   for ws in islice(workspaces, limit)))
