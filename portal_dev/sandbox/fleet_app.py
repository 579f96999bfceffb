"""Fleetcommand stand-in: the public OAuth token endpoint and the fleet admin API."""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso
from portal_dev.sandbox.cloud_auth import TOKEN_TTL
from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.fleet_data import DAY, Workspace
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.web import (
    ApiError,
    admin,
    idempotent,
    json_response,
    next_cursor,
    page_params,
    q_bool,
    q_number,
    q_str,
)

OPERATIONS = ("revoke-access-tokens", "rotate-client-secret", "force-license-sync", "suspend", "unsuspend")
NEW_SECRET_VALID_FOR = 365 * DAY  # assumed


class FleetService:
    """Handlers of the `fleet` service."""

    service = "fleet"

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def workspace(self, key: str) -> Workspace:
        """The workspace named in the path, or 404."""
        w = self.state.fleet.get(key)
        if w is None:
            raise ApiError(404, f"workspace {key!r} not found")
        return w

    async def oauth_token(self, request: Request) -> Response:
        """Public (known): client credentials → access token; bad secret → oauth_invalid_client_credentials."""
        form = await request.form()
        if form.get("grant_type", "client_credentials") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            return JSONResponse({"error": "oauth_invalid_client_credentials"}, status_code=400)
        scope = form.get("scope")
        issued = self.state.auth.issue(client_id, secret, scope if isinstance(scope, str) else None, time.time())
        if issued is None:
            return JSONResponse({"error": "oauth_invalid_client_credentials"}, status_code=400)
        value, token = issued
        return JSONResponse({"access_token": value, "expires_in": TOKEN_TTL, "scope": token.scope,
                             "token_type": "Bearer"})

    @admin
    async def list_workspaces(self, request: Request) -> Response:
        """GET /fleet/admin/v1/workspaces."""
        filters: dict[str, object] = {}
        for name in ("version", "minor", "deploy_method", "deploy_platform", "created_month"):
            value = q_str(request, name)
            if value is not None:
                filters[name] = value
        state_filter = q_str(request, "registration_state", ("registered", "unregistered", "deregistered"))
        if state_filter is not None:
            filters["registration_state"] = state_filter
        hosted = q_bool(request, "hosted")
        if hosted is not None:
            filters["hosted"] = hosted
        silent = q_number(request, "stats_silent_hours", low=0, high=1_000_000, integer=False)
        if silent is not None:
            filters["stats_silent_hours"] = silent
        offset, limit, _ = page_params(request)
        now = time.time()
        ids = q_str(request, "ids")
        if ids is not None:
            wanted = [part.strip() for part in ids.split(",") if part.strip()]
            if len(wanted) > 200:
                raise ApiError(400, "ids: at most 200 workspace ids")
            found = self.state.fleet.search(q_str(request, "q"), filters, now) if (filters or q_str(request, "q")) \
                else None
            matches = self.state.fleet.exact_ids(wanted, within=found)
        else:
            matches = self.state.fleet.search(q_str(request, "q"), filters, now)
        ws = self.state.fleet.workspaces
        items = [ws[int(i)].to_json() for i in matches[offset:offset + limit]]
        return json_response({"items": items, "next_cursor": next_cursor(request, offset, limit, len(matches)),
                              "total": len(matches)})

    @admin
    async def get_workspace(self, request: Request) -> Response:
        """GET /fleet/admin/v1/workspaces/{key}."""
        return json_response(self.workspace(request.path_params["key"]).to_json())

    @admin
    async def summary(self, request: Request) -> Response:
        """GET /fleet/admin/v1/summary."""
        return json_response(self.state.fleet.summary(time.time()))

    @admin
    @idempotent
    async def operation(self, request: Request) -> Response:
        """POST /fleet/admin/v1/workspaces/{key}/{operation}."""
        name = request.path_params["operation"]
        if name not in OPERATIONS:
            raise ApiError(404, f"no operation {name!r}")
        w = self.workspace(request.path_params["key"])
        now = time.time()
        fleet, auth = self.state.fleet, self.state.auth
        if name == "revoke-access-tokens":
            detail: dict[str, object] = {"revoked": auth.revoke(w, now)}
        elif name == "rotate-client-secret":
            if w.client_id is None:
                raise ApiError(409, f"workspace {w.id} was never registered: it has no client secret")
            detail = {"secret_expires_at": iso(auth.rotate_secret(w, now, NEW_SECRET_VALID_FOR))}
        elif name == "force-license-sync":
            if w.registration_state != "registered":
                raise ApiError(409, f"workspace {w.id} is {w.registration_state}: only registered workspaces sync")
            w.license_synced_at = w.last_sync_at = now
            detail = {"license_synced_at": iso(now)}
        else:
            fleet.set_suspended(w, name == "suspend")
            detail = {"suspended": w.suspended}
        return json_response({"workspace_id": w.id, "operation": name, "performed_at": iso(now), "detail": detail})


def build_app(state: SandboxState) -> Starlette:
    """The fleet service as its own app."""
    svc = FleetService(state)
    return service_app("fleet", [
        Route("/api/oauth/token", svc.oauth_token, methods=["POST"]),
        Route("/admin/v1/workspaces", svc.list_workspaces, methods=["GET"]),
        Route("/admin/v1/summary", svc.summary, methods=["GET"]),
        Route("/admin/v1/workspaces/{key}", svc.get_workspace, methods=["GET"]),
        Route("/admin/v1/workspaces/{key}/{operation}", svc.operation, methods=["POST"]),
    ], state)

