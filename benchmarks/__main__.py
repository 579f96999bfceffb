"""`python -m benchmarks` (what `make bench` runs): measure, then write RESULTS.md and results.json.

Options: `--quick` (the smoke test's sizes and repeats), `--rows KEY...` (a subset while
investigating), `--postgres-url URL|none`, `--out DIR`, `--report-only` (re-render RESULTS.md from
results.json). Exits 1 when a row could not be measured.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from benchmarks.databases import DEFAULT_POSTGRES_URL
from benchmarks.harness import Config
from benchmarks.report import machine, write
from benchmarks.run import ALL_KEYS, run

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smallest size, very few repeats (smoke test)")
    parser.add_argument("--rows", nargs="+", choices=ALL_KEYS, help="measure only these rows")
    parser.add_argument("--sizes", type=lambda s: tuple(int(x) for x in s.split(",")), help="e.g. 2000,100000")
    parser.add_argument("--postgres-url", default=os.environ.get("PORTAL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
                        help="admin URL; the run creates and drops a database of its own ('none' skips)")
    parser.add_argument("--out", type=Path, default=HERE, help="where RESULTS.md and results.json go")
    parser.add_argument("--report-only", action="store_true",
                        help="measure nothing: render RESULTS.md again from the results.json in --out")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.report_only:
        write(json.loads((args.out / "results.json").read_text()), args.out)
        return 0
    postgres = None if args.postgres_url.lower() == "none" else args.postgres_url
    config = Config.quick(postgres) if args.quick else Config(postgres_url=postgres)
    if args.sizes:
        config = dataclasses.replace(config, sizes=args.sizes)
    payload = run(config, args.rows)
    settings = dataclasses.asdict(config)
    settings.pop("postgres_url")
    payload = {**payload, "machine": machine(), "config": settings}
    json_path, md_path = write(payload, args.out)
    failed = [row for row in payload["rows"] if row.get("error") and not row["error"].startswith("skipped")]
    missed = [row for row in payload["rows"] if not row.get("error") and row["target"]["met"] is False]
    print(f"bench: wrote {md_path} and {json_path} ({payload['duration_s'] / 60:.1f} min)", file=sys.stderr)
    for row in missed:
        print(f"bench: target missed: {row['number']}. {row['title']} ({row['scope']})", file=sys.stderr)
    for row in failed:
        print(f"bench: not measured: {row['number']}. {row['title']} ({row['scope']}): {row['error']}",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
