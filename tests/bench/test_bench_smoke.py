"""The benchmark harness at its smallest size with a couple of samples per figure, so it cannot rot.

It checks that every row is measured and reported with its reference, ratio and target, not the
figures themselves (`make bench` is where they are judged, at full size).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROWS = {1: "fleet_warm", 2: "fleet_cold", 3: "search", 4: "workspace_page", 5: "action_overhead",
        6: "audit_query", 7: "memory"}


def run_harness(out: Path, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--out", str(out), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((out / "results.json").read_text())


def assert_measured(row: dict) -> None:
    assert not row.get("error"), row
    for side in ("figure", "reference"):
        assert row[side]["median"] > 0 and row[side]["samples"], (row["key"], side)
        assert row[side]["label"]
    assert row["ratio"] > 0 and row["ratio_text"] and row["target"]["text"]


def test_every_row_is_measured_against_its_reference(tmp_path: Path) -> None:
    results = run_harness(tmp_path, "--postgres-url", "none")

    rows = results["rows"]
    assert {row["number"]: row["key"] for row in rows} == ROWS
    for row in rows:
        if row["scope"] == "PostgreSQL":
            assert row["error"].startswith("skipped"), row
        else:
            assert_measured(row)
    workspace = next(row for row in rows if row["key"] == "workspace_page")
    assert workspace["second_reference"]["median"] > 0
    assert workspace["details"]["service_calls_per_run"], "the page asked the services"
    warm = next(row for row in rows if row["key"] == "fleet_warm")
    assert warm["details"]["service_calls_during_warm_runs"] == 0, "a warm run asks no service"
    assert results["machine"]["cores"] and results["generated_at"]

    report = (tmp_path / "RESULTS.md").read_text()
    assert "| # | what | scope | figure (median) | reference, same run (median) | ratio | target | status |" in report
    for row in rows:
        assert row["title"] in report


@pytest.mark.db
def test_database_rows_on_postgres(tmp_path: Path) -> None:
    url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("PORTAL_TEST_DATABASE_URL is not PostgreSQL (make test-postgres sets it)")
    results = run_harness(tmp_path, "--rows", "action_overhead", "audit_query", "--postgres-url", url)

    measured = {(row["key"], row["scope"]) for row in results["rows"] if not row.get("error")}
    assert measured == {(key, backend) for key in ("action_overhead", "audit_query")
                        for backend in ("SQLite", "PostgreSQL")}
    for row in results["rows"]:
        assert_measured(row)
