"""Cloud-hosted instances and their operations, which progress with the clock.

Nothing here is public: the whole hosting admin API is ours (assumed). An operation's state and
progress are a function of its start time, read when asked; `advance()` (called before every request)
applies the effects of operations that have finished: a new version, a status change, an event.
"""

from __future__ import annotations

import heapq
import itertools
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from portal_dev.sandbox._common import iso, rng
from portal_dev.sandbox._releases import is_supported, load_releases, parse_version
from portal_dev.sandbox.fleet_data import DAY, Workspace

STATUSES = ("running", "degraded", "stopped", "upgrading", "maintenance")
KINDS = ("restart", "maintenance_on", "maintenance_off", "upgrade")
# assumed: how long each operation takes in the sandbox (seconds); real ones take minutes.
DURATIONS = {"restart": 1.5, "maintenance_on": 1.0, "maintenance_off": 1.0, "upgrade": 3.0}
PENDING_FOR = 0.3
_NOISE = (("backup", "Nightly backup completed"), ("alert", "CPU above 85% for 10 minutes"),
          ("alert", "Disk usage above 80%"), ("certificate", "TLS certificate renewed"),
          ("scale", "Scaled to 3 replicas after load increase"), ("health_check", "Health check recovered"))


@dataclass(slots=True)
class Instance:
    """One hosted workspace's deployment."""

    ws: int
    size: str
    status: str
    last_deploy_at: float


@dataclass(slots=True)
class Operation:
    """One operation; `state`/`progress` are derived from the clock (see `Hosting.op_json`)."""

    id: str
    ws: int
    kind: str
    detail: dict[str, object]
    started_at: float
    duration: float
    fails_with: str | None = None
    applied: bool = False
    prev_status: str = "running"
    pending_for: float = PENDING_FOR
    fail_at: float = 0.6  # fraction of the run after which a failing operation gives up
    seeded: bool = False  # generated at start (its events are derived, not recorded)

    @property
    def finished_at(self) -> float:
        """When the operation ends (or ended), success or failure."""
        run = self.duration - self.pending_for
        return self.started_at + self.pending_for + (run * self.fail_at if self.fails_with else run)


def _previous_patch(version: str) -> str:
    parsed = parse_version(version)
    if parsed is None or parsed[2] == 0:
        return version
    return f"{parsed[0]}.{parsed[1]}.{parsed[2] - 1}"


class UpgradeRefused(ValueError):
    """The requested version may not be installed (unsupported, older, malformed)."""


