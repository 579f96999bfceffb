"""`python -m portal runbooks lint [paths]`: check runbooks before they are merged.

Prints `file:line: what is wrong` for each problem (see `portal.runbooks.lint`); exits 1 on any.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from portal.runbooks import lint as checks
from portal.runbooks.parse import runbook_files


def main(argv: list[str] | None = None) -> int:
    """Entry point for `python -m portal runbooks ...`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m portal runbooks", description="runbook tools")
    commands = parser.add_subparsers(dest="command", required=True)
    lint_parser = commands.add_parser("lint", help="check runbooks; exit 1 on any error")
    lint_parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: runbooks/)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    problems = checks.lint(args.paths or None)
    for problem in problems:
        print(problem)
    count = len(runbook_files(args.paths or None))
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"{count} file(s) checked, no problems", file=sys.stderr)
    return 0
