"""Statistics documents (`IStats`) shaped like the version that sends them.

Five eras, by major version (boundaries inside an era are assumed; the fields are the public ones):
- 0.x  (~30 fields): `totlalLivechat` (sic), ISO `lastLogin`, `homeTitle`/`homeBody` values;
- 1-2.x (~50): threads, discussions, uploads, integrations, push queue;
- 3-5.x (~90): apps (counts may be `false`), enterprise, sessions, `totalE2EMessages`, `tabInvites`,
  OTR counters;
- 6-7.x (~145): `push` bitmask, `pushSecured`, `*Changed` booleans instead of values,
  `totalEncryptedMessages`, `totalLinkInvitation`, omnichannel and VoIP counters, and `lastLogin` as
  JavaScript `Date.toString()`;
- 8.x  (~150): fingerprint and contact fields added, OTR counters dropped.
Documents are built on demand from a seed; nothing here is stored.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from portal_dev.sandbox._common import iso, js_date_string, rng
from portal_dev.sandbox._releases import parse_version

_METEOR_ID = string.ascii_letters + string.digits
_NODE = {0: "v8.11.4", 1: "v8.15.1", 2: "v8.17.0", 3: "v12.22.1", 4: "v12.22.9", 5: "v14.19.3",
         6: "v14.21.3", 7: "v20.18.0", 8: "v22.14.0"}
_MONGO = {0: "3.4.10", 1: "3.6.9", 2: "4.0.10", 3: "4.2.14", 4: "4.4.13", 5: "5.0.9", 6: "5.0.24",
          7: "6.0.13", 8: "7.0.12"}
_ENGINE = {1: "1.4.2", 2: "1.9.0", 3: "1.27.1", 4: "1.30.0", 5: "1.34.0", 6: "1.40.0", 7: "1.47.0",
           8: "1.54.0"}


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


def era_of(version: str) -> int:
    """0, 1, 3, 6 or 8: the document shape a version sends."""
    parsed = parse_version(version)
    major = parsed[0] if parsed else 8
    return 0 if major < 1 else 1 if major < 3 else 3 if major < 6 else 6 if major < 8 else 8


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
    """The statistics document `rep` sent at `received_at` (deterministic for both)."""
    r = rng(seed, "stats-doc", rep.unique_id, int(received_at // 3600))
    era = era_of(rep.version)
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
    new_style = era >= 6  # assumed: Date.toString() and *Changed booleans arrive with 6.0
    stamp = js_date_string if new_style else iso
    last_login = received_at - r.uniform(30, 3 * 3600)
    doc: dict[str, object] = {
        "_id": _meteor_id(r), "uniqueId": rep.unique_id, "installedAt": iso(rep.installed_at),
        "version": rep.version, "totalUsers": total, "activeUsers": active,
        "nonActiveUsers": max(0, total - active), "onlineUsers": online, "awayUsers": away,
        "offlineUsers": max(0, total - online - away), "totalRooms": rooms, "totalChannels": channels,
        "totalPrivateGroups": groups, "totalDirect": direct,
        ("totlalLivechat" if era == 0 else "totalLivechat"): livechat,  # 0.6x really sent the typo
        "totalMessages": total_msgs, "totalChannelMessages": msgs["c"],
        "totalPrivateGroupMessages": msgs["p"], "totalDirectMessages": msgs["d"],
        "totalLivechatMessages": msgs["l"], "lastLogin": stamp(last_login),
        "lastMessageSentAt": iso(received_at - r.uniform(5, 1800)) if total_msgs else None,
        "lastSeenSubscription": stamp(received_at - r.uniform(60, 7200)),
        "os": {"type": "Linux", "platform": "linux", "arch": "x64",
               "release": r.choice(("5.15.0-105-generic", "6.1.0-18-amd64", "4.18.0-513.el8.x86_64")),
               "uptime": r.randint(3600, 9_000_000), "loadavg": [round(r.uniform(0, 4), 2) for _ in range(3)],
               "totalmem": r.choice((4, 8, 16, 32, 64)) * 1024 ** 3, "freemem": r.randint(200, 4000) * 1024 ** 2,
               "cpus": [{"model": "Intel(R) Xeon(R) CPU", "speed": 2400}] * r.choice((2, 4, 8))},
        "process": {"nodeVersion": _NODE[major], "pid": r.randint(1, 60000), "uptime": r.uniform(60, 3e6)},
        "deploy": {"method": rep.deploy_method, "platform": rep.deploy_platform},
        "migration": {"_id": "control", "locked": False, "version": 100 + major * 40 + parsed[1],
                      "buildAt": iso(rep.installed_at), "lockedAt": iso(rep.installed_at)},
        "instanceCount": r.choice((1, 1, 1, 2, 3)), "oplogEnabled": r.random() < 0.8,
        "mongoVersion": _MONGO[major], "createdAt": iso(received_at), "host": rep.site_url,
        "wizard": {"organizationType": r.choice(("enterprise", "community", "government", "nonprofit")),
                   "industry": r.choice(("technology", "education", "healthcare", "government", "other")),
                   "size": r.randint(0, 7), "country": r.choice(("brazil", "germany", "unitedStates", "india")),
                   "language": r.choice(("en", "pt-BR", "de", "es")), "serverType": "privateTeam",
                   "registerServer": rep.enterprise or r.random() < 0.6},
    }
    if era < 6:  # values, later replaced by *Changed booleans
        doc["homeTitle"] = r.choice(("Home", "Welcome to our chat", "Intranet Chat"))
        doc["homeBody"] = "<p>Welcome to Rocket.Chat!</p>"
    if era == 0:
        return doc
    doc.update({
        "activeGuests": int(active * r.uniform(0, 0.05)), "appUsers": r.randint(0, 6),
        "busyUsers": int(active * r.uniform(0, 0.05)), "totalConnectedUsers": online + away,
        "userLanguages": {"none": total}, "totalDiscussions": int(rooms * r.uniform(0, 0.1)),
        "totalThreads": int(total_msgs * r.uniform(0, 0.05)),
        "totalLivechatVisitors": livechat * r.randint(1, 4), "totalLivechatAgents": r.randint(0, 20),
        "livechatEnabled": livechat > 0, "uploadsTotal": int(total_msgs * 0.02),
        "uploadsTotalSize": int(total_msgs * 0.02 * r.uniform(5e4, 9e5)), "mongoStorageEngine": "wiredTiger",
        "pushQueue": r.randint(0, 40), "enterpriseReady": True,
        "integrations": {"totalIntegrations": (ti := r.randint(0, 30)), "totalIncoming": ti // 2,
                         "totalIncomingActive": ti // 3, "totalOutgoing": ti - ti // 2,
                         "totalOutgoingActive": ti // 4, "totalWithScriptEnabled": ti // 5},
        "customCSS": "" if r.random() < 0.7 else ".rcx-sidebar { background: #123 }",
        "customScript": "",
    })
    if era < 3:
        return doc
    installed, active_apps, failed_apps = rep.apps if rep.apps is not None else (0, 0, 0)
    engine_off = r.random() < 0.1  # the apps engine can be disabled: the counts are then `false`
    doc.update({
        "apps": {"engineVersion": _ENGINE[major], "enabled": not engine_off,
                 "totalInstalled": False if engine_off else installed,
                 "totalActive": False if engine_off else active_apps,
                 "totalFailed": False if engine_off else failed_apps},
        "enterprise": {"modules": ["livechat-enterprise", "auditing", "ldap-enterprise"] if rep.enterprise else [],
                       "tags": ["Enterprise"] if rep.enterprise else [], "seatRequests": r.randint(0, 5),
                       "livechatTags": [], "cannedResponses": r.randint(0, 30), "priorities": 0,
                       "slas": 0, "businessUnits": 0},
        "services": {"ldap": {"enabled": r.random() < 0.3}, "saml": {"enabled": r.random() < 0.1},
                     "cas": {"enabled": False}, "oauth": {"enabled": r.random() < 0.2}},
        "importer": {"totalImports": r.randint(0, 3)}, "settings": {"accounts": {"registrationForm": "Public"}},
        "msEnabled": False, "teams": {"totalTeams": (tt := r.randint(0, 40)), "totalRoomsInsideTeams": tt * 3,
                                      "totalDefaultRoomsInsideTeams": tt},
        "dashboardCount": r.randint(0, 200), "messageAuditApply": 0, "messageAuditLoad": 0,
        "joinJitsiButton": r.randint(0, 500), "slashCommandsJitsi": r.randint(0, 50),
        "totalBroadcastRooms": r.randint(0, 5), "totalTriggeredEmails": r.randint(0, 300),
        "totalRoomsWithStarred": r.randint(0, 60), "totalRoomsWithPinned": r.randint(0, 60),
        "totalUserTOTP": r.randint(0, active), "totalUserEmail2fa": r.randint(0, active),
        "totalPinned": r.randint(0, 500), "totalStarred": r.randint(0, 900),
        "totalE2ERooms": r.randint(0, 30), "readReceiptsEnabled": r.random() < 0.3,
        "readReceiptsDetailed": r.random() < 0.1, "federatedServers": 0, "federatedUsers": 0,
        "totalOTRRooms": r.randint(0, 3), "totalOTR": r.randint(0, 10),
    })
    for period, name in (("day", "Yesterday"), ("week", "LastWeek"), ("month", "LastMonth")):
        for kind in ("Users", "Devices", "OS"):
            doc[f"unique{kind}Of{name}"] = _session_block(r, period, active, received_at)
    e2e = r.randint(0, 20000)
    if era < 6:
        doc["totalE2EMessages"] = e2e
        doc["tabInvites"] = r.randint(0, 40)
        return _sprinkle_nulls(doc, r, 0.0)
    for old in ("homeTitle", "homeBody", "customCSS", "customScript"):
        doc.pop(old, None)
    peak = int(active * r.uniform(0.2, 0.8))
    doc.update({
        "push": r.choice((0, 1, 3, 3, 3, 3, 7)), "pushSecured": r.random() < 0.2,
        "homeTitleChanged": r.random() < 0.4, "homeBodyChanged": r.random() < 0.3,
        "customCSSChanged": r.random() < 0.2, "onLogoutCustomScriptChanged": False,
        "loggedOutCustomScriptChanged": False, "loggedInCustomScriptChanged": r.random() < 0.05,
        "totalEncryptedMessages": e2e, "totalLinkInvitation": r.randint(0, 40),
        "totalLinkInvitationUses": r.randint(0, 200), "totalEmailInvitation": r.randint(0, 50),
        "logoChange": r.random() < 0.5, "showHomeButton": True, "totalManuallyAddedUsers": r.randint(0, 50),
        "totalSubscriptionRoles": r.randint(0, 3), "totalUserRoles": r.randint(1, 10),
        "totalCustomRoles": r.randint(0, 5), "totalWebRTCCalls": 0, "uncaughtExceptionsCount": r.randint(0, 9),
        "dailyPeakConnections": peak, "maxMonthlyPeakConnections": int(peak * 1.2),
        "matrixFederation": {"enabled": False, "maximumSizeOfPublicRoomsUsersAllowed": 100},
        "webRTCEnabled": False, "webRTCEnabledForOmnichannel": False, "omnichannelWebRTCCalls": 0,
        "totalLivechatManagers": r.randint(0, 4), "omnichannelSources": [],
        "totalLivechatRoomsWithDepartment": livechat // 2, "departments": r.randint(0, 8),
        "archivedDepartments": 0, "isDepartmentRemovalEnabled": False, "totalTriggers": r.randint(0, 5),
        "totalCustomFields": r.randint(0, 5), "totalLivechatPublicCustomFields": 0,
        "livechatAutomaticForwardingUnansweredChats": False, "routingAlgorithm": "Auto_Selection",
        "onHoldEnabled": False, "emailInboxes": r.randint(0, 2),
        "BusinessHours": {"total": r.randint(0, 3), "strategy": "Single"},
        "lastChattedAgentPreferred": False, "assignNewConversationsToContactManager": False,
        "visitorAbandonment": "none", "chatsOnHold": 0, "voipEnabled": False, "voipCalls": 0,
        "voipExtensions": 0, "voipSuccessfulCalls": 0, "voipErrorCalls": 0, "voipOnHoldCalls": 0,
        "videoConf": {"videoConference": {"started": r.randint(0, 99), "ended": r.randint(0, 99)},
                      "direct": {"calling": 0, "started": 0, "ended": 0}, "livechat": {"started": 0, "ended": 0},
                      "settings": {"provider": r.choice(("", "jitsi", "pexip")), "dms": True, "channels": True,
                                   "groups": True, "teams": True}},
        "tag": None, "branch": None,
    })
    if era < 8:
        return _sprinkle_nulls(doc, r, 0.02)
    for dropped in ("totalOTRRooms", "totalOTR"):
        del doc[dropped]
    contacts = {"contactsCount": r.randint(0, 50), "conversationsCount": r.randint(0, 80), "sources": []}
    doc.update({
        "deploymentFingerprintHash": "".join(r.choice("0123456789abcdef") for _ in range(64)),
        "deploymentFingerprintVerified": r.random() < 0.9, "totalDiscussionsMessages": r.randint(0, 9000),
        "omnichannelContactsBySource": contacts, "uniqueContactsOfLastMonth": contacts,
        "uniqueContactsOfLastWeek": contacts, "uniqueContactsOfYesterday": contacts,
        "contactVerification": {"totalContacts": contacts["contactsCount"], "totalUnknownContacts": 0,
                                "totalMergedContacts": 0, "totalConflicts": 0, "totalResolvedConflicts": 0,
                                "totalBlockedContacts": 0, "totalPartiallyBlockedContacts": 0,
                                "totalFullyBlockedContacts": 0, "totalVerifiedContacts": 0,
                                "avgChannelsPerContact": 0, "totalContactsWithoutChannels": 0,
                                "totalImportedContacts": 0, "totalUpsellViews": 0, "totalUpsellClicks": 0},
    })
    return _sprinkle_nulls(doc, r, 0.02)


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