class Hosting:
    """Instances, operations and events of every hosted workspace."""

    def __init__(self, workspaces: Sequence[Workspace], seed: int, now: float,
                 set_version: Callable[[Workspace, str], None]) -> None:
        self.seed = seed
        self.started_at = now
        self.workspaces = workspaces
        self._set_version = set_version
        self.instances: dict[int, Instance] = {}
        self.operations: dict[str, Operation] = {}
        self.order: list[Operation] = []  # newest first
        self.live_events: dict[int, list[tuple[float, str, str]]] = {}
        self._due: list[tuple[float, int, str]] = []  # (finish time, tiebreak, op id)
        self._tiebreak = itertools.count()
        seeded: list[Operation] = []
        hosted = 0
        for w in workspaces:
            if w.hosted:
                # The first hosted workspaces take one status each, so even a small fleet shows them all.
                seeded += self._seed_instance(w, now, STATUSES[hosted] if hosted < len(STATUSES) else None)
                hosted += 1
        seeded.sort(key=lambda o: (-o.started_at, o.id))
        self.order = seeded
        for op in seeded:
            self.operations[op.id] = op
            if op.finished_at > now:
                heapq.heappush(self._due, (op.finished_at, next(self._tiebreak), op.id))

    def _seed_instance(self, w: Workspace, now: float, status: str | None) -> list[Operation]:
        r = rng(self.seed, "hosting", w.index)
        size = {"starter": "small", "pro": "medium", "enterprise": "large"}.get(w.plan, "small")
        if r.random() < 0.15:
            size = r.choice(("small", "medium", "large"))
        drawn = r.choices(STATUSES, (85, 4, 3, 3, 5))[0]
        status = status or drawn
        inst = Instance(w.index, size, status, now - r.uniform(1, 60) * DAY)
        self.instances[w.index] = inst
        ops: list[Operation] = []
        for k in range(r.choice((0, 1, 1, 2, 3))):
            kind = r.choices(KINDS, (40, 12, 13, 35))[0]
            started = now - r.uniform(0.5, 30) * DAY
            detail: dict[str, object] = {}
            if kind == "upgrade":  # how it reached its current version
                detail = {"from_version": _previous_patch(w.version), "to_version": w.version}
            fails = (r.choice(("health checks failed; rolled back", "image pull timed out"))
                     if r.random() < 0.08 else None)
            ops.append(Operation(f"op_{w.index:06x}{k:02x}{r.getrandbits(24):06x}", w.index, kind, detail,
                                 started, r.uniform(60, 900), fails, applied=True, pending_for=r.uniform(1, 30),
                                 seeded=True))
        if status == "upgrading":  # an upgrade in flight, slower than the sandbox's own
            target = self._next_version(w.version)
            ops.append(Operation(f"op_{w.index:06x}ff{r.getrandbits(24):06x}", w.index, "upgrade",
                                 {"from_version": w.version, "to_version": target},
                                 now - r.uniform(60, 600), r.uniform(900, 2400), prev_status="running",
                                 pending_for=20.0, seeded=True))
        elif status == "maintenance":
            ops.append(Operation(f"op_{w.index:06x}fe{r.getrandbits(24):06x}", w.index, "maintenance_on", {},
                                 now - r.uniform(0.1, 3) * DAY, 45.0, applied=True, seeded=True))
        return ops

    @staticmethod
    def _next_version(version: str) -> str:
        """The newest release line's version (what an in-flight seeded upgrade is heading to)."""
        newest = load_releases()[0]
        target = f"{newest.minor}.{newest.latest_patch or 1}"
        current, wanted = parse_version(version), parse_version(target)
        return target if current and wanted and wanted[:3] > current[:3] else version

    # -- clock ----------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Apply the end effects of every operation that has finished by `now`."""
        while self._due and self._due[0][0] <= now:
            _, _, op_id = heapq.heappop(self._due)
            self._finish(self.operations[op_id])

    def _finish(self, op: Operation) -> None:
        if op.applied:
            return
        op.applied = True
        inst = self.instances[op.ws]
        w = self.workspaces[op.ws]
        end = op.finished_at
        if op.fails_with:
            inst.status = op.prev_status
            self._event(op.ws, end, op.kind, f"{op.kind} failed: {op.fails_with}")
            return
        if op.kind == "upgrade":
            self._set_version(w, str(op.detail["to_version"]))
            inst.status = "maintenance" if op.prev_status == "maintenance" else "running"
            inst.last_deploy_at = end
        elif op.kind == "maintenance_off" or (op.kind == "restart" and inst.status != "maintenance"):
            inst.status = "running"
        self._event(op.ws, end, op.kind, f"{op.kind} succeeded")

    def _event(self, ws: int, at: float, kind: str, message: str) -> None:
        self.live_events.setdefault(ws, []).append((at, kind, message))

    # -- operations -----------------------------------------------------------------------------
    def busy(self, ws: int, now: float) -> Operation | None:
        """The operation still pending/running on this instance, if any."""
        for op in self.order:
            if op.ws == ws and not op.applied and op.finished_at > now:
                return op
        return None

    def start(self, ws: int, kind: str, now: float, version: str | None = None) -> Operation:
        """Start an operation (the caller has checked that the instance is not busy)."""
        inst = self.instances[ws]
        w = self.workspaces[ws]
        detail: dict[str, object] = {}
        fails = None
        if kind == "upgrade":
            detail = {"from_version": w.version, "to_version": version}
            if inst.status == "degraded":  # assumed: a sick instance fails its health checks
                fails = "health checks failed after upgrade; rolled back"
        elif kind.startswith("maintenance"):
            detail = {"enabled": kind == "maintenance_on"}
        op = Operation(f"op_{secrets.token_hex(8)}", ws, kind, detail, now, DURATIONS[kind], fails,
                       prev_status=inst.status)
        if kind == "upgrade":
            inst.status = "upgrading"
        elif kind == "maintenance_on":
            inst.status = "maintenance"
        self.operations[op.id] = op
        self.order.insert(0, op)
        heapq.heappush(self._due, (op.finished_at, next(self._tiebreak), op.id))
        self._event(ws, now, kind, f"{kind} requested")
        return op

    def check_upgrade(self, ws: int, version: str, now: float) -> None:
        """Raise UpgradeRefused unless `version` is a supported, newer, released version."""
        parsed = parse_version(version)
        if parsed is None or parsed[3] is not None:
            raise UpgradeRefused(f"{version!r} is not a release version (expected MAJOR.MINOR.PATCH)")
        today = datetime.fromtimestamp(now, UTC).date()
        if not is_supported(version, today):
            raise UpgradeRefused(f"version {version} is not supported")
        release = next((r for r in load_releases() if r.major_minor == parsed[:2]), None)
        if release and release.latest_patch is not None and parsed[2] > release.latest_patch:
            raise UpgradeRefused(f"version {version} does not exist (latest is {release.minor}.{release.latest_patch})")
        current = parse_version(self.workspaces[ws].version)
        if current and parsed[:3] <= current[:3]:
            raise UpgradeRefused(f"version {version} is not newer than {self.workspaces[ws].version}")

    def op_json(self, op: Operation, now: float) -> dict[str, object]:
        """The admin API's Operation object, as of `now`."""
        elapsed = now - op.started_at
        finished = op.finished_at <= now
        if finished:
            state = "failed" if op.fails_with else "succeeded"
            progress = int(op.fail_at * 100) if op.fails_with else 100
        elif elapsed < op.pending_for:
            state, progress = "pending", 0
        else:
            state = "running"
            progress = min(99, int(100 * (elapsed - op.pending_for) / (op.duration - op.pending_for)))
        return {
            "id": op.id, "workspace_id": self.workspaces[op.ws].id, "kind": op.kind, "state": state,
            "progress": progress, "detail": op.detail, "error": op.fails_with if finished else None,
            "started_at": iso(op.started_at), "finished_at": iso(op.finished_at) if finished else None,
        }

    # -- reads ----------------------------------------------------------------------------------
    def instance_json(self, inst: Instance) -> dict[str, object]:
        """The admin API's Instance object."""
        w = self.workspaces[inst.ws]
        return {"workspace_id": w.id, "region": w.region, "size": inst.size, "version": w.version,
                "status": inst.status, "last_deploy_at": iso(inst.last_deploy_at), "url": w.site_url}

    def events(self, ws: int, now: float) -> list[dict[str, object]]:
        """Recent events, newest first: seeded noise, operation history, and live ones."""
        r = rng(self.seed, "hosting-events", ws)
        items = [(self.started_at - r.uniform(0.2, 30) * DAY, *r.choice(_NOISE)) for _ in range(r.randint(2, 8))]
        for op in self.order:
            if op.ws == ws and op.seeded:
                items.append((op.started_at, op.kind, f"{op.kind} requested"))
                if op.finished_at < self.started_at:  # finished before the sandbox started
                    items.append((op.finished_at, op.kind, f"{op.kind} failed: {op.fails_with}"
                                  if op.fails_with else f"{op.kind} succeeded"))
        items += [e for e in self.live_events.get(ws, []) if e[0] <= now]
        items.sort(key=lambda e: -e[0])
        return [{"at": iso(at), "kind": kind, "message": message} for at, kind, message in items]

    def summary(self, now: float) -> dict[str, object]:
        """Counts by status, region and version."""
        by_status = Counter(i.status for i in self.instances.values())
        return {
            "total": len(self.instances),
            "by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "by_region": dict(Counter(self.workspaces[i].region for i in self.instances).most_common()),
            "by_version": dict(Counter(self.workspaces[i].version for i in self.instances).most_common()),
            "as_of": iso(now),
        }
