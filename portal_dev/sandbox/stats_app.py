"""Statistics Collector stand-in: the public `POST /` and the reports admin API."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso
from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.stats_data import reporters_json
from portal_dev.sandbox.web import ApiError, admin, json_response, page, q_str, q_time

MAX_DOCUMENT_BYTES = 2_000_000  # assumed: real documents are tens of kilobytes


class StatsService:
    """Handlers of the `stats` service."""

    service = "stats"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.collector = state.stats

    async def collect(self, request: Request) -> Response:
        """Public (known): any-version statistics document plus `host` → `{"statsToken"}`."""
        body = await request.body()
        if len(body) > MAX_DOCUMENT_BYTES:
            raise ApiError(400, "body: statistics document too large")
        try:
            doc = json.loads(body) if body.strip() else None
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise ApiError(400, "body: must be a JSON object (a statistics document)")
        if not isinstance(doc.get("uniqueId"), str) or not doc["uniqueId"]:
            raise ApiError(400, "uniqueId: required")
        # The bearer token is optional (unregistered workspaces report too), so it is not checked.
        token = self.collector.receive(doc, self.state.now())
        return JSONResponse({"statsToken": token})

    def _resolve(self, key: str) -> str:
        """assumed: the collector links a report to its registered workspace through the bearer token it
        came with, so its admin API answers by workspace id as well as by uniqueId."""
        workspace = self.state.fleet.get(key)
        return workspace.unique_id if workspace is not None else key

    def _known(self, unique_id: str) -> None:
        if self.collector.reporter(unique_id) is None and unique_id not in self.collector.posted:
            raise ApiError(404, f"no workspace with uniqueId {unique_id!r} is known to the collector")

    @admin
    async def latest(self, request: Request) -> Response:
        """GET /stats/admin/v1/reports/{unique_id}/latest."""
        unique_id = self._resolve(request.path_params["unique_id"])
        found = self.collector.latest(unique_id)
        if found is None:
            raise ApiError(404, f"{unique_id!r} never reported")
        received_at, doc = found
        return json_response({"unique_id": unique_id, "received_at": iso(received_at), "document": doc})

    @admin
    async def history(self, request: Request) -> Response:
        """GET /stats/admin/v1/reports/{unique_id}/history."""
        unique_id = self._resolve(request.path_params["unique_id"])
        self._known(unique_id)
        items = self.collector.history(unique_id, q_time(request, "since"), q_time(request, "until"))
        return page(request, items, lambda x: x, default_limit=100)

    @admin
    async def freshness(self, request: Request) -> Response:
        """GET /stats/admin/v1/freshness."""
        return json_response(self.collector.freshness(self.state.now()))

    @admin
    async def unregistered(self, request: Request) -> Response:
        """GET /stats/admin/v1/unregistered."""
        items = self.collector.unregistered(q_str(request, "q"))
        return page(request, items, lambda r: reporters_json([r])[0])


def build_app(state: SandboxState) -> Starlette:
    """The stats service as its own app."""
    svc = StatsService(state)
    return service_app("stats", [
        Route("/", svc.collect, methods=["POST"]),
        Route("/admin/v1/reports/{unique_id}/latest", svc.latest, methods=["GET"]),
        Route("/admin/v1/reports/{unique_id}/history", svc.history, methods=["GET"]),
        Route("/admin/v1/freshness", svc.freshness, methods=["GET"]),
        Route("/admin/v1/unregistered", svc.unregistered, methods=["GET"]),
    ], state)

