"""Workspace cloud credentials: client secrets, OAuth access tokens, revocation and rotation.

Known semantics (Rocket.Chat server source, `apps/meteor/server/lib/cloud/getWorkspaceAccessToken*.ts`):
a workspace trades `client_id`/`client_secret` for an access token and caches it until it expires;
`oauth_invalid_client_credentials` makes it wipe its registration. Revoking access tokens here
invalidates the token the workspace holds, and it keeps sending it (every push refused with 401)
until that token expires or the workspace syncs (`servers.py` plays that part); rotating the secret
deregisters it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from portal_dev.sandbox.fleet_data import TOKEN_LIFETIME, Workspace
from portal_dev.sandbox.fleet_index import Fleet

TOKEN_TTL = TOKEN_LIFETIME
HOLDS_CREDENTIALS = ("registered", "connection_disabled")  # the cloud still honours its client credentials
DEFAULT_SCOPE = ("workspace:license:read workspace:client:write workspace:stats:write workspace:push:send "
                 "marketplace:read marketplace:download fedhub:register")


@dataclass(slots=True)
class AccessToken:
    """One issued access token."""

    ws: int
    epoch: int  # the workspace's token epoch when issued; revocation bumps the epoch
    issued_at: float
    scope: str


class CloudAuth:
    """Issues and checks workspace access tokens for one sandbox."""

    def __init__(self, fleet: Fleet, seed: int) -> None:
        self.fleet = fleet
        self.seed = seed
        self.by_client_id = {w.client_id: w.index for w in fleet.workspaces if w.client_id}
        self.tokens: dict[str, AccessToken] = {}
        self.epoch: dict[int, int] = {}

    def client_secret(self, w: Workspace) -> str | None:
        """The workspace's current client secret (sandbox-only knowledge), None if it has none."""
        return None if w.client_id is None else self.secret_for(w, w.secret_generation)

    def secret_for(self, w: Workspace, generation: int) -> str:
        """The client secret of one generation (a server may still hold an older one)."""
        digest = hashlib.blake2b(f"{self.seed}:{w.index}:{generation}".encode(), digest_size=20)
        return "sbx_cs_" + digest.hexdigest()

    def adopt(self, w: Workspace, issued_at: float) -> str:
        """The token value a workspace holds since `issued_at` (seeded before the sandbox started),
        made checkable like one this sandbox issued."""
        value = "sbx_at_" + hashlib.blake2b(f"{self.seed}:{w.index}:{issued_at}".encode(), digest_size=18).hexdigest()
        if value not in self.tokens:
            self.tokens[value] = AccessToken(w.index, self.epoch.get(w.index, 0), issued_at, DEFAULT_SCOPE)
        return value

    def issue(self, client_id: str, client_secret: str, scope: str | None,
              now: float) -> tuple[str, AccessToken] | None:
        """A new access token, or None when the credentials are not (or no longer) valid."""
        index = self.by_client_id.get(client_id)
        if index is None:
            return None
        w = self.fleet.workspaces[index]
        expected = self.client_secret(w)
        if w.registration_state not in HOLDS_CREDENTIALS or expected is None \
                or not hmac.compare_digest(expected, client_secret):
            return None
        token = AccessToken(index, self.epoch.get(index, 0), now, scope or DEFAULT_SCOPE)
        value = "sbx_at_" + secrets.token_urlsafe(24)
        self.tokens[value] = token
        w.token_issued_at = now
        return value, token

    def workspace_for(self, authorization: str | None, now: float) -> Workspace | None:
        """The workspace a `Bearer` access token belongs to, if the token is still good."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        token = self.tokens.get(authorization[7:].strip())
        if token is None or token.epoch != self.epoch.get(token.ws, 0) or now - token.issued_at > TOKEN_TTL:
            return None
        w = self.fleet.workspaces[token.ws]
        return w if w.registration_state in HOLDS_CREDENTIALS else None

    def live_until(self, w: Workspace, now: float) -> float | None:
        """When the newest still-live access token of `w` expires (None: it holds none). A server caches
        its token until then, so after a revoke it may keep sending the revoked one that long."""
        epoch = self.epoch.get(w.index, 0)
        issued = [t.issued_at for t in self.tokens.values()
                  if t.ws == w.index and t.epoch == epoch and now - t.issued_at <= TOKEN_TTL]
        if w.token_issued_at is not None and now - w.token_issued_at <= TOKEN_TTL:
            issued.append(w.token_issued_at)
        return max(issued) + TOKEN_TTL if issued else None

    def revoke(self, w: Workspace, now: float) -> int:
        """Invalidate every access token of `w`; returns how many were still live."""
        epoch = self.epoch.get(w.index, 0)
        live = sum(1 for t in self.tokens.values()
                   if t.ws == w.index and t.epoch == epoch and now - t.issued_at <= TOKEN_TTL)
        seeded_live = w.token_issued_at is not None and now - w.token_issued_at <= TOKEN_TTL and live == 0
        self.epoch[w.index] = epoch + 1
        w.token_issued_at = None
        return live + int(seeded_live)  # the token it held when the sandbox started counts too

    def rotate_secret(self, w: Workspace, now: float, valid_for: float) -> float:
        """Replace the secret (never shown), revoke tokens, deregister; returns the new expiry."""
        self.revoke(w, now)
        w.secret_generation += 1
        w.secret_expires_at = now + valid_for
        if w.registration_state != "deregistered":
            self.fleet.set_registration_state(w, "deregistered")
        w.deregistered_at = now
        return w.secret_expires_at
