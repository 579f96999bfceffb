"""Cloud-hosting stand-in: instances, events and operations (entirely assumed: nothing is public)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal_dev.sandbox.faults import service_app
from portal_dev.sandbox.hosting_data import STATUSES, Instance, Operation, UpgradeRefused
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.web import ApiError, admin, idempotent, json_object, json_response, page, q_str


class HostingService:
    """Handlers of the `hosting` service."""

    service = "hosting"

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.hosting = state.hosting

    def instance(self, key: str) -> Instance:
        """The hosted instance of the workspace named in the path, or 404."""
        w = self.state.fleet.get(key)
        inst = self.hosting.instances.get(w.index) if w is not None else None
        if inst is None:
            raise ApiError(404, f"no hosted instance for workspace {key!r}")
        return inst

    @admin
    async def list_instances(self, request: Request) -> Response:
        """GET /hosting/admin/v1/instances."""
        status = q_str(request, "status", STATUSES)
        region, version = q_str(request, "region"), q_str(request, "version")
        ws = self.state.fleet.workspaces
        items = [i for i in self.hosting.instances.values()
                 if (status is None or i.status == status) and (region is None or ws[i.ws].region == region)
                 and (version is None or ws[i.ws].version == version)]
        return page(request, items, self.hosting.instance_json)

    @admin
    async def get_instance(self, request: Request) -> Response:
        """GET /hosting/admin/v1/instances/{key}."""
        return json_response(self.hosting.instance_json(self.instance(request.path_params["key"])))

    @admin
    async def events(self, request: Request) -> Response:
        """GET /hosting/admin/v1/instances/{key}/events."""
        inst = self.instance(request.path_params["key"])
        return page(request, self.hosting.events(inst.ws, self.state.now()), lambda e: e, default_limit=20)

    @admin
    async def summary(self, request: Request) -> Response:
        """GET /hosting/admin/v1/summary."""
        return json_response(self.hosting.summary(self.state.now()))

    @admin
    async def list_operations(self, request: Request) -> Response:
        """GET /hosting/admin/v1/operations."""
        state = q_str(request, "state", ("pending", "running", "succeeded", "failed"))
        key = q_str(request, "workspace_id")
        ws = self.instance(key).ws if key else None
        now = self.state.now()
        ops = [op for op in self.hosting.order if ws is None or op.ws == ws]
        if state is None:  # render only the page asked for
            return page(request, ops, lambda op: self.hosting.op_json(op, now))
        rendered = [self.hosting.op_json(op, now) for op in ops]
        return page(request, [op for op in rendered if op["state"] == state], lambda op: op)

    @admin
    async def get_operation(self, request: Request) -> Response:
        """GET /hosting/admin/v1/operations/{op_id}."""
        op = self.hosting.operations.get(request.path_params["op_id"])
        if op is None:
            raise ApiError(404, f"operation {request.path_params['op_id']!r} not found")
        return json_response(self.hosting.op_json(op, self.state.now()))

    def _start(self, inst: Instance, kind: str, version: str | None = None) -> Response:
        now = self.state.now()
        busy = self.hosting.busy(inst.ws, now)
        if busy is not None:
            raise ApiError(409, f"operation {busy.id} ({busy.kind}) is still in progress on this instance")
        op: Operation = self.hosting.start(inst.ws, kind, now, version)
        return json_response(self.hosting.op_json(op, now), status=202)

    @admin
    @idempotent
    async def restart(self, request: Request) -> Response:
        """POST /hosting/admin/v1/instances/{key}/restart."""
        return self._start(self.instance(request.path_params["key"]), "restart")

    @admin
    @idempotent
    async def maintenance(self, request: Request) -> Response:
        """POST /hosting/admin/v1/instances/{key}/maintenance."""
        inst = self.instance(request.path_params["key"])
        enabled = (await json_object(request)).get("enabled")
        if not isinstance(enabled, bool):
            raise ApiError(400, "enabled: true or false is required")
        return self._start(inst, "maintenance_on" if enabled else "maintenance_off")

    @admin
    @idempotent
    async def upgrade(self, request: Request) -> Response:
        """POST /hosting/admin/v1/instances/{key}/upgrade."""
        inst = self.instance(request.path_params["key"])
        version = (await json_object(request)).get("version")
        if not isinstance(version, str) or not version:
            raise ApiError(400, "version: required")
        try:
            self.hosting.check_upgrade(inst.ws, version, self.state.now())
        except UpgradeRefused as exc:
            raise ApiError(422, str(exc)) from None
        return self._start(inst, "upgrade", version)


def build_app(state: SandboxState) -> Starlette:
    """The hosting service as its own app."""
    svc = HostingService(state)
    return service_app("hosting", [
        Route("/admin/v1/instances", svc.list_instances, methods=["GET"]),
        Route("/admin/v1/instances/{key}", svc.get_instance, methods=["GET"]),
        Route("/admin/v1/instances/{key}/events", svc.events, methods=["GET"]),
        Route("/admin/v1/instances/{key}/restart", svc.restart, methods=["POST"]),
        Route("/admin/v1/instances/{key}/maintenance", svc.maintenance, methods=["POST"]),
        Route("/admin/v1/instances/{key}/upgrade", svc.upgrade, methods=["POST"]),
        Route("/admin/v1/summary", svc.summary, methods=["GET"]),
        Route("/admin/v1/operations", svc.list_operations, methods=["GET"]),
        Route("/admin/v1/operations/{op_id}", svc.get_operation, methods=["GET"]),
    ], state)
