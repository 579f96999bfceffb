"""Every real-shaped statistics document in `portal_dev/sandbox/stats_shapes/` parses correctly.

The parametrisation globs the folder, so a new shape is tested as soon as it is added. Expected values
are read from each document itself; the explicit tests below pin the version-specific behaviour.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from portal.clients.statistics import Statistics, parse_statistics

SHAPES_DIR = Path(__file__).resolve().parents[2] / "portal_dev" / "sandbox" / "stats_shapes"
SHAPES = sorted(SHAPES_DIR.glob("*.json"))
CHANGED_SCRIPT_KEYS = ("onLogoutCustomScriptChanged", "loggedOutCustomScriptChanged", "loggedInCustomScriptChanged")
DEFAULT_HOME_BODY_LINE = "<p>Welcome to Rocket.Chat!</p>"  # Layout_Home_Body's default, first line, before 6.x


def load_shape(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SHAPES_DIR / name).read_text())
    doc.pop("_source", None)
    return doc


def version_tuple(doc: dict[str, Any]) -> tuple[int, int, int]:
    major, minor, patch = doc["version"].partition("-")[0].split(".")
    return int(major), int(minor), int(patch)


def expected_time(text: str) -> datetime:
    """ISO (`...Z`) or JS `Date.toString()`, decoded here independently of the parser."""
    if "GMT" in text:
        return datetime.strptime(text.split(" (")[0], "%a %b %d %Y %H:%M:%S GMT%z").astimezone(UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def expected_changed(doc: dict[str, Any], flags: tuple[str, ...], value_key: str, one_line_unknown: bool) -> object:
    """The `*Changed` booleans when sent, else the old value: text non-empty, or a 4.x line count > 0."""
    present = [doc[key] for key in flags if key in doc]
    if present:
        return any(present)
    value = doc.get(value_key)
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return None if one_line_unknown and value == 1 else value > 0
    return None


def push_flags(stats: Statistics) -> tuple[bool | None, bool | None, bool | None]:
    return stats.push_enabled, stats.push_via_gateway, stats.push_custom_gateway


def test_the_shapes_folder_holds_every_version_line() -> None:
    names = {path.stem for path in SHAPES}
    assert {"0.65", "1.3", "3.18", "4.6-develop", "5.4", "6.3.0", "6.5.0", "6.9.7", "7.0", "7.5", "8.3.0",
            "8.8.1"} <= names


@pytest.mark.parametrize("path", SHAPES, ids=lambda path: path.stem)
def test_every_shape_parses_as_the_document_says(path: Path) -> None:
    doc = load_shape(path.name)
    assert "_source" not in doc
    stats = parse_statistics(doc)

    assert stats.unique_id == doc["uniqueId"]
    assert stats.version is not None and stats.version.raw == doc["version"]
    assert (stats.version.major, stats.version.minor, stats.version.patch) == version_tuple(doc)
    assert stats.version.prerelease == (doc["version"].partition("-")[2] or None)
    deploy = doc.get("deploy", {})
    assert (stats.deploy_method, stats.deploy_platform) == (
        deploy.get("method", "tar"), deploy.get("platform", "selfinstall"))
    assert (stats.total_users, stats.active_users) == (doc["totalUsers"], doc["activeUsers"])
    assert stats.total_messages == doc["totalMessages"]
    assert stats.last_login == expected_time(doc["lastLogin"])
    assert stats.node_version == doc["process"]["nodeVersion"]
    assert stats.mongo_version == doc.get("mongoVersion")

    if "push" in doc:
        bits = doc["push"]
        assert push_flags(stats) == (bool(bits & 1), bool(bits & 2), bool(bits & 4))
    else:
        assert push_flags(stats) == (None, None, None)

    if "apps" in doc:
        assert stats.apps is not None
        assert stats.apps.engine_version == doc["apps"]["engineVersion"]
        counts = (stats.apps.total_installed, stats.apps.total_active, stats.apps.total_failed)
        sent = [doc["apps"].get(key) for key in ("totalInstalled", "totalActive", "totalFailed")]
        assert counts == tuple(None if value is False else value for value in sent)
    else:
        assert stats.apps is None

    wizard_value = doc.get("wizard", {}).get("registerServer")
    assert stats.register_server == (wizard_value if isinstance(wizard_value, bool) else None)

    assert stats.custom_css_changed == expected_changed(doc, ("customCSSChanged",), "customCSS", True)
    assert stats.custom_script_changed == expected_changed(doc, CHANGED_SCRIPT_KEYS, "customScript", False)
    if "homeTitleChanged" in doc:
        assert stats.home_title_changed is doc["homeTitleChanged"]
    else:
        assert stats.home_title_changed == (doc["homeTitle"].strip() not in {"", "Home"} if "homeTitle" in doc
                                            else None)
    if "homeBodyChanged" in doc:
        assert stats.home_body_changed is doc["homeBodyChanged"]
    else:
        assert stats.home_body_changed == (doc["homeBody"].strip() != DEFAULT_HOME_BODY_LINE if "homeBody" in doc
                                           else None)

    assert stats.deployment_fingerprint_verified == doc.get("deploymentFingerprintVerified")
    assert stats.deployment_fingerprint_hash == doc.get("deploymentFingerprintHash")
    assert stats.raw == doc


def test_both_last_login_forms_occur_and_parse() -> None:
    forms = {"GMT" in load_shape(path.name)["lastLogin"] for path in SHAPES}
    assert forms == {True, False}
    assert parse_statistics(load_shape("1.3.json")).last_login == datetime(2019, 8, 20, 7, 55, 1, 332000, tzinfo=UTC)
    assert parse_statistics(load_shape("6.3.0.json")).last_login == datetime(2023, 8, 15, 13, 58, 12, tzinfo=UTC)


def test_6_3_0_has_no_push_and_no_fingerprint() -> None:
    doc = load_shape("6.3.0.json")
    assert "push" not in doc
    stats = parse_statistics(doc)
    assert push_flags(stats) == (None, None, None)
    assert (stats.deployment_fingerprint_verified, stats.deployment_fingerprint_hash) == (None, None)


def test_push_and_fingerprint_exist_from_6_5_0_and_never_before() -> None:
    for path in SHAPES:
        doc = load_shape(path.name)
        stats = parse_statistics(doc)
        if version_tuple(doc) >= (6, 5, 0):
            assert isinstance(doc.get("push"), int), path.name
            assert push_flags(stats) == (True, True, False), path.name  # every shape sends push = 3
            assert stats.deployment_fingerprint_verified is True, path.name
            assert stats.deployment_fingerprint_hash == doc["deploymentFingerprintHash"], path.name
        else:
            assert "push" not in doc, path.name
            assert push_flags(stats) == (None, None, None), path.name
            assert stats.deployment_fingerprint_hash is None, path.name


def test_the_4_6_develop_shape_sends_line_counts() -> None:
    doc = load_shape("4.6-develop.json")
    assert (doc["customCSS"], doc["customScript"]) == (14, 3)
    stats = parse_statistics(doc)
    assert (stats.custom_css_changed, stats.custom_script_changed) == (True, True)
    assert (stats.home_title_changed, stats.home_body_changed) == (True, True)
    unchanged = {**doc, "customCSS": 0, "customScript": 0, "homeTitle": "Home", "homeBody": DEFAULT_HOME_BODY_LINE}
    stats = parse_statistics(unchanged)
    assert (stats.custom_css_changed, stats.custom_script_changed) == (False, False)
    assert (stats.home_title_changed, stats.home_body_changed) == (False, False)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, False), (2, True), (14, True), (14.0, True), (1, None), (-3, None), (0.5, None), ("x", True), ("", False)],
)
def test_numeric_custom_css(count: object, expected: bool | None) -> None:
    # JS "".split("\n").length is 1, so a count of 1 is the default (empty) CSS or one line of CSS: unknown.
    doc = {**load_shape("4.6-develop.json"), "customCSS": count}
    assert parse_statistics(doc).custom_css_changed is expected


@pytest.mark.parametrize(("count", "expected"), [(0, False), (1, True), (3, True), (-1, None), (float("nan"), None)])
def test_numeric_custom_script(count: object, expected: bool | None) -> None:
    doc = {**load_shape("4.6-develop.json"), "customScript": count}
    assert parse_statistics(doc).custom_script_changed is expected


@pytest.mark.parametrize("flag", [True, False])
def test_a_bool_is_never_a_line_count(flag: bool) -> None:
    stats = parse_statistics({"uniqueId": "u", "customCSS": flag, "customScript": flag})
    assert (stats.custom_css_changed, stats.custom_script_changed) == (None, None)


def test_changed_booleans_win_over_old_values() -> None:
    doc = {**load_shape("4.6-develop.json"), "customCSSChanged": False, "homeBodyChanged": False,
           "loggedInCustomScriptChanged": False}
    stats = parse_statistics(doc)
    assert (stats.custom_css_changed, stats.home_body_changed, stats.custom_script_changed) == (False, False, False)


@pytest.mark.parametrize(("body", "expected"), [("", True), ("  <p>Welcome to Rocket.Chat!</p> ", False),
                                                ("<p>Hi</p>", True), (7, None), (None, None)])
def test_home_body_text(body: object, expected: bool | None) -> None:
    assert parse_statistics({"uniqueId": "u", "homeBody": body}).home_body_changed is expected


def test_false_app_counts_are_unknown_not_zero() -> None:
    doc = copy.deepcopy(load_shape("1.3.json"))
    doc["apps"].update(totalInstalled=False, totalActive=False)
    stats = parse_statistics(doc)
    assert stats.apps is not None and stats.apps.engine_version == doc["apps"]["engineVersion"]
    assert (stats.apps.total_installed, stats.apps.total_active) == (None, None)


@pytest.mark.parametrize(("wizard", "expected"), [({"registerServer": False}, False), ({"registerServer": True}, True),
                                                  ({"registerServer": "true"}, None), ({"registerServer": 1}, None),
                                                  ({}, None), ("wizard", None), (None, None)])
def test_register_server(wizard: object, expected: bool | None) -> None:
    assert parse_statistics({"uniqueId": "u", "wizard": wizard}).register_server is expected


def test_register_server_is_absent_from_0_65() -> None:
    doc = load_shape("0.65.json")
    assert "registerServer" not in doc["wizard"]
    assert parse_statistics(doc).register_server is None
    assert parse_statistics(load_shape("1.3.json")).register_server is True


@pytest.mark.parametrize(("verified", "digest", "expected"), [
    (False, "abc=", (False, "abc=")), ("true", 42, (None, None)), (1, "  ", (None, None)), (None, None, (None, None))])
def test_fingerprint_fields(verified: object, digest: object, expected: tuple[object, object]) -> None:
    stats = parse_statistics({"uniqueId": "u", "deploymentFingerprintVerified": verified,
                              "deploymentFingerprintHash": digest})
    assert (stats.deployment_fingerprint_verified, stats.deployment_fingerprint_hash) == expected
