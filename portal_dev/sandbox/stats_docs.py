"""Statistics documents (`IStats`) shaped like the version that sends them.

Every document follows a *shape*: one real-shaped document per version line in `stats_shapes/`,
each with a `_source` naming what it follows (`@rocket.chat/core-typings@X dist/IStats.d.ts` where
that version is on npm, else the server's `apps/meteor/app/statistics/server/lib/statistics.ts` of
that era) and what is uncertain. A version uses the newest shape at or below it; the shape gives
the set of keys, their nesting and the date formats (ISO, or `Date.toString()` for `lastLogin`
from 6.x); the values come from the seed, so documents differ by workspace and by hour. The same
files are the parser's test fixtures (`tests/clients/test_statistics_versions.py`).

Known along the way (research notes in each file's `_source`): `push` from 6.5.0, `pushSecured`
from 6.9, the deployment fingerprint, `statsToken`, peak connections from 6.5.0, `*Changed`
booleans from 5.0.0, `totalOTR*` dropped in 8.0, `contactVerification` from 7.2.0.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import random
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from portal_dev.sandbox._common import iso, js_date_string, rng
from portal_dev.sandbox._releases import parse_version

SHAPES = Path(__file__).with_name("stats_shapes")
_METEOR_ID = string.ascii_letters + string.digits
_NODE = {0: "v8.11.4", 1: "v8.15.1", 2: "v8.17.0", 3: "v12.22.1", 4: "v12.22.9", 5: "v14.19.3",
         6: "v14.21.3", 7: "v22.16.0", 8: "v22.16.0"}
_MONGO = {0: "3.4.10", 1: "3.6.9", 2: "4.0.10", 3: "4.2.14", 4: "4.4.13", 5: "5.0.9", 6: "5.0.24",
          7: "6.0.13", 8: "7.0.12"}
_ENGINE = {1: "1.4.2", 2: "1.9.0", 3: "1.27.1", 4: "1.30.0", 5: "1.34.0", 6: "1.40.0", 7: "1.47.0",
           8: "1.54.0"}


@cache
def shapes() -> tuple[tuple[tuple[int, int, int], str, dict[str, Any]], ...]:
    """(version, file name, document) of every released shape, oldest first (development-build
    fixtures such as `4.6-develop.json` are parser fixtures only)."""
    found = []
    for path in SHAPES.glob("*.json"):
        parsed = parse_version(path.stem if path.stem.count(".") == 2 else path.stem + ".0")
        if parsed is None or parsed[3] is not None or "-" in path.stem:
            continue
        found.append(((parsed[0], parsed[1], parsed[2]), path.name, json.loads(path.read_text())))
    return tuple(sorted(found, key=lambda item: item[0]))


def shape_for(version: str) -> tuple[str, dict[str, Any]]:
    """(file name, document) of the shape a server of `version` sends: the newest one not after it."""
    parsed = parse_version(version)
    table = shapes()
    if parsed is None:
        return table[-1][1], table[-1][2]
    key = (parsed[0], parsed[1], parsed[2])
    chosen = table[0]
    for item in table:
        if item[0] <= key:
            chosen = item
    return chosen[1], chosen[2]


def era_of(version: str) -> int:
    """The major line of the shape a version sends (0, 1, 3, 5, 6, 7 or 8)."""
    return int(shape_for(version)[0].split(".")[0])


@dataclass(frozen=True, slots=True)
class Reporter:
    """What a document needs to know about the workspace that sends it."""

    unique_id: str
    version: str
    site_url: str
    installed_at: float
    deploy_method: str
    deploy_platform: str
    active_users: int
    total_users: int
    enterprise: bool
    apps: tuple[int, int, int] | None  # installed, active, failed; None when unknown
    register_server: bool = True  # its `Register_Server` setting (off: disconnected, or never registered)


def _meteor_id(r: random.Random) -> str:
    return "".join(r.choice(_METEOR_ID) for _ in range(17))


def _session_block(r: random.Random, period: str, users: int, received_at: float) -> dict[str, object]:
    day = iso(received_at - 86400) or ""
    year, month, dd = int(day[:4]), int(day[5:7]), int(day[8:10])
    return {"year": year, "month": month, "day": dd, "data": [
        {"count": max(0, int(users * r.uniform(0.3, 0.9))), "roles": [{"role": "user", "count": users}],
         "sessions": int(users * r.uniform(1, 6)), "time": int(users * r.uniform(600, 9000)), "type": period},
    ]}


def core_counts(rep: Reporter, at: float, seed: int) -> dict[str, int]:
    """The headline counters at time `at`: stable per workspace, messages growing with time."""
    base = rng(seed, "stats-base", rep.unique_id)
    rooms_per_user, msgs_per_user_day = base.uniform(0.5, 3), base.uniform(0.5, 40)
    hourly = rng(seed, "stats-hour", rep.unique_id, int(at // 3600))
    age_days = max(1.0, (at - rep.installed_at) / 86400)
    return {
        "totalUsers": rep.total_users, "activeUsers": rep.active_users,
        "onlineUsers": int(rep.active_users * hourly.uniform(0.05, 0.35)),
        "totalRooms": max(1, int(rep.total_users * rooms_per_user * (1 + age_days / 3000))),
        "totalMessages": int(rep.active_users * msgs_per_user_day * age_days),
    }


def build_document(rep: Reporter, received_at: float, seed: int) -> dict[str, object]:
    """The statistics document `rep` sent at `received_at` (deterministic for both): the keys of its
    version's shape, each filled from the seed where the sandbox models it, else the shape's value."""
    _, shape = shape_for(rep.version)
    values = _values(rep, received_at, seed, shape)
    doc = _fill(shape, values)
    doc.pop("_source", None)
    return doc


def _fill(shape: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The shape's keys (in its order), values from `values`; nested objects keep the shape's keys."""
    out: dict[str, Any] = {}
    for key, template in shape.items():
        if key not in values:
            out[key] = copy.deepcopy(template)
        elif isinstance(template, dict) and isinstance(values[key], dict) and template:
            out[key] = _fill(template, values[key])
        else:
            out[key] = values[key]
    return out


