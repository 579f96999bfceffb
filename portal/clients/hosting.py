"""Cloud-hosting admin client: instances, events, summary and long-running operations."""

from __future__ import annotations

from portal.clients.http import Page, ServiceClient, path_segment
from portal.clients.models import HostedInstance, HostingEvent, HostingOperation, HostingSummary, Items


class HostingClient(ServiceClient):
    """Client of the cloud-hosting admin API (`{base}/admin/v1/...`)."""

    service = "hosting"

    def instances(
        self,
        *,
        status: str | None = None,
        region: str | None = None,
        version: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[HostedInstance]:
        """One page of hosted instances matching the filters."""
        params = {"status": status, "region": region, "version": version, "limit": limit, "cursor": cursor}
        return self._get_page("/admin/v1/instances", HostedInstance, params)

    def get_instance(self, workspace_id: str) -> HostedInstance:
        """One hosted instance; NotFound if the workspace is not cloud-hosted."""
        return self._get_model(f"/admin/v1/instances/{path_segment(workspace_id)}", HostedInstance)

    def events(self, workspace_id: str, *, limit: int = 20) -> list[HostingEvent]:
        """The instance's most recent events."""
        path = f"/admin/v1/instances/{path_segment(workspace_id)}/events"
        return self._get_model(path, Items[HostingEvent], {"limit": limit}).items

    def summary(self) -> HostingSummary:
        """Hosted fleet aggregates by status, region and version."""
        return self._get_model("/admin/v1/summary", HostingSummary)

    def operations(
        self,
        *,
        state: str | None = None,
        workspace_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[HostingOperation]:
        """One page of operations, filtered by state and workspace."""
        params = {"state": state, "workspace_id": workspace_id, "limit": limit, "cursor": cursor}
        return self._get_page("/admin/v1/operations", HostingOperation, params)

    def get_operation(self, operation_id: str) -> HostingOperation:
        """One operation's current state (poll until `done`)."""
        return self._get_model(f"/admin/v1/operations/{path_segment(operation_id)}", HostingOperation)

    def restart(self, workspace_id: str, *, idempotency_key: str | None = None) -> HostingOperation:
        """Restart the instance; returns the operation to poll."""
        return self._operation(workspace_id, "restart", None, idempotency_key)

    def set_maintenance(
        self, workspace_id: str, enabled: bool, *, idempotency_key: str | None = None
    ) -> HostingOperation:
        """Enter (`enabled=True`) or leave maintenance mode."""
        return self._operation(workspace_id, "maintenance", {"enabled": enabled}, idempotency_key)

    def upgrade(self, workspace_id: str, version: str, *, idempotency_key: str | None = None) -> HostingOperation:
        """Upgrade to `version`; BadRequest if that version is not supported."""
        return self._operation(workspace_id, "upgrade", {"version": version}, idempotency_key)

    def _operation(
        self, workspace_id: str, name: str, body: dict[str, object] | None, idempotency_key: str | None
    ) -> HostingOperation:
        path = f"/admin/v1/instances/{path_segment(workspace_id)}/{name}"
        return self._post_model(path, HostingOperation, body, idempotency_key=idempotency_key)
