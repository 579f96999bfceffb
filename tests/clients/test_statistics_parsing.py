"""Statistics documents from 0.61 to 8.x normalise into one model, and junk never raises."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from portal.clients.statistics import Statistics, parse_statistics, parse_timestamp, parse_version

DATA = Path(__file__).parent / "data"


def load(name: str) -> dict[str, Any]:
    return json.loads((DATA / name).read_text())


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_fixtures_have_the_sizes_of_their_eras() -> None:
    assert 25 <= len(load("stats-0.61.json")) <= 35
    assert 140 <= len(load("stats-8.2.json")) <= 160


def test_061_document_with_its_typo_and_no_deploy_section() -> None:
    stats = parse_statistics(load("stats-0.61.json"))
    assert stats.unique_id == "Zx8Kq2wPfJ7mT4nRa"
    assert (stats.version.major, stats.version.minor, stats.version.patch) == (0, 61, 2)
    assert stats.minor_line == "0.61"
    assert stats.total_livechat == 1  # from `totlalLivechat`
    assert (stats.deploy_method, stats.deploy_platform) == ("tar", "selfinstall")
    assert stats.last_login == datetime(2018, 2, 28, 16, 2, 11, 377000, tzinfo=UTC)
    assert (stats.total_users, stats.active_users, stats.online_users) == (412, 377, 41)
    assert (stats.total_rooms, stats.total_messages) == (958, 512330)
    assert stats.node_version == "v8.9.4" and stats.mongo_version is None
    assert (stats.push_enabled, stats.push_via_gateway, stats.push_custom_gateway) == (None, None, None)
    assert stats.apps is None and stats.enterprise_modules is None


def test_3x_document_with_the_old_names() -> None:
    stats = parse_statistics(load("stats-3.18.json"))
    assert stats.version.raw == "3.18.3" and stats.version.prerelease is None
    assert stats.deploy_method == "snap"
    assert stats.total_encrypted_messages == 1201  # `totalE2EMessages`
    assert stats.total_link_invitation == 14  # `tabInvites`
    assert stats.home_title_changed is True  # `homeTitle` held a custom value
    assert stats.custom_css_changed is False and stats.custom_script_changed is False
    assert stats.apps is not None and (stats.apps.total_installed, stats.apps.total_failed) == (4, None)
    assert stats.enterprise_modules == [] and stats.push_enabled is None
    assert (stats.os_type, stats.os_arch, stats.mongo_version) == ("Linux", "x64", "4.0.27")


def test_6x_document_with_false_app_counts_and_a_js_date() -> None:
    stats = parse_statistics(load("stats-6.3.json"))
    assert (stats.version.major, stats.version.minor, stats.version.prerelease) == (6, 3, "rc.2")
    assert stats.last_login == utc(2023, 7, 11, 7, 15, 27)  # GMT+0200 → UTC
    assert stats.apps is not None
    assert stats.apps.engine_version == "1.39.0"
    assert (stats.apps.total_installed, stats.apps.total_active, stats.apps.total_failed) == (None, None, None)
    # 6.3 sends no `push` bitmask (it arrived in 6.5.0: @rocket.chat/core-typings@6.3.0 IStats has none)
    assert (stats.push_enabled, stats.push_via_gateway, stats.push_custom_gateway) == (None, None, None)
    assert stats.push_queue is None  # null in the document
    assert (stats.deploy_method, stats.deploy_platform) == ("docker", "helm-chart")  # the chart runs the image
    assert stats.total_encrypted_messages == 4410 and stats.total_link_invitation == 9
    assert stats.enterprise_modules == ["auditing", "canned-responses", "ldap-enterprise"]


def test_8x_document_with_nulls() -> None:
    doc = load("stats-8.2.json")
    stats = parse_statistics(doc)
    assert stats.version.minor_line == "8.2"
    assert stats.last_login == utc(2026, 8, 3, 12, 0, 0)
    assert stats.online_users is None and stats.total_private_groups is None
    assert stats.total_encrypted_messages is None  # null, and no old name to fall back on
    assert (stats.push_enabled, stats.push_via_gateway, stats.push_custom_gateway) == (True, True, True)
    assert stats.push_secured is True and stats.push_queue == 12
    assert stats.apps is not None and (stats.apps.total_installed, stats.apps.total_active) == (14, 12)
    assert "scalability" in (stats.enterprise_modules or [])
    assert (stats.deploy_method, stats.deploy_platform) == ("docker", "rocketchatctl")
    assert stats.site_url == "https://chat.example-corp.test"
    assert stats.custom_script_changed is True and stats.home_title_changed is False
    assert stats.custom_css_changed is None
    assert (stats.node_version, stats.mongo_version, stats.migration_version) == ("v22.16.0", "7.0.21", 327)
    assert stats.raw == doc


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("7.10.3", (7, 10, 3, None)),
        ("6.0.0-rc.1", (6, 0, 0, "rc.1")),
        ("7.2.0-develop", (7, 2, 0, "develop")),
        ("v5.4.1", (5, 4, 1, None)),
        ("8.0", (8, 0, None, None)),
        (" 4.8.7+build.12 ", (4, 8, 7, None)),
        ("garbage", (None, None, None, None)),
        ("7", (None, None, None, None)),
    ],
)
def test_versions(text: str, parts: tuple[object, ...]) -> None:
    version = parse_version(text)
    assert version is not None and version.raw == text.strip()
    assert (version.major, version.minor, version.patch, version.prerelease) == parts


@pytest.mark.parametrize("value", [None, "", 7.1, [], {"v": 1}])
def test_missing_or_non_text_version_is_none(value: object) -> None:
    assert parse_version(value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-08-03T12:00:00Z", utc(2026, 8, 3, 12)),
        ("2026-08-03T14:00:00+02:00", utc(2026, 8, 3, 12)),
        ("2026-08-03T12:00:00", utc(2026, 8, 3, 12)),
        ("Mon Aug 03 2026 12:00:00 GMT+0000 (Coordinated Universal Time)", utc(2026, 8, 3, 12)),
        ("Mon Aug 03 2026 07:00:00 GMT-0500 (Central Daylight Time)", utc(2026, 8, 3, 12)),
        ("Mon, 03 Aug 2026 12:00:00 GMT", utc(2026, 8, 3, 12)),
        ({"$date": "2026-08-03T12:00:00.000Z"}, utc(2026, 8, 3, 12)),
        (1785758400000, utc(2026, 8, 3, 12)),
        ("Mon Foo 03 2026 12:00:00 GMT+0000", None),
        ("Mon Feb 31 2026 12:00:00 GMT+0000", None),
        ("yesterday", None),
        ("", None),
        (True, None),
        (float("nan"), None),
        (1e300, None),
        ([], None),
    ],
)
def test_timestamps(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    ("push", "flags"),
    [
        (0, (False, False, False)),
        (1, (True, False, False)),
        (5, (True, False, True)),
        (7, (True, True, True)),
        (-1, (None, None, None)),
        (True, (None, None, None)),
        ("3", (True, True, False)),
        ("on", (None, None, None)),
        (None, (None, None, None)),
    ],
)
def test_push_bitmask(push: object, flags: tuple[bool | None, ...]) -> None:
    stats = parse_statistics({"uniqueId": "u", "push": push})
    assert (stats.push_enabled, stats.push_via_gateway, stats.push_custom_gateway) == flags


def test_new_names_win_over_old_ones_and_old_ones_fill_nulls() -> None:
    stats = parse_statistics({"uniqueId": "u", "totalEncryptedMessages": 5, "totalE2EMessages": 1,
                              "totalLinkInvitation": None, "tabInvites": 3, "homeTitleChanged": False,
                              "homeTitle": "Custom"})
    assert (stats.total_encrypted_messages, stats.total_link_invitation) == (5, 3)
    assert stats.home_title_changed is False


def test_default_home_title_means_not_changed() -> None:
    assert parse_statistics({"uniqueId": "u", "homeTitle": "Home"}).home_title_changed is False


def test_minimal_document_uses_defaults() -> None:
    stats = parse_statistics({"uniqueId": "only-this"})
    assert stats.unique_id == "only-this"
    assert (stats.deploy_method, stats.deploy_platform) == ("tar", "selfinstall")
    assert stats.version is None and stats.minor_line is None and stats.total_users is None


def test_numeric_unique_id_becomes_text() -> None:
    assert parse_statistics({"uniqueId": 12345}).unique_id == "12345"


@pytest.mark.parametrize("doc", [{}, {"uniqueId": None}, {"uniqueId": ""}, {"uniqueId": ["x"]},
                                 {"uniqueId": True}, {"version": "7.0.0"}])
def test_missing_unique_id_raises_a_clear_value_error(doc: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="uniqueId"):
        parse_statistics(doc)


def test_a_non_object_raises_value_error() -> None:
    with pytest.raises(ValueError, match="uniqueId"):
        parse_statistics(["not", "a", "dict"])  # type: ignore[arg-type]


# Every field the parser reads, as (path in the document); the junk test targets each of them.
KNOWN_FIELDS: tuple[tuple[str, ...], ...] = (
    ("host",), ("siteUrl",), ("installedAt",), ("version",), ("deploy",), ("deploy", "method"),
    ("deploy", "platform"), ("totalUsers",), ("activeUsers",), ("onlineUsers",), ("totalRooms",),
    ("totalChannels",), ("totalPrivateGroups",), ("totalDirect",), ("totalMessages",), ("lastLogin",),
    ("lastMessageSentAt",), ("totalLivechat",), ("totlalLivechat",), ("totalEncryptedMessages",),
    ("totalE2EMessages",), ("totalLinkInvitation",), ("tabInvites",), ("os",), ("os", "type"),
    ("os", "platform"), ("os", "release"), ("os", "arch"), ("process",), ("process", "nodeVersion"),
    ("mongoVersion",), ("migration",), ("migration", "version"), ("push",), ("pushQueue",), ("pushSecured",),
    ("apps",), ("apps", "engineVersion"), ("apps", "totalInstalled"), ("apps", "totalActive"),
    ("apps", "totalFailed"), ("enterprise",), ("enterprise", "modules"), ("enterprise", "tags"),
    ("homeTitleChanged",), ("homeTitle",), ("customCSSChanged",), ("customCSS",), ("customScript",),
    ("loggedInCustomScriptChanged",), ("onLogoutCustomScriptChanged",),
)

JUNK: tuple[object, ...] = (
    None, False, True, 0, -1, 2**70, 1.5, -0.0, 1e308, float("nan"), float("inf"), "", " ", "junk", "9" * 5000,
    "²", "-", "Mon Aug 99 2026 99:99:99 GMT+9999", "2026-13-45T00:00:00Z", "v..1", [], [None, 3, "x"], {},
    {"$date": "x"}, {"$date": 1e30}, {"$date": None}, {"nested": {"deep": [1, 2]}}, "\x00\ud7ff", b"bytes",
)


def set_path(doc: dict[str, Any], path: tuple[str, ...], value: object) -> None:
    target = doc
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


@pytest.mark.parametrize("fixture", ["stats-0.61.json", "stats-3.18.json", "stats-6.3.json", "stats-8.2.json"])
def test_junk_in_known_fields_never_raises(fixture: str) -> None:
    base = load(fixture)
    rng = random.Random(f"junk-{fixture}")
    for _ in range(300):
        doc = copy.deepcopy(base)
        for path in KNOWN_FIELDS:
            if rng.random() < 0.4:
                set_path(doc, path, rng.choice(JUNK))
        stats = parse_statistics(doc)
        assert isinstance(stats, Statistics) and stats.unique_id == base["uniqueId"]
        assert stats.deploy_method and stats.deploy_platform


@pytest.mark.parametrize("junk", JUNK, ids=repr)
def test_each_junk_value_in_every_known_field(junk: object) -> None:
    for path in KNOWN_FIELDS:
        doc = {"uniqueId": "u"}
        set_path(doc, path, junk)
        assert parse_statistics(doc).unique_id == "u"
