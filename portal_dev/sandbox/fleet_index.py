"""The fleet held in memory: lookups, `q` search, filters and summary counters for 100,000 records.

Search answers in milliseconds: exact ids through dicts, name prefixes through a sorted list and
`bisect`, substrings through one scan over short lowercase strings; a small cache keeps the matches
of recent queries so walking their pages costs nothing.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from portal_dev.sandbox._common import iso
from portal_dev.sandbox._releases import parse_version
from portal_dev.sandbox.fleet_data import HOUR, REGISTRATION_STATES, Workspace

FILTERS = ("version", "minor", "deploy_method", "deploy_platform", "hosted", "registration_state",
           "stats_silent_hours", "created_month")


def _version_key(text: str) -> tuple[int, ...]:
    parsed = parse_version(text + ".0") or parse_version(text)
    return (parsed[0], parsed[1]) if parsed else (-1, -1)


def _month(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m")


class _Column:
    """A categorical column as integer codes, so a filter is one vectorised comparison."""

    def __init__(self, values: Iterable[str]) -> None:
        self.codes_of: dict[str, int] = {}
        self.codes = np.array([self._code(v) for v in values], dtype=np.int32)

    def _code(self, value: str) -> int:
        return self.codes_of.setdefault(value, len(self.codes_of))

    def mask(self, value: str) -> np.ndarray:
        """Rows whose value equals `value`, or any of its comma-separated values (`7.10,7.9`)."""
        codes = [self.codes_of[v] for v in value.split(",") if v in self.codes_of]
        if not codes:
            return np.zeros(len(self.codes), dtype=bool)
        if len(codes) == 1:
            return self.codes == codes[0]
        return np.isin(self.codes, np.array(codes, dtype=np.int32))

    def set(self, index: int, value: str) -> None:
        self.codes[index] = self._code(value)

    def append(self, value: str) -> None:
        self.codes = np.append(self.codes, np.int32(self._code(value)))


class Fleet:
    """All workspaces plus the indexes and counters the fleet admin API reads."""

    def __init__(self, workspaces: list[Workspace]) -> None:
        self.workspaces = workspaces
        self.by_id = {w.id: w.index for w in workspaces}
        self.by_unique_id = {w.unique_id: w.index for w in workspaces if w.unique_id}
        # uniqueIds a workspace had before (fingerprint "new workspace", restores): found, and marked so
        self.by_former_unique_id = {u: w.index for w in workspaces for u, _ in w.unique_id_history}
        ordered = sorted((w.name.lower(), w.index) for w in workspaces)
        self._name_keys = [k for k, _ in ordered]
        self._name_index = [i for _, i in ordered]
        # One big lowercase text (name, site URL, email per workspace) searched with str.find,
        # which scans megabytes per millisecond; offsets map a hit back to its workspace.
        parts = [f"{w.name}\n{w.site_url}\n{w.contact_email}".lower() for w in workspaces]
        self._parts = parts
        self._text = "\x00".join(parts)
        self._starts = np.cumsum([0] + [len(p) + 1 for p in parts[:-1]], dtype=np.int64)
        self.last_stats = np.array([math.nan if w.last_stats_at is None else w.last_stats_at
                                    for w in workspaces], dtype=np.float64)
        self.columns = {name: _Column(getattr(w, name) for w in workspaces)
                        for name in ("version", "deploy_method", "deploy_platform", "registration_state")}
        self.columns["minor"] = _Column(w.minor for w in workspaces)
        self.columns["created_month"] = _Column(_month(w.created_at) for w in workspaces)
        self.hosted_mask = np.array([w.hosted for w in workspaces], dtype=bool)
        self.generation = 0  # bumped by every mutation that can change a filter's answer
        self._cache: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()
        self.by_minor: Counter[str] = Counter(w.minor for w in workspaces)
        self.by_method: Counter[str] = Counter(w.deploy_method for w in workspaces)
        self.by_platform: Counter[str] = Counter(w.deploy_platform for w in workspaces)
        self.by_state: Counter[str] = Counter(w.registration_state for w in workspaces)
        self.hosted = int(self.hosted_mask.sum())
        self.suspended = sum(1 for w in workspaces if w.suspended)
        self.created_by_month: Counter[str] = Counter(_month(w.created_at) for w in workspaces)

    def __len__(self) -> int:
        return len(self.workspaces)

    def get(self, key: str) -> Workspace | None:
        """A workspace by its cloud workspace `id` or its `unique_id` (current or former), exactly:
        `uniqueID` is case-sensitive (old servers' `Random.id()` mixes cases)."""
        index = self.by_id.get(key)
        if index is None:
            index = self.by_unique_id.get(key)
        if index is None:
            index = self.by_former_unique_id.get(key)
        return None if index is None else self.workspaces[index]

    def by_current_unique_id(self, unique_id: str) -> Workspace | None:
        """The workspace whose uniqueId is this one now (what a statistics report names)."""
        index = self.by_unique_id.get(unique_id)
        return None if index is None else self.workspaces[index]

    # -- search -------------------------------------------------------------------------------
    def _substring_hits(self, ql: str) -> np.ndarray:
        text, hits, pos = self._text, [], -1
        while (pos := text.find(ql, pos + 1)) != -1:
            hits.append(pos)
            if len(hits) > 20000:  # a very common substring: one pass per record is cheaper
                return np.array([i for i, part in enumerate(self._parts) if ql in part], dtype=np.int64)
        if not hits:
            return np.zeros(0, dtype=np.int64)
        owners = np.searchsorted(self._starts, np.array(hits, dtype=np.int64), side="right") - 1
        return np.unique(owners)

    def _match_q(self, q: str) -> np.ndarray:
        """Indexes matching `q`: exact id/unique_id first, then name prefixes, then substrings."""
        key = q.strip()
        ql = key.lower().rstrip("/")
        exact = [i for i in (self.by_id.get(key), self.by_unique_id.get(key), self.by_former_unique_id.get(key))
                 if i is not None]
        lo = bisect.bisect_left(self._name_keys, ql)
        hi = bisect.bisect_left(self._name_keys, ql + "\uffff")
        first = list(dict.fromkeys([*exact, *self._name_index[lo:hi]]))  # ordered, deduplicated
        rest = self._substring_hits(ql)  # name, site URL and contact email substrings
        if first:
            head = np.array(first, dtype=np.int64)
            rest = rest[~np.isin(rest, head)]
            return np.concatenate([head, rest])
        return rest

    def _mask(self, filters: dict[str, object], now: float) -> np.ndarray | None:
        mask: np.ndarray | None = None
        for name, value in filters.items():
            if name == "hosted":
                part = self.hosted_mask if value else ~self.hosted_mask
            elif name == "stats_silent_hours":
                part = ~(self.last_stats >= now - float(value) * HOUR)  # type: ignore[arg-type]
            else:
                part = self.columns[name].mask(str(value))
            mask = part if mask is None else mask & part
        return mask

    def exact_ids(self, ids: list[str], *, within: np.ndarray | None = None) -> np.ndarray:
        """Indexes of exactly these workspace ids, in order, unknown ones left out (and, given
        `within`, only those among it)."""
        found = [self.by_id[i] for i in dict.fromkeys(ids) if i in self.by_id]
        if within is not None:
            allowed = set(within.tolist())
            found = [i for i in found if i in allowed]
        return np.array(found, dtype=np.int64)

    def search(self, q: str | None, filters: dict[str, object], now: float) -> np.ndarray:
        """Indexes of every workspace matching `q` and the filters, in a stable order."""
        # Time-dependent filters are cached for a few seconds only.
        tick = int(now // 5) if "stats_silent_hours" in filters else 0
        key = (q or "", tuple(sorted(filters.items())), self.generation, tick)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        mask = self._mask(filters, now)
        if q and q.strip():
            result = self._match_q(q)
            if mask is not None:
                result = result[mask[result]]
        elif mask is not None:
            result = np.flatnonzero(mask)
        else:
            result = np.arange(len(self.workspaces))
        self._cache[key] = result
        if len(self._cache) > 64:
            self._cache.popitem(last=False)
        return result

    # -- aggregates ---------------------------------------------------------------------------
    def silent_count(self, now: float, hours: float = 48.0) -> int:
        """Workspaces whose last report is older than `hours`, or that never reported."""
        return int(np.count_nonzero(~(self.last_stats >= now - hours * HOUR)))

    def summary(self, now: float) -> dict[str, object]:
        """The fleet summary object: counters kept up to date by the mutators below."""
        return {
            "total": len(self.workspaces),
            "by_minor": dict(sorted(self.by_minor.items(), key=lambda kv: _version_key(kv[0]), reverse=True)),
            "by_deploy_method": dict(self.by_method.most_common()),
            "by_deploy_platform": dict(self.by_platform.most_common()),
            "hosted": self.hosted,
            "self_managed": len(self.workspaces) - self.hosted,
            "by_registration_state": {s: self.by_state.get(s, 0) for s in REGISTRATION_STATES},
            "suspended": self.suspended,
            "stats_silent_48h": self.silent_count(now),
            "created_by_month": dict(sorted(self.created_by_month.items())),
            "as_of": iso(now),
        }

    # -- mutators (keep counters and caches consistent) ------------------------------------------
    def set_registration_state(self, w: Workspace, state: str) -> None:
        """Move a workspace to another registration state."""
        self.by_state[w.registration_state] -= 1
        self.by_state[state] += 1
        w.registration_state = state
        self.columns["registration_state"].set(w.index, state)
        self.generation += 1

    def set_unique_id(self, w: Workspace, unique_id: str, at: float) -> None:
        """The workspace reported a different uniqueId: the old one goes to its history."""
        if unique_id == w.unique_id or not unique_id:
            return
        if w.unique_id:
            self.by_unique_id.pop(w.unique_id, None)
            self.by_former_unique_id[w.unique_id] = w.index
            w.unique_id_history = (*w.unique_id_history, (w.unique_id, at))
        w.unique_id = unique_id
        self.by_unique_id[unique_id] = w.index
        self.by_former_unique_id.pop(unique_id, None)
        self.generation += 1

    def add(self, w: Workspace) -> Workspace:
        """A workspace that registered while the sandbox runs (its `index` is the next one)."""
        assert w.index == len(self.workspaces)
        self.workspaces.append(w)
        self.by_id[w.id] = w.index
        if w.unique_id:
            self.by_unique_id[w.unique_id] = w.index
        bisect.insort(self._name_keys, w.name.lower())
        self._name_index.insert(self._name_keys.index(w.name.lower()), w.index)
        part = f"{w.name}\n{w.site_url}\n{w.contact_email}".lower()
        self._starts = np.append(self._starts, len(self._text) + 1)
        self._parts.append(part)
        self._text += "\x00" + part
        self.last_stats = np.append(self.last_stats, math.nan if w.last_stats_at is None else w.last_stats_at)
        for name in ("version", "deploy_method", "deploy_platform", "registration_state"):
            self.columns[name].append(str(getattr(w, name)))
        self.columns["minor"].append(w.minor)
        self.columns["created_month"].append(_month(w.created_at))
        self.hosted_mask = np.append(self.hosted_mask, w.hosted)
        self.by_minor[w.minor] += 1
        self.by_method[w.deploy_method] += 1
        self.by_platform[w.deploy_platform] += 1
        self.by_state[w.registration_state] += 1
        self.created_by_month[_month(w.created_at)] += 1
        self.generation += 1
        return w

    def set_suspended(self, w: Workspace, suspended: bool) -> None:
        """Suspend or unsuspend."""
        if w.suspended != suspended:
            self.suspended += 1 if suspended else -1
            w.suspended = suspended
            self.generation += 1

    def set_version(self, w: Workspace, version: str) -> None:
        """A new version (hosted upgrades, or a statistics report announcing one)."""
        if w.version == version:
            return
        self.by_minor[w.minor] -= 1
        if self.by_minor[w.minor] <= 0:
            del self.by_minor[w.minor]
        w.version = version
        self.by_minor[w.minor] += 1
        self.columns["version"].set(w.index, version)
        self.columns["minor"].set(w.index, w.minor)
        self.generation += 1

    def set_last_stats(self, w: Workspace, ts: float) -> None:
        """A statistics report arrived."""
        w.last_stats_at = ts
        self.last_stats[w.index] = ts
        self.generation += 1
