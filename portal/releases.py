"""Rocket.Chat releases and support windows, loaded from data, and a version's support status.

The shipped file `portal/data/releases.csv` lists every minor release with its end of support.
`PORTAL_RELEASES_FILE` may point at a newer file, and the cloud's supported-versions document
(`{"versions": [{"version", "expiration"}]}`) can replace end dates at run time: support windows are
data, not code.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

SHIPPED_FILE = Path(__file__).resolve().parent / "data" / "releases.csv"
_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?")


class SupportStatus(StrEnum):
    SUPPORTED = "supported"
    LTS = "lts"
    OUT_OF_SUPPORT = "out_of_support"
    NEWER_UNKNOWN = "newer_unknown"  # a minor newer than any we know: treated as supported
    UNKNOWN = "unknown"  # unparsable, or a minor missing from the data

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def is_supported(self) -> bool:
        return self in (SupportStatus.SUPPORTED, SupportStatus.LTS, SupportStatus.NEWER_UNKNOWN)


_LABELS = {
    SupportStatus.SUPPORTED: "Supported",
    SupportStatus.LTS: "Supported (LTS)",
    SupportStatus.OUT_OF_SUPPORT: "Out of support",
    SupportStatus.NEWER_UNKNOWN: "Newer than known releases (assumed supported)",
    SupportStatus.UNKNOWN: "Unknown version",
}


@dataclass(frozen=True)
class Release:
    minor: tuple[int, int]
    lts: bool
    released: date | None
    end_of_support: date | None  # None: not yet announced
    latest_patch: str | None

    @property
    def name(self) -> str:
        return f"{self.minor[0]}.{self.minor[1]}"


@dataclass(frozen=True)
class VersionSupport:
    version: str | None
    minor: str | None
    status: SupportStatus
    end_of_support: date | None

    @property
    def summary(self) -> str:
        """One line for a screen, e.g. "Out of support since 2026-05-31"."""
        if self.status is SupportStatus.OUT_OF_SUPPORT and self.end_of_support:
            return f"Out of support since {self.end_of_support.isoformat()}"
        if self.status.is_supported and self.end_of_support:
            return f"{self.status.label} until {self.end_of_support.isoformat()}"
        return self.status.label


def parse_minor(version: str | None) -> tuple[int, int] | None:
    """`"7.10.3-rc.1"` → (7, 10); None when the text is not a version."""
    if not version:
        return None
    match = _VERSION.match(str(version))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _parse_date(text: str | None) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text[:10]) if text else None


class ReleaseCatalog:
    """The known releases, answering "what is the support status of this version today"."""

    def __init__(self, releases: Iterable[Release]):
        self._by_minor = {r.minor: r for r in releases}
        if not self._by_minor:
            raise ValueError("the releases file lists no release")
        self.newest = max(self._by_minor)

    @classmethod
    def from_csv(cls, path: Path | str) -> ReleaseCatalog:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        releases = []
        for line, row in enumerate(rows, start=2):
            minor = parse_minor(row.get("minor"))
            if minor is None:
                raise ValueError(f"{path}:{line}: minor {row.get('minor')!r} is not a version like 7.10")
            releases.append(
                Release(
                    minor=minor,
                    lts=(row.get("lts") or "").strip().lower() in {"yes", "true", "1"},
                    released=_parse_date(row.get("released")),
                    end_of_support=_parse_date(row.get("end_of_support")),
                    latest_patch=(row.get("latest_patch") or "").strip() or None,
                )
            )
        return cls(releases)

    def with_supported_versions(self, document: Mapping[str, object]) -> ReleaseCatalog:
        """A copy whose end dates come from the cloud's supportedVersions document where it has them."""
        releases = dict(self._by_minor)
        versions = document.get("versions")
        for entry in versions if isinstance(versions, list) else []:
            if not isinstance(entry, Mapping):
                continue
            minor = parse_minor(str(entry.get("version", "")))
            expiration = _parse_date(str(entry.get("expiration") or ""))
            if minor is None or expiration is None:
                continue
            known = releases.get(minor) or Release(minor, False, None, None, None)
            releases[minor] = replace(known, end_of_support=expiration)
        return ReleaseCatalog(releases.values())

    @property
    def releases(self) -> list[Release]:
        return sorted(self._by_minor.values(), key=lambda r: r.minor, reverse=True)

    def get(self, minor: tuple[int, int]) -> Release | None:
        return self._by_minor.get(minor)

    def support(self, version: str | None, *, today: date | None = None) -> VersionSupport:
        """The support status of a version string on a given day (default: today, UTC)."""
        today = today or datetime.now(UTC).date()
        minor = parse_minor(version)
        if minor is None:
            return VersionSupport(version, None, SupportStatus.UNKNOWN, None)
        name = f"{minor[0]}.{minor[1]}"
        release = self._by_minor.get(minor)
        if release is None:
            if minor > self.newest:
                return VersionSupport(version, name, SupportStatus.NEWER_UNKNOWN, None)
            if minor[0] == 0:  # 0.x (2015 to early 2019) is long out of support
                return VersionSupport(version, name, SupportStatus.OUT_OF_SUPPORT, date(2019, 4, 30))
            return VersionSupport(version, name, SupportStatus.UNKNOWN, None)
        end = release.end_of_support
        if end is not None and today > end:
            return VersionSupport(version, name, SupportStatus.OUT_OF_SUPPORT, end)
        status = SupportStatus.LTS if release.lts else SupportStatus.SUPPORTED
        return VersionSupport(version, name, status, end)

    def is_supported(self, version: str | None, *, today: date | None = None) -> bool:
        return self.support(version, today=today).status.is_supported

    def supported_minors(self, *, today: date | None = None) -> list[Release]:
        """Releases still supported on the given day, newest first."""
        return [r for r in self.releases if self.support(r.name, today=today).status.is_supported]


@lru_cache(maxsize=4)
def _load(path: str) -> ReleaseCatalog:
    return ReleaseCatalog.from_csv(path)


def load_catalog(path: Path | str | None = None) -> ReleaseCatalog:
    """The catalog from `path`, `PORTAL_RELEASES_FILE`, or the shipped file (cached per path)."""
    chosen = path or os.environ.get("PORTAL_RELEASES_FILE") or SHIPPED_FILE
    return _load(str(chosen))
