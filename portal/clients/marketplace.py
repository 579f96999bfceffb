"""Marketplace admin client: a workspace's apps, marketplace summary, failed installs, re-sync."""

from __future__ import annotations

from portal.clients.http import Page, ServiceClient, path_segment
from portal.clients.models import FailedInstall, InstalledApp, MarketplaceSummary, ResyncResult, WorkspaceInstall


class MarketplaceClient(ServiceClient):
    """Client of the Marketplace's admin API (`{base}/admin/v1/...`)."""

    service = "marketplace"

    def workspace_apps(self, workspace_id: str) -> list[InstalledApp]:
        """Every app installed on the workspace, with its subscription (all pages)."""
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/apps"
        return list(self._iter(path, InstalledApp, {}, page_size=500))

    def summary(self) -> MarketplaceSummary:
        """Top apps, subscriptions by status, failed installs."""
        return self._get_model("/admin/v1/summary", MarketplaceSummary)

    def failed_installs(self, *, limit: int = 50, cursor: str | None = None) -> Page[FailedInstall]:
        """One page of failed app installs."""
        return self._get_page("/admin/v1/failed-installs", FailedInstall, {"limit": limit, "cursor": cursor})

    def installs(self, *, app_id: str | None = None, subscription_status: str | None = None, limit: int = 50,
                 cursor: str | None = None) -> Page[WorkspaceInstall]:
        """One page of installs across the fleet (one app's, or those whose subscription has a status)."""
        params = {"app_id": app_id, "subscription_status": subscription_status, "limit": limit, "cursor": cursor}
        return self._get_page("/admin/v1/installs", WorkspaceInstall, params)

    def resync_subscriptions(self, workspace_id: str, *, idempotency_key: str | None = None) -> ResyncResult:
        """Re-sync the workspace's app subscriptions and licences."""
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/resync-subscriptions"
        return self._post_model(path, ResyncResult, idempotency_key=idempotency_key)
