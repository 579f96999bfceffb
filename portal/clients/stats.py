"""Statistics Collector admin client: latest and past reports, freshness, unregistered reporters."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from pydantic import AwareDatetime

from portal.clients.errors import ServiceError
from portal.clients.http import Page, ServiceClient, path_segment
from portal.clients.models import ServiceModel, StatsFreshness, StatsPoint, StatsReport, UnregisteredReporter
from portal.clients.statistics import parse_statistics

MAX_PAGE = 500  # the services' largest `limit`


class _LatestAnswer(ServiceModel):
    unique_id: str
    received_at: AwareDatetime
    document: dict[str, Any]


class StatsClient(ServiceClient):
    """Client of the Statistics Collector's admin API (`{base}/admin/v1/...`)."""

    service = "stats"

    def latest(self, unique_id: str) -> StatsReport:
        """The workspace's most recent statistics, normalised; NotFound if it never reported."""
        answer = self._get_model(f"/admin/v1/reports/{path_segment(unique_id)}/latest", _LatestAnswer)
        try:
            statistics = parse_statistics(answer.document)
        except ValueError as exc:  # the collector refuses such documents, so this is its bug
            raise ServiceError(self.service, None, None, f"stored report unusable: {exc}", "invalid_response") from None
        return StatsReport(unique_id=answer.unique_id, received_at=answer.received_at, statistics=statistics)

    def history(
        self,
        unique_id: str,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int = 100,
    ) -> list[StatsPoint]:
        """Up to `limit` past reports, newest first (several pages when `limit` is above 500)."""
        path = f"/admin/v1/reports/{path_segment(unique_id)}/history"
        points = self._iter(path, StatsPoint, {"since": since, "until": until}, min(max(limit, 1), MAX_PAGE))
        return list(islice(points, max(limit, 0)))

    def freshness(self) -> StatsFreshness:
        """How many workspaces report, and how many went silent."""
        return self._get_model("/admin/v1/freshness", StatsFreshness)

    def unregistered(
        self, q: str | None = None, *, limit: int = 50, cursor: str | None = None
    ) -> Page[UnregisteredReporter]:
        """One page of workspaces known only from the statistics they send."""
        params = {"q": q, "limit": limit, "cursor": cursor}
        return self._get_page("/admin/v1/unregistered", UnregisteredReporter, params)
