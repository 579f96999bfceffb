"""Fleetcommand admin client: search and read workspaces, fleet summary, credential operations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypedDict, Unpack

from portal.clients.http import Page, ServiceClient, path_segment
from portal.clients.models import FleetSummary, Workspace, WorkspaceOperation


class WorkspaceFilters(TypedDict, total=False):
    """Filters `GET /admin/v1/workspaces` accepts besides q/limit/cursor (docs/service-contract.md);
    a comma-separated value means any of them."""

    version: str
    minor: str
    deploy_method: str
    deploy_platform: str
    hosted: str | bool
    registration_state: str
    stats_silent_hours: int
    created_month: str


WORKSPACE_FILTERS: frozenset[str] = frozenset(WorkspaceFilters.__annotations__)


class FleetClient(ServiceClient):
    """Client of Fleetcommand's admin API (`{base}/admin/v1/...`)."""

    service = "fleet"

    def search_workspaces(
        self, q: str | None = None, *, limit: int = 20, cursor: str | None = None, **filters: Unpack[WorkspaceFilters]
    ) -> Page[Workspace]:
        """One page of workspaces matching `q` (name, id, unique id, site URL, email) and filters."""
        params = {"q": q, "limit": limit, "cursor": cursor, **_checked(filters)}
        return self._get_page("/admin/v1/workspaces", Workspace, params)

    def iter_workspaces(
        self, q: str | None = None, *, page_size: int = 200, **filters: Unpack[WorkspaceFilters]
    ) -> Iterator[Workspace]:
        """Every matching workspace, fetching the next page only when the caller gets that far."""
        return self._iter("/admin/v1/workspaces", Workspace, {"q": q, **_checked(filters)}, page_size)

    def names(self, workspace_ids: tuple[str, ...]) -> dict[str, str]:
        """Each known workspace id's name (one call for up to 200 ids; unknown ids are left out)."""
        wanted = tuple(dict.fromkeys(i for i in workspace_ids if i))
        names: dict[str, str] = {}
        for start in range(0, len(wanted), 200):
            chunk = wanted[start:start + 200]
            page = self._get_page("/admin/v1/workspaces", Workspace, {"ids": ",".join(chunk), "limit": len(chunk)})
            names.update((ws.id, ws.name) for ws in page.items)
        return names

    def get_workspace(self, id_or_unique_id: str) -> Workspace:
        """One workspace by its id (`ws_...`) or its uniqueId; NotFound if unknown."""
        return self._get_model(f"/admin/v1/workspaces/{path_segment(id_or_unique_id)}", Workspace)

    def summary(self) -> FleetSummary:
        """Fleet-wide aggregates."""
        return self._get_model("/admin/v1/summary", FleetSummary)

    def revoke_access_tokens(self, workspace_id: str, *, idempotency_key: str | None = None) -> WorkspaceOperation:
        """Revoke the workspace's access tokens. It keeps sending the one it caches (refused) until that expires
        or it syncs."""
        return self._operation(workspace_id, "revoke-access-tokens", idempotency_key)

    def rotate_client_secret(self, workspace_id: str, *, idempotency_key: str | None = None) -> WorkspaceOperation:
        """Rotate the client secret: disruptive, the workspace is de-registered until re-registered."""
        return self._operation(workspace_id, "rotate-client-secret", idempotency_key)

    def force_license_sync(self, workspace_id: str, *, idempotency_key: str | None = None) -> WorkspaceOperation:
        """Re-issue the workspace's license in Fleetcommand; the workspace fetches it at its next sync."""
        return self._operation(workspace_id, "force-license-sync", idempotency_key)

    def suspend(self, workspace_id: str, *, idempotency_key: str | None = None) -> WorkspaceOperation:
        """Suspend the workspace's cloud access."""
        return self._operation(workspace_id, "suspend", idempotency_key)

    def unsuspend(self, workspace_id: str, *, idempotency_key: str | None = None) -> WorkspaceOperation:
        """Lift a suspension."""
        return self._operation(workspace_id, "unsuspend", idempotency_key)

    def _operation(self, workspace_id: str, name: str, idempotency_key: str | None) -> WorkspaceOperation:
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/{name}"
        return self._post_model(path, WorkspaceOperation, idempotency_key=idempotency_key)


def _checked(filters: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(filters) - WORKSPACE_FILTERS
    if unknown:
        raise TypeError(f"unknown workspace filter(s): {', '.join(sorted(unknown))}")
    return dict(filters)

