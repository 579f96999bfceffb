"""CSV exports are safe in spreadsheets (OWASP CSV injection): one writer for every export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from portal.csv_export import safe_cell, write_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("payload", ['=HYPERLINK("https://evil.example","click")', "+cmd|' /C calc'!A0",
                                     "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"])
def test_a_cell_that_starts_a_formula_gets_a_quote(payload):
    assert safe_cell(payload) == "'" + payload


@pytest.mark.parametrize(("payload", "expected"), [
    ('Acme;=HYPERLINK("https://evil.example")', "Acme;'=HYPERLINK(\"https://evil.example\")"),
    ("Acme, =1+1", "Acme, '=1+1"),
    ("a\n@SUM(1)", "a\n'@SUM(1)"),
])
def test_a_formula_after_a_separator_is_defused_too(payload, expected):
    assert safe_cell(payload) == expected


def test_harmless_values_pass_unchanged():
    assert safe_cell("Acme Corp") == "Acme Corp"
    assert safe_cell(None) == ""
    assert safe_cell(42) == "42"
    assert safe_cell(datetime(2026, 12, 6, tzinfo=UTC)) == "2026-12-06T00:00:00+00:00"
    assert safe_cell("ws-1 - ws-2") == "ws-1 - ws-2"  # a dash inside a cell starts nothing


def test_every_data_cell_is_quoted_and_reads_back():
    text = write_csv(("runbook", "n"), [['=HYPERLINK("https://evil.example","click")', 1]])
    lines = text.splitlines()
    assert lines[0] == "runbook,n" and lines[1].startswith('"\'=HYPERLINK')
    assert list(csv.reader(io.StringIO(text)))[1] == ["'=HYPERLINK(\"https://evil.example\",\"click\")", "1"]


def test_no_export_writes_csv_by_itself():
    """Every CSV the portal offers goes through write_csv (a new export must too)."""
    offenders = [str(p.relative_to(ROOT)) for folder in ("portal", "pages") for p in (ROOT / folder).rglob("*.py")
                 if "csv.writer(" in p.read_text() and p.name != "csv_export.py"]
    assert offenders == []
