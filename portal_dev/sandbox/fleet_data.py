"""The seeded fleet: one compact `Workspace` record per workspace, generated deterministically.

Everything heavy (statistics documents, delivery history, installed apps) is *not* stored here: it
is regenerated on demand from `sub_seed(seed, "ws", index, ...)`, so 100,000 records stay small.
"""

from __future__ import annotations

import bisect
import math
import random
from datetime import UTC, date, datetime
from functools import lru_cache

from portal_dev.sandbox import _names
from portal_dev.sandbox._common import iso, rng, uuid_from
from portal_dev.sandbox._releases import load_releases, minor_of, release_of, stats_interval

DAY = 86400.0
HOUR = 3600.0
TOKEN_LIFETIME = 3600.0  # assumed: seconds a workspace access token lives (the real value is not public)

# The values a server reports in `statistics.deploy` (`apps/meteor/app/statistics/server/lib/
# statistics.ts`: `DEPLOY_METHOD || 'tar'`, `DEPLOY_PLATFORM || 'selfinstall'`) as the official
# artefacts set them: the Docker image `DEPLOY_METHOD=docker` (`apps/meteor/.docker/Dockerfile`),
# the Red Hat image `docker-redhat` (`Dockerfile.rhel`), Docker Hub's official image `docker-official`
# (RocketChat/Docker.Official.Image `*/Dockerfile`), the snap `snap`, rocketchatctl
# `DEPLOY_PLATFORM=rocketchatctl`, the Helm chart `DEPLOY_PLATFORM=helm-chart` on the Docker image.
# assumed: the mix itself is ours.
_METHOD_PLATFORMS: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    ("tar", 0.26, (("selfinstall", 0.8), ("rocketchatctl", 0.2))),
    ("docker", 0.40, (("selfinstall", 0.8), ("helm-chart", 0.2))),
    ("docker-official", 0.14, (("selfinstall", 1.0),)),
    ("docker-redhat", 0.03, (("selfinstall", 1.0),)),
    ("snap", 0.17, (("selfinstall", 1.0),)),
)
# assumed: cloud-hosted workspaces run the Docker image under the cloud's Helm chart.
HOSTED_METHOD, HOSTED_PLATFORM = "docker", "helm-chart"
# `uniqueID` was `Random.id()` (Meteor: 17 characters of this alphabet) until the deployment
# fingerprint arrived in 6.5.0, then `uuidv4()`; the setting survives upgrades, so installs made
# before 6.5.0 shipped keep the old style (`apps/meteor/server/settings/misc.ts`).
RANDOM_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
UUID_IDS_SINCE = datetime(2023, 12, 1, tzinfo=UTC).timestamp()  # 6.5.0 (rocketchat-releases.csv)
# Connection states a fleet record can be in (the cloud's view of a workspace).
REGISTRATION_STATES = ("registered", "connection_disabled", "unregistered", "deregistered")
REGIONS = ("us-east-1", "us-west-2", "eu-central-1", "eu-west-1", "ap-southeast-1", "sa-east-1")
PLANS_SELF = (("community", 0.58), ("starter", 0.18), ("pro", 0.14), ("enterprise", 0.10))
PLANS_HOSTED = (("starter", 0.4), ("pro", 0.4), ("enterprise", 0.2))
# Builds seen in the wild that are not plain releases, and minors newer than the CSV knows.
PRERELEASES = ("8.7.0-rc.1", "8.7.0-rc.3", "8.7.0-develop", "8.8.0-develop", "8.6.0-rc.4",
               "8.5.0-rc.2", "7.10.0-rc.1", "8.0.0-rc.5")
UNKNOWN_NEWER = ("8.7.0", "8.7.1", "8.8.0")


