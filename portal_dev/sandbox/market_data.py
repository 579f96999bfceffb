"""Marketplace: a fixed app catalogue and each workspace's installed apps, generated on demand.

A workspace's installs come from `rng(seed, "apps", index)`; only workspaces changed while the
sandbox runs (installs, re-syncs) are stored. The summary counters are computed once at start and
adjusted on every change, so `/admin/v1/summary` never walks the fleet.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from portal_dev.sandbox._common import iso, rng, uuid_from
from portal_dev.sandbox._releases import parse_version
from portal_dev.sandbox.fleet_data import DAY, Workspace

CATEGORIES = ("Communication", "Productivity", "Developer Tools", "Omnichannel", "Project Management",
              "AI", "Analytics", "Security", "Fun", "Integrations", "Compliance", "Customer Support")
# (name, categories, purchase type, enterprise only)
_CATALOGUE: tuple[tuple[str, tuple[int, ...], str, bool], ...] = (
    ("Jira Cloud", (4, 9), "", False), ("GitHub", (2, 9), "", False), ("GitLab", (2, 9), "", False),
    ("Zoom", (0, 9), "", False), ("Google Drive", (1, 9), "", False), ("Google Calendar", (1,), "", False),
    ("Microsoft Teams Bridge", (0, 9), "subscription", True), ("Poll", (1, 8), "", False),
    ("Giphy", (8,), "", False), ("Jitsi", (0,), "", False), ("WhatsApp Business", (3, 0), "subscription", False),
    ("Telegram", (3, 0), "subscription", False), ("Facebook Messenger", (3,), "subscription", False),
    ("Instagram Direct", (3,), "subscription", False), ("Remind Me", (1,), "", False),
    ("Translate", (1, 5), "", False), ("Outlook Calendar", (1,), "", False),
    ("Salesforce", (11, 9), "subscription", True), ("Zendesk", (11, 9), "subscription", False),
    ("Trello", (4,), "", False), ("Confluence", (1, 9), "", False), ("Notion", (1,), "buy", False),
    ("Asana", (4,), "", False), ("PagerDuty", (2, 9), "", False), ("Opsgenie", (2,), "", False),
    ("Grafana Alerts", (2, 6), "", False), ("Prometheus Alertmanager", (2,), "", False),
    ("Jenkins", (2,), "", False), ("Sentry", (2,), "", False), ("Dialogflow", (5, 3), "", False),
    ("Rasa", (5, 3), "", False), ("Twilio SMS", (3,), "buy", False), ("LINE", (3,), "subscription", False),
    ("Email Digest", (1,), "", False), ("Standup Bot", (1, 4), "buy", False),
    ("Meeting Notes", (1, 5), "subscription", False), ("Matrix Bridge", (0, 9), "", False),
    ("Slack Bridge", (0, 9), "buy", False), ("DeepL Translator", (5,), "subscription", False),
    ("AI Assistant", (5,), "subscription", True), ("Message Archive", (10,), "subscription", True),
    ("Moderation Toolkit", (7, 10), "buy", False), ("Read Receipts Export", (10, 6), "", False),
    ("Survey", (6, 1), "", False), ("Custom Emoji Pack", (8,), "", False),
)
_FAIL_REASONS = ("app compilation failed", "requires Apps-Engine ^1.40.0", "storage error while installing",
                 "invalid app package signature")
SUBSCRIPTION_STATUSES = ("trialing", "active", "cancelled", "cancelling", "pastDue")
_POPULARITY = list(itertools.accumulate(1 / (i + 2) ** 0.9 for i in range(len(_CATALOGUE))))


@dataclass(frozen=True, slots=True)
class App:
    """One catalogue entry."""

    index: int
    app_id: str
    name: str
    slug: str
    version: str
    categories: tuple[str, ...]
    purchase_type: str
    enterprise_only: bool
    required_api_version: str
    published_at: float = 0.0  # when the app was first listed (catalogue `createdAt`)
    released_at: float = 0.0  # when its current version was published (`modifiedAt`)


@dataclass(frozen=True, slots=True)
class Install:
    """One app installed on one workspace."""

    app: int
    version: str
    status: str  # enabled | disabled | failed | invalid_license
    installed_at: float
    subscription: tuple[str, int, int, float] | None  # status, seats, max seats, expire date
    error: str | None


_CATALOGUE_EPOCH = 1_546_300_800.0  # 2019-01-01T00:00:00Z: the sandbox catalogue's dates start here


def build_catalogue(seed: int) -> tuple[App, ...]:
    """The catalogue; app ids depend on the seed only (dates too, from a stream of their own)."""
    r = rng(seed, "catalogue")
    dates = rng(seed, "catalogue", "dates")
    apps = []
    for i, (name, cats, purchase, enterprise) in enumerate(_CATALOGUE):
        published = _CATALOGUE_EPOCH + dates.uniform(0, 1200) * DAY
        apps.append(App(
            index=i, app_id=uuid_from(r), name=name, slug=name.lower().replace(" ", "-"),
            version=f"{r.randint(0, 4)}.{r.randint(0, 12)}.{r.randint(0, 9)}",
            categories=tuple(CATEGORIES[c] for c in cats), purchase_type=purchase,
            enterprise_only=enterprise, required_api_version=f"^1.{r.randint(20, 45)}.0",
            published_at=published, released_at=published + dates.uniform(30, 900) * DAY,
        ))
    return tuple(apps)


def seeded_installs(w: Workspace, catalogue: Sequence[App], seed: int, now: float) -> list[Install]:
    """The apps a workspace had installed when the sandbox started."""
    parsed = parse_version(w.version)
    if parsed is None or parsed[0] < 1:  # no Apps-Engine before 1.0
        return []
    r = rng(seed, "apps", w.index)
    most = {"community": 3, "starter": 5, "pro": 8, "enterprise": 12}[w.plan]
    count = min(int(r.expovariate(1.0) * most / 2), most)
    if w.registration_state == "unregistered":
        count = min(count, 2)
    picks: list[int] = []
    while len(picks) < count:  # popular apps (earlier in the catalogue) are installed more often
        index = bisect.bisect_right(_POPULARITY, r.random() * _POPULARITY[-1])
        if index not in picks:
            picks.append(index)
    out: list[Install] = []
    for index in picks:
        app = catalogue[index]
        if w.registration_state == "unregistered" and app.purchase_type:
            continue  # paid apps need a registered workspace
        installed_at = w.created_at + r.random() * max(DAY, now - w.created_at)
        subscription = None
        roll = r.random()
        status = "failed" if roll < 0.03 else "disabled" if roll < 0.11 else "enabled"
        if app.purchase_type == "subscription":
            sub_status = r.choices(SUBSCRIPTION_STATUSES, (15, 65, 5, 5, 10))[0]
            max_seats = max(50, -(-w.active_users // 50) * 50)
            expire = now + r.uniform(-40, 330) * DAY
            subscription = (sub_status, w.active_users, max_seats, expire)
            if status == "enabled" and (sub_status in ("cancelled", "pastDue") or expire < now):
                status = "invalid_license"
        if app.enterprise_only and w.plan != "enterprise" and status == "enabled":
            status = "invalid_license"
        error = r.choice(_FAIL_REASONS) if status == "failed" else None
        out.append(Install(index, app.version if r.random() < 0.7 else _older(app.version, r.random()),
                           status, installed_at, subscription, error))
    return out


def _older(version: str, u: float) -> str:
    major, minor, patch = (int(p) for p in version.split("."))
    return f"{major}.{max(0, minor - 1 - int(u * 3))}.{patch}"


class Marketplace:
    """Catalogue, installs (seeded or changed), and the counters behind the summary."""

    def __init__(self, workspaces: Sequence[Workspace], seed: int, now: float) -> None:
        self.seed, self.now = seed, now
        self.workspaces = workspaces
        self.catalogue = build_catalogue(seed)
        self.by_app_id = {a.app_id: a for a in self.catalogue}
        self.changed: dict[int, list[Install]] = {}
        self.installs_by_app: Counter[int] = Counter()
        self.subscriptions: Counter[str] = Counter()
        self.failed: dict[tuple[int, int], float] = {}  # (ws, app) → installed_at
        self.rows: dict[tuple[int, int], str | None] = {}  # (ws, app) → its subscription's status
        for w in workspaces:
            self._count(w.index, seeded_installs(w, self.catalogue, seed, now), +1)

    def _count(self, ws: int, installs: list[Install], sign: int) -> None:
        for inst in installs:
            self.installs_by_app[inst.app] += sign
            if inst.subscription is not None:
                self.subscriptions[inst.subscription[0]] += sign
            if sign > 0:
                self.rows[(ws, inst.app)] = inst.subscription[0] if inst.subscription else None
            else:
                self.rows.pop((ws, inst.app), None)
            if inst.status == "failed":
                if sign > 0:
                    self.failed[(ws, inst.app)] = inst.installed_at
                else:
                    self.failed.pop((ws, inst.app), None)

    def installs(self, w: Workspace) -> list[Install]:
        """A workspace's installed apps now."""
        changed = self.changed.get(w.index)
        return changed if changed is not None else seeded_installs(w, self.catalogue, self.seed, self.now)

    def set_installs(self, w: Workspace, installs: list[Install]) -> None:
        """Replace a workspace's installs, keeping the counters true."""
        self._count(w.index, self.installs(w), -1)
        self.changed[w.index] = installs
        self._count(w.index, installs, +1)

    def install_of(self, w: Workspace, app: int) -> Install | None:
        """The workspace's install of one catalogue app (by index), if it has it."""
        return next((i for i in self.installs(w) if i.app == app), None)

    def app_counts(self, w: Workspace) -> tuple[int, int, int]:
        """(installed, active, failed): what the workspace's statistics report under `apps`."""
        inst = self.installs(w)
        return len(inst), sum(i.status == "enabled" for i in inst), sum(i.status == "failed" for i in inst)

    def install_json(self, inst: Install) -> dict[str, object]:
        """The admin API's installed-app item."""
        app = self.catalogue[inst.app]
        sub = inst.subscription
        return {
            "app_id": app.app_id, "name": app.name, "version": inst.version, "status": inst.status,
            "installed_at": iso(inst.installed_at), "purchase_type": app.purchase_type,
            "subscription": None if sub is None else {
                "status": sub[0], "seats": sub[1], "max_seats": sub[2], "expire_date": iso(sub[3])},
        }

    def summary(self, now: float) -> dict[str, object]:
        """Top apps by installs, subscriptions by status, failed installs."""
        top = sorted(((n, i) for i, n in self.installs_by_app.items() if n > 0), key=lambda t: (-t[0], t[1]))[:10]
        return {
            "top_apps": [{"app_id": self.catalogue[i].app_id, "name": self.catalogue[i].name, "installs": n}
                         for n, i in top],
            "subscriptions_by_status": {s: self.subscriptions.get(s, 0) for s in SUBSCRIPTION_STATUSES},
            "failed_installs": len(self.failed), "as_of": iso(now),
        }

    def installs_matching(self, app: int | None, subscription_status: str | None) -> list[tuple[int, int]]:
        """(ws, app) of every install of `app` (any app: None) whose subscription has that status (any: None),
        by workspace: the rows behind the summary's top apps and subscriptions by status."""
        return sorted(key for key, status in self.rows.items()
                      if (app is None or key[1] == app)
                      and (subscription_status is None or status == subscription_status))

    def failed_installs(self) -> list[tuple[int, int, float]]:
        """(ws, app, at), newest first."""
        return sorted(((ws, app, at) for (ws, app), at in self.failed.items()), key=lambda t: (-t[2], t[0], t[1]))

    def failed_error(self, ws: int, app: int) -> str:
        """The error text of a failed install."""
        for inst in self.installs(self.workspaces[ws]):
            if inst.app == app and inst.error:
                return inst.error
        return "installation failed"

    def resync(self, w: Workspace, now: float) -> int:
        """Re-read subscriptions: licences that are valid again re-enable their app."""
        installs = self.installs(w)
        updated = []
        for inst in installs:
            sub = inst.subscription
            if inst.status == "invalid_license" and sub and sub[0] in ("active", "trialing") and sub[3] > now:
                inst = replace(inst, status="enabled")
            updated.append(inst)
        self.set_installs(w, updated)
        return sum(1 for i in updated if i.subscription is not None)

    def record_install(self, w: Workspace, app: App, action: str, version: str, now: float) -> None:
        """What `POST /v1/apps/{id}/install` tells the marketplace: install, update or uninstall."""
        installs = [i for i in self.installs(w) if i.app != app.index]
        if action != "uninstall":
            sub = None
            if app.purchase_type == "subscription":
                sub = ("trialing", w.active_users, max(50, -(-w.active_users // 50) * 50), now + 30 * DAY)
            status = "invalid_license" if app.enterprise_only and w.plan != "enterprise" else "enabled"
            installs.append(Install(app.index, version or app.version, status, now, sub, None))
        self.set_installs(w, installs)
