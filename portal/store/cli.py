"""`python -m portal audit verify`: check the audit log's hash chain; non-zero exit when tampered."""

from __future__ import annotations

import argparse
import sys

from portal.store.audit import verify
from portal.store.db import current_revision, make_engine, session_factory


def main(argv: list[str]) -> int:
    """Run an `audit` subcommand; returns the process exit code (0 intact, 1 tampered, 2 usage)."""
    parser = argparse.ArgumentParser(prog="python -m portal audit", description="audit log tools")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("verify", help="verify the hash chain; exit 1 and name the first bad record if not intact")
    check.add_argument("--database-url", help="default: PORTAL_DATABASE_URL, else sqlite:///var/portal.db")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits; the dispatcher expects a return code
        return int(exc.code or 0)

    url = args.database_url
    if not url:
        from portal.settings import get_settings

        url = get_settings().database_url
    engine = make_engine(url)
    try:
        if current_revision(engine) is None:
            print(f"no portal database at {engine.url.render_as_string(hide_password=True)}", file=sys.stderr)
            return 2
        result = verify(session_factory(engine))
    finally:
        engine.dispose()
    print(result.describe(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1
