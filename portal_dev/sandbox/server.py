"""The sandbox server: five service apps under path prefixes plus `/_sandbox`, served by uvicorn.

`start_in_thread` is what tests and benchmarks use: a real server on a free loopback port.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field

import requests
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from portal_dev.config import SANDBOX_ADMIN_TOKEN, SERVICES, sandbox_url
from portal_dev.sandbox import control_app, fleet_app, hosting_app, marketplace_app, push_app, stats_app
from portal_dev.sandbox.faults import RequestIdMiddleware
from portal_dev.sandbox.state import SandboxState, build_state
from portal_dev.sandbox.web import EXCEPTION_HANDLERS

log = logging.getLogger("portal_dev.sandbox")
BUILDERS = {"fleet": fleet_app.build_app, "push": push_app.build_app, "stats": stats_app.build_app,
            "marketplace": marketplace_app.build_app, "hosting": hosting_app.build_app}


def build_app(state: SandboxState) -> Starlette:
    """One ASGI app: each service mounted at `/<service>`, the control app at `/_sandbox`."""
    async def index(request: Request) -> JSONResponse:
        return JSONResponse({"sandbox": True, "note": "local stand-ins for development and tests only",
                             "services": {s: f"/{s}" for s in SERVICES}, "control": "/_sandbox"})

    routes = [Route("/", index, methods=["GET"]), Mount("/_sandbox", app=control_app.build_app(state))]
    routes += [Mount(f"/{service}", app=BUILDERS[service](state)) for service in SERVICES]
    app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS,
                    middleware=[Middleware(RequestIdMiddleware)])
    app.state.sandbox = state
    return app


def uvicorn_config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    """Quiet, single-process, plain h11: the sandbox needs nothing more."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off",
                          ws="none", http="h11", loop="asyncio")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 → the OS picks a free one)."""
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on accepted sockets whose proto says
    # TCP, and without it keep-alive responses (headers, then body) wait ~40 ms on delayed ACKs.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


@dataclass
class RunningSandbox:
    """A sandbox serving in a background thread."""

    host: str
    port: int
    admin_token: str
    state: SandboxState
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket
    urls: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.urls = {service: sandbox_url(service, self.host, self.port) for service in SERVICES}

    @property
    def base_url(self) -> str:
        """http://host:port of the whole sandbox."""
        return f"http://{self.host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to finish and wait for the thread."""
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()


def wait_healthy(base_url: str, timeout: float = 30.0) -> None:
    """Poll `/_sandbox/health` until it answers 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base_url}/_sandbox/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"sandbox at {base_url} did not become healthy within {timeout:g}s")
        time.sleep(0.02)


def start_in_thread(*, workspaces: int, seed: int, host: str = "127.0.0.1", port: int = 0,
                    admin_token: str = SANDBOX_ADMIN_TOKEN) -> RunningSandbox:
    """Build a sandbox and serve it from a daemon thread; returns once it answers."""
    state = build_state(workspaces=workspaces, seed=seed, admin_token=admin_token)
    sock = bind(host, port)
    server = uvicorn.Server(uvicorn_config(build_app(state), host, sock.getsockname()[1]))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="portal-sandbox", daemon=True)
    thread.start()
    running = RunningSandbox(host, sock.getsockname()[1], admin_token, state, server, thread, sock)
    try:
        wait_healthy(running.base_url)
    except Exception:
        running.stop()
        raise
    return running
