"""A local OpenID Connect provider for development and tests (oidc-provider-mock), on loopback.

Its sign-in page has one button per development user below; there is no password. It is a
development tool only: it refuses to start when PORTAL_ENV=production, and production refuses
an `[auth]` section that points at it (see `portal.startup`).

`python -m portal_dev.idp [--port 8620]` serves it in the foreground.
"""

from __future__ import annotations

import argparse
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

IDP_HOST = "127.0.0.1"
IDP_PORT = 8620


@dataclass(frozen=True)
class DevUser:
    """A development identity: login (`sub`), display name and groups in the ID token."""

    sub: str
    name: str
    groups: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.sub}@example.com"

    def claims(self) -> dict[str, Any]:
        """The claims the identity provider puts in this user's ID token."""
        return {"email": self.email, "email_verified": True, "name": self.name, "groups": list(self.groups)}


DEV_USERS: tuple[DevUser, ...] = (
    DevUser("lead", "Lee Lead", ("cloud-leads",)),
    DevUser("support", "Sam Support", ("cloud-support",)),
    DevUser("oncall", "Olly Oncall", ("cloud-oncall",)),
    DevUser("admin", "Ada Admin", ("cloud-admins",)),
    # A second admin, so a two-person action can be requested and approved in development.
    DevUser("admin2", "Abe Admin", ("cloud-admins",)),
    DevUser("outsider", "Otto Outsider", ()),
)


def dev_user(sub: str) -> DevUser:
    """The development user with this login; KeyError when there is none."""
    for user in DEV_USERS:
        if user.sub == sub:
            return user
    raise KeyError(sub)


def signed_in_user(sub: str, *, signed_in_at: datetime | None = None) -> dict[str, Any]:
    """What `st.user` holds after `sub` signs in at `signed_in_at` (default now): use as AppTest.user."""
    when = int((signed_in_at or datetime.now(UTC)).timestamp())
    return {
        "is_logged_in": True,
        "sub": sub,
        **dev_user(sub).claims(),
        "iss": f"http://{IDP_HOST}:{IDP_PORT}",
        "iat": when,
        "exp": when + 3600,
    }


def identity_provider_app() -> Any:
    """The oidc-provider-mock WSGI app with the development users registered."""
    from oidc_provider_mock import User, app

    return app(user_claims=[User(sub=user.sub, claims=user.claims()) for user in DEV_USERS])


@dataclass
class RunningIdentityProvider:
    """An identity provider serving on a background thread; `stop()` shuts it down."""

    server: Any  # werkzeug.serving.BaseWSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _request_handler() -> type:
    """Werkzeug's handler, logging method, path and status but never the query (it holds tokens)."""
    import werkzeug.serving

    class PathOnlyRequestHandler(werkzeug.serving.WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = getattr(self, "path", "").split("?", 1)[0]
            self.log("info", "%s %s %s", getattr(self, "command", "-"), path, code)

    return PathOnlyRequestHandler


def start_in_thread(host: str = IDP_HOST, port: int = 0) -> RunningIdentityProvider:
    """Serve the development identity provider on host:port (0 = a free port) in a thread."""
    import werkzeug.serving

    from portal.startup import refuse_in_production

    refuse_in_production("the development identity provider")
    server = werkzeug.serving.make_server(host, port, identity_provider_app(), threaded=True,
                                          request_handler=_request_handler())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="dev-idp", daemon=True)
    thread.start()
    return RunningIdentityProvider(server=server, thread=thread)


def main(argv: list[str] | None = None) -> int:
    """Serve the development identity provider in the foreground until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m portal_dev.idp")
    parser.add_argument("--host", default=IDP_HOST)
    parser.add_argument("--port", type=int, default=IDP_PORT)
    args = parser.parse_args(argv)
    running = start_in_thread(args.host, args.port)
    users = ", ".join(user.sub for user in DEV_USERS)
    print(f"Development identity provider: {running.url}  (users: {users})", flush=True)
    try:
        running.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
