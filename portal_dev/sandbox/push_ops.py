"""What changes the delivery log: public sends, resends, test pushes and purges.

The outcome of a new delivery follows the gateway's known rules: a token APNs/FCM do not know
→ 406, a rejected workspace → 401, an invalid payload → 422, otherwise sent.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from portal_dev.sandbox.fleet_data import Workspace
from portal_dev.sandbox.push_data import RESENDABLE, STATUS_INDEX, STATUSES, LiveDelivery, PushLog, error_text
from portal_dev.sandbox.push_tokens import PLATFORMS

TITLE_MAX, TEXT_MAX = 65, 240  # known limits


def payload_problem(options: object) -> str | None:
    """Why the gateway would reject a push payload (422), or None."""
    if not isinstance(options, Mapping):
        return "options must be an object"
    if not isinstance(options.get("uniqueId"), str) or not options.get("uniqueId"):
        return "options.uniqueId is required"
    title, text = options.get("title"), options.get("text")
    if title is not None and (not isinstance(title, str) or len(title) > TITLE_MAX):
        return f"title exceeds {TITLE_MAX} characters"
    if text is not None and (not isinstance(text, str) or len(text) > TEXT_MAX):
        return f"text exceeds {TEXT_MAX} characters"
    return None


class PushGateway:
    """Mutations of one sandbox's push log."""

    def __init__(self, log: PushLog) -> None:
        self.log = log
        self._seq = 0

    def token_is_valid(self, token: str, platform: int) -> bool:
        """Whether APNs/FCM would accept this device token (known to the sandbox and not invalid)."""
        decoded = self.log.codec.decode(token)
        if decoded is None:
            return False
        ws, j, token_platform = decoded
        return token_platform == platform and ws < len(self.log.workspaces) and j < int(self.log.valid_tokens[ws])

    def _flag(self, ws: int, token: str, platform: int, now: float) -> None:
        if not self.log.is_flagged(ws, token):
            self.log.live_flags.append((ws, token, platform, now))

    def record(self, w: Workspace, platform: int, token: str, status: int, now: float, *,
               resent_from: str | None = None, kind: str = "message", error: str | None = None) -> LiveDelivery:
        """Append a delivery to the log (and flag its token on a 406)."""
        self._seq += 1
        delivery = LiveDelivery(
            id=f"d_{w.index:06x}z{self._seq:07x}", ws=w.index, platform=platform, token=token, status=status,
            error=error if error is not None else error_text(status, platform, self._seq), created_at=now,
            resent_from=resent_from, kind=kind)
        self.log.live.append(delivery)
        self.log.live_by_id[delivery.id] = delivery
        if status == 406:
            self._flag(w.index, token, platform, now)
        return delivery

    def outcome(self, w: Workspace, platform: int, token: str, previous_status: int | None = None) -> int:
        """Status of a (re)delivery to `token` on behalf of `w`, now."""
        if w.registration_state != "registered" or w.suspended:
            return 401  # assumed: suspended workspaces are refused like unregistered ones
        if not self.token_is_valid(token, platform):
            return 406
        if previous_status == 422:
            return 422  # the same payload is rejected again
        return 200

    def resend(self, target: int | LiveDelivery, now: float) -> LiveDelivery:
        """Send a logged delivery again; the new one points back at it."""
        log = self.log
        if isinstance(target, LiveDelivery):
            w, platform, token, status, source = (log.workspaces[target.ws], target.platform, target.token,
                                                  target.status, target.id)
        else:
            w = log.workspaces[int(log.ws[target])]
            platform, status = int(log.code[target]) >> 3, STATUSES[int(log.code[target]) & 7]
            token, source = log.token_of_row(target), log.base_id(target)
        log.resent.add(source)
        return self.record(w, platform, token, self.outcome(w, platform, token, status), now, resent_from=source)

    def failed(self, w: Workspace, since: float, until: float) -> list[int | LiveDelivery]:
        """Deliveries worth resending (401/5xx, not resent yet) of `w` in [since, until)."""
        log = self.log
        rows = log.rows(w.index, since, until)
        rows = rows[np.isin(log.code[rows] & 7, RESENDABLE)]
        out: list[int | LiveDelivery] = [int(r) for r in rows if log.base_id(int(r)) not in log.resent]
        out += [d for d in log.live_in(w.index, since, until)
                if STATUS_INDEX[d.status] in RESENDABLE and d.id not in log.resent]
        return out

    def not_resendable(self, w: Workspace, since: float, until: float) -> dict[str, int]:
        """Failed deliveries of `w` in [since, until) that a resend would not send again, by HTTP status
        (406: the device token is invalid; 422: the payload was refused), or already resent."""
        log = self.log
        counts: dict[str, int] = {}
        rows = log.rows(w.index, since, until)
        for status in (406, 422):
            n = int(np.count_nonzero((log.code[rows] & 7) == STATUS_INDEX[status]))
            n += sum(1 for d in log.live_in(w.index, since, until) if d.status == status)
            if n:
                counts[str(status)] = n
        failed = rows[np.isin(log.code[rows] & 7, RESENDABLE)]
        resent = sum(1 for r in failed if log.base_id(int(r)) in log.resent)
        resent += sum(1 for d in log.live_in(w.index, since, until)
                      if STATUS_INDEX[d.status] in RESENDABLE and d.id in log.resent)
        if resent:
            counts["already_resent"] = resent
        return counts

    def devices(self, targets: list[int | LiveDelivery]) -> int:
        """How many distinct device tokens the targets address."""
        log = self.log
        return len({(t.ws, t.token) if isinstance(t, LiveDelivery) else (int(log.ws[t]), int(log.tok[t]))
                    for t in targets})

    def test_push(self, w: Workspace, now: float) -> LiveDelivery | None:
        """A test notification to the workspace's first device; None if the gateway knows no device."""
        log = self.log
        if log.offsets[w.index + 1] == log.offsets[w.index] and not any(d.ws == w.index for d in log.live):
            return None
        platform = log.codec.platform_one(w.index, 0, float(log.apn_share[w.index]))
        token = log.codec.render(w.index, 0, platform)
        status = 200 if self.token_is_valid(token, platform) else 406
        return self.record(w, platform, token, status, now, kind="test")

    def purge(self, w: Workspace, now: float) -> int:
        """Forget the workspace's flagged tokens; returns how many."""
        rows, live = self.log.flag_count(w.index, None)
        self.log.purged_at[w.index] = now
        return int(len(rows) + len(live))

    def platform_index(self, name: str) -> int:
        """0 for apn, 1 for gcm."""
        return PLATFORMS.index(name)