def _fingerprint(site_url: str, seed: int) -> str:
    """sha256 of Site_Url + the database URL, base64 (`apps/meteor/server/settings/misc.ts`)."""
    return base64.b64encode(hashlib.sha256(f"{site_url}mongodb://db-{seed}/rocketchat".encode()).digest()).decode()


def _values(rep: Reporter, received_at: float, seed: int, shape: dict[str, Any]) -> dict[str, object]:
    """Every value the sandbox models; `_fill` keeps those the shape has."""
    r = rng(seed, "stats-doc", rep.unique_id, int(received_at // 3600))
    parsed = parse_version(rep.version) or (8, 0, 0, None)
    major = min(parsed[0], 8)
    core = core_counts(rep, received_at, seed)
    total, active, online, rooms = (core["totalUsers"], core["activeUsers"], core["onlineUsers"],
                                    core["totalRooms"])
    away = int(active * r.uniform(0.02, 0.1))
    channels, groups = int(rooms * 0.25), int(rooms * 0.2)
    livechat = int(rooms * r.uniform(0, 0.1))
    direct = max(0, rooms - channels - groups - livechat)
    total_msgs = core["totalMessages"]
    msgs = {"c": int(total_msgs * 0.45), "p": int(total_msgs * 0.2), "l": int(total_msgs * 0.05)}
    msgs["d"] = total_msgs - msgs["c"] - msgs["p"] - msgs["l"]
    stamp = js_date_string if "GMT" in str(shape.get("lastLogin", "")) else iso  # the shape's era format
    seen_stamp = js_date_string if "GMT" in str(shape.get("lastSeenSubscription", "")) else iso
    installed, active_apps, failed_apps = rep.apps if rep.apps is not None else (0, 0, 0)
    engine_off = r.random() < 0.1  # the apps engine can be off or not answering: the counts are then `false`
    peak = int(active * r.uniform(0.2, 0.8))
    e2e = r.randint(0, 20000)
    ti, tt = r.randint(0, 30), r.randint(0, 40)
    values: dict[str, object] = {
        "_id": _meteor_id(r), "uniqueId": rep.unique_id, "installedAt": iso(rep.installed_at),
        "version": rep.version, "totalUsers": total, "activeUsers": active,
        "nonActiveUsers": max(0, total - active), "onlineUsers": online, "awayUsers": away,
        "offlineUsers": max(0, total - online - away), "totalRooms": rooms, "totalChannels": channels,
        "totalPrivateGroups": groups, "totalDirect": direct, "totalLivechat": livechat,
        "totalMessages": total_msgs, "totalChannelMessages": msgs["c"],
        "totalPrivateGroupMessages": msgs["p"], "totalDirectMessages": msgs["d"],
        "totalLivechatMessages": msgs["l"], "lastLogin": stamp(received_at - r.uniform(30, 3 * 3600)),
        "lastMessageSentAt": iso(received_at - r.uniform(5, 1800)) if total_msgs else None,
        "lastSeenSubscription": seen_stamp(received_at - r.uniform(60, 7200)),
        "os": {"type": "Linux", "platform": "linux", "arch": "x64",
               "release": r.choice(("5.15.0-105-generic", "6.1.0-18-amd64", "4.18.0-513.el8.x86_64")),
               "uptime": r.randint(3600, 9_000_000), "loadavg": [round(r.uniform(0, 4), 2) for _ in range(3)],
               "totalmem": r.choice((4, 8, 16, 32, 64)) * 1024 ** 3, "freemem": r.randint(200, 4000) * 1024 ** 2,
               "cpus": [{"model": "Intel(R) Xeon(R) CPU", "speed": 2400, "times": {"user": 1, "nice": 0, "sys": 1,
                                                                                  "idle": 9, "irq": 0}}]
               * r.choice((2, 4, 8))},
        "process": {"nodeVersion": _NODE[major], "pid": r.randint(1, 60000), "uptime": round(r.uniform(60, 3e6), 3)},
        "deploy": {"method": rep.deploy_method, "platform": rep.deploy_platform},
        "migration": {"_id": "control", "locked": False, "version": 100 + major * 40 + parsed[1],
                      "buildAt": iso(rep.installed_at), "lockedAt": iso(rep.installed_at)},
        "instanceCount": r.choice((1, 1, 1, 2, 3)), "oplogEnabled": r.random() < 0.8,
        "mongoVersion": _MONGO[major], "mongoStorageEngine": "wiredTiger", "createdAt": iso(received_at),
        "_updatedAt": iso(received_at), "host": rep.site_url,
        "activeGuests": int(active * r.uniform(0, 0.05)), "appUsers": r.randint(0, 6),
        "busyUsers": int(active * r.uniform(0, 0.05)), "totalConnectedUsers": online + away,
        "userLanguages": {"none": total}, "totalDiscussions": int(rooms * r.uniform(0, 0.1)),
        "totalThreads": int(total_msgs * r.uniform(0, 0.05)),
        "totalLivechatVisitors": livechat * r.randint(1, 4), "totalLivechatAgents": r.randint(0, 20),
        "livechatEnabled": livechat > 0, "uploadsTotal": int(total_msgs * 0.02),
        "uploadsTotalSize": int(total_msgs * 0.02 * r.uniform(5e4, 9e5)),
        "pushQueue": r.randint(0, 40), "enterpriseReady": True,
        "integrations": {"totalIntegrations": ti, "totalIncoming": ti // 2, "totalIncomingActive": ti // 3,
                         "totalOutgoing": ti - ti // 2, "totalOutgoingActive": ti // 4,
                         "totalWithScriptEnabled": ti // 5},
        "apps": {"engineVersion": _ENGINE.get(major, _ENGINE[1]), "enabled": not engine_off,
                 "totalInstalled": False if engine_off else installed,
                 "totalActive": False if engine_off else active_apps,
                 "totalFailed": False if engine_off else failed_apps},
        "enterprise": {"modules": ["livechat-enterprise", "auditing", "ldap-enterprise"] if rep.enterprise else [],
                       "tags": ["Enterprise"] if rep.enterprise else [], "seatRequests": r.randint(0, 5)},
        "teams": {"totalTeams": tt, "totalRoomsInsideTeams": tt * 3, "totalDefaultRoomsInsideTeams": tt},
        "totalE2ERooms": r.randint(0, 30), "totalEncryptedMessages": e2e,
        "totalPinned": r.randint(0, 500), "totalStarred": r.randint(0, 900),
        "totalUserTOTP": r.randint(0, active), "totalUserEmail2fa": r.randint(0, active),
        "homeTitleChanged": r.random() < 0.4, "homeBodyChanged": r.random() < 0.3,
        "customCSSChanged": r.random() < 0.2, "loggedInCustomScriptChanged": r.random() < 0.05,
        "totalLinkInvitation": r.randint(0, 40), "totalLinkInvitationUses": r.randint(0, 200),
        "totalEmailInvitation": r.randint(0, 50), "logoChange": r.random() < 0.5,
        "uncaughtExceptionsCount": r.randint(0, 9),
        # `push` bitmask (6.5.0+): 1 Push_enable, 2 Push_enable_gateway, 4 Push_gateway not the default
        "push": r.choice((0, 1, 3, 3, 3, 3, 3, 7)), "pushSecured": r.random() < 0.2,
        "wizard": {"registerServer": rep.register_server},  # merged into the shape's own wizard fields
        "dailyPeakConnections": peak, "maxMonthlyPeakConnections": int(peak * 1.2),
        "deploymentFingerprintHash": _fingerprint(rep.site_url, seed),
        "deploymentFingerprintVerified": r.random() < 0.95,
    }
    for period, name in (("day", "Yesterday"), ("week", "LastWeek"), ("month", "LastMonth")):
        for kind in ("Users", "Devices", "OS"):
            values[f"unique{kind}Of{name}"] = _session_block(r, period, active, received_at)
    return _sprinkle_nulls(values, r, 0.02 if "push" in shape else 0.0)


def _sprinkle_nulls(doc: dict[str, object], r: random.Random, rate: float) -> dict[str, object]:
    """Real documents carry `null` where a setting or a count was unavailable."""
    if rate:
        for key in ("totalDiscussions", "totalThreads", "uploadsTotalSize", "totalLivechatVisitors",
                    "dashboardCount", "totalTriggeredEmails", "departments", "emailInboxes", "pushQueue"):
            if key in doc and r.random() < rate * 5:
                doc[key] = None
    return doc


def history_point(rep: Reporter, received_at: float, seed: int) -> dict[str, object]:
    """The history item of a seeded report, without building the whole document."""
    core = core_counts(rep, received_at, seed)
    return {"received_at": iso(received_at), "version": rep.version, "total_users": core["totalUsers"],
            "active_users": core["activeUsers"], "online_users": core["onlineUsers"],
            "total_rooms": core["totalRooms"], "total_messages": core["totalMessages"]}


def history_point_of(doc: dict[str, object], received_at: float) -> dict[str, object]:
    """The history item of a document a workspace posted (any shape, any field may be odd)."""
    def number(key: str) -> int | None:
        value = doc.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    version = doc.get("version")
    return {"received_at": iso(received_at), "version": version if isinstance(version, str) else None,
            "total_users": number("totalUsers"), "active_users": number("activeUsers"),
            "online_users": number("onlineUsers"), "total_rooms": number("totalRooms"),
            "total_messages": number("totalMessages")}
