"""Fleetcommand stand-in: the public endpoints a Rocket.Chat server calls (OAuth token, registration,
sync, comms) and the fleet admin API. Each public route follows the server source path named in its
docstring; `docs/service-contract.md` lists them."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso
from portal_dev.sandbox.cloud_auth import TOKEN_TTL
from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.fleet_data import DAY, REGISTRATION_STATES, Workspace
from portal_dev.sandbox.registration import CLIENT_PATH, RegistrationError
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
        """The workspace named in the path, or 404; its simulated server starts running."""
        w = self.state.fleet.get(key)
        if w is None:
            raise ApiError(404, f"workspace {key!r} not found")
        self.state.servers.engage(w, self.state.now())
        return w

    # -- public: what a Rocket.Chat server calls -----------------------------------------------
    @staticmethod
    def _base(request: Request) -> str:
        """Where this service is mounted (`http://host:port/fleet` in the sandbox): `base_url` alone is the
        top-level app's root, and a `registration_client_uri` built on it would miss the `/fleet` prefix."""
        return str(request.base_url.replace(path=request.scope.get("root_path", ""))).rstrip("/")

    @staticmethod
    async def _body(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise ApiError(400, "body: must be JSON (the workspace's registration data)") from None

    async def _registration_data(self, request: Request) -> dict[str, Any]:
        """The body as registration data (`buildWorkspaceRegistrationData`), or a 400 naming the field."""
        try:
            return self.state.registrations.check(await self._body(request))
        except RegistrationError as exc:
            raise ApiError(400, str(exc)) from None

    async def register_pre_intent(self, request: Request) -> Response:
        """`POST /api/v2/register/workspace/pre-intent` (`registerPreIntentWorkspaceWizard.ts`): the
        server only looks at the status (assumed: the body is empty)."""
        await self._registration_data(request)
        return JSONResponse({})

    async def register_intent(self, request: Request) -> Response:
        """`POST /api/v2/register/workspace/intent?resent=` (`startRegisterWorkspaceSetupWizard.ts`)."""
        resent = request.query_params.get("resent") == "true"
        try:
            answer = self.state.registrations.intent(await self._body(request), self.state.now(), resent=resent)
        except RegistrationError as exc:
            raise ApiError(400, str(exc)) from None
        return JSONResponse(answer)

    async def register_poll(self, request: Request) -> Response:
        """`GET /api/v2/register/workspace/poll?token=<device_code>` (`getConfirmationPoll.ts`)."""
        token = request.query_params.get("token") or ""
        answer = self.state.registrations.poll(token, self.state.now(), self._base(request))
        if answer is None:
            raise ApiError(404, "token: no registration intent with this device code (or it expired)")
        return JSONResponse(answer)

    async def register_workspace(self, request: Request) -> Response:
        """`POST /api/v2/register/workspace?resend=` (`startRegisterWorkspace.ts`): answers `{id}`,
        which the server stores as `Cloud_Workspace_Id`."""
        data = await self._registration_data(request)
        return JSONResponse({"id": self.state.registrations.pending_id(data, self.state.now())})

    async def oauth_clients(self, request: Request) -> Response:
        """`POST /api/oauth/clients` with `Authorization: Bearer <REG_TOKEN>` (`connectWorkspace.ts`):
        body `{email, client_name, redirect_uris}`; the answer goes to `saveRegistrationData`."""
        regs = self.state.registrations
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:].strip() not in regs.registration_tokens:
            return JSONResponse({"error": "invalid registration token"}, status_code=401)
        body = await self._body(request)
        if not isinstance(body, dict) or not isinstance(body.get("client_name"), str):
            raise ApiError(400, "client_name: required")
        regs.registration_tokens.discard(auth[7:].strip())
        uris = body.get("redirect_uris")
        address = uris[0].split("/admin/cloud/")[0] if isinstance(uris, list) and uris and isinstance(uris[0], str) \
            else None
        data = {"uniqueId": "", "siteName": body["client_name"], "contactEmail": body.get("email"), "address": address}
        return JSONResponse(regs.register(data, self.state.now(), self._base(request)))

    def _client(self, request: Request) -> Workspace:
        """The workspace of `{registration_client_uri}` whose Bearer token is good, else 401."""
        now = self.state.now()
        w = self.state.auth.workspace_for(request.headers.get("authorization"), now)
        client_id = request.path_params["client_id"]
        if w is None or w.client_id != client_id:
            raise ApiError(401, "the workspace access token is missing, expired or revoked")
        return w

    async def client_sync(self, request: Request) -> Response:
        """`POST {registration_client_uri}/sync` (`syncWorkspace/syncCloudData.ts`,
        `fetchWorkspaceSyncPayload.ts`): registration data in, `WorkspaceSyncResponseSchema` out."""
        w = self._client(request)
        self.state.registrations.record_sync(w, await self._registration_data(request), self.state.now())
        return JSONResponse(self.state.registrations.sync_answer(w))

    async def client_legacy(self, request: Request) -> Response:
        """`POST {registration_client_uri}/client` (deprecated `legacySyncWorkspace.ts`)."""
        w = self._client(request)
        self.state.registrations.record_sync(w, await self._registration_data(request), self.state.now())
        return JSONResponse(self.state.registrations.legacy_answer(w))

    async def client_license(self, request: Request) -> Response:
        """`GET {registration_client_uri}/license?version=` (`getWorkspaceLicense.ts`)."""
        w = self._client(request)
        return JSONResponse({"version": int(request.query_params.get("version") or 3),
                             "license": self.state.registrations.license(w),
                             "updatedAt": iso(w.license_synced_at), "expireAt": None})

    async def comms(self, request: Request) -> Response:
        """`POST /api/v3/comms/workspace` (`syncWorkspace/announcementSync.ts`): announcements and NPS."""
        w = self.state.auth.workspace_for(request.headers.get("authorization"), self.state.now())
        if w is None:
            raise ApiError(401, "the workspace access token is missing, expired or revoked")
        return JSONResponse(self.state.registrations.comms_answer(w))

    async def oauth_token(self, request: Request) -> Response:
        """`POST /api/oauth/token` (`getWorkspaceAccessTokenWithScope.ts`): client credentials → access
        token; a bad or rotated secret → `oauth_invalid_client_credentials`."""
        form = await request.form()
        if form.get("grant_type", "client_credentials") != "client_credentials":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
            return JSONResponse({"error": "oauth_invalid_client_credentials"}, status_code=400)
        scope = form.get("scope")
        issued = self.state.auth.issue(client_id, secret, scope if isinstance(scope, str) else None, self.state.now())
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
        state_filter = q_str(request, "registration_state", REGISTRATION_STATES)
        if state_filter is not None:
            filters["registration_state"] = state_filter
        hosted = q_bool(request, "hosted")
        if hosted is not None:
            filters["hosted"] = hosted
        silent = q_number(request, "stats_silent_hours", low=0, high=1_000_000, integer=False)
        if silent is not None:
            filters["stats_silent_hours"] = silent
        offset, limit, _ = page_params(request)
        now = self.state.now()
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
        return json_response(self.state.fleet.summary(self.state.now()))

    @admin
    @idempotent
    async def operation(self, request: Request) -> Response:
        """POST /fleet/admin/v1/workspaces/{key}/{operation}."""
        name = request.path_params["operation"]
        if name not in OPERATIONS:
            raise ApiError(404, f"no operation {name!r}")
        w = self.workspace(request.path_params["key"])
        now = self.state.now()
        fleet, auth = self.state.fleet, self.state.auth
        if name == "revoke-access-tokens":
            cached_until = auth.live_until(w, now)
            detail: dict[str, object] = {"revoked": auth.revoke(w, now), "cached_until": iso(cached_until)}
        elif name == "rotate-client-secret":
            if w.client_id is None:
                raise ApiError(409, f"workspace {w.id} was never registered: it has no client secret")
            detail = {"secret_expires_at": iso(auth.rotate_secret(w, now, NEW_SECRET_VALID_FOR))}
        elif name == "force-license-sync":
            if w.registration_state not in ("registered", "connection_disabled"):
                raise ApiError(409, f"workspace {w.id} is {w.registration_state}: only registered workspaces sync")
            # The cloud re-issues the licence; only the workspace's own sync (servers.py) moves last_sync_at.
            w.license_synced_at = now
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
        Route("/api/v2/register/workspace/pre-intent", svc.register_pre_intent, methods=["POST"]),
        Route("/api/v2/register/workspace/intent", svc.register_intent, methods=["POST"]),
        Route("/api/v2/register/workspace/poll", svc.register_poll, methods=["GET"]),
        Route("/api/v2/register/workspace", svc.register_workspace, methods=["POST"]),
        Route("/api/oauth/clients", svc.oauth_clients, methods=["POST"]),
        Route(CLIENT_PATH + "{client_id}/sync", svc.client_sync, methods=["POST"]),
        Route(CLIENT_PATH + "{client_id}/client", svc.client_legacy, methods=["POST"]),
        Route(CLIENT_PATH + "{client_id}/license", svc.client_license, methods=["GET"]),
        Route("/api/v3/comms/workspace", svc.comms, methods=["POST"]),
        Route("/admin/v1/workspaces", svc.list_workspaces, methods=["GET"]),
        Route("/admin/v1/summary", svc.summary, methods=["GET"]),
        Route("/admin/v1/workspaces/{key}", svc.get_workspace, methods=["GET"]),
        Route("/admin/v1/workspaces/{key}/{operation}", svc.operation, methods=["POST"]),
    ], state)

