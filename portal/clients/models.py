"""Pydantic v2 models of the five admin APIs' answers (docs/service-contract.md; admin APIs are *assumed*).

Tolerant on purpose: unknown keys are ignored, fields the contract allows to be null are
optional, and enumerations stay plain strings so a new value (a new plan, a new status) shows up
in the portal instead of breaking a whole list. Timestamps are timezone-aware datetimes.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from portal.clients.statistics import Statistics


class ServiceModel(BaseModel):
    """Base of every answer model: ignore unknown keys, immutable once parsed."""

    model_config = ConfigDict(extra="ignore", frozen=True)


T = TypeVar("T")


class Items(ServiceModel, Generic[T]):
    """A short list answer that is not paginated: `{"items": [...]}`."""

    items: list[T]


# -- Fleetcommand -------------------------------------------------------------------------------


class UniqueIdChange(ServiceModel):
    """A uniqueId the workspace reported before (a fingerprint reset, a restore), and when it stopped."""

    unique_id: str
    until: AwareDatetime


CONNECTION_STATES = {  # registration_state → what it means, in people's words
    "registered": "registered",
    "connection_disabled": "connection disabled",
    "deregistered": "de-registered",
    "unregistered": "never registered",
}


class Workspace(ServiceModel):
    """One registered (or once registered) workspace as Fleetcommand knows it. `id` is the cloud
    workspace id (`Cloud_Workspace_Id` on the server); `unique_id` is the server's own `uniqueID`
    setting, case-sensitive, which can change (its history is kept)."""

    id: str
    unique_id: str
    name: str
    site_url: str
    contact_email: str
    version: str
    deploy_method: str
    deploy_platform: str
    hosted: bool
    plan: str  # starter | pro | enterprise | community
    registration_state: str  # registered | connection_disabled | unregistered | deregistered
    suspended: bool
    created_at: AwareDatetime
    last_sync_at: AwareDatetime | None = None
    last_stats_at: AwareDatetime | None = None
    region: str | None = None
    token_issued_at: AwareDatetime | None = None
    token_expires_at: AwareDatetime | None = None
    secret_expires_at: AwareDatetime | None = None
    license_synced_at: AwareDatetime | None = None
    seats: int | None = None
    monthly_active_contacts: int | None = None
    unique_id_history: list[UniqueIdChange] = Field(default_factory=list)

    @property
    def connection(self) -> str:
        """The connection state in people's words ("connection disabled", "never registered")."""
        return CONNECTION_STATES.get(self.registration_state, self.registration_state)


class FleetSummary(ServiceModel):
    """Fleet-wide aggregates (never the list itself)."""

    total: int
    by_minor: dict[str, int] = Field(default_factory=dict)
    by_deploy_method: dict[str, int] = Field(default_factory=dict)
    by_deploy_platform: dict[str, int] = Field(default_factory=dict)
    hosted: int
    self_managed: int
    by_registration_state: dict[str, int] = Field(default_factory=dict)
    suspended: int
    stats_silent_48h: int
    created_by_month: dict[str, int] = Field(default_factory=dict)
    as_of: AwareDatetime


class WorkspaceOperation(ServiceModel):
    """The answer to a Fleetcommand operation (revoke tokens, rotate secret, sync, suspend)."""

    workspace_id: str
    operation: str
    performed_at: AwareDatetime
    detail: dict[str, Any] = Field(default_factory=dict)


# -- Push Gateway -------------------------------------------------------------------------------


class PushDelivery(ServiceModel):
    """One push the gateway relayed (or refused); the device token is masked by the service."""

    id: str
    workspace_id: str
    platform: str  # apn | gcm
    device_token: str
    status_code: int
    outcome: str  # sent | invalid_token | rejected | unauthorized | error
    error: str | None = None
    created_at: AwareDatetime
    resent_from: str | None = None
    kind: str = "message"  # message | test


class PushCount(ServiceModel):
    """Deliveries in one time bucket for one platform and outcome."""

    start: AwareDatetime
    platform: str
    outcome: str
    count: int


class PushCounts(ServiceModel):
    """Delivery counts over time."""

    bucket: str
    items: list[PushCount]
    as_of: AwareDatetime


class InvalidToken(ServiceModel):
    """A device token the gateway flagged invalid (APNs/FCM said 406)."""

    device_token: str
    platform: str
    workspace_id: str
    flagged_at: AwareDatetime


class TrendPoint(ServiceModel):
    """A count in one time bucket."""

    start: AwareDatetime
    count: int


