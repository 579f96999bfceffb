"""The statistics collector's store: seeded reports (built on demand), posted ones, stats-only reporters.

A fleet workspace's seeded reports run back from its `last_stats_at` every day (5.x and later) or
every hour (up to 4.x) for `RETENTION_DAYS`; documents are rebuilt from the seed when read.
Reports posted while the sandbox runs are kept verbatim (the last `KEEP_POSTED` per workspace).
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import hmac
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from portal_dev.sandbox import _names
from portal_dev.sandbox._common import iso, rng, uuid_from
from portal_dev.sandbox._releases import stats_interval
from portal_dev.sandbox.fleet_data import DAY, RANDOM_ID_ALPHABET, UUID_IDS_SINCE, Workspace, version_tables
from portal_dev.sandbox.fleet_index import Fleet
from portal_dev.sandbox.stats_docs import Reporter, build_document, history_point, history_point_of

RETENTION_DAYS = 30  # assumed: how much history the collector's admin API serves
KEEP_POSTED = 200
# Old builds seen only through the statistics they send (never registered).
_ANCIENT = ("0.65.2", "0.66.3", "0.70.4", "0.72.3", "0.74.3")


@dataclass(slots=True)
class StatsOnlyReporter:
    """A workspace known only from its statistics (never registered with Fleetcommand)."""

    unique_id: str
    site_url: str
    version: str
    installed_at: float
    last_received_at: float | None
    active_users: int
    total_users: int
    deploy_method: str
    seeded: bool = True


interval_of = stats_interval


class StatsCollector:
    """Reports of fleet workspaces and of stats-only reporters."""

    def __init__(self, fleet: Fleet, seed: int, now: float,
                 app_counts: Callable[[Workspace], tuple[int, int, int]]) -> None:
        self.fleet = fleet
        self.seed = seed
        self.started_at = now
        self.app_counts = app_counts
        self.posted: dict[str, list[tuple[float, dict[str, object]]]] = {}
        # Where the seeded history of a uniqueId ended, captured when it first posts (after that,
        # its last_stats_at points at the posted report).
        self._seed_end: dict[str, float | None] = {}
        self._key = hashlib.blake2b(f"{seed}:stats-token".encode()).digest()
        self.reporters: list[StatsOnlyReporter] = [
            self._seed_reporter(k, now) for k in range(max(5, len(fleet) * 3 // 100))]
        self.reporter_by_uid = {r.unique_id: r for r in self.reporters}

    def _seed_reporter(self, k: int, now: float) -> StatsOnlyReporter:
        r = rng(self.seed, "reporter", k)
        values, cum = version_tables()["self"]
        version = r.choice(_ANCIENT) if r.random() < 0.1 else values[bisect.bisect_right(cum, r.random() * cum[-1])]
        slug = _names.slugify(_names.organisation_name(r))
        active = int(r.lognormvariate(math.log(12), 1.2)) + 1
        silent = r.random() < 0.15
        last = now - (r.uniform(2.1, 40) * DAY if silent else r.uniform(0, 1) * interval_of(version))
        unique_id = uuid_from(r)
        site_url = f"https://{r.choice(_names.HOST_PATTERNS).format(slug)}"
        installed = now - r.uniform(60, 2500) * DAY
        if installed < UUID_IDS_SINCE:  # installed before 6.5.0: Meteor's Random.id()
            extra = rng(self.seed, "reporter-id", k)
            unique_id = "".join(extra.choice(RANDOM_ID_ALPHABET) for _ in range(17))
        return StatsOnlyReporter(
            unique_id=unique_id, site_url=site_url,
            version=version, installed_at=installed, last_received_at=last,
            active_users=active, total_users=int(active * r.uniform(1.1, 2.5)),
            deploy_method=r.choice(("tar", "docker", "docker-official", "snap")))

    # -- reporters ---------------------------------------------------------------------------
    def reporter(self, unique_id: str) -> Reporter | None:
        """What a document needs about the workspace with this uniqueId."""
        w = self.fleet.by_current_unique_id(unique_id)
        if w is not None:
            return Reporter(w.unique_id, w.version, w.site_url, w.created_at, w.deploy_method,
                            w.deploy_platform, w.active_users, w.total_users, w.plan == "enterprise",
                            self.app_counts(w), w.registration_state in ("registered", "deregistered"))
        rep = self.reporter_by_uid.get(unique_id)
        if rep is None:
            return None
        return Reporter(rep.unique_id, rep.version, rep.site_url, rep.installed_at, rep.deploy_method,
                        "selfinstall", rep.active_users, rep.total_users, False, None, False)

    # -- reads -----------------------------------------------------------------------------------
    def latest(self, unique_id: str) -> tuple[float, dict[str, object]] | None:
        """(received_at, document) of the newest report, or None if it never reported."""
        posted = self.posted.get(unique_id)
        if posted:
            return posted[-1]
        rep = self.reporter(unique_id)
        last = self._seed_end.get(unique_id, self._initial_last(unique_id))
        if rep is None or last is None:
            return None
        return last, build_document(rep, last, self.seed)

    def _initial_last(self, unique_id: str) -> float | None:
        w = self.fleet.by_current_unique_id(unique_id)
        if w is not None:
            return w.last_stats_at
        rep = self.reporter_by_uid.get(unique_id)
        return rep.last_received_at if rep else None

    def history(self, unique_id: str, since: float | None, until: float | None) -> list[dict[str, object]]:
        """History items newest first (seeded ones computed, posted ones from their documents)."""
        rep = self.reporter(unique_id)
        items = [(at, history_point_of(doc, at)) for at, doc in self.posted.get(unique_id, [])]
        last = self._seed_end.get(unique_id, self._initial_last(unique_id))
        if rep is not None and last is not None:
            step = interval_of(rep.version)
            oldest = max(last - RETENTION_DAYS * DAY, rep.installed_at)
            lo = oldest if since is None else max(oldest, since)
            k_max = int((last - lo) // step)
            for k in range(k_max + 1):
                at = last - k * step
                if until is not None and at >= until:
                    continue
                items.append((at, history_point(rep, at, self.seed)))
        items.sort(key=lambda t: -t[0])
        return [p for at, p in items if (since is None or at >= since) and (until is None or at < until)]

    def freshness(self, now: float) -> dict[str, object]:
        """How many workspaces report, recently or not (fleet plus stats-only reporters)."""
        fleet_last = self.fleet.last_stats
        known = fleet_last[~(fleet_last != fleet_last)]  # drop NaN (never reported)
        rep_last = [r.last_received_at for r in self.reporters if r.last_received_at is not None]
        return {
            "total_reporting": int(len(known) + len(rep_last)),
            "reported_24h": int((known >= now - DAY).sum() + sum(t >= now - DAY for t in rep_last)),
            "silent_48h": int((known < now - 2 * DAY).sum() + sum(t < now - 2 * DAY for t in rep_last)),
            "never_reported": int(len(fleet_last) - len(known)),
            "as_of": iso(now),
        }

    def unregistered(self, q: str | None) -> list[StatsOnlyReporter]:
        """Stats-only reporters, most recent first, optionally filtered by uniqueId/site URL/version."""
        exact = (q or "").strip()
        ql = exact.lower()
        items = [r for r in self.reporters if not ql or ql in r.site_url.lower()
                 or r.unique_id.startswith(exact) or r.version == ql]
        return sorted(items, key=lambda r: (-(r.last_received_at or 0), r.unique_id))

    # -- writes ----------------------------------------------------------------------------------
    def receive(self, doc: dict[str, object], now: float) -> str:
        """Store a posted document as its uniqueId's latest report; returns the statsToken."""
        unique_id = str(doc["uniqueId"])
        self._seed_end.setdefault(unique_id, self._initial_last(unique_id))
        posted = self.posted.setdefault(unique_id, [])
        posted.append((now, doc))
        del posted[:-KEEP_POSTED]
        w = self.fleet.by_current_unique_id(unique_id)
        if w is not None:
            self.fleet.set_last_stats(w, now)
        else:
            rep = self.reporter_by_uid.get(unique_id)
            host = doc.get("host") if isinstance(doc.get("host"), str) else ""
            version = doc.get("version") if isinstance(doc.get("version"), str) else "unknown"
            if rep is None:
                rep = StatsOnlyReporter(unique_id, str(host), str(version), now, now, 0, 0, "tar", seeded=False)
                self.reporters.append(rep)
                self.reporter_by_uid[unique_id] = rep
            rep.last_received_at = now
            rep.version = str(version)
            rep.site_url = str(host) or rep.site_url
        return self.stats_token(unique_id, now)

    def report_from_server(self, w: Workspace, at: float) -> None:
        """A simulated server's statistics cron: a document of its version, posted now."""
        rep = self.reporter(w.unique_id)
        if rep is not None:
            doc = build_document(rep, at, self.seed)
            doc["host"] = w.site_url
            self.receive(doc, at)

    def stats_token(self, unique_id: str, now: float) -> str:
        """An HS256 JWT (signed with a sandbox key) like the one the real collector returns."""
        def b64(raw: bytes) -> str:
            return base64.urlsafe_b64encode(raw).decode().rstrip("=")

        header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        payload = b64(json.dumps({"iss": "sandbox-collector", "sub": unique_id, "iat": int(now),
                                  "exp": int(now + 30 * DAY)}, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64(signature)}"


def reporters_json(items: Sequence[StatsOnlyReporter]) -> list[dict[str, object]]:
    """The admin API's unregistered-reporter items."""
    return [{"unique_id": r.unique_id, "site_url": r.site_url, "version": r.version,
             "last_received_at": iso(r.last_received_at)} for r in items]
