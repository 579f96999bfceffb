"""`python -m portal dev`: sandbox + portal in the foreground; Ctrl-C stops everything it started."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from portal.settings import SANDBOX_ADMIN_TOKEN, SANDBOX_HOST, SANDBOX_PORT, SERVICES, sandbox_url

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal dev")
    parser.add_argument("--workspaces", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--portal-port", type=int, default=8501)
    args = parser.parse_args(argv)

    env = dict(os.environ)
    procs: list[subprocess.Popen[bytes]] = []
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "portal", "sandbox", "--workspaces", str(args.workspaces),
         "--seed", str(args.seed), "--host", SANDBOX_HOST, "--port", str(SANDBOX_PORT)],
        cwd=ROOT,
    )
    procs.append(sandbox)
    for service in SERVICES:
        env.setdefault(f"PORTAL_{service.upper()}_URL", sandbox_url(service))
        env.setdefault(f"PORTAL_{service.upper()}_TOKEN", SANDBOX_ADMIN_TOKEN)
    portal = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(args.portal_port)],
        cwd=ROOT, env=env,
    )
    procs.append(portal)
    print(f"Cloud Ops Portal: http://localhost:{args.portal_port}  (Ctrl-C stops everything)", flush=True)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0