class FailingWorkspace(ServiceModel):
    """A workspace ranked by failed deliveries."""

    workspace_id: str
    failed: int
    total: int


class ResendPreview(ServiceModel):
    """What `resend_failed` would do, without doing it; `not_resendable` counts the window's other
    failures by reason ("406", "422", "already_resent"), which a resend would not send again."""

    failed: int
    devices: int
    not_resendable: dict[str, int] = Field(default_factory=dict)


class ResendResult(ServiceModel):
    """What `resend_failed` did."""

    resent: int
    devices: int
    delivery_ids: list[str] = Field(default_factory=list)


class PurgeResult(ServiceModel):
    """How many invalid tokens were purged."""

    purged: int


# -- Statistics Collector -----------------------------------------------------------------------


class StatsReport(ServiceModel):
    """A workspace's latest statistics: normalised, with the raw document kept in `statistics.raw`."""

    unique_id: str
    received_at: AwareDatetime
    statistics: Statistics

    @property
    def raw(self) -> dict[str, Any]:
        """The document exactly as the workspace sent it."""
        return self.statistics.raw


class StatsPoint(ServiceModel):
    """One past report, reduced to the numbers worth charting."""

    received_at: AwareDatetime
    version: str | None = None
    total_users: int | None = None
    active_users: int | None = None
    online_users: int | None = None
    total_rooms: int | None = None
    total_messages: int | None = None


class StatsFreshness(ServiceModel):
    """How many workspaces report statistics, and how recently."""

    total_reporting: int
    reported_24h: int
    silent_48h: int
    never_reported: int
    as_of: AwareDatetime


class UnregisteredReporter(ServiceModel):
    """A workspace known only from the statistics it sends (never registered with Fleetcommand)."""

    unique_id: str
    site_url: str | None = None
    version: str | None = None
    last_received_at: AwareDatetime | None = None


# -- Marketplace --------------------------------------------------------------------------------


class AppSubscription(ServiceModel):
    """The subscription behind a paid app."""

    status: str  # trialing | active | cancelled | cancelling | pastDue
    seats: int | None = None
    max_seats: int | None = None
    expire_date: AwareDatetime | None = None


class InstalledApp(ServiceModel):
    """An app installed on a workspace."""

    app_id: str
    name: str
    version: str
    status: str  # enabled | disabled | failed | invalid_license
    installed_at: AwareDatetime | None = None
    purchase_type: str = ""  # "" | buy | subscription
    subscription: AppSubscription | None = None


class WorkspaceInstall(InstalledApp):
    """An app installed on a workspace, listed across the fleet."""

    workspace_id: str


class TopApp(ServiceModel):
    """An app ranked by installs."""

    app_id: str
    name: str
    installs: int


class MarketplaceSummary(ServiceModel):
    """Marketplace aggregates."""

    top_apps: list[TopApp] = Field(default_factory=list)
    subscriptions_by_status: dict[str, int] = Field(default_factory=dict)
    failed_installs: int
    as_of: AwareDatetime


class FailedInstall(ServiceModel):
    """An app install that failed on a workspace."""

    workspace_id: str
    app_id: str
    name: str
    error: str | None = None
    at: AwareDatetime


class ResyncResult(ServiceModel):
    """The answer to re-syncing a workspace's subscriptions."""

    workspace_id: str
    resynced: int
    performed_at: AwareDatetime


# -- Cloud hosting ------------------------------------------------------------------------------


class HostedInstance(ServiceModel):
    """A cloud-hosted workspace's running instance."""

    workspace_id: str
    region: str | None = None
    size: str  # small | medium | large
    version: str
    status: str  # running | degraded | stopped | upgrading | maintenance
    last_deploy_at: AwareDatetime | None = None
    url: str


class HostingEvent(ServiceModel):
    """Something that happened to a hosted instance."""

    at: AwareDatetime
    kind: str
    message: str


class HostingSummary(ServiceModel):
    """Hosted fleet aggregates."""

    total: int
    by_status: dict[str, int] = Field(default_factory=dict)
    by_region: dict[str, int] = Field(default_factory=dict)
    by_version: dict[str, int] = Field(default_factory=dict)
    as_of: AwareDatetime


class HostingOperation(ServiceModel):
    """A long-running operation on a hosted instance; poll `get_operation` until `finished_at` is set."""

    id: str
    workspace_id: str
    kind: str  # restart | maintenance_on | maintenance_off | upgrade
    state: str  # pending | running | succeeded | failed
    progress: int = 0
    detail: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None

    @property
    def done(self) -> bool:
        """True once the operation succeeded or failed."""
        return self.state in {"succeeded", "failed"}

