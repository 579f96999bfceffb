"""Push Gateway stand-in: the public send endpoints and the delivery-log admin API."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso, parse_iso
from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.fleet_data import HOUR, Workspace
from portal_dev.sandbox.push_data import OUTCOMES, LiveDelivery
from portal_dev.sandbox.push_ops import payload_problem
from portal_dev.sandbox.push_tokens import PLATFORMS, mask_token
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.web import (
    ApiError,
    admin,
    idempotent,
    json_object,
    json_response,
    next_cursor,
    page_params,
    q_number,
    q_str,
    q_time,
    window,
)

BUCKETS = {"hour": HOUR, "day": 24 * HOUR}
MAX_BUCKETS = 2000  # refuse windows that would answer with more buckets than a chart can use


class PushService:
    """Handlers of the `push` service."""

    service = "push"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.log = state.push
        self.gateway = state.gateway

    def workspace(self, key: str | None) -> Workspace | None:
        """The workspace named in the path, or 404."""
        if key is None:
            return None
        w = self.state.fleet.get(key)
        if w is None:
            raise ApiError(404, f"workspace {key!r} not found")
        return w

    def render(self, item: int | LiveDelivery) -> dict[str, object]:
        """A delivery (history row or live) as the admin API's Delivery object."""
        return self.log.render_live(item) if isinstance(item, LiveDelivery) else self.log.render_row(int(item))

    # -- public --------------------------------------------------------------------------------
    async def send(self, request: Request) -> Response:
        """Public (known): 200 sent, 406 bad device token, 422 bad payload, 401 bad workspace token."""
        if request.path_params["platform"] not in PLATFORMS:
            raise ApiError(404, "no such endpoint")
        platform = PLATFORMS.index(request.path_params["platform"])
        now = self.state.now()
        try:
            body: dict[str, Any] | None = await json_object(request)
        except ApiError:
            body = None
        token = body.get("token") if body else None
        token = token if isinstance(token, str) else ""
        w = self.state.auth.workspace_for(request.headers.get("authorization"), now)
        if w is None or w.suspended:
            # Logged under the workspace the payload names, when there is one: that is what an
            # operator looking at that workspace's deliveries needs to see.
            options = body.get("options") if body else None
            named = self.state.fleet.get(str(options.get("uniqueId"))) if isinstance(options, dict) else None
            if named is not None:
                self.gateway.record(named, platform, token, 401, now)
            return JSONResponse({"error": "unauthorized", "message": "workspace access token rejected"},
                                status_code=401)
        problem = "body must be a JSON object" if body is None else payload_problem(body.get("options"))
        if problem is None and body is not None and body["options"]["uniqueId"] != w.unique_id:
            problem = "options.uniqueId does not match the workspace token"  # assumed
        if problem is None and not token:
            problem = "token is required"
        if problem is not None:
            self.gateway.record(w, platform, token, 422, now, error=problem)
            return JSONResponse({"error": "invalid", "message": problem}, status_code=422)
        if not self.gateway.token_is_valid(token, platform):
            d = self.gateway.record(w, platform, token, 406, now)
            return JSONResponse({"error": "invalid_token", "message": d.error}, status_code=406)
        d = self.gateway.record(w, platform, token, 200, now)
        return JSONResponse({"id": d.id})  # assumed: the server ignores a 2xx body

    # -- admin reads -----------------------------------------------------------------------------
    @admin
    async def list_deliveries(self, request: Request) -> Response:
        """GET /push/admin/v1/deliveries."""
        w = self.workspace(q_str(request, "workspace_id"))
        outcome = q_str(request, "outcome", OUTCOMES)
        platform = q_str(request, "platform", PLATFORMS)
        since, until = q_time(request, "since"), q_time(request, "until")
        offset, limit, extra = page_params(request)
        # Live deliveries made after the first page are left out of the walk (they are newer).
        snapshot = int(extra.get("s", len(self.log.live)))
        live, rows = self.log.list_deliveries(w.index if w else None, outcome, platform, since, until, snapshot)
        total = len(live) + len(rows)
        chosen: list[int | LiveDelivery] = list(live[offset:offset + limit])
        if len(chosen) < limit:
            start = max(0, offset - len(live))
            chosen += [int(r) for r in rows[start:start + limit - len(chosen)]]
        return json_response({"items": [self.render(x) for x in chosen],
                              "next_cursor": next_cursor(request, offset, limit, total, s=snapshot),
                              "total": total})

    @admin
    async def get_delivery(self, request: Request) -> Response:
        """GET /push/admin/v1/deliveries/{delivery_id}."""
        found = self.log.find(request.path_params["delivery_id"])
        if found is None:
            raise ApiError(404, f"delivery {request.path_params['delivery_id']!r} not found")
        return json_response(self.render(found))

    def _bucket(self, request: Request, since: float, until: float) -> tuple[str, float]:
        name = q_str(request, "bucket", tuple(BUCKETS)) or "hour"
        if (until - since) / BUCKETS[name] > MAX_BUCKETS:
            raise ApiError(400, f"bucket: more than {MAX_BUCKETS} {name}s between since and until")
        return name, BUCKETS[name]

    @admin
    async def counts(self, request: Request) -> Response:
        """GET /push/admin/v1/counts."""
        now = self.state.now()
        since, until = window(request, now)
        name, size = self._bucket(request, since, until)
        w = self.workspace(q_str(request, "workspace_id"))
        items = self.log.counts(since, until, size, w.index if w else None)
        return json_response({"bucket": name, "items": items, "as_of": iso(now)})

    @admin
    async def invalid_tokens(self, request: Request) -> Response:
        """GET /push/admin/v1/invalid-tokens."""
        w = self.workspace(q_str(request, "workspace_id"))
        rows, live = self.log.flag_count(w.index if w else None, q_time(request, "since"))
        offset, limit, _ = page_params(request)
        total = len(rows) + len(live)
        chosen = live[offset:offset + limit]
        items = [{"device_token": mask_token(tok), "platform": PLATFORMS[p], "workspace_id": self.log.workspaces[ws].id,
                  "flagged_at": iso(at)} for ws, tok, p, at in chosen]
        start = max(0, offset - len(live))
        for r in rows[start:start + limit - len(items)]:
            r = int(r)
            items.append({"device_token": mask_token(self.log.token_of_row(r)),
                          "platform": PLATFORMS[int(self.log.code[r]) >> 3],
                          "workspace_id": self.log.workspaces[int(self.log.ws[r])].id,
                          "flagged_at": iso(float(self.log.ts[r]))})
        return json_response({"items": items, "next_cursor": next_cursor(request, offset, limit, total),
                              "total": total})

    @admin
    async def invalid_token_trend(self, request: Request) -> Response:
        """GET /push/admin/v1/invalid-tokens/trend."""
        since, until = window(request, self.state.now(), default_hours=7 * 24)
        _, size = self._bucket(request, since, until)
        return json_response({"items": self.log.flag_trend(since, until, size)})

    @admin
    async def top_failing(self, request: Request) -> Response:
        """GET /push/admin/v1/top-failing."""
        since, until = window(request, self.state.now())
        limit = int(q_number(request, "limit", low=1, high=500, default=10) or 10)
        return json_response({"items": self.log.top_failing(since, until, limit)})

    # -- admin operations --------------------------------------------------------------------------
    @admin
    @idempotent
    async def resend(self, request: Request) -> Response:
        """POST /push/admin/v1/deliveries/{delivery_id}/resend."""
        found = self.log.find(request.path_params["delivery_id"])
        if found is None:
            raise ApiError(404, f"delivery {request.path_params['delivery_id']!r} not found")
        return json_response(self.render(self.gateway.resend(found, self.state.now())))

    async def _failed(self, request: Request, body: dict[str, Any] | None) -> list[int | LiveDelivery]:
        w = self.workspace(request.path_params["key"])
        assert w is not None
        now = self.state.now()
        if body is None:
            since, until = window(request, now)
        else:
            try:
                until = parse_iso(str(body["until"])) if body.get("until") else now
                since = parse_iso(str(body["since"])) if body.get("since") else until - 24 * HOUR
            except ValueError:
                raise ApiError(400, "since, until: ISO 8601 timestamps") from None
            if since >= until:
                raise ApiError(400, "since: must be earlier than until")
        return self.gateway.failed(w, since, until)

    @admin
    async def resend_failed_preview(self, request: Request) -> Response:
        """GET /push/admin/v1/workspaces/{key}/resend-failed."""
        targets = await self._failed(request, None)
        w = self.workspace(request.path_params["key"])
        assert w is not None
        since, until = window(request, self.state.now())
        return json_response({"failed": len(targets), "devices": self.gateway.devices(targets),
                              "not_resendable": self.gateway.not_resendable(w, since, until)})

    @admin
    @idempotent
    async def resend_failed(self, request: Request) -> Response:
        """POST /push/admin/v1/workspaces/{key}/resend-failed."""
        targets = await self._failed(request, await json_object(request, required=False))
        now = self.state.now()
        created = [self.gateway.resend(t, now) for t in targets]
        return json_response({"resent": len(created), "devices": self.gateway.devices(targets),
                              "delivery_ids": [d.id for d in created]})

    @admin
    @idempotent
    async def test_push(self, request: Request) -> Response:
        """POST /push/admin/v1/workspaces/{key}/test-push."""
        w = self.workspace(request.path_params["key"])
        assert w is not None
        body = await json_object(request, required=False)
        problem = payload_problem({"uniqueId": w.unique_id, "title": body.get("title"), "text": body.get("text")})
        if problem:
            raise ApiError(422, problem)
        delivery = self.gateway.test_push(w, self.state.now())
        if delivery is None:
            raise ApiError(409, f"the gateway knows no device of workspace {w.id}")
        return json_response(self.render(delivery))

    @admin
    @idempotent
    async def purge_invalid_tokens(self, request: Request) -> Response:
        """POST /push/admin/v1/workspaces/{key}/purge-invalid-tokens."""
        w = self.workspace(request.path_params["key"])
        assert w is not None
        return json_response({"purged": self.gateway.purge(w, self.state.now())})


