"""Simulated Rocket.Chat servers: what each sandbox workspace does on its own, by the server's rules.

A workspace the portal (or a test) has touched, by an operation, a control scenario or a read of
its record, is "engaged": from then on it runs, lazily and in simulated time (`SandboxState.now`,
which `POST /_sandbox/clock` moves), the rules the open-source server follows. Nothing runs in a
thread: every request first lets each engaged server catch up to now, events in time order.

Sources (RocketChat/Rocket.Chat; see docs/service-contract.md for the full list):
- token: cached until it expires, never refreshed after a 401; a sync forces a new one
  (`server/lib/cloud/getWorkspaceAccessToken.ts`, `getWorkspaceAccessTokenWithScope.ts`);
- `oauth_invalid_client_credentials` → `removeWorkspaceRegistrationInfo()`: credentials wiped;
- sync at start and every 12 hours, each with a fresh token (`server/lib/cloud/index.ts`,
  `syncWorkspace/syncCloudData.ts`), carrying seats and MAC (`buildRegistrationData.ts`);
- pushes through the gateway with the cached token: 406 drops the device token, 422 and 401 are
  not retried, anything else is retried after 1, 2, 4, 8 and 16 minutes
  (`server/lib/notifications/push/push.ts`); the gateway is used only when `Push_enable_gateway`,
  `Register_Server` and `Cloud_Service_Agree_PrivacyTerms` are on (`configuration/pushNotification.ts`);
- statistics posted on the version's cadence (`_releases.stats_interval`: hourly up to 4.x, daily from 5.0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portal_dev.sandbox._common import rng
from portal_dev.sandbox._releases import stats_interval
from portal_dev.sandbox.cloud_auth import TOKEN_TTL
from portal_dev.sandbox.fleet_data import DAY, HOUR, Workspace

if TYPE_CHECKING:
    from portal_dev.sandbox.state import SandboxState

SYNC_EVERY = 12 * HOUR
RETRY_MINUTES = (1, 2, 4, 8, 16)
MAX_PUSHES_PER_HOUR = 60
SCENARIOS = ("token_revoked_while_cached", "secret_rotated", "clock_skew", "gateway_outage", "unsupported_version",
             "registration_off", "sync_now", "user_activity")


stats_every = stats_interval


@dataclass
class Server:
    """What one simulated server holds: its cached token, its credentials, its settings, its schedule."""

    ws: int
    advanced_to: float
    token: str | None = None  # Cloud_Workspace_Access_Token (or its WorkspaceCredentials row)
    token_expires_at: float = 0.0  # in the server's own clock
    secret_generation: int | None = None  # the client secret it holds; None: no credentials
    register_server: bool = True
    agreed_privacy: bool = True
    gateway_enabled: bool = True
    clock_skew: float = 0.0  # server clock minus real clock, seconds
    next_sync_at: float = 0.0
    next_stats_at: float = 0.0
    next_push_hour: float = 0.0
    retries: list[tuple[float, int, int, int]] = field(default_factory=list)  # (due, platform, token j, tries)
    syncs: bool = True  # its 12-hourly sync reaches the cloud
    reports: bool = True  # its statistics cron reaches the collector
    outage_until: float = 0.0  # a gateway outage scenario: the gateway answers 503 until then
    events: list[str] = field(default_factory=list)  # what it did, for tests and the control API

    def log(self, now: float, text: str) -> None:
        self.events.append(f"{now:.0f} {text}")
        del self.events[:-200]


class Servers:
    """Every engaged simulated server of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.servers: dict[int, Server] = {}

    # -- engagement --------------------------------------------------------------------------
    def engage(self, w: Workspace, now: float) -> Server:
        """The server of `w`, starting it (with the token it holds now) the first time."""
        server = self.servers.get(w.index)
        if server is not None:
            return server
        holds_credentials = w.registration_state in ("registered", "connection_disabled")
        server = Server(ws=w.index, advanced_to=now,
                        secret_generation=w.secret_generation if holds_credentials else None,
                        register_server=w.registration_state == "registered",
                        agreed_privacy=holds_credentials)
        if server.secret_generation is not None and w.token_issued_at is not None \
                and now - w.token_issued_at < TOKEN_TTL:
            server.token = self.state.auth.adopt(w, w.token_issued_at)
            server.token_expires_at = w.token_issued_at + TOKEN_TTL
        # What its seeded history says about it carries on: a server whose syncs or reports stopped
        # (a proxy, a firewall, a disabled cron) stays that way until a scenario says otherwise. Judged at
        # the moment that history describes (the sandbox's start): a server first looked at after the clock
        # moved on has not stopped merely because nobody engaged it meanwhile.
        cadence, seeded_now = stats_every(w.version), min(now, self.state.started_at)
        server.syncs = w.last_sync_at is not None and seeded_now - w.last_sync_at <= SYNC_EVERY * 1.5
        server.reports = w.last_stats_at is not None and seeded_now - w.last_stats_at <= cadence * 2
        server.next_sync_at = (w.last_sync_at or now) + SYNC_EVERY if server.syncs else math.inf
        server.next_stats_at = (w.last_stats_at or now) + cadence if server.reports else math.inf
        server.next_sync_at, server.next_stats_at = max(now, server.next_sync_at), max(now, server.next_stats_at)
        server.next_push_hour = now + HOUR
        self.servers[w.index] = server
        server.log(now, "engaged")
        return server

    def forget(self, w: Workspace) -> None:
        """Stop simulating `w` (a real server registered under its record)."""
        self.servers.pop(w.index, None)

    def get(self, w: Workspace) -> Server | None:
        """The engaged server of `w`, if any."""
        return self.servers.get(w.index)

    # -- time --------------------------------------------------------------------------------
    def advance(self, now: float) -> None:
        """Let every engaged server catch up to `now`, all their events in time order."""
        while True:
            due = [(self._next_event(s), s) for s in self.servers.values()]
            due = [(t, s) for t, s in due if t <= now]
            if not due:
                break
            t, server = min(due, key=lambda pair: pair[0])
            self._step(server, t)
        for server in self.servers.values():
            server.advanced_to = max(server.advanced_to, now)

    def _next_event(self, s: Server) -> float:
        times = [s.next_sync_at, s.next_stats_at, s.next_push_hour]
        times += [due for due, *_ in s.retries]
        return min(times)

    def _step(self, s: Server, t: float) -> None:
        w = self.state.fleet.workspaces[s.ws]
        retry = next((r for r in s.retries if r[0] <= t), None)
        if retry is not None and retry[0] == self._next_event(s):
            s.retries.remove(retry)
            self._push(s, w, t, retry[1], retry[2], retry[3])
        elif s.next_sync_at <= t and s.next_sync_at == self._next_event(s):
            self.sync(s, w, t)
            s.next_sync_at = t + SYNC_EVERY
        elif s.next_stats_at <= t and s.next_stats_at == self._next_event(s):
            self._post_statistics(s, w, t)
            s.next_stats_at = t + stats_every(w.version)
        else:
            self._push_hour(s, w, s.next_push_hour - HOUR)
            s.next_push_hour += HOUR
        s.advanced_to = t

    # -- the server's rules ------------------------------------------------------------------
    def local_now(self, s: Server, t: float) -> float:
        return t + s.clock_skew

    def access_token(self, s: Server, w: Workspace, t: float, *, force: bool = False) -> str:
        """getWorkspaceAccessToken: the cached token until it expires (by its own clock), else a new one;
        invalid credentials wipe its registration. '' when it has none."""
        if s.secret_generation is None:
            return ""
        if not force and s.token and self.local_now(s, t) < s.token_expires_at:
            return s.token
        auth = self.state.auth
        issued = auth.issue(w.client_id or "", auth.secret_for(w, s.secret_generation), None, t)
        if issued is None:  # oauth_invalid_client_credentials → removeWorkspaceRegistrationInfo
            s.secret_generation, s.token, s.token_expires_at = None, None, 0.0
            s.log(t, "token refused: oauth_invalid_client_credentials; registration removed")
            if w.registration_state == "registered":
                self.state.fleet.set_registration_state(w, "deregistered")
            return ""
        s.token, s.token_expires_at = issued[0], self.local_now(s, t) + TOKEN_TTL
        s.log(t, "new access token")
        return s.token

    def sync(self, s: Server, w: Workspace, t: float) -> bool:
        """syncWorkspace: a forced token (`getWorkspaceAccessToken(true)`), then `{client uri}/sync`
        with the registration data (seats, MAC, uniqueId); the cloud records it. False: not synced."""
        token = self.access_token(s, w, t, force=True)
        if not token:
            s.log(t, "sync skipped: no access token")
            return False
        self.state.registrations.record_sync(w, {"uniqueId": w.unique_id, "seats": w.active_users, "MAC": w.contacts,
                                  "version": w.version, "connectionDisable": not s.register_server}, t)
        s.log(t, "synced")
        return True

    def _post_statistics(self, s: Server, w: Workspace, t: float) -> None:
        """The statistics cron: a document of its version to the collector (with its token when registered)."""
        self.state.stats.report_from_server(w, t)

    def uses_gateway(self, s: Server) -> bool:
        return s.gateway_enabled and s.register_server and s.agreed_privacy

    def _push_hour(self, s: Server, w: Workspace, hour: float) -> None:
        """The pushes the workspace's users caused in the hour from `hour` (its seeded rate), one by one."""
        if not self.uses_gateway(s):
            return
        r = rng(self.state.seed, "live-pushes", w.index, int(hour // HOUR))
        rate = min(MAX_PUSHES_PER_HOUR, w.push_volume / (7 * 24))
        count = int(rate) + (1 if r.random() < rate - int(rate) else 0)
        valid = max(1, int(self.state.push.valid_tokens[w.index]))
        for moment in sorted(hour + r.random() * HOUR for _ in range(count)):
            j = r.randrange(valid)
            self._push(s, w, moment, self.state.push.codec.platform_one(w.index, j, w.apn_share), j, 0)

    def send_pushes(self, s: Server, w: Workspace, t: float, count: int) -> None:
        """`count` notifications its users caused just now, to its valid devices in turn (through the
        gateway only when it uses it, like `_push_hour`; otherwise it sends them natively, out of our sight)."""
        if not self.uses_gateway(s):
            return
        valid = max(1, int(self.state.push.valid_tokens[w.index]))
        for k in range(count):
            platform = self.state.push.codec.platform_one(w.index, k % valid, float(self.state.push.apn_share[w.index]))
            self._push(s, w, t, platform, k % valid, 0)

    def _push(self, s: Server, w: Workspace, t: float, platform: int, j: int, tries: int) -> None:
        """sendGatewayPush: the cached token; 406/422/401 end it, other failures are retried later."""
        push = self.state.push
        token = push.codec.render(w.index, j, platform)
        bearer = self.access_token(s, w, t)
        if t < s.outage_until:
            status = 503
        elif self.state.auth.workspace_for(f"Bearer {bearer}", t) is None or w.suspended:
            status = 401
        else:
            status = 200 if self.state.gateway.token_is_valid(token, platform) else 406
        self.state.gateway.record(w, platform, token, status, t, kind="message")
        if status not in (200, 401, 406, 422) and tries < len(RETRY_MINUTES):
            s.retries.append((t + RETRY_MINUTES[tries] * 60, platform, j, tries + 1))

    # -- scenarios (POST /_sandbox/servers/{workspace}/scenario) --------------------------------
    def scenario(self, w: Workspace, name: str, now: float, *, seconds: float = 0.0) -> Server:
        """Put a workspace in a situation an engineer meets; returns its server."""
        s = self.engage(w, now)
        if name == "token_revoked_while_cached":
            if not s.token or self.local_now(s, now) >= s.token_expires_at:
                self.access_token(s, w, now)
            self.state.auth.revoke(w, now)
            if seconds:  # how long the revoked token still has to live in the server's cache
                s.token_expires_at = self.local_now(s, now) + seconds
        elif name == "secret_rotated":
            self.state.auth.rotate_secret(w, now, 365 * DAY)
        elif name == "clock_skew":  # its clock jumps `seconds` behind (default 2 h); `seconds` is never negative
            s.clock_skew = -(seconds or 2 * HOUR)
        elif name == "gateway_outage":
            s.outage_until = now + (seconds or HOUR)
        elif name == "unsupported_version":
            self.state.fleet.set_version(w, "6.0.0")
        elif name == "registration_off":  # an older server's "disconnect" (Register_Server off)
            s.register_server = False
            if w.registration_state == "registered":
                self.state.fleet.set_registration_state(w, "connection_disabled")
        elif name == "sync_now":  # its admin clicked Sync (`POST /api/v1/cloud.syncWorkspace`)
            self.sync(s, w, now)
        elif name == "user_activity":  # its users post messages: it sends `seconds` pushes now (default 5)
            self.send_pushes(s, w, now, int(seconds or 5))
        else:
            raise ValueError(f"scenario: one of {', '.join(SCENARIOS)}")
        s.log(now, f"scenario {name}")
        return s

    def to_json(self, s: Server, now: float) -> dict[str, object]:
        """A server's state as the control API shows it."""
        w = self.state.fleet.workspaces[s.ws]
        return {"workspace_id": w.id, "has_credentials": s.secret_generation is not None,
                "token_cached": bool(s.token), "token_expires_in": max(0.0, s.token_expires_at - self.local_now(s, now))
                if s.token else 0.0, "register_server": s.register_server, "uses_gateway": self.uses_gateway(s),
                "clock_skew": s.clock_skew,
                # None: its syncs stopped (JSON has no infinity)
                "next_sync_in": None if math.isinf(s.next_sync_at) else s.next_sync_at - now,
                "retries_pending": len(s.retries),
                "events": s.events[-30:]}
