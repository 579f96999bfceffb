"""CSV that is safe to open in a spreadsheet: one writer for every export.

A cell a spreadsheet reads as a formula (`=HYPERLINK(...)`, `+cmd|...`, `@SUM(...)`) runs when someone
opens the file, and any value here can come from a service or a person. Following OWASP's CSV
injection advice, a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading
`'`, and so does every part of a cell that would start a new cell where `,` or `;` is the list
separator (`Acme;=HYPERLINK(...)`); every data cell is quoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

TRIGGERS = frozenset("=+-@\t\r")
# A separator a spreadsheet may split on, followed by optional spaces and a formula trigger.
_INNER = re.compile(r"([,;\t\r\n])(\s*)(?=[=+\-@])")


def safe_cell(value: Any) -> str:
    """`value` as a cell no spreadsheet runs: datetimes in ISO 8601, None as empty."""
    text = value.isoformat() if isinstance(value, datetime) else "" if value is None else str(value)
    text = text[:1] + _INNER.sub(r"\1\2'", text[1:])  # the first character is the whole cell's start
    return "'" + text if text[:1] in TRIGGERS else text


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The header and rows as CSV text, every cell through `safe_cell` and quoted."""
    out = io.StringIO()
    csv.writer(out).writerow(header)  # our own column names: plain
    csv.writer(out, quoting=csv.QUOTE_ALL).writerows([safe_cell(value) for value in row] for row in rows)
    return out.getvalue()
