"""The push gateway's delivery log: a week of seeded history in numpy columns, plus live deliveries.

History is generated once, vectorised, from per-workspace knobs (volume, token count, failure
rates) and a hash of (seed, workspace, n): row n of a workspace is the same whatever the fleet size.
About 11 rows per workspace on average (1.1 M at 100,000) take ~25 MB; a delivery becomes a dict
only when an endpoint renders it. Deliveries made while the sandbox runs (public sends, resends,
test pushes) are kept as `LiveDelivery` objects and merged into every query.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from portal_dev.sandbox._common import iso, mix64, mix64_int, sub_seed, unit
from portal_dev.sandbox.fleet_data import DAY, HOUR, Workspace
from portal_dev.sandbox.push_tokens import APN, PLATFORMS, TokenCodec, mask_token

# Status index (low 3 bits of a row's code; bit 3 is the platform).
STATUSES = (200, 406, 422, 401, 500, 503)
OUTCOME_OF_STATUS = ("sent", "invalid_token", "rejected", "unauthorized", "error", "error")
OUTCOMES = ("sent", "invalid_token", "rejected", "unauthorized", "error")
STATUS_INDEX = {code: i for i, code in enumerate(STATUSES)}
_OUTCOME_STATUS = {name: [i for i, o in enumerate(OUTCOME_OF_STATUS) if o == name] for name in OUTCOMES}
_OUTCOME_OF_INDEX = np.array([OUTCOMES.index(o) for o in OUTCOME_OF_STATUS], dtype=np.int64)
RESENDABLE = (STATUS_INDEX[401], STATUS_INDEX[500], STATUS_INDEX[503])
# assumed: gateway error texts (APNs/FCM reasons are real; the gateway's wording is ours).
_ERRORS = {
    406: (("BadDeviceToken", "Unregistered"), ("NotRegistered", "InvalidRegistration")),
    422: (("title exceeds 65 characters",) * 2, ("text exceeds 240 characters",) * 2,
          ("options.uniqueId is required",) * 2),
    401: (("workspace access token rejected",) * 2,),
    500: (("internal error relaying to APNs", "internal error relaying to FCM"),),
    503: (("APNs unavailable", "FCM unavailable"), ("gateway overloaded",) * 2),
}
# Local-time hourly traffic shape (working hours), weekends quieter.
_DIURNAL = np.array([0.2, 0.1, 0.1, 0.1, 0.15, 0.3, 0.7, 1.4, 2.0, 2.2, 2.2, 2.1,
                     1.8, 2.0, 2.1, 2.1, 1.9, 1.5, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3])
HISTORY_DAYS = 7


def error_text(status: int, platform: int, salt: int) -> str | None:
    """The error message of a delivery, picked deterministically from `salt`."""
    if status == 200:
        return None
    options = _ERRORS[status]
    return options[salt % len(options)][platform]


@dataclass(slots=True)
class LiveDelivery:
    """A delivery made while the sandbox runs."""

    id: str
    ws: int
    platform: int
    token: str
    status: int
    error: str | None
    created_at: float
    resent_from: str | None
    kind: str


class PushLog:
    """Seeded history + live deliveries, flagged invalid tokens and purges."""

    def __init__(self, workspaces: Sequence[Workspace], seed: int, now: float) -> None:
        self.seed = seed
        self.now = now
        self.codec = TokenCodec(seed)
        self.workspaces = workspaces
        n = len(workspaces)
        self.valid_tokens = np.array([w.push_tokens - w.push_invalid for w in workspaces], dtype=np.int64)
        self.apn_share = np.array([w.apn_share for w in workspaces], dtype=np.float64)
        self._deregistered_at = np.array([math.inf if w.deregistered_at is None else w.deregistered_at
                                          for w in workspaces], dtype=np.float64)
        self._generate(workspaces, seed, now)
        self.live: list[LiveDelivery] = []
        self.live_by_id: dict[str, LiveDelivery] = {}
        self.resent: set[str] = set()  # ids of deliveries already resent
        self.purged_at = np.full(n, -math.inf)  # flags up to this time are purged
        # Flags raised while running: (ws, token string, platform, flagged_at).
        self.live_flags: list[tuple[int, str, int, float]] = []

    def grow(self, w: Workspace) -> None:
        """Room for a workspace that registered while the sandbox runs (no history)."""
        self.valid_tokens = np.append(self.valid_tokens, w.push_tokens - w.push_invalid)
        self.apn_share = np.append(self.apn_share, w.apn_share)
        self._deregistered_at = np.append(self._deregistered_at, math.inf)
        self.purged_at = np.append(self.purged_at, -math.inf)
        self.offsets = np.append(self.offsets, self.offsets[-1])

    # -- generation --------------------------------------------------------------------------
    def _generate(self, workspaces: Sequence[Workspace], seed: int, now: float) -> None:
        n = len(workspaces)
        volume = np.array([w.push_volume for w in workspaces], dtype=np.int64)
        invalid = np.array([w.push_invalid for w in workspaces], dtype=np.int64)
        tz = np.array([w.tz_hours for w in workspaces], dtype=np.int64)
        key = np.uint64(sub_seed(seed, "deliveries"))
        window_start = now - HISTORY_DAYS * DAY

        # Regular deliveries: row n of workspace w hashes (w, n).
        ws = np.repeat(np.arange(n, dtype=np.int64), volume)
        nth = np.arange(len(ws), dtype=np.int64) - np.repeat(np.cumsum(volume) - volume, volume)
        h1 = mix64(key ^ ((ws.astype(np.uint64) << np.uint64(32)) | nth.astype(np.uint64)))
        h2, h3, h4 = mix64(h1 ^ np.uint64(1)), mix64(h1 ^ np.uint64(2)), mix64(h1 ^ np.uint64(3))
        ts = self._diurnal_times(unit(h1), unit(h2), tz[ws], now)
        tok = (h3 % np.repeat(self.valid_tokens, volume).astype(np.uint64)).astype(np.int64)
        platform = self.codec.platform_of(ws, tok, self.apn_share[ws])
        status = self._statuses(ws, ts, platform, unit(h4), (h4 & np.uint64(1)).astype(bool), workspaces, now)

        # One 406 per invalid token: the workspace deletes a token after the gateway rejects it.
        iws = np.repeat(np.arange(n, dtype=np.int64), invalid)
        ith = np.arange(len(iws), dtype=np.int64) - np.repeat(np.cumsum(invalid) - invalid, invalid)
        itok = np.repeat(self.valid_tokens, invalid) + ith
        ih = mix64((key ^ np.uint64(0xF1A6)) ^ ((iws.astype(np.uint64) << np.uint64(32)) | ith.astype(np.uint64)))
        its = window_start + unit(ih) * (now - window_start)
        iplat = self.codec.platform_of(iws, itok, self.apn_share[iws])
        istatus = np.full(len(iws), STATUS_INDEX[406], dtype=np.uint8)

        all_ws = np.concatenate([ws, iws])
        all_ts = np.round(np.concatenate([ts, its]), 3)
        # After its token is rejected a deregistered workspace fails to get a new one, wipes its
        # cloud credentials and stops pushing: keep only its first hour of 401s.
        keep = all_ts < self._deregistered_at[all_ws] + HOUR
        all_ws, all_ts = all_ws[keep], all_ts[keep]
        all_tok = np.concatenate([tok, itok])[keep]
        all_code = (np.concatenate([platform, iplat]) << 3 | np.concatenate([status, istatus]))[keep]
        order = np.lexsort((all_ts, all_ws))  # grouped by workspace, oldest first within it
        self.ws = all_ws[order].astype(np.int32)
        self.ts = all_ts[order]
        self.tok = all_tok[order].astype(np.int32)
        self.code = all_code[order].astype(np.uint8)
        self.offsets = np.searchsorted(self.ws, np.arange(n + 1))
        self.global_order = np.argsort(self.ts, kind="stable").astype(np.int32)
        self.global_ts = self.ts[self.global_order]
        flagged = np.flatnonzero((self.code & 7) == STATUS_INDEX[406])
        self.flag_rows = flagged[np.argsort(-self.ts[flagged], kind="stable")]  # newest first

    @staticmethod
    def _diurnal_times(u_slot: np.ndarray, u_in: np.ndarray, tz: np.ndarray, now: float) -> np.ndarray:
        """Timestamps over the last week following local working hours, per time zone."""
        last_hour = math.floor(now / HOUR) * HOUR
        slot_starts = last_hour - np.arange(HISTORY_DAYS * 24, -1, -1) * HOUR  # oldest first
        slot_len = np.full(len(slot_starts), HOUR)
        slot_len[-1] = now - last_hour  # the current hour has only just begun
        out = np.empty(len(u_slot))
        for zone in np.unique(tz):
            local = slot_starts + zone * HOUR
            hour = ((local // HOUR) % 24).astype(np.int64)
            weekday = ((local // DAY + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
            weight = _DIURNAL[hour] * np.where(weekday >= 5, 0.35, 1.0) * slot_len / HOUR
            cdf = np.cumsum(weight) / weight.sum()
            rows = np.flatnonzero(tz == zone)
            slot = np.minimum(np.searchsorted(cdf, u_slot[rows], side="right"), len(cdf) - 1)
            out[rows] = slot_starts[slot] + u_in[rows] * slot_len[slot]
        return out

    def _statuses(self, ws: np.ndarray, ts: np.ndarray, platform: np.ndarray, u: np.ndarray,
                  bit: np.ndarray, workspaces: Sequence[Workspace], now: float) -> np.ndarray:
        p422 = np.array([w.p422 for w in workspaces])[ws]
        p401 = np.array([w.p401 for w in workspaces])[ws]
        p5xx = np.array([w.p5xx for w in workspaces])[ws].copy()
        # Two incidents everyone would remember: a gateway brown-out and an APNs outage.
        gateway = (ts >= now - 3 * DAY - 2 * HOUR) & (ts < now - 3 * DAY - 1.25 * HOUR)
        apns = (ts >= now - 5 * DAY - 9 * HOUR) & (ts < now - 5 * DAY - 8.5 * HOUR) & (platform == APN)
        p5xx[gateway] += 0.35
        p5xx[apns] += 0.5
        status = np.zeros(len(ws), dtype=np.uint8)
        status[u < p422 + p401 + p5xx] = np.where(bit, STATUS_INDEX[503], STATUS_INDEX[500])[u < p422 + p401 + p5xx]
        status[(gateway | apns) & (status == STATUS_INDEX[500])] = STATUS_INDEX[503]
        status[u < p422 + p401] = STATUS_INDEX[401]
        status[u < p422] = STATUS_INDEX[422]
        # A deregistered workspace's cached token stops working the moment it is deregistered.
        status[ts >= self._deregistered_at[ws]] = STATUS_INDEX[401]
        return status

    # -- rendering ------------------------------------------------------------------------------
    def base_id(self, row: int) -> str:
        """The delivery id of a history row: d_<workspace hex><n hex>."""
        ws = int(self.ws[row])
        return f"d_{ws:06x}{row - int(self.offsets[ws]):06x}"

    def token_of_row(self, row: int) -> str:
        """The full device token a history row was sent to."""
        return self.codec.render(int(self.ws[row]), int(self.tok[row]), int(self.code[row]) >> 3)

    def render_row(self, row: int) -> dict[str, object]:
        """A seeded delivery as the admin API's Delivery object."""
        code = int(self.code[row])
        platform, status = code >> 3, STATUSES[code & 7]
        ws = int(self.ws[row])
        salt = mix64_int((ws << 32) | (row - int(self.offsets[ws])))
        return {
            "id": self.base_id(row), "workspace_id": self.workspaces[ws].id,
            "platform": PLATFORMS[platform], "device_token": mask_token(self.token_of_row(row)),
            "status_code": status, "outcome": OUTCOME_OF_STATUS[code & 7],
            "error": error_text(status, platform, salt), "created_at": iso(float(self.ts[row])),
            "resent_from": None, "kind": "message",
        }

    def render_live(self, d: LiveDelivery) -> dict[str, object]:
        """A live delivery as the admin API's Delivery object."""
        return {
            "id": d.id, "workspace_id": self.workspaces[d.ws].id, "platform": PLATFORMS[d.platform],
            "device_token": mask_token(d.token), "status_code": d.status,
            "outcome": OUTCOME_OF_STATUS[STATUS_INDEX[d.status]], "error": d.error,
            "created_at": iso(d.created_at), "resent_from": d.resent_from, "kind": d.kind,
        }

    def find(self, delivery_id: str) -> int | LiveDelivery | None:
        """A delivery by id: a history row number or a live delivery."""
        live = self.live_by_id.get(delivery_id)
        if live is not None:
            return live
        if len(delivery_id) != 14 or not delivery_id.startswith("d_"):
            return None
        try:
            ws, nth = int(delivery_id[2:8], 16), int(delivery_id[8:], 16)
        except ValueError:
            return None
        if ws >= len(self.workspaces) or nth >= self.offsets[ws + 1] - self.offsets[ws]:
            return None
        return int(self.offsets[ws]) + nth

    # -- selections --------------------------------------------------------------------------
    def rows(self, ws: int | None, since: float | None, until: float | None) -> np.ndarray:
        """History rows in [since, until), oldest first, of one workspace or the whole fleet."""
        lo_t = -math.inf if since is None else since
        hi_t = math.inf if until is None else until
        if ws is not None:
            start, end = int(self.offsets[ws]), int(self.offsets[ws + 1])
            part = self.ts[start:end]
            lo = start + int(np.searchsorted(part, lo_t, side="left"))
            hi = start + int(np.searchsorted(part, hi_t, side="left"))
            return np.arange(lo, hi)
        lo = int(np.searchsorted(self.global_ts, lo_t, side="left"))
        hi = int(np.searchsorted(self.global_ts, hi_t, side="left"))
        return self.global_order[lo:hi].astype(np.int64)

    def live_in(self, ws: int | None, since: float | None, until: float | None,
                snapshot: int | None = None) -> list[LiveDelivery]:
        """Live deliveries in [since, until), oldest first (optionally only the first `snapshot`)."""
        items = self.live if snapshot is None else self.live[:snapshot]
        return [d for d in items if (ws is None or d.ws == ws)
                and (since is None or d.created_at >= since) and (until is None or d.created_at < until)]

    def list_deliveries(self, ws: int | None, outcome: str | None, platform: str | None,
                        since: float | None, until: float | None,
                        snapshot: int) -> tuple[list[LiveDelivery], np.ndarray]:
        """Matches newest first: live ones (all newer than history), then history rows."""
        statuses = _OUTCOME_STATUS[outcome] if outcome else None
        plat = PLATFORMS.index(platform) if platform else None
        live = [d for d in reversed(self.live_in(ws, since, until, snapshot))
                if (statuses is None or STATUS_INDEX[d.status] in statuses)
                and (plat is None or d.platform == plat)]
        rows = self.rows(ws, since, until)
        if statuses is not None or plat is not None:
            codes = self.code[rows]
            keep = np.ones(len(rows), dtype=bool)
            if statuses is not None:
                keep &= np.isin(codes & 7, statuses)
            if plat is not None:
                keep &= (codes >> 3) == plat
            rows = rows[keep]
        return live, rows[::-1]

    # -- aggregates -----------------------------------------------------------------------------
    def counts(self, since: float, until: float, bucket: float, ws: int | None) -> list[dict[str, object]]:
        """Delivery counts per (bucket start, platform, outcome); empty cells are left out."""
        rows = self.rows(ws, since, until)
        live = self.live_in(ws, since, until)
        origin = math.floor(since / bucket) * bucket
        ts = np.concatenate([self.ts[rows], np.array([d.created_at for d in live], dtype=np.float64)])
        codes = np.concatenate([self.code[rows].astype(np.int64),
                                np.array([d.platform << 3 | STATUS_INDEX[d.status] for d in live], dtype=np.int64)])
        slot = ((ts - origin) // bucket).astype(np.int64)
        cell = slot * 10 + (codes >> 3) * 5 + _OUTCOME_OF_INDEX[codes & 7]
        counted = np.bincount(cell) if len(cell) else np.zeros(0, dtype=np.int64)
        items = []
        for c in np.flatnonzero(counted):
            s, rest = divmod(int(c), 10)
            p, o = divmod(rest, 5)
            items.append({"start": iso(origin + s * bucket), "platform": PLATFORMS[p],
                          "outcome": OUTCOMES[o], "count": int(counted[c])})
        return items

    def top_failing(self, since: float, until: float, limit: int) -> list[dict[str, object]]:
        """Workspaces with the most failed deliveries in the window."""
        rows = self.rows(None, since, until)
        live = self.live_in(None, since, until)
        n = len(self.workspaces)
        ws = self.ws[rows]
        total = np.bincount(ws, minlength=n)
        failed = np.bincount(ws[(self.code[rows] & 7) != 0], minlength=n)
        for d in live:
            total[d.ws] += 1
            failed[d.ws] += d.status != 200
        ranked = np.lexsort((np.arange(n), -total, -failed))[:limit]
        return [{"workspace_id": self.workspaces[i].id, "failed": int(failed[i]), "total": int(total[i])}
                for i in ranked if failed[i] > 0]

    def flag_count(self, ws: int | None, since: float | None) -> tuple[np.ndarray, list[tuple[int, str, int, float]]]:
        """Cheap form of `flags` for paging: history rows kept and live flags kept."""
        rows = self.flag_rows
        if ws is not None:
            rows = rows[self.ws[rows] == ws]
        keep = self.ts[rows] > self.purged_at[self.ws[rows]]
        if since is not None:
            keep &= self.ts[rows] >= since
        live = [f for f in reversed(self.live_flags)
                if (ws is None or f[0] == ws) and f[3] > self.purged_at[f[0]] and (since is None or f[3] >= since)]
        return rows[keep], live

    def flag_trend(self, since: float, until: float, bucket: float) -> list[dict[str, object]]:
        """Tokens flagged per bucket (purged or not: it is the history of flagging)."""
        ts = self.ts[self.flag_rows]
        ts = np.concatenate([ts, np.array([f[3] for f in self.live_flags], dtype=np.float64)])
        ts = ts[(ts >= since) & (ts < until)]
        origin = math.floor(since / bucket) * bucket
        slots = math.ceil((until - origin) / bucket)
        counted = np.bincount(((ts - origin) // bucket).astype(np.int64), minlength=slots)
        return [{"start": iso(origin + i * bucket), "count": int(c)} for i, c in enumerate(counted)]

    def is_flagged(self, ws: int, token: str) -> bool:
        """Whether this token is currently on the flagged (not purged) list of `ws`."""
        return any(f[0] == ws and f[1] == token for f in self.flag_count(ws, None)[1]) or any(
            self.token_of_row(int(r)) == token for r in self.flag_count(ws, None)[0])
