"""`/_sandbox`: sandbox-only control endpoints (health, faults, request log, test credentials).

No admin token here on purpose: these exist only in the sandbox, which listens on loopback for
development and tests; a real service has none of them.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from portal_dev.sandbox._common import iso
from portal_dev.sandbox._releases import is_supported
from portal_dev.sandbox.faults import Fault
from portal_dev.sandbox.fleet_data import Workspace
from portal_dev.sandbox.push_tokens import PLATFORMS
from portal_dev.sandbox.servers import SCENARIOS
from portal_dev.sandbox.state import SandboxState
from portal_dev.sandbox.web import EXCEPTION_HANDLERS, ApiError, json_object, json_response, q_number

TOKENS_SHOWN = 3


class Control:
    """Handlers of `/_sandbox`."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state

    async def health(self, request: Request) -> Response:
        """GET /_sandbox/health."""
        return json_response({"status": "ok", "workspaces": len(self.state.fleet), "seed": self.state.seed})

    async def get_faults(self, request: Request) -> Response:
        """GET /_sandbox/faults."""
        return json_response(self.state.faults.to_json())

    async def put_fault(self, request: Request) -> Response:
        """PUT /_sandbox/faults/{service}."""
        service = request.path_params["service"]
        if service not in self.state.faults.services:
            raise ApiError(404, f"no service {service!r}")
        try:
            fault = Fault.from_json(await json_object(request, required=False))
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        self.state.faults.set(service, fault)
        return json_response({service: fault.to_json()})

    async def clear_faults(self, request: Request) -> Response:
        """DELETE /_sandbox/faults."""
        self.state.faults.clear()
        return json_response(self.state.faults.to_json())

    async def get_requests(self, request: Request) -> Response:
        """GET /_sandbox/requests."""
        since = q_number(request, "since", low=0, high=float("inf"), integer=False)
        return json_response({"items": self.state.requests.since(since), "now": time.monotonic()})

    async def clear_requests(self, request: Request) -> Response:
        """DELETE /_sandbox/requests."""
        self.state.requests.clear()
        return json_response({"items": [], "now": time.monotonic()})

    def _tokens(self, w: Workspace, valid: bool) -> list[dict[str, str]]:
        log = self.state.push
        first = int(log.valid_tokens[w.index])
        numbers = range(min(first, TOKENS_SHOWN)) if valid else range(first, min(w.push_tokens, first + TOKENS_SHOWN))
        out = []
        for j in numbers:
            platform = log.codec.platform_one(w.index, j, float(log.apn_share[w.index]))
            out.append({"token": log.codec.render(w.index, j, platform), "platform": PLATFORMS[platform]})
        return out

    async def credentials(self, request: Request) -> Response:
        """A workspace's client credentials and a few device tokens, for tests of the public APIs."""
        w = self.state.fleet.get(request.path_params["key"])
        if w is None:
            raise ApiError(404, f"workspace {request.path_params['key']!r} not found")
        return json_response({
            "workspace_id": w.id, "unique_id": w.unique_id, "registration_state": w.registration_state,
            "client_id": w.client_id, "client_secret": self.state.auth.client_secret(w),
            "device_tokens": {"valid": self._tokens(w, True), "invalid": self._tokens(w, False)},
        })

    async def get_clock(self, request: Request) -> Response:
        """GET /_sandbox/clock: the sandbox's simulated time."""
        return json_response({"now": iso(self.state.now()), "offset_seconds": self.state.clock_offset})

    async def advance_clock(self, request: Request) -> Response:
        """POST /_sandbox/clock {"advance": seconds}: move simulated time on; every engaged server catches up."""
        body = await json_object(request)
        seconds = body.get("advance")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= 366 * 86400:
            raise ApiError(400, "advance: seconds to move the clock on, between 0 and 31622400")
        now = self.state.advance_clock(float(seconds))
        return json_response({"now": iso(now), "offset_seconds": self.state.clock_offset})

    def _workspace(self, request: Request) -> Workspace:
        w = self.state.fleet.get(request.path_params["key"])
        if w is None:
            raise ApiError(404, f"workspace {request.path_params['key']!r} not found")
        return w

    async def server(self, request: Request) -> Response:
        """GET /_sandbox/servers/{key}: what the workspace's simulated server holds and did."""
        w, now = self._workspace(request), self.state.now()
        servers = self.state.servers
        server = servers.engage(w, now)
        self.state.tick(now)  # caught up like on any service request (a sync due at its start runs now)
        return json_response(servers.to_json(server, now))

    async def scenario(self, request: Request) -> Response:
        """POST /_sandbox/servers/{key}/scenario {"scenario": name, "seconds": n}: a situation an engineer meets."""
        w, now = self._workspace(request), self.state.now()
        body = await json_object(request)
        name, seconds = body.get("scenario"), body.get("seconds", 0)
        if not isinstance(name, str) or name not in SCENARIOS:
            raise ApiError(400, f"scenario: one of {', '.join(SCENARIOS)}")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ApiError(400, "seconds: a number, 0 or more")
        servers = self.state.servers
        servers.engage(w, now)
        self.state.tick(now)  # what was due before the scenario happens first
        return json_response(servers.to_json(servers.scenario(w, name, now, seconds=float(seconds)), now))

    async def registration_token(self, request: Request) -> Response:
        """POST /_sandbox/registration-tokens: a one-time `REG_TOKEN` for `POST /api/oauth/clients`."""
        return json_response({"token": self.state.registrations.new_registration_token()})

    async def examples(self, request: Request) -> Response:
        """The first workspace of each interesting kind, so tests need not hunt for one."""
        today = self.state.today()
        market = self.state.market
        checks = {
            "registered": lambda w: w.registration_state == "registered" and not w.hosted and not w.suspended,
            "unregistered": lambda w: w.registration_state == "unregistered",
            "deregistered": lambda w: w.registration_state == "deregistered",
            "suspended": lambda w: w.suspended,
            "hosted": lambda w: w.hosted,
            "supported_registered": lambda w: w.registration_state == "registered" and not w.suspended
            and is_supported(w.version, today),
            "unsupported_registered": lambda w: w.registration_state == "registered" and not w.suspended
            and not is_supported(w.version, today),
            "stats_silent": lambda w: w.last_stats_at is not None and w.last_stats_at < self.state.now() - 48 * 3600,
            "never_reported": lambda w: w.last_stats_at is None,
            "pushing": lambda w: w.push_volume > 0 and w.registration_state == "registered",
            "with_invalid_tokens": lambda w: w.push_invalid > 0 and w.registration_state == "registered"
            and not w.suspended,
            "with_apps": lambda w: bool(market.installs(w)),
            "connection_disabled": lambda w: w.registration_state == "connection_disabled",
            "old_style_id": lambda w: len(w.unique_id) == 17 and w.registration_state == "registered"
            and not w.suspended,
            "unique_id_changed": lambda w: bool(w.unique_id_history),
        }
        found: dict[str, str | None] = dict.fromkeys(checks)
        for w in self.state.fleet.workspaces:
            for name, check in checks.items():
                if found[name] is None and check(w):
                    found[name] = w.id
            if all(found.values()):
                break
        failed = market.failed_installs()
        reporters = self.state.stats.reporters
        return json_response({
            "workspace_ids": found,
            "failed_install_workspace_id": self.state.fleet.workspaces[failed[0][0]].id if failed else None,
            "unregistered_reporter_unique_id": reporters[0].unique_id if reporters else None,
        })


def build_app(state: SandboxState) -> Starlette:
    """The control app, mounted at `/_sandbox`."""
    ctl = Control(state)
    app = Starlette(routes=[
        Route("/health", ctl.health, methods=["GET"]),
        Route("/faults", ctl.get_faults, methods=["GET"]),
        Route("/faults", ctl.clear_faults, methods=["DELETE"]),
        Route("/faults/{service}", ctl.put_fault, methods=["PUT"]),
        Route("/requests", ctl.get_requests, methods=["GET"]),
        Route("/requests", ctl.clear_requests, methods=["DELETE"]),
        Route("/workspaces/{key}/credentials", ctl.credentials, methods=["GET"]),
        Route("/examples", ctl.examples, methods=["GET"]),
        Route("/clock", ctl.get_clock, methods=["GET"]),
        Route("/clock", ctl.advance_clock, methods=["POST"]),
        Route("/servers/{key}", ctl.server, methods=["GET"]),
        Route("/servers/{key}/scenario", ctl.scenario, methods=["POST"]),
        Route("/registration-tokens", ctl.registration_token, methods=["POST"]),
    ], exception_handlers=EXCEPTION_HANDLERS)
    app.state.sandbox = state
    return app
