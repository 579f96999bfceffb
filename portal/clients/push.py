"""Push Gateway admin client: delivery log, counts, invalid tokens, resends and test pushes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from portal.clients.http import Page, ServiceClient, iso_utc, path_segment
from portal.clients.models import (
    FailingWorkspace,
    InvalidToken,
    Items,
    PurgeResult,
    PushCounts,
    PushDelivery,
    ResendPreview,
    ResendResult,
    TrendPoint,
)

When = datetime | str


class PushClient(ServiceClient):
    """Client of the Push Gateway's admin API (`{base}/admin/v1/...`)."""

    service = "push"

    def deliveries(
        self,
        *,
        workspace_id: str | None = None,
        outcome: str | None = None,
        platform: str | None = None,
        since: When | None = None,
        until: When | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[PushDelivery]:
        """One page of the delivery log, newest first."""
        params = {"workspace_id": workspace_id, "outcome": outcome, "platform": platform,
                  "since": since, "until": until, "limit": limit, "cursor": cursor}
        return self._get_page("/admin/v1/deliveries", PushDelivery, params)

    def iter_deliveries(
        self,
        *,
        workspace_id: str | None = None,
        outcome: str | None = None,
        platform: str | None = None,
        since: When | None = None,
        until: When | None = None,
        page_size: int = 200,
    ) -> Iterator[PushDelivery]:
        """The whole delivery log for the filters, newest first, fetched lazily page by page."""
        params = {"workspace_id": workspace_id, "outcome": outcome, "platform": platform,
                  "since": since, "until": until}
        return self._iter("/admin/v1/deliveries", PushDelivery, params, page_size)

    def get_delivery(self, delivery_id: str) -> PushDelivery:
        """One delivery; NotFound if unknown."""
        return self._get_model(f"/admin/v1/deliveries/{path_segment(delivery_id)}", PushDelivery)

    def counts(
        self, *, since: When, until: When, bucket: str = "hour", workspace_id: str | None = None
    ) -> PushCounts:
        """Delivery counts per time bucket (`hour` or `day`), platform and outcome."""
        params = {"since": since, "until": until, "bucket": bucket, "workspace_id": workspace_id}
        return self._get_model("/admin/v1/counts", PushCounts, params)

    def invalid_tokens(
        self,
        *,
        workspace_id: str | None = None,
        since: When | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> Page[InvalidToken]:
        """One page of device tokens flagged invalid (masked by the service)."""
        params = {"workspace_id": workspace_id, "since": since, "limit": limit, "cursor": cursor}
        return self._get_page("/admin/v1/invalid-tokens", InvalidToken, params)

    def invalid_token_trend(
        self, *, since: When | None = None, until: When | None = None, bucket: str = "hour"
    ) -> list[TrendPoint]:
        """How many tokens were flagged invalid per time bucket."""
        params = {"since": since, "until": until, "bucket": bucket}
        return self._get_model("/admin/v1/invalid-tokens/trend", Items[TrendPoint], params).items

    def top_failing(self, *, since: When, until: When, limit: int = 10) -> list[FailingWorkspace]:
        """Workspaces with the most failed deliveries in the window."""
        params = {"since": since, "until": until, "limit": limit}
        return self._get_model("/admin/v1/top-failing", Items[FailingWorkspace], params).items

    def resend_delivery(self, delivery_id: str, *, idempotency_key: str | None = None) -> PushDelivery:
        """Send a logged push again; the answer is the new delivery (`resent_from` set)."""
        path = f"/admin/v1/deliveries/{path_segment(delivery_id)}/resend"
        return self._post_model(path, PushDelivery, idempotency_key=idempotency_key)

    def preview_resend_failed(self, workspace_id: str, *, since: When, until: When) -> ResendPreview:
        """How many failed pushes (and devices) `resend_failed` would resend, without acting."""
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/resend-failed"
        return self._get_model(path, ResendPreview, {"since": since, "until": until})

    def resend_failed(
        self, workspace_id: str, *, since: When, until: When, idempotency_key: str | None = None
    ) -> ResendResult:
        """Resend every failed push of a workspace in the window."""
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/resend-failed"
        body = {"since": _time(since), "until": _time(until)}
        return self._post_model(path, ResendResult, body, idempotency_key=idempotency_key)

    def send_test(
        self,
        workspace_id: str,
        *,
        title: str | None = None,
        text: str | None = None,
        idempotency_key: str | None = None,
    ) -> PushDelivery:
        """Send a test push through the workspace's gateway path; the answer is a `kind: test` delivery."""
        body = {key: value for key, value in (("title", title), ("text", text)) if value is not None}
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/test-push"
        return self._post_model(path, PushDelivery, body, idempotency_key=idempotency_key)

    def purge_invalid_tokens(self, workspace_id: str, *, idempotency_key: str | None = None) -> PurgeResult:
        """Forget the workspace's device tokens flagged invalid."""
        path = f"/admin/v1/workspaces/{path_segment(workspace_id)}/purge-invalid-tokens"
        return self._post_model(path, PurgeResult, idempotency_key=idempotency_key)


def _time(value: When) -> str:
    return iso_utc(value) if isinstance(value, datetime) else value
