"""The sandbox's own tiny reader of `portal/data/releases.csv`: version weights and support windows.

Private on purpose: the portal has its own releases module; the sandbox only needs enough to pick
realistic versions and to decide which versions its marketplace (426) and hosting (422) refuse.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

RELEASES_FILE = Path(__file__).resolve().parents[2] / "portal" / "data" / "releases.csv"
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-(.+))?$")


@dataclass(frozen=True, slots=True)
class Release:
    """One minor release line from the CSV."""

    minor: str
    major_minor: tuple[int, int]
    lts: bool
    released: date
    end_of_support: date | None  # None: not yet announced, treated as supported
    latest_patch: int | None  # None: not published in the file


@lru_cache(maxsize=1)
def load_releases() -> tuple[Release, ...]:
    """Every minor release, newest first."""
    rows: list[Release] = []
    with RELEASES_FILE.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            major, minor = (int(p) for p in row["minor"].split("."))
            patch = row["latest_patch"].strip()
            end = row["end_of_support"].strip()
            rows.append(Release(
                minor=row["minor"], major_minor=(major, minor), lts=row["lts"].strip() == "yes",
                released=date.fromisoformat(row["released"]),
                end_of_support=date.fromisoformat(end) if end else None,
                latest_patch=int(patch.rsplit(".", 1)[1]) if patch else None,
            ))
    rows.sort(key=lambda r: r.major_minor, reverse=True)
    return tuple(rows)


def parse_version(version: str) -> tuple[int, int, int, str | None] | None:
    """(major, minor, patch, prerelease) of "8.6.0" / "8.6.0-rc.2", or None if unparsable."""
    match = _VERSION.match(version.strip())
    if not match:
        return None
    return int(match[1]), int(match[2]), int(match[3]), match[4]


def minor_of(version: str) -> str:
    """ "7.10.3" → "7.10"; anything unparsable is returned as is."""
    parsed = parse_version(version)
    return f"{parsed[0]}.{parsed[1]}" if parsed else version


def release_of(version: str) -> Release | None:
    """The CSV row of a version's minor, or None when the minor is unknown."""
    parsed = parse_version(version)
    if parsed is None:
        return None
    for release in load_releases():
        if release.major_minor == (parsed[0], parsed[1]):
            return release
    return None


def is_supported(version: str, today: date) -> bool:
    """Whether the cloud still serves this version on `today`.

    A minor newer than the newest known one counts as supported (the releases notes say so);
    an unparsable version or an unknown older minor does not.
    """
    parsed = parse_version(version)
    if parsed is None:
        return False
    newest = load_releases()[0].major_minor
    if (parsed[0], parsed[1]) > newest:
        return True
    release = release_of(version)
    if release is None:
        return False
    return release.end_of_support is None or today <= release.end_of_support


def stats_interval(version: str) -> float:
    """Seconds between statistics reports: hourly (`'12 * * * *'`, `server/cron/statistics.js`) up to 4.x,
    daily (`` `12 ${hour} * * *` ``, `apps/meteor/server/cron/statistics.ts`) from 5.0 (assumed boundary:
    the daily schedule is in every 5.x copy read, the switch release itself was not found)."""
    parsed = parse_version(version)
    return 86400.0 if parsed is None or parsed[0] >= 5 else 3600.0
