"""The cloud side of registration and sync: what Fleetcommand records when a server registers or syncs.

A server registers by one of three paths (RocketChat/Rocket.Chat, `apps/meteor/server/lib/cloud/`):
- the setup wizard's device flow: `POST /api/v2/register/workspace/intent` with its registration
  data, then `GET /api/v2/register/workspace/poll?token=<device_code>` until a person confirms it
  in the cloud console (`startRegisterWorkspaceSetupWizard.ts`, `getConfirmationPoll.ts`);
- `POST /api/v2/register/workspace` (`startRegisterWorkspace.ts`), answered with `{id}`;
- a registration token (`REG_TOKEN`): `POST /api/oauth/clients` (`connectWorkspace.ts`).
Each success hands the server `{workspaceId, client_id, client_secret, registration_client_uri, ...}`
(`saveRegistrationData.ts`); from then on it syncs with `POST {registration_client_uri}/sync`
carrying `buildWorkspaceRegistrationData()` (`buildRegistrationData.ts`): uniqueId, seats, MAC,
version, deploy method and platform, fingerprint. This module keeps the fleet record in step.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal_dev.sandbox._common import iso, rng, uuid_from
from portal_dev.sandbox.fleet_data import DAY, Workspace

if TYPE_CHECKING:
    from portal_dev.sandbox.state import SandboxState

INTENT_TTL = 30 * 60  # assumed: seconds a registration intent can be confirmed
INTENT_INTERVAL = 5  # assumed: seconds between polls the cloud asks for
CONFIRM_AFTER = 0.0  # the sandbox confirms an intent on the first poll (a person would, in the console)
SECRET_VALID_FOR = 365 * DAY  # assumed
CLIENT_PATH = "/api/oauth/clients/"  # assumed: the path of `registration_client_uri`


@dataclass
class Intent:
    """One pending device-flow registration."""

    device_code: str
    user_code: str
    data: dict[str, Any]
    created_at: float
    resent: bool


class RegistrationError(ValueError):
    """Registration data the cloud refuses (the message names the field)."""


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise RegistrationError(f"{key}: required")
        return None
    if not isinstance(value, str):
        raise RegistrationError(f"{key}: must be a string")
    return value


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RegistrationError(f"{key}: must be a whole number, 0 or more")
    return value


class Registrations:
    """Intents, registrations and syncs of one sandbox."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.intents: dict[str, Intent] = {}
        self.registration_tokens: set[str] = set()

    # -- registration data -------------------------------------------------------------------
    def check(self, data: Any) -> dict[str, Any]:
        """The registration data as `buildWorkspaceRegistrationData` sends it, checked field by field."""
        if not isinstance(data, Mapping):
            raise RegistrationError("body: must be a JSON object (the workspace's registration data)")
        _text(data, "uniqueId", required=True)
        for key in ("workspaceId", "address", "contactEmail", "version", "deploymentMethod", "deploymentPlatform"):
            _text(data, key)
        for key in ("seats", "MAC"):
            _count(data, key)
        return dict(data)

    # -- intents (setup wizard) ----------------------------------------------------------------
    def intent(self, data: Any, now: float, *, resent: bool) -> dict[str, object]:
        """`CloudRegistrationIntentData` for the wizard's device flow."""
        checked = self.check(data)
        device_code = "sbx_dc_" + secrets.token_urlsafe(18)
        user_code = secrets.token_hex(3).upper()
        self.intents[device_code] = Intent(device_code, user_code, checked, now, resent)
        return {"device_code": device_code, "user_code": user_code,
                "verification_url": f"https://cloud.rocket.chat/register/confirm?code={user_code}",
                "interval": INTENT_INTERVAL, "expires_in": INTENT_TTL}

    def poll(self, device_code: str, now: float, base: str) -> dict[str, object] | None:
        """The poll's answer; None when the device code is unknown or expired."""
        intent = self.intents.get(device_code)
        if intent is None or now - intent.created_at > INTENT_TTL:
            self.intents.pop(device_code, None)
            return None
        if now - intent.created_at < CONFIRM_AFTER:
            return {"status": "authorization_pending"}
        del self.intents[device_code]
        return {"successful": True, "payload": self.register(intent.data, now, base)}

    # -- registration ------------------------------------------------------------------------
    def register(self, data: Mapping[str, Any], now: float, base: str) -> dict[str, object]:
        """Register (or re-register) the server that sent `data`; the payload `saveRegistrationData` takes."""
        fleet = self.state.fleet
        unique_id = str(data.get("uniqueId") or "")
        w = fleet.get(str(data["workspaceId"])) if data.get("workspaceId") else None
        if w is None and unique_id:
            w = fleet.by_current_unique_id(unique_id)
        if w is None:
            w = self._new_workspace(data, now)
        auth = self.state.auth
        auth.revoke(w, now)  # tokens issued to earlier credentials die with them
        w.secret_generation += 1
        if w.client_id is None or w.registration_state != "registered":
            auth.by_client_id.pop(w.client_id or "", None)
            w.client_id = uuid_from(rng(self.state.seed, "client-id", w.index, w.secret_generation))
            auth.by_client_id[w.client_id] = w.index
        w.secret_expires_at = now + SECRET_VALID_FOR
        w.deregistered_at = None
        if w.registration_state != "registered":
            fleet.set_registration_state(w, "registered")
        self.record_sync(w, data, now)
        self.state.servers.forget(w)  # the server now holds new credentials: its next call starts afresh
        return self.credentials(w, base)

    def credentials(self, w: Workspace, base: str) -> dict[str, object]:
        """What a registration hands the server (`saveRegistrationData`)."""
        return {
            "workspaceId": w.id, "client_name": w.name, "client_id": w.client_id,
            "client_secret": self.state.auth.client_secret(w),
            "client_secret_expires_at": math.floor(w.secret_expires_at or 0),
            "redirect_uris": [f"{w.site_url.rstrip('/')}/admin/cloud/oauth-callback"],
            "publicKey": self.public_key(), "registration_client_uri": f"{base}{CLIENT_PATH}{w.client_id}",
            "licenseData": {"version": 3, "address": w.site_url, "license": self.license(w),
                            "updatedAt": iso(w.license_synced_at), "modules": [], "expireAt": None},
        }

    def public_key(self) -> str:
        """assumed: a PEM-looking key; the sandbox signs nothing with it."""
        return "-----BEGIN PUBLIC KEY-----\nsbx" + "A" * 60 + "\n-----END PUBLIC KEY-----"

    def license(self, w: Workspace) -> str:
        """assumed: an opaque licence string; empty for the community plan (a real server could not
        decode the sandbox's, so it would log an invalid licence and stay on community)."""
        return "" if w.plan == "community" else f"sbx-license:{w.id}:{w.plan}"

    def pending_id(self, data: Mapping[str, Any], now: float) -> str:
        """`POST /api/v2/register/workspace`: the cloud workspace id the server stores as `Cloud_Workspace_Id`
        (assumed: it is confirmed later by email, out of the server's sight)."""
        unique_id = str(data.get("uniqueId") or "")
        w = self.state.fleet.by_current_unique_id(unique_id) or self._new_workspace(data, now)
        return w.id

    def _new_workspace(self, data: Mapping[str, Any], now: float) -> Workspace:
        """A fleet record for a server the cloud has not seen before."""
        fleet, index = self.state.fleet, len(self.state.fleet)
        address = str(data.get("address") or f"https://workspace-{index}.invalid")
        name = str(data.get("siteName") or data.get("accountName") or address.split("//")[-1])
        w = Workspace(
            index=index, id=f"ws_{index:06d}", unique_id=str(data.get("uniqueId") or ""), name=name,
            site_url=address, contact_email=str(data.get("contactEmail") or ""),
            version=str(data.get("version") or "unknown"),
            deploy_method=str(data.get("deploymentMethod") or "tar"),
            deploy_platform=str(data.get("deploymentPlatform") or "selfinstall"), hosted=False, plan="community",
            registration_state="unregistered", suspended=False, created_at=now, last_sync_at=None,
            last_stats_at=None, region=None, token_issued_at=None, secret_expires_at=None, license_synced_at=None,
            deregistered_at=None, client_id=None, secret_generation=0, active_users=int(data.get("seats") or 0),
            total_users=int(data.get("seats") or 0), push_volume=0, push_tokens=1, push_invalid=0, apn_share=0.5,
            tz_hours=0, p422=0.0, p401=0.0, p5xx=0.0, seats=None, contacts=None, unique_id_history=())
        fleet.add(w)
        self.state.push.grow(w)
        return w

    # -- sync ----------------------------------------------------------------------------------
    def record_sync(self, w: Workspace, data: Mapping[str, Any], now: float) -> None:
        """What a sync (or registration) tells the cloud: uniqueId, seats, MAC, version, connection."""
        fleet = self.state.fleet
        unique_id = data.get("uniqueId")
        if isinstance(unique_id, str) and unique_id:
            fleet.set_unique_id(w, unique_id, now)
        if isinstance(data.get("seats"), int):
            w.seats = int(data["seats"])
        if isinstance(data.get("MAC"), int):
            w.contacts = int(data["MAC"])
        version = data.get("version")
        if isinstance(version, str) and version:
            fleet.set_version(w, version)
        # assumed: the cloud records `connectionDisable` as the connection state it reports
        disabled = data.get("connectionDisable") is True
        if disabled and w.registration_state == "registered":
            fleet.set_registration_state(w, "connection_disabled")
        elif not disabled and w.registration_state == "connection_disabled":
            fleet.set_registration_state(w, "registered")
        w.last_sync_at = w.license_synced_at = now

    def sync_answer(self, w: Workspace) -> dict[str, object]:
        """`WorkspaceSyncResponseSchema` (`packages/core-typings/src/cloud/WorkspaceSyncPayload.ts`)."""
        return {"workspaceId": w.id, "publicKey": self.public_key(), "license": self.license(w),
                "removeLicense": w.plan == "community", "cloudSyncAnnouncement": None}

    def legacy_answer(self, w: Workspace) -> dict[str, object]:
        """`WorkspaceSyncPayloadSchema`, the deprecated `{client uri}/client` answer. `trial` and `nps` are
        left out (both optional): the schema refuses a null `nps` and a trial without `endDate` and `marketing.utm*`."""
        return {"workspaceId": w.id, "publicKey": self.public_key(), "banners": []}

    def comms_answer(self, w: Workspace) -> dict[str, object]:
        """`WorkspaceCommsResponsePayloadSchema` (`/api/v3/comms/workspace`): no announcements. No `nps` key:
        `announcementSync.ts` before the schema moved to core-typings had `nps: z.object(...).optional()`,
        which refuses null (today's `.nullish()` takes either)."""
        return {"workspaceId": w.id, "publicKey": self.public_key(), "announcements": {"create": [], "delete": []}}

    def new_registration_token(self) -> str:
        """A token for `REG_TOKEN` / `POST /api/oauth/clients` (sandbox control endpoint)."""
        token = "sbx_rt_" + secrets.token_urlsafe(18)
        self.registration_tokens.add(token)
        return token
