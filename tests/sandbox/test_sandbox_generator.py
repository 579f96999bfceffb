"""The generators, directly: determinism, realism of the mix, statistics documents per version."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from portal_dev.sandbox._releases import is_supported, minor_of, parse_version
from portal_dev.sandbox.fleet_data import DAY, UUID_IDS_SINCE, generate_fleet
from portal_dev.sandbox.market_data import Marketplace
from portal_dev.sandbox.push_data import STATUS_INDEX, PushLog
from portal_dev.sandbox.stats_docs import Reporter, build_document, era_of, shapes

NOW = 1_795_000_000.0  # a fixed "now" so runs compare equal


@pytest.fixture(scope="module")
def fleet() -> list:
    return generate_fleet(3000, 5, NOW)


def test_same_seed_gives_the_same_fleet() -> None:
    assert generate_fleet(400, 3, NOW) == generate_fleet(400, 3, NOW)


def test_another_seed_gives_another_fleet() -> None:
    a, b = generate_fleet(200, 3, NOW), generate_fleet(200, 4, NOW)
    assert [w.unique_id for w in a] != [w.unique_id for w in b]
    assert [w.name for w in a] != [w.name for w in b]


def test_identity_does_not_depend_on_fleet_size_or_clock() -> None:
    small, large = generate_fleet(50, 9, NOW), generate_fleet(120, 9, NOW + 5 * DAY)
    fields = ("id", "unique_id", "name", "site_url", "contact_email", "version", "deploy_method", "hosted",
              "plan", "registration_state", "created_at", "client_id")
    assert [tuple(getattr(w, f) for f in fields) for w in small] == \
        [tuple(getattr(w, f) for f in fields) for w in large[:50]]


def test_push_history_is_deterministic() -> None:
    fleet = generate_fleet(300, 2, NOW)
    a, b = PushLog(fleet, 2, NOW), PushLog(fleet, 2, NOW)
    assert len(a.ws) > 1000
    assert np.array_equal(a.ts, b.ts) and np.array_equal(a.code, b.code) and np.array_equal(a.tok, b.tok)
    assert [a.render_row(i) for i in range(0, len(a.ws), 97)] == [b.render_row(i) for i in range(0, len(b.ws), 97)]


def test_versions_spread_over_majors_weighted_to_recent(fleet) -> None:
    majors = Counter((parse_version(w.version) or (0,))[0] for w in fleet)
    assert set(range(1, 9)) <= set(majors)
    assert majors[8] > majors[7] > majors[3] > majors[1]
    minors = Counter(minor_of(w.version) for w in fleet)
    assert minors["8.5"] > minors["8.4"] and minors["7.10"] > minors["7.11"]  # LTS lines hold on longer
    assert any("-rc." in w.version or "-develop" in w.version for w in fleet)
    assert any(w.version.startswith(("8.7.", "8.8.")) and "-" not in w.version for w in fleet)


def test_fleet_mix_is_realistic(fleet) -> None:
    n = len(fleet)
    hosted = sum(w.hosted for w in fleet) / n
    assert 0.03 < hosted < 0.07
    states = Counter(w.registration_state for w in fleet)
    assert set(states) == {"registered", "connection_disabled", "unregistered", "deregistered"}
    assert states["connection_disabled"] < states["registered"] * 0.05
    # uniqueID: Random.id() (17 characters, mixed case) for installs made before 6.5.0, UUID v4 after
    old_style = [w for w in fleet if re.fullmatch(r"[23456789A-HJ-NP-Z" "a-km-z]{17}", w.unique_id)]
    uuids = [w for w in fleet if re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                                               w.unique_id)]
    assert len(old_style) + len(uuids) == n and old_style and uuids
    assert all(w.created_at < UUID_IDS_SINCE for w in old_style)
    assert all(w.created_at >= UUID_IDS_SINCE or w.unique_id_history for w in uuids)
    assert {"docker-redhat"} <= {w.deploy_method for w in fleet}
    assert not {"helm", "docker-compose", "aws-marketplace", "rocket-cloud"} & \
        ({w.deploy_method for w in fleet} | {w.deploy_platform for w in fleet})
    assert all(w.seats is None and w.contacts is None for w in fleet if w.registration_state == "unregistered")
    assert all(isinstance(w.seats, int) for w in fleet if w.registration_state == "registered")
    silent = sum(w.last_stats_at is None or w.last_stats_at < NOW - 2 * DAY for w in fleet) / n
    assert 0.07 < silent < 0.13
    assert {"tar", "docker", "docker-official", "snap"} <= {w.deploy_method for w in fleet}
    assert {"selfinstall", "helm-chart", "rocketchatctl"} <= {w.deploy_platform for w in fleet}
    assert all(w.hosted == w.site_url.endswith(".rocket.chat") for w in fleet)
    assert all(w.client_id is None for w in fleet if w.registration_state == "unregistered")


def test_push_failures_use_real_codes_at_realistic_rates(fleet) -> None:
    log = PushLog(fleet, 5, NOW)
    status = Counter((log.code & 7).tolist())
    total = sum(status.values())
    sent = status[STATUS_INDEX[200]] / total
    assert 0.85 < sent < 0.99
    for code in (406, 422, 401):
        assert status[STATUS_INDEX[code]] > 0, code
    assert status[STATUS_INDEX[500]] + status[STATUS_INDEX[503]] > 0
    assert (log.ts >= NOW - 7 * DAY - 3600).all() and (log.ts <= NOW).all()
    # A few workspaces are much worse than the rest.
    failed = np.bincount(log.ws[(log.code & 7) != 0], minlength=len(fleet))
    volume = np.bincount(log.ws, minlength=len(fleet))
    rate = np.divide(failed, volume, out=np.zeros(len(fleet)), where=volume >= 20)
    assert (rate > 0.25).sum() >= 3
    assert np.median(rate[volume >= 20]) < 0.1


def _rep(version: str) -> Reporter:
    return Reporter("uid-1", version, "https://chat.example", NOW - 400 * DAY, "docker", "selfinstall",
                    40, 90, False, (3, 2, 1))


def test_statistics_document_shapes_follow_the_version() -> None:
    old, v3, v5, v63, v65, v6, v8 = (build_document(_rep(v), NOW, 1)
                                     for v in ("0.65.2", "3.18.7", "5.4.9", "6.3.4", "6.5.1", "6.13.1", "8.6.1"))
    assert "totalLivechat" in old and "mongoVersion" not in old and "apps" not in old
    assert re.match(r"^\d{4}-\d\d-\d\dT", str(old["lastLogin"]))
    assert 25 <= len(old) <= 40 and len(v8) >= 140
    # customCSS / customScript / homeTitle values were never in a release; 5.0 sends *Changed booleans
    for doc in (old, v3, v5, v6, v8):
        assert not {"customCSS", "customScript", "homeTitle", "homeBody", "totalE2EMessages"} & set(doc)
    assert "pushQueue" in v3 and "push" not in v3 and "enterprise" in v3
    assert "homeTitleChanged" in v5 and "totalEncryptedMessages" in v5 and "push" not in v5
    assert "push" not in v63 and "deploymentFingerprintHash" not in v63  # 6.3 has neither (typings 6.3.0)
    assert isinstance(v65["push"], int) and "deploymentFingerprintVerified" in v65 and "pushSecured" not in v65
    assert isinstance(v6["pushSecured"], bool) and isinstance(v6["push"], int) and 0 <= v6["push"] <= 7
    assert "enabled" not in v6["apps"] and "enabled" in v3["apps"]  # type: ignore[operator]
    assert "totalOTR" in v6 and "totalOTR" not in v8 and "totalOTRRooms" not in v8
    assert re.match(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d GMT\+0000 \(Coordinated Universal Time\)$",
                    str(v8["lastLogin"]))
    assert v8["version"] == "8.6.1" and v8["uniqueId"] == "uid-1"
    assert v8["deploy"] == {"method": "docker", "platform": "selfinstall"}


def test_every_shape_names_its_source_and_keeps_its_keys() -> None:
    for version, name, shape in shapes():
        assert "_source" in shape and len(str(shape["_source"])) > 40, name
        doc = build_document(_rep(".".join(map(str, version))), NOW, 2)
        assert set(doc) == set(shape) - {"_source"}, name


def test_statistics_documents_are_deterministic_and_sometimes_odd() -> None:
    assert build_document(_rep("8.2.1"), NOW, 4) == build_document(_rep("8.2.1"), NOW, 4)
    docs = [build_document(_rep("8.2.1"), NOW + h * 3600, 4) for h in range(200)]
    assert any(d["apps"]["totalInstalled"] is False for d in docs)  # type: ignore[index]
    assert any(v is None for d in docs for v in d.values())
    assert era_of("8.7.0-develop") == 8 and era_of("0.74.3") == 0 and era_of("7.10.2") == 7


def test_marketplace_counts_match_installs(fleet) -> None:
    market = Marketplace(fleet[:400], 5, NOW)
    installs = [market.installs(w) for w in fleet[:400]]
    assert sum(len(i) for i in installs) == sum(market.installs_by_app.values())
    assert len(market.failed) == sum(1 for i in installs for x in i if x.status == "failed")
    assert market.installs(fleet[7]) == Marketplace(fleet[:400], 5, NOW).installs(fleet[7])


def test_support_windows_come_from_the_releases_file() -> None:
    from datetime import date

    assert is_supported("8.5.0", date(2027, 6, 30)) and not is_supported("8.5.0", date(2027, 7, 1))
    assert is_supported("8.9.0", date(2030, 1, 1))  # newer than any known minor
    assert not is_supported("3.18.7", date(2026, 11, 1)) and not is_supported("garbage", date(2026, 1, 1))


def test_hosting_shows_every_status_and_stats_has_stats_only_reporters() -> None:
    from portal_dev.sandbox.hosting_data import STATUSES
    from portal_dev.sandbox.state import build_state

    state = build_state(workspaces=300, seed=8, now=NOW)
    assert {i.status for i in state.hosting.instances.values()} == set(STATUSES)
    assert all(state.fleet.workspaces[ws].hosted for ws in state.hosting.instances)
    reporters = state.stats.reporters
    assert reporters and not any(state.fleet.get(r.unique_id) for r in reporters)
    assert build_state(workspaces=300, seed=8, now=NOW).fleet.workspaces == state.fleet.workspaces