class Workspace:
    """One workspace as Fleetcommand knows it, plus the few hidden knobs other generators read."""

    __slots__ = (
        "active_users",
        "apn_share",
        "client_id",
        "contact_email",
        "contacts",
        "created_at",
        "deploy_method",
        "deploy_platform",
        "deregistered_at",
        "hosted",
        "id",
        "index",
        "last_stats_at",
        "last_sync_at",
        "license_synced_at",
        "name",
        "p5xx",
        "p401",
        "p422",
        "plan",
        "push_invalid",
        "push_tokens",
        "push_volume",
        "region",
        "registration_state",
        "seats",
        "secret_expires_at",
        "secret_generation",
        "site_url",
        "suspended",
        "token_issued_at",
        "total_users",
        "tz_hours",
        "unique_id",
        "unique_id_history",
        "version",
    )

    def __init__(self, **values: object) -> None:
        for key, value in values.items():
            setattr(self, key, value)

    def to_json(self) -> dict[str, object]:
        """The admin API's Workspace object."""
        return {
            "id": self.id, "unique_id": self.unique_id, "name": self.name, "site_url": self.site_url,
            "contact_email": self.contact_email, "version": self.version,
            "deploy_method": self.deploy_method, "deploy_platform": self.deploy_platform,
            "hosted": self.hosted, "plan": self.plan, "registration_state": self.registration_state,
            "suspended": self.suspended, "created_at": iso(self.created_at),
            "last_sync_at": iso(self.last_sync_at), "last_stats_at": iso(self.last_stats_at),
            "region": self.region, "token_issued_at": iso(self.token_issued_at),
            "token_expires_at": iso(None if self.token_issued_at is None else self.token_issued_at + TOKEN_LIFETIME),
            "secret_expires_at": iso(self.secret_expires_at),
            "license_synced_at": iso(self.license_synced_at),
            "seats": self.seats, "monthly_active_contacts": self.contacts,
            "unique_id_history": [{"unique_id": u, "until": iso(t)} for u, t in self.unique_id_history],
        }

    @property
    def minor(self) -> str:
        """"7.10" of "7.10.3"."""
        return minor_of(self.version)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Workspace):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # mutable record


def _cumulative(pairs: list[tuple[str, float]]) -> tuple[list[str], list[float]]:
    values, cum, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum


def _pick(r: random.Random, table: tuple[list[str], list[float]]) -> str:
    values, cum = table
    return values[bisect.bisect_right(cum, r.random() * cum[-1])]


def _patch_weights(minor: str, latest: int | None, share: float) -> list[tuple[str, float]]:
    # assumed: when the file gives no latest patch, a few patches exist (x.y.0 .. x.y.2).
    top = 2 if latest is None else latest
    weights = [(p + 1) ** 1.5 for p in range(top + 1)]  # later patches are more common
    total = sum(weights)
    return [(f"{minor}.{p}", share * w / total) for p, w in enumerate(weights)]


@lru_cache(maxsize=1)
def version_tables() -> dict[str, tuple[list[str], list[float]]]:
    """Cumulative version weights: recent releases dominate, LTS lines hold on longer, long tail."""
    self_pairs: list[tuple[str, float]] = []
    hosted_pairs: list[tuple[str, float]] = []
    for rank, release in enumerate(load_releases()):
        weight = 0.05 + 0.88 ** rank * (2.2 if release.lts else 1.0)
        self_pairs += _patch_weights(release.minor, release.latest_patch, weight)
        if rank <= 8:  # the cloud keeps hosted workspaces on recent lines
            hosted_pairs += _patch_weights(release.minor, release.latest_patch,
                                           (3.0 if release.lts else 1.0) * 0.7 ** rank)
    stable = sum(w for _, w in self_pairs)
    self_pairs += [(v, stable * 0.015 / len(PRERELEASES)) for v in PRERELEASES]
    self_pairs += [(v, stable * 0.007 / len(UNKNOWN_NEWER)) for v in UNKNOWN_NEWER]
    return {"self": _cumulative(self_pairs), "hosted": _cumulative(hosted_pairs)}


