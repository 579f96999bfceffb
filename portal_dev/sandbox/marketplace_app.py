"""Marketplace stand-in: the public catalogue/licence endpoints and the marketplace admin API.

The public endpoints answer what the Rocket.Chat server's code expects (paths, headers, status
codes, the zod schemas of `apps/meteor/ee/server/apps/marketplace/fetchMarketplaceApps.ts` and
`fetchMarketplaceCategories.ts`, the apps-engine's `IMarketplaceInfo`); see docs/service-contract.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso, iso_ms
from portal_dev.sandbox._releases import is_supported, parse_version
from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.fleet_data import Workspace
from portal_dev.sandbox.market_data import CATEGORIES, SUBSCRIPTION_STATUSES, App, Install
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.web import ApiError, admin, idempotent, json_object, json_response, page, q_number, q_str

_CATEGORY_DATE = "2019-06-01T00:00:00.000Z"
UNSUPPORTED = {"errorMsg": "unsupported version"}  # known: the 426 body (fetchMarketplaceApps.ts checks it)
INVALID_ENGINE = {"code": 200, "errorMsg": "invalid apps-engine version"}  # known: 400 with code 200
UNAUTHORIZED = {"errorMsg": "unauthorized"}  # assumed body (the server only reads the status, or nothing)
_AUTHOR = {"name": "Sandbox Apps", "support": "https://apps.example/support", "homepage": "https://apps.example"}
# a 1x1 PNG: `iconFileData` is the icon's base64 (the admin UI shows it as a data: URL)
_ICON = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
_PERMISSIONS = ({"name": "user.read"}, {"name": "message.read"}, {"name": "message.write"},
                {"name": "networking", "domains": ["apps.example"]})


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

    # -- public: bodies ----------------------------------------------------------------------------
    def subscription_json(self, app: App, inst: Install, seats: int | None = None) -> dict[str, object] | None:
        """`subscriptionInfo` of one install (zod schema of fetchMarketplaceApps.ts), None without a subscription.

        `seats` is what the workspace reported (`?seats=` of the daily poll); the licence carries it too."""
        sub = inst.subscription
        if sub is None:
            return None
        status, held_seats, max_seats, expire = sub
        seats = held_seats if seats is None else seats
        period_end = iso_ms(expire)
        info: dict[str, object] = {
            "typeOf": "app", "status": status, "statusFromBilling": True, "isSeatBased": True,
            "seats": seats, "maxSeats": max_seats,
            "license": {"license": self.licence_blob(app, seats, max_seats, period_end), "version": 1,
                        "expireDate": period_end},
            "startDate": iso_ms(inst.installed_at), "periodEnd": period_end,
            "externallyManaged": False, "isSubscribedViaBundle": False,
        }
        if status in ("cancelled", "cancelling"):
            info["endDate"] = period_end
        return info

    @staticmethod
    def licence_blob(app: App, seats: int, max_seats: int, expire: str) -> str:
        """The licence string: base64 of the v1 licence JSON the apps-engine's AppLicenseManager reads.

        A real marketplace encrypts it with the cloud's private key (the server runs `publicDecrypt` with
        `Cloud_Workspace_PublicKey`); the sandbox has no such key pair, so this one is plain JSON."""
        licence = {"version": 1, "isBundle": False, "appId": app.app_id, "expireDate": expire,
                   "renewalDate": expire, "maxSeats": max_seats, "seats": seats}
        return base64.b64encode(json.dumps(licence, separators=(",", ":")).encode()).decode()

    @staticmethod
    def _pricing_plans(app: App) -> list[dict[str, object]]:
        if not app.purchase_type:
            return []
        if app.purchase_type == "buy":
            return [{"id": f"plan_{app.slug}_once", "enabled": True, "price": 5, "trialDays": 0,
                     "strategy": "once", "isPerSeat": False}]
        return [{"id": f"plan_{app.slug}_monthly", "enabled": True, "price": 5, "trialDays": 30,
                 "strategy": "monthly", "isPerSeat": True,
                 "tiers": [{"perUnit": True, "minimum": 1, "maximum": 0, "price": 5}]}]

    def version_json(self, app: App, version: str | None = None) -> dict[str, object]:
        """One version of an app: the catalogue's `latest` object (every IAppInfo field a server reads too)."""
        version = version or app.version
        internal = hashlib.blake2b(f"{app.app_id}@{version}".encode(), digest_size=12).hexdigest()
        class_name = re.sub(r"[^0-9A-Za-z]", "", app.name) + "App"
        description = f"{app.name} for Rocket.Chat (sandbox catalogue)"
        released = iso_ms(app.released_at)
        return {
            "internalId": internal, "id": app.app_id, "name": app.name, "nameSlug": app.slug, "version": version,
            "categories": list(app.categories), "languages": ["en"],
            "shortDescription": description, "description": description,
            "documentationUrl": f"https://apps.example/docs/{app.slug}",
            "detailedDescription": {"raw": f"# {app.name}\n\n{description}.",
                                    "rendered": f"<h1>{app.name}</h1>\n<p>{description}.</p>"},
            "detailedChangelog": {"raw": f"## {version}\n\n- Sandbox release.",
                                  "rendered": f"<h2>{version}</h2>\n<ul><li>Sandbox release.</li></ul>"},
            "requiredApiVersion": app.required_api_version,
            "permissions": [dict(p) for p in _PERMISSIONS],
            "author": dict(_AUTHOR), "classFile": f"{class_name}.js", "iconFile": "icon.png",
            "iconFileData": _ICON, "implements": [], "status": "published", "isVisible": True,
            "createdDate": released, "modifiedDate": released,
        }

    def purchase_json(self, app: App, inst: Install | None, seats: int | None = None) -> dict[str, object]:
        """The purchase side of a catalogue entry, as seen by the workspace that has `inst` (None: not installed)."""
        sub = None if inst is None else self.subscription_json(app, inst, seats)
        out: dict[str, object] = {
            "isEnterpriseOnly": app.enterprise_only, "bundledIn": [],
            "isPurchased": inst is not None and app.purchase_type == "buy",
            "isSubscribed": sub is not None,
            "price": 0 if not app.purchase_type else 5, "purchaseType": app.purchase_type,
            "pricingPlans": self._pricing_plans(app),
        }
        if sub is not None:
            out["subscriptionInfo"] = sub
        return out

    def app_json(self, app: App, inst: Install | None = None, version: str | None = None) -> dict[str, object]:
        """A catalogue entry as /v1/apps lists it (the zod schema of fetchMarketplaceApps.ts)."""
        return {
            "appId": app.app_id, "latest": self.version_json(app, version), "isAddon": False, "isBundle": False,
            **self.purchase_json(app, inst), "isUsageBased": False,
            "createdAt": iso_ms(app.published_at), "modifiedAt": iso_ms(app.released_at),
        }

    def info_json(self, inst: Install, seats: int | None = None) -> dict[str, object]:
        """The apps-engine's IMarketplaceInfo of an installed app: its version plus the workspace's purchase."""
        app = self.market.catalogue[inst.app]
        return {**self.version_json(app, inst.version), "isBundled": False, **self.purchase_json(app, inst, seats)}

    # -- public: handlers --------------------------------------------------------------------------
    def _caller(self, request: Request) -> Workspace | None:
        return self.state.auth.workspace_for(request.headers.get("authorization"), self.state.now())

    def _refuse_unsupported(self, caller: Workspace | None) -> JSONResponse | None:
        """426 for a caller whose version is out of support (no token: nobody to refuse)."""
        if caller is None or is_supported(caller.version, self.state.today()):
            return None
        return JSONResponse(UNSUPPORTED, status_code=426)

    async def catalogue(self, request: Request) -> Response:
        """GET /v1/apps[?endUserID=]: the catalogue as the calling workspace (if any) sees it."""
        if parse_version(request.headers.get("x-apps-engine-version") or "") is None:
            return JSONResponse(INVALID_ENGINE, status_code=400)
        caller = self._caller(request)
        refused = self._refuse_unsupported(caller)
        if refused is not None:
            return refused
        installed = {i.app: i for i in self.market.installs(caller)} if caller is not None else {}
        return JSONResponse([self.app_json(a, installed.get(a.index)) for a in self.market.catalogue])

    async def categories(self, request: Request) -> Response:
        """GET /v1/categories."""
        refused = self._refuse_unsupported(self._caller(request))
        if refused is not None:
            return refused
        return JSONResponse([{"id": f"cat_{i:02d}", "title": t, "description": f"{t} apps", "hidden": False,
                              "createdDate": _CATEGORY_DATE, "modifiedDate": _CATEGORY_DATE}
                             for i, t in enumerate(CATEGORIES)])

    async def app_versions(self, request: Request) -> Response:
        """GET /v1/apps/{id}[?appVersion=]: an array of exactly one entry (the install flow checks the length).

        The entry is a catalogue element that also carries IMarketplaceInfo's fields at the top (`id`, ...):
        the server stores it as the app's `marketplaceInfo`, and the licence check compares `[0].id`."""
        app = self.market.by_app_id.get(request.path_params["app_id"])
        if app is None:
            return JSONResponse({"errorMsg": "app not found"}, status_code=404)  # assumed body
        caller = self._caller(request)
        refused = self._refuse_unsupported(caller)
        if refused is not None:
            return refused
        version = q_str(request, "appVersion")
        if version is not None and parse_version(version) is None:
            return JSONResponse({"errorMsg": "invalid appVersion"}, status_code=400)  # assumed body
        inst = self.market.install_of(caller, app.index) if caller is not None else None
        entry = {**self.version_json(app, version), "isBundled": False, **self.app_json(app, inst, version)}
        return JSONResponse([entry])

    def _licence_caller(self, request: Request) -> Workspace | None:
        """The workspace of a licence call: the token's, if it is the one in the path (its cloud id)."""
        caller = self._caller(request)
        if caller is None or caller.id.lower() != request.path_params["workspace_id"].lower():
            return None
        return caller

    async def workspace_apps(self, request: Request) -> Response:
        """GET /v1/workspaces/{Cloud_Workspace_Id}/apps?seats=N: the daily licence poll (cron.ts).

        No 426 here: the server ignores the status and keeps the body only when it is an array."""
        w = self._licence_caller(request)
        if w is None:
            return JSONResponse(UNAUTHORIZED, status_code=401)
        seats = int(q_number(request, "seats", low=0, high=10_000_000, default=w.active_users) or 0)
        return JSONResponse([{"latest": self.info_json(inst, seats)} for inst in self.market.installs(w)])

    async def workspace_app(self, request: Request) -> Response:
        """GET /v1/workspaces/{Cloud_Workspace_Id}/apps/{appId}: one `{latest}` (POST /api/apps/:id/sync)."""
        w = self._licence_caller(request)
        if w is None:
            return JSONResponse(UNAUTHORIZED, status_code=401)
        app = self.market.by_app_id.get(request.path_params["app_id"])
        inst = self.market.install_of(w, app.index) if app is not None else None
        if inst is None:
            return JSONResponse({"errorMsg": "app not installed"}, status_code=404)  # assumed body
        seats = q_number(request, "seats", low=0, high=10_000_000)
        return JSONResponse({"latest": self.info_json(inst, None if seats is None else int(seats))})

    async def install(self, request: Request) -> Response:
        """POST /v1/apps/{id}/install: an install/update/uninstall notice (appInstall.ts; the answer is ignored)."""
        caller = self._caller(request)
        if caller is None:
            return JSONResponse(UNAUTHORIZED, status_code=401)
        app = self.market.by_app_id.get(request.path_params["app_id"])
        if app is None:
            return JSONResponse({"errorMsg": "app not found"}, status_code=404)
        body = await json_object(request, required=False)
        engine = str(body.get("engineVersion") or request.headers.get("x-apps-engine-version") or "")
        if parse_version(engine) is None:
            return JSONResponse(INVALID_ENGINE, status_code=400)
        refused = self._refuse_unsupported(caller)
        if refused is not None:
            return refused
        action = body.get("action", "install")
        if action not in ("install", "update", "uninstall"):
            return JSONResponse({"errorMsg": "action must be install, update or uninstall"}, status_code=400)
        self.market.record_install(caller, app, action, str(body.get("appVersion") or ""), self.state.now())
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
        return json_response(self.market.summary(self.state.now()))

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
        now = self.state.now()
        return json_response({"workspace_id": w.id, "resynced": self.market.resync(w, now), "performed_at": iso(now)})


def build_app(state: SandboxState) -> Starlette:
    """The marketplace service as its own app."""
    svc = MarketplaceService(state)
    return service_app("marketplace", [
        Route("/v1/apps", svc.catalogue, methods=["GET"]),
        Route("/v1/categories", svc.categories, methods=["GET"]),
        Route("/v1/apps/{app_id}", svc.app_versions, methods=["GET"]),
        Route("/v1/workspaces/{workspace_id}/apps", svc.workspace_apps, methods=["GET"]),
        Route("/v1/workspaces/{workspace_id}/apps/{app_id}", svc.workspace_app, methods=["GET"]),
        Route("/v1/apps/{app_id}/install", svc.install, methods=["POST"]),
        Route("/admin/v1/workspaces/{workspace_id}/apps", svc.admin_workspace_apps, methods=["GET"]),
        Route("/admin/v1/summary", svc.summary, methods=["GET"]),
        Route("/admin/v1/failed-installs", svc.failed_installs, methods=["GET"]),
        Route("/admin/v1/installs", svc.installs, methods=["GET"]),
        Route("/admin/v1/workspaces/{workspace_id}/resync-subscriptions", svc.resync, methods=["POST"]),
    ], state)