def build_app(state: SandboxState) -> Starlette:
    """The push service as its own app."""
    svc = PushService(state)
    return service_app("push", [
        Route("/push/{platform}/send", svc.send, methods=["POST"]),
        Route("/admin/v1/deliveries", svc.list_deliveries, methods=["GET"]),
        Route("/admin/v1/deliveries/{delivery_id}", svc.get_delivery, methods=["GET"]),
        Route("/admin/v1/deliveries/{delivery_id}/resend", svc.resend, methods=["POST"]),
        Route("/admin/v1/counts", svc.counts, methods=["GET"]),
        Route("/admin/v1/invalid-tokens", svc.invalid_tokens, methods=["GET"]),
        Route("/admin/v1/invalid-tokens/trend", svc.invalid_token_trend, methods=["GET"]),
        Route("/admin/v1/top-failing", svc.top_failing, methods=["GET"]),
        Route("/admin/v1/workspaces/{key}/resend-failed", svc.resend_failed_preview, methods=["GET"]),
        Route("/admin/v1/workspaces/{key}/resend-failed", svc.resend_failed, methods=["POST"]),
        Route("/admin/v1/workspaces/{key}/test-push", svc.test_push, methods=["POST"]),
        Route("/admin/v1/workspaces/{key}/purge-invalid-tokens", svc.purge_invalid_tokens, methods=["POST"]),
    ], state)
