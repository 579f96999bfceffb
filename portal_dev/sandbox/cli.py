"""`python -m portal sandbox`: serve the five stand-in services on one port until Ctrl-C / SIGTERM.

Prints `PORTAL_<SERVICE>_URL=...` and `PORTAL_<SERVICE>_TOKEN=...` lines once it is listening, so a
parent process (devstack, benchmarks) can read where to point the portal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

import uvicorn

from portal_dev.config import SANDBOX_ADMIN_TOKEN, SANDBOX_HOST, SANDBOX_PORT, SERVICES, sandbox_url


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m portal sandbox",
                                     description="Local stand-ins of the five cloud services (dev/test only).")
    parser.add_argument("--workspaces", type=int, default=20000, help="fleet size (default 20000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--host", default=SANDBOX_HOST)
    parser.add_argument("--port", type=int, default=SANDBOX_PORT, help="0 picks a free port")
    parser.add_argument("--admin-token", default=SANDBOX_ADMIN_TOKEN)
    args = parser.parse_args(argv)
    if args.workspaces < 1:
        parser.error("--workspaces must be at least 1")
    return args


async def _serve(server: uvicorn.Server, sockets: list, lines: list[str]) -> None:
    task = asyncio.create_task(server.serve(sockets=sockets))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print("\n".join(lines), flush=True)
    await task


def main(argv: list[str]) -> int:
    """Build the fleet, listen, print the service URLs, serve until interrupted."""
    args = parse_args(argv)
    # Imported here so `--help` stays instant.
    from portal_dev.sandbox.server import bind, build_app, uvicorn_config
    from portal_dev.sandbox.state import build_state

    t0 = time.perf_counter()
    print(f"sandbox: generating {args.workspaces} workspaces (seed {args.seed}); dev/test only, not a real service",
          file=sys.stderr, flush=True)
    state = build_state(workspaces=args.workspaces, seed=args.seed, admin_token=args.admin_token)
    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(build_app(state), args.host, port))
    lines = [f"PORTAL_{s.upper()}_URL={sandbox_url(s, args.host, port)}" for s in SERVICES]
    lines += [f"PORTAL_{s.upper()}_TOKEN={args.admin_token}" for s in SERVICES]
    print(f"sandbox: ready in {time.perf_counter() - t0:.1f}s {state.build_seconds}", file=sys.stderr, flush=True)
    # uvicorn re-raises the signal it caught after shutting down; a no-op SIGTERM handler makes
    # that re-raise harmless so a SIGTERM exits 0 like Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: None)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(server, [sock], lines))
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
