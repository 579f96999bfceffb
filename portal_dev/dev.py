"""`python -m portal dev`: sandbox + local identity provider + portal in the foreground.

Ensures a development `.streamlit/secrets.toml` exists (signing in through the local identity
provider) before Streamlit starts. Ctrl-C stops everything it started. Refuses to run when
PORTAL_ENV=production.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from portal.startup import read_auth_section, refuse_in_production
from portal_dev.config import SANDBOX_ADMIN_TOKEN, SANDBOX_HOST, SANDBOX_PORT, SERVICES, sandbox_url
from portal_dev.dev_secrets import ensure_dev_secrets
from portal_dev.idp import IDP_HOST, IDP_PORT

ROOT = Path(__file__).resolve().parent.parent
SECRETS_PATH = ROOT / ".streamlit" / "secrets.toml"


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _announce_secrets(metadata_url: str) -> None:
    if ensure_dev_secrets(SECRETS_PATH, metadata_url):
        print(f"Wrote {SECRETS_PATH.relative_to(ROOT)} (development sign-in, fresh cookie secret)", flush=True)
        return
    auth = read_auth_section(SECRETS_PATH) or {}
    using = auth.get("server_metadata_url", "no [auth] section")
    print(f"Using existing {SECRETS_PATH.relative_to(ROOT)} (identity provider: {using})", flush=True)


def _stop_all(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def missing_dev_packages() -> list[str]:
    """The development packages this stack needs that are not installed (requirements-dev.txt has them)."""
    return [name for name in ("oidc_provider_mock", "werkzeug") if importlib.util.find_spec(name) is None]


def main(argv: list[str]) -> int:
    refuse_in_production("the development stack (sandbox and local identity provider)")
    missing = missing_dev_packages()
    if missing:
        print(f"`python -m portal dev` needs the development requirements ({', '.join(missing)} missing): "
              "pip install -r requirements-dev.txt (make run does)", file=sys.stderr)
        return 2
    # Ctrl-C, and `kill` from a process manager, both stop everything this started.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="python -m portal dev")
    parser.add_argument("--workspaces", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--portal-port", type=int, default=8501)
    args = parser.parse_args(argv)

    for name, host, port in (("sandbox", SANDBOX_HOST, SANDBOX_PORT), ("identity provider", IDP_HOST, IDP_PORT),
                             ("portal", "127.0.0.1", args.portal_port)):
        if port_in_use(host, port):
            print(f"Port {port} ({name}) is already in use; stop whatever holds it and retry.", file=sys.stderr)
            return 1
    _announce_secrets(f"http://{IDP_HOST}:{IDP_PORT}/.well-known/openid-configuration")

    env = dict(os.environ)
    procs: list[subprocess.Popen[bytes]] = [
        subprocess.Popen(
            [sys.executable, "-m", "portal", "sandbox", "--workspaces", str(args.workspaces),
             "--seed", str(args.seed), "--host", SANDBOX_HOST, "--port", str(SANDBOX_PORT)],
            cwd=ROOT,
        ),
        subprocess.Popen(
            [sys.executable, "-m", "portal_dev.idp", "--host", IDP_HOST, "--port", str(IDP_PORT)],
            cwd=ROOT,
        ),
    ]
    for service in SERVICES:
        env.setdefault(f"PORTAL_{service.upper()}_URL", sandbox_url(service))
        env.setdefault(f"PORTAL_{service.upper()}_TOKEN", SANDBOX_ADMIN_TOKEN)
    procs.append(subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(args.portal_port)],
        cwd=ROOT, env=env,
    ))
    print(f"Cloud Ops Portal: http://localhost:{args.portal_port}  (Ctrl-C stops everything)", flush=True)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        _stop_all(procs)
    return 0
