"""The harness's vocabulary: what a run is configured with, what a row reports, and small statistics.

A row is one figure (a median over repeated runs) next to a reference measured in the same run,
their ratio, and the target. Targets are checked here, never lowered: `met` is None only where the
issue states the target for another fleet size.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SIZES = (2_000, 20_000, 100_000)
TARGET_SIZE = 100_000  # the issue states the fleet targets "at 100k"
SEED = 1


@dataclass(frozen=True)
class Config:
    """How much to measure. `quick()` is the smoke test's configuration."""

    sizes: tuple[int, ...] = SIZES
    repeats: int = 9  # cheap samples per figure (page runs, action runs, indexed queries)
    reference_repeats: int = 3  # expensive samples (fetching the whole fleet, unindexed scans, memory runs)
    search_samples: int = 360  # search round trips per size (and as many health GETs)
    action_runs: int = 60  # executor runs per database
    audit_records: int = 1_000_000
    postgres_url: str | None = None  # an admin URL; None skips the PostgreSQL rows, saying so
    seed: int = SEED

    @classmethod
    def quick(cls, postgres_url: str | None = None) -> Config:
        """The smallest size, a couple of samples each, a small audit log: seconds, not minutes."""
        return cls(sizes=(SIZES[0],), repeats=2, reference_repeats=1, search_samples=24, action_runs=4,
                   audit_records=20_000, postgres_url=postgres_url)


@dataclass
class Measure:
    """One measured quantity: its median (the figure), the samples, and how it was obtained."""

    label: str
    unit: str  # "s", "ms" or "MB"
    samples: list[float]
    p95: float | None = None  # when the row reports a tail too

    @property
    def value(self) -> float:
        return statistics.median(self.samples)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "unit": self.unit, "median": self.value, "p95": self.p95,
                "samples": [round(s, 6) for s in self.samples]}


@dataclass
class Target:
    """The issue's target, whether it applies to this size/backend, and whether the figure meets it."""

    text: str
    met: bool | None  # None: the target is stated for another size

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Row:
    """One line of the results table."""

    number: int
    key: str
    title: str
    scope: str  # "100,000 workspaces", "SQLite", ...
    figure: Measure
    reference: Measure
    ratio: float
    ratio_text: str
    target: Target
    details: dict[str, Any] = field(default_factory=dict)
    second_reference: Measure | None = None  # the workspace page has two: the sum and the largest

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "key": self.key, "title": self.title, "scope": self.scope,
                "figure": self.figure.to_json(), "reference": self.reference.to_json(),
                "second_reference": self.second_reference.to_json() if self.second_reference else None,
                "ratio": self.ratio, "ratio_text": self.ratio_text, "target": self.target.to_json(),
                "details": self.details}


@dataclass
class FailedRow:
    """A row that could not be measured (an exception, or PostgreSQL unreachable): reported, not hidden."""

    number: int
    key: str
    title: str
    scope: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number, "key": self.key, "title": self.title, "scope": self.scope,
                "error": self.error}


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0–100), linear between closest ranks."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def proc_status(pid: int | str) -> dict[str, str]:
    """/proc/<pid>/status as a dict (Linux)."""
    fields: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return fields


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    """(current, peak) resident set size in MB: VmRSS and VmHWM."""
    fields = proc_status(pid)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def times_faster(ratio: float) -> str:
    """reference ÷ figure in words: "12× faster", or "1.3× slower" when the figure lost."""
    if ratio < 1:
        return f"{1 / ratio:,.1f}× slower"
    return f"{ratio:,.1f}× faster" if ratio < 10 else f"{ratio:,.0f}× faster"


def scope_for(size: int) -> str:
    return f"{size:,} workspaces"


def at_target_size(size: int, ok: bool) -> bool | None:
    """A fleet target counts at 100,000 workspaces; smaller fleets are shown for the trend."""
    return ok if size == TARGET_SIZE else None


@contextmanager
def progress(what: str) -> Iterator[None]:
    """Say what is being measured and how long it took (stderr, for the person waiting)."""
    import sys

    start = time.perf_counter()
    print(f"bench: {what} …", file=sys.stderr, flush=True)
    try:
        yield
    finally:
        print(f"bench: {what}: {time.perf_counter() - start:.1f}s", file=sys.stderr, flush=True)