def _choice_weighted(r: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    x = r.random() * sum(w for _, w in pairs)
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


def _release_day(version: str) -> date:
    release = release_of(version)
    return release.released if release else load_releases()[0].released


def _created_at(r: random.Random, version: str) -> float:
    # Installed somewhere between ~3 years before its current line shipped and ~8 months after;
    # the bounds come from the CSV only, so the date is the same on every run.
    released = datetime.combine(_release_day(version), datetime.min.time(), UTC).timestamp()
    floor = datetime(2018, 6, 1, tzinfo=UTC).timestamp()
    ceiling = datetime.combine(load_releases()[0].released, datetime.min.time(), UTC).timestamp() + 120 * DAY
    low = max(floor, released - 1100 * DAY)
    high = min(ceiling, released + 240 * DAY)
    return math.floor(low + r.random() * (high - low))


def generate_workspace(seed: int, index: int, now: float, hosts_taken: set[str]) -> Workspace:
    """Workspace number `index` of the fleet `seed`; identity fields never depend on `now`."""
    r = rng(seed, "ws", index)
    unique_id = uuid_from(r)  # replaced below by an old-style id for installs made before 6.5.0
    name = _names.organisation_name(r)
    hosted = r.random() < 0.05
    version = _pick(r, version_tables()["hosted" if hosted else "self"])
    method, platforms = HOSTED_METHOD, ((HOSTED_PLATFORM, 1.0),)
    roll = r.random()
    for candidate, share, plats in _METHOD_PLATFORMS:
        roll -= share
        if roll < 0 or candidate == _METHOD_PLATFORMS[-1][0]:
            if not hosted:
                method, platforms = candidate, plats
            break
    platform = _choice_weighted(r, platforms)
    state_roll = r.random()
    if hosted:
        state = "registered"
    else:
        state = "registered" if state_roll < 0.70 else "unregistered" if state_roll < 0.92 else "deregistered"
    plan = _choice_weighted(r, PLANS_HOSTED if hosted else PLANS_SELF)
    if state == "unregistered":
        plan = "community"  # no cloud licence without registration
    suspended = r.random() < 0.01 and state == "registered"
    slug = _names.slugify(name)
    pattern = r.choice(_names.HOST_PATTERNS)
    host = f"{slug}.rocket.chat" if hosted else pattern.format(slug)
    if host in hosts_taken:  # same name twice: real fleets disambiguate with a suffix too
        host = host.replace(slug, f"{slug}-{index % 997}", 1)
    hosts_taken.add(host)
    scheme_roll = r.random()
    site_url = f"https://{host}"
    if not hosted and scheme_roll < 0.03:
        site_url = f"http://{host}:3000"
    elif not hosted and scheme_roll < 0.05:
        site_url = f"https://{host}/chat"
    local = r.choice(_names.MAIL_LOCALS) if r.random() < 0.7 else \
        f"{r.choice(_names.FIRST_NAMES)}.{r.choice(_names.SURNAMES).lower()}"
    email_domain = host.split("/")[0] if not hosted else f"{slug}.example"
    if email_domain.startswith(("chat.", "rocket.", "team.", "rc.", "talk.")):
        email_domain = email_domain.split(".", 1)[1]
    created_at = _created_at(r, version)
    region = r.choice(REGIONS) if hosted else None
    client_id = uuid_from(r)
    active = min(60000, int(r.lognormvariate(math.log(30), 1.5)) + 1)
    if plan == "enterprise":
        active = min(60000, active * 4)
    total_users = int(active * (1.1 + r.random() * 1.4))
    # Push: weekly volume scales with active users; a few workspaces are much worse than the rest.
    pushing = state != "unregistered" and r.random() < 0.75
    volume = min(3000, int(active * 0.15 * (0.3 + r.random() * 1.4))) if pushing else 0
    tokens = max(1, min(20000, int(active * (0.2 + r.random() * 0.4))))
    invalid_rate, p422, p401, p5xx = 0.004 + r.random() * 0.02, 0.002, 0.0005, 0.004
    bad = r.random()
    if bad < 0.006:
        invalid_rate = 0.2 + r.random() * 0.2  # stale device database
    elif bad < 0.011:
        p422 = 0.12 + r.random() * 0.15  # custom templates producing over-long titles
    elif bad < 0.016:
        p401 = 0.3 + r.random() * 0.4  # credentials going bad
    elif bad < 0.02:
        p5xx = 0.08 + r.random() * 0.1
    invalid = min(tokens - 1, round(tokens * invalid_rate)) if pushing else 0
    apn_share = 0.35 + r.random() * 0.35
    tz_hours = r.choice((-8, -6, -5, -4, -3, 0, 0, 1, 1, 2, 3, 5, 8, 9, 10))
    # Relative timestamps (offsets drawn here, after every identity draw).
    # Drawn from their own streams so every draw above stays what it was before these fields existed.
    extra = rng(seed, "ws-extra", index)
    if created_at < UUID_IDS_SINCE:
        unique_id = "".join(extra.choice(RANDOM_ID_ALPHABET) for _ in range(17))
    contacts = int(active * extra.random() * 0.8) if extra.random() < 0.35 else 0  # omnichannel in use
    if state == "registered" and not hosted and not suspended and extra.random() < 0.03:
        state = "connection_disabled"  # an older server whose admin disconnected it (Register_Server off)
        volume, invalid = 0, 0  # with Register_Server off it does not use the cloud gateway
    history: tuple[tuple[str, float], ...] = ()
    if state != "unregistered" and extra.random() < 0.01:
        # The fingerprint flow ("new workspace", 6.5.0+) gave it a new uniqueID (crypto.randomUUID).
        since = max(created_at, UUID_IDS_SINCE)
        history = ((unique_id, since + (now - since) * extra.random()),)
        unique_id = uuid_from(extra)
    o_sync, o_stats, o_token, o_secret, o_lic, o_dereg = (r.random() for _ in range(6))
    silent_roll, sync_roll = r.random(), r.random()
    daily = stats_interval(version) == DAY
    if silent_roll < 0.02:
        last_stats = None
    elif silent_roll < 0.10:
        last_stats = now - (2.05 + o_stats * 58) * DAY
    else:
        last_stats = now - o_stats * (24 * HOUR if daily else 1.2 * HOUR)
    last_sync = token_at = secret_exp = lic = dereg = None
    if state in ("registered", "connection_disabled"):
        last_sync = now - (o_sync * 12 * HOUR if sync_roll > 0.05 else (2 + o_sync * 28) * DAY)
        token_at = now - o_token * 12 * HOUR
        secret_exp = now + (30 + o_secret * 670) * DAY
        lic = now - o_lic * (24 * HOUR if plan != "community" else 7 * DAY)
        if state == "connection_disabled":  # it stopped syncing when its admin disconnected it
            last_sync = lic = token_at = now - (3 + o_sync * 60) * DAY
    elif state == "deregistered":
        dereg = now - (0.5 + o_dereg * 89.5) * DAY
        last_sync = token_at = dereg - o_sync * DAY
        secret_exp = dereg
        lic = dereg - o_lic * 7 * DAY
    return Workspace(
        index=index, id=f"ws_{index:06d}", unique_id=unique_id, name=name, site_url=site_url,
        contact_email=f"{local}@{email_domain}", version=version, deploy_method=method,
        deploy_platform=platform, hosted=hosted, plan=plan, registration_state=state,
        suspended=suspended, created_at=float(created_at), last_sync_at=last_sync,
        last_stats_at=last_stats, region=region, token_issued_at=token_at,
        secret_expires_at=secret_exp, license_synced_at=lic, deregistered_at=dereg,
        client_id=client_id if state != "unregistered" else None, secret_generation=0,
        active_users=active, total_users=total_users, push_volume=volume, push_tokens=tokens,
        push_invalid=invalid, apn_share=apn_share, tz_hours=tz_hours, p422=p422, p401=p401,
        p5xx=p5xx, seats=active if state != "unregistered" else None,
        contacts=contacts if state != "unregistered" else None, unique_id_history=history,
    )


def generate_fleet(count: int, seed: int, now: float) -> list[Workspace]:
    """The whole fleet; workspace i is the same whatever `count` is (prefix-stable)."""
    hosts: set[str] = set()
    return [generate_workspace(seed, i, now, hosts) for i in range(count)]
