"""Everything one sandbox holds in memory, built once at start (dev and tests only)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from portal_dev.config import SANDBOX_ADMIN_TOKEN, SERVICES
from portal_dev.sandbox.cloud_auth import CloudAuth
from portal_dev.sandbox.faults import FaultRegistry, RequestLog
from portal_dev.sandbox.fleet_data import generate_fleet
from portal_dev.sandbox.fleet_index import Fleet
from portal_dev.sandbox.hosting_data import Hosting
from portal_dev.sandbox.market_data import Marketplace
from portal_dev.sandbox.push_data import PushLog
from portal_dev.sandbox.push_ops import PushGateway
from portal_dev.sandbox.registration import Registrations
from portal_dev.sandbox.servers import Servers
from portal_dev.sandbox.stats_data import StatsCollector
from portal_dev.sandbox.web import IdempotencyStore

log = logging.getLogger("portal_dev.sandbox")


@dataclass
class SandboxState:
    """The seeded world plus run-time knobs (faults, request log, idempotency stores)."""

    seed: int
    started_at: float
    admin_token: str
    fleet: Fleet
    auth: CloudAuth
    push: PushLog
    stats: StatsCollector
    market: Marketplace
    hosting: Hosting
    gateway: PushGateway
    build_seconds: dict[str, float]
    clock_offset: float = 0.0  # simulated time ahead of the wall clock (`POST /_sandbox/clock`)
    servers: Servers = field(init=False)
    registrations: Registrations = field(init=False)
    faults: FaultRegistry = field(default_factory=lambda: FaultRegistry(SERVICES))
    requests: RequestLog = field(default_factory=RequestLog)
    idempotency: dict[str, IdempotencyStore] = field(
        default_factory=lambda: {s: IdempotencyStore() for s in SERVICES})

    def __post_init__(self) -> None:
        self.servers = Servers(self)
        self.registrations = Registrations(self)

    def now(self) -> float:
        """The sandbox's time: the wall clock plus whatever `POST /_sandbox/clock` moved it on."""
        return time.time() + self.clock_offset

    def advance_clock(self, seconds: float) -> float:
        """Move simulated time forward (never back) and let everything catch up; returns the new now."""
        if not seconds >= 0:
            raise ValueError("advance: a number of seconds, 0 or more")
        self.clock_offset += seconds
        now = self.now()
        self.tick(now)
        return now

    def tick(self, now: float) -> None:
        """Let time-driven state catch up: hosting operations that finished, simulated servers' events."""
        self.hosting.advance(now)
        self.servers.advance(now)

    def today(self, now: float | None = None) -> date:
        """The UTC date used for support-window decisions."""
        return datetime.fromtimestamp(self.now() if now is None else now, UTC).date()


def build_state(*, workspaces: int, seed: int, admin_token: str = SANDBOX_ADMIN_TOKEN,
                now: float | None = None) -> SandboxState:
    """Generate the fleet and every service's data; `now` anchors all relative timestamps."""
    if workspaces < 1:
        raise ValueError("workspaces: at least 1")
    start = time.time() if now is None else now
    timings: dict[str, float] = {}

    def timed(name: str, t0: float) -> float:
        t1 = time.perf_counter()
        timings[name] = round(t1 - t0, 3)
        return t1

    t = time.perf_counter()
    fleet = Fleet(generate_fleet(workspaces, seed, start))
    t = timed("fleet", t)
    auth = CloudAuth(fleet, seed)
    push = PushLog(fleet.workspaces, seed, start)
    t = timed("push", t)
    market = Marketplace(fleet.workspaces, seed, start)
    t = timed("marketplace", t)
    stats = StatsCollector(fleet, seed, start, market.app_counts)
    hosting = Hosting(fleet.workspaces, seed, start, fleet.set_version)
    t = timed("stats+hosting", t)
    fleet.search("warm-up", {}, start)  # first numpy set operation imports lazily; pay it now
    log.info("sandbox built in %s", timings)
    return SandboxState(seed=seed, started_at=start, admin_token=admin_token, fleet=fleet, auth=auth,
                        push=push, stats=stats, market=market, hosting=hosting, gateway=PushGateway(push),
                        build_seconds=timings)
