"""Marketplace stand-in: the public catalogue/licence endpoints and the marketplace admin API."""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso
from portal_dev.sandbox._releases import is_supported, parse_version
from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.fleet_data import Workspace
from portal_dev.sandbox.market_data import CATEGORIES, SUBSCRIPTION_STATUSES, App, Install
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.web import ApiError, admin, idempotent, json_object, json_response, page, q_number, q_str

_CATEGORY_DATE = "2019-06-01T00:00:00.000Z"
UNSUPPORTED = {"errorMsg": "unsupported version"}  # known: the 426 body


class MarketplaceService:
    """Handlers of the `marketplace` service."""

    service = "marketplace"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.market = state.market

    def workspace(self, key: str) -> Workspace:
        """The workspace named in the path, or 404."""
        w = self.state.fleet.get(key)
        if w is None:
            raise ApiError(404, f"workspace {key!r} not found")
        return w

    # -- public (known paths; bodies are a subset of the real ones) ------------------------------
    @staticmethod
    def app_json(app: App) -> dict[str, object]:
        """A catalogue entry as /v1/apps lists it."""
        return {
            "appId": app.app_id, "isEnterpriseOnly": app.enterprise_only, "purchaseType": app.purchase_type,
            "price": 0 if not app.purchase_type else 5, "isVisible": True,
            "latest": {"id": app.app_id, "name": app.name, "nameSlug": app.slug, "version": app.version,
                       "categories": list(app.categories), "requiredApiVersion": app.required_api_version,
                       "author": {"name": "Sandbox Apps", "homepage": "https://apps.example",
                                  "support": "https://apps.example/support"},
                       "description": f"{app.name} for Rocket.Chat (sandbox catalogue)"},
        }

    async def catalogue(self, request: Request) -> Response:
        """GET /marketplace/v1/apps."""
        return JSONResponse([self.app_json(a) for a in self.market.catalogue])

    async def categories(self, request: Request) -> Response:
        """GET /marketplace/v1/categories."""
        return JSONResponse([{"id": f"cat_{i:02d}", "title": t, "description": f"{t} apps", "hidden": False,
                              "createdDate": _CATEGORY_DATE, "modifiedDate": _CATEGORY_DATE}
                             for i, t in enumerate(CATEGORIES)])

    def _caller(self, request: Request) -> Workspace | None:
        return self.state.auth.workspace_for(request.headers.get("authorization"), time.time())

    def _refuse_unsupported(self, version: str) -> JSONResponse | None:
        if is_supported(version, self.state.today()):
            return None
        return JSONResponse(UNSUPPORTED, status_code=426)

    async def workspace_apps(self, request: Request) -> Response:
        """Subscriptions/licences of a workspace's apps (polled daily by the workspace)."""
        caller = self._caller(request)
        w = self.state.fleet.get(request.path_params["workspace_id"])
        if caller is None or w is None or caller.index != w.index:
            return JSONResponse({"errorMsg": "unauthorized"}, status_code=401)  # assumed body
        refused = self._refuse_unsupported(w.version)
        if refused is not None:
            return refused
        seats = q_number(request, "seats", low=0, high=10_000_000, default=w.active_users)
        return JSONResponse([self._licence_json(inst, int(seats or 0)) for inst in self.market.installs(w)])

    def _licence_json(self, inst: Install, seats: int) -> dict[str, object]:
        app = self.market.catalogue[inst.app]
        sub = inst.subscription
        return {
            "id": app.app_id, "name": app.name, "nameSlug": app.slug, "version": app.version,
            "purchaseType": app.purchase_type, "isEnterpriseOnly": app.enterprise_only,
            "isPurchased": app.purchase_type == "buy", "isSubscribed": sub is not None,
            "subscriptionInfo": None if sub is None else {
                "typeOf": "app", "status": sub[0], "statusFromBilling": sub[0], "isSeatBased": True,
                "seats": seats, "maxSeats": sub[2], "startDate": iso(inst.installed_at),
                "periodEnd": iso(sub[3]), "license": {"license": "sandbox-licence", "version": 1,
                                                      "expireDate": iso(sub[3])}},
        }

    async def install(self, request: Request) -> Response:
        """An install/update/uninstall notice from a workspace."""
        caller = self._caller(request)
        if caller is None:
            return JSONResponse({"errorMsg": "unauthorized"}, status_code=401)
        app = self.market.by_app_id.get(request.path_params["app_id"])
        if app is None:
            return JSONResponse({"errorMsg": "app not found"}, status_code=404)
        body = await json_object(request, required=False)
        engine = str(body.get("engineVersion") or request.headers.get("x-apps-engine-version") or "")
        if parse_version(engine) is None:
            return JSONResponse({"code": 200, "errorMsg": "invalid apps-engine version"}, status_code=400)
        refused = self._refuse_unsupported(caller.version)
        if refused is not None:
            return refused
        action = body.get("action", "install")
        if action not in ("install", "update", "uninstall"):
            return JSONResponse({"errorMsg": "action must be install, update or uninstall"}, status_code=400)
        self.market.record_install(caller, app, action, str(body.get("appVersion") or ""), time.time())
        return JSONResponse({"success": True})  # assumed body

    # -- admin -------------------------------------------------------------------------------------
    @admin
    async def admin_workspace_apps(self, request: Request) -> Response:
        """GET /marketplace/admin/v1/workspaces/{workspace_id}/apps."""
        w = self.workspace(request.path_params["workspace_id"])
        return page(request, self.market.installs(w), self.market.install_json)

    @admin
    async def summary(self, request: Request) -> Response:
        """GET /marketplace/admin/v1/summary."""
        return json_response(self.market.summary(time.time()))

    @admin
    async def failed_installs(self, request: Request) -> Response:
        """GET /marketplace/admin/v1/failed-installs."""
        ws = self.state.fleet.workspaces

        def render(item: tuple[int, int, float]) -> dict[str, object]:
            """A delivery (history row or live) as the admin API's Delivery object."""
            index, app, at = item
            return {"workspace_id": ws[index].id, "app_id": self.market.catalogue[app].app_id,
                    "name": self.market.catalogue[app].name, "error": self.market.failed_error(index, app),
                    "at": iso(at)}
        return page(request, self.market.failed_installs(), render)

    @admin
    async def installs(self, request: Request) -> Response:
        """GET /marketplace/admin/v1/installs?app_id=&subscription_status=."""
        app_id = q_str(request, "app_id")
        app = self.market.by_app_id.get(app_id) if app_id else None
        if app_id and app is None:
            return page(request, [], lambda item: item)
        status = q_str(request, "subscription_status", SUBSCRIPTION_STATUSES)
        ws = self.state.fleet.workspaces

        def render(item: tuple[int, int]) -> dict[str, object]:
            index, app_index = item
            inst = next(i for i in self.market.installs(ws[index]) if i.app == app_index)
            return {"workspace_id": ws[index].id, **self.market.install_json(inst)}
        return page(request, self.market.installs_matching(app.index if app else None, status), render)

    @admin
    @idempotent
    async def resync(self, request: Request) -> Response:
        """POST /marketplace/admin/v1/workspaces/{workspace_id}/resync-subscriptions."""
        w = self.workspace(request.path_params["workspace_id"])
        now = time.time()
        return json_response({"workspace_id": w.id, "resynced": self.market.resync(w, now), "performed_at": iso(now)})


def build_app(state: SandboxState) -> Starlette:
    """The marketplace service as its own app."""
    svc = MarketplaceService(state)
    return service_app("marketplace", [
        Route("/v1/apps", svc.catalogue, methods=["GET"]),
        Route("/v1/categories", svc.categories, methods=["GET"]),
        Route("/v1/workspaces/{workspace_id}/apps", svc.workspace_apps, methods=["GET"]),
        Route("/v1/apps/{app_id}/install", svc.install, methods=["POST"]),
        Route("/admin/v1/workspaces/{workspace_id}/apps", svc.admin_workspace_apps, methods=["GET"]),
        Route("/admin/v1/summary", svc.summary, methods=["GET"]),
        Route("/admin/v1/failed-installs", svc.failed_installs, methods=["GET"]),
        Route("/admin/v1/installs", svc.installs, methods=["GET"]),
        Route("/admin/v1/workspaces/{workspace_id}/resync-subscriptions", svc.resync, methods=["POST"]),
    ], state)
