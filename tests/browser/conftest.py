"""Real-browser fixtures: the whole stack on free loopback ports, Debian chromium, and `sign_in`.

- `portal_stack` (session): the sandbox, the development identity provider (in this process) and
  Streamlit (a subprocess) with a temporary secrets.toml and a temporary SQLite database.
- `page` comes from pytest-playwright; its context's `base_url` is the portal, so `page.goto("/")`.
- fixtures `sign_in` / `sign_out` give `sign_in(page, sub)` / `sign_out(page)`, the real OIDC flow
  at the local provider: `def test_x(page, sign_in): sign_in(page, "support")`.

The browser is always /usr/bin/chromium (never a downloaded one); tests skip, saying why, without it.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from portal.settings import SERVICES
from portal_dev.dev_secrets import write_secrets

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000
STARTUP_SECONDS = 60


@dataclass
class PortalStack:
    """Where everything listens, and the files the portal uses."""

    base_url: str  # http://localhost:<port>, the origin the browser must use
    idp_url: str
    sandbox: object
    secrets_path: Path
    database_url: str
    log_path: Path

    def log_tail(self, lines: int = 60) -> str:
        """The end of Streamlit's output, for failure messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Streamlit exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    output = log_path.read_text(errors="replace")
    raise RuntimeError(f"Streamlit not healthy at {url} after {STARTUP_SECONDS}s:\n{output}")


def _sandbox_or_skip(request: pytest.FixtureRequest) -> object:
    try:
        return request.getfixturevalue("sandbox")
    except ModuleNotFoundError as exc:
        pytest.skip(f"the sandbox is not available ({exc}); browser tests need portal_dev.sandbox.server")


@contextmanager
def running_portal(workdir: Path, metadata_url: str, sandbox: object,
                   extra_env: dict[str, str] | None = None) -> Iterator[PortalStack]:
    """Start Streamlit on a free port with its own secrets.toml and SQLite file; stop it on exit."""
    port = free_port()
    assert _port_is_free(port), f"port {port} is taken"
    base_url = f"http://localhost:{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    secrets_path = workdir / "secrets.toml"
    write_secrets(secrets_path, metadata_url, redirect_uri=f"{base_url}/oauth2callback")
    database_url = f"sqlite:///{workdir / 'portal.db'}"

    env = {name: value for name, value in os.environ.items() if not name.startswith("PORTAL_")}
    env.update({"PORTAL_ENV": "development", "PORTAL_DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1"})
    for service in SERVICES:
        env[f"PORTAL_{service.upper()}_URL"] = sandbox.urls[service]  # type: ignore[attr-defined]
        env[f"PORTAL_{service.upper()}_TOKEN"] = sandbox.admin_token  # type: ignore[attr-defined]
    env.update(extra_env or {})
    log_path = workdir / "streamlit.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py",
             "--server.port", str(port), "--server.address", "localhost", "--server.headless", "true",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
             "--secrets.files", str(secrets_path)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(proc, f"{base_url}/_stcore/health", log_path)
        yield PortalStack(base_url=base_url, idp_url=metadata_url.rsplit("/.well-known", 1)[0], sandbox=sandbox,
                          secrets_path=secrets_path, database_url=database_url, log_path=log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture(scope="session")
def dev_identity_provider() -> Iterator[object]:
    """The development identity provider (portal/sandbox/idp.py) in this process, on a free port."""
    from portal_dev.idp import start_in_thread

    idp = start_in_thread(port=0)
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture(scope="session")
def portal_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 dev_identity_provider) -> Iterator[PortalStack]:
    """Sandbox + development identity provider + Streamlit on free loopback ports, for the session."""
    sandbox = _sandbox_or_skip(request)
    with running_portal(tmp_path_factory.mktemp("portal-stack"), dev_identity_provider.metadata_url,
                        sandbox) as stack:
        yield stack


@pytest.fixture()
def fresh_portal(portal_stack: PortalStack, tmp_path: Path) -> Iterator[Callable[..., PortalStack]]:
    """`fresh_portal(**env)`: another, newly started Streamlit sharing the sandbox and identity provider."""
    numbers = itertools.count()
    with ExitStack() as stack:
        def start(**extra_env: str) -> PortalStack:
            workdir = tmp_path / f"portal-{next(numbers)}"
            metadata_url = f"{portal_stack.idp_url}/.well-known/openid-configuration"
            return stack.enter_context(running_portal(workdir, metadata_url, portal_stack.sandbox, extra_env))
        yield start


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium, never a downloaded browser; skip (saying why) when it is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, portal_stack: PortalStack) -> dict:
    """Every page starts at the portal's origin: `page.goto("/")`."""
    return {**browser_context_args, "base_url": portal_stack.base_url}


@pytest.fixture(autouse=True)
def _generous_timeouts(request: pytest.FixtureRequest) -> None:
    """Skip early without chromium; wait up to 20 s for content (Streamlit renders incrementally)."""
    if "page" not in request.fixturenames:
        return
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`)")
    from playwright.sync_api import expect

    request.getfixturevalue("page").set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)


def sign_in_flow(page, sub: str) -> None:  # page: playwright.sync_api.Page
    """Sign in as development user `sub` through the local identity provider; wait for the header."""
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name=sub, exact=True).click()
    expect(page.get_by_text(f"{sub}@example.com")).to_be_visible()


def sign_out_flow(page) -> None:  # page: playwright.sync_api.Page
    """Sign out from the header, confirm at the identity provider, wait for the sign-in screen."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/oauth2/end_session**")
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


@pytest.fixture()
def sign_in():
    """`sign_in(page, sub)`: the real sign-in flow as a development user (lead, support, ...)."""
    return sign_in_flow


@pytest.fixture()
def sign_out():
    """`sign_out(page)`: sign out from the header and confirm at the identity provider."""
    return sign_out_flow
