"""A statistics document of every version, shaped after the real typings (`portal_dev/sandbox/stats_shapes/`),
through the collector's public endpoint, the portal's client and the workspace page: the right version,
counts, deploy, push settings and apps. Expected values are read from each document, not from the parser."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from portal.clients import build_clients
from tests.support.apptest import open_screen

SHAPES = Path(__file__).resolve().parents[2] / "portal_dev" / "sandbox" / "stats_shapes"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else "unknown"


def expected_push(doc: dict[str, Any]) -> str:
    """How a server that never registered sends pushes (pushNotification.ts), from the raw bitmask."""
    bits = doc.get("push")
    if not isinstance(bits, int):
        return "unknown"
    if not bits & 1:
        return "off"
    if not bits & 2:
        return "on, gateway disabled"
    return "on, gateway enabled but unused (not registered)"


@pytest.fixture(params=sorted(p.name for p in SHAPES.glob("*.json")))
def posted(request, sandbox) -> dict[str, Any]:
    """One shape posted to the collector as a never-registered server would post it (no token)."""
    doc = json.loads((SHAPES / request.param).read_text())
    doc.pop("_source", None)
    doc["uniqueId"] = str(uuid.uuid4())
    answer = requests.post(f"{sandbox.urls['stats']}/", json={**doc, "host": "https://shape.example"}, timeout=10)
    assert answer.status_code == 200 and "statsToken" in answer.json()
    return doc


def test_the_client_reads_what_the_document_says(posted, sandbox_settings):
    clients = build_clients(sandbox_settings)
    try:
        stats = clients.stats.latest(posted["uniqueId"]).statistics
    finally:
        clients.close()
    assert stats.version is not None and stats.version.raw == posted["version"]
    assert (stats.total_users, stats.active_users) == (posted["totalUsers"], posted["activeUsers"])
    assert (stats.deploy_method, stats.deploy_platform) == (posted["deploy"]["method"], posted["deploy"]["platform"])
    apps = posted.get("apps")
    if isinstance(apps, dict):
        assert stats.apps is not None
        assert stats.apps.total_installed == (apps["totalInstalled"] if apps["totalInstalled"] is not False else None)
    assert stats.push_enabled == (bool(posted["push"] & 1) if "push" in posted else None)


def test_the_workspace_page_shows_version_counts_deploy_push_and_apps(posted):
    at = open_screen("support", "workspace", query={"workspace": posted["uniqueId"]})
    assert not at.exception, at.exception
    cards = {m.label: m.value for m in at.metric}
    assert cards["Version"] == posted["version"]
    assert cards["Users"] == _count(posted["totalUsers"])
    rows = dict(zip(at.table[0].value.iloc[:, 0], at.table[0].value.iloc[:, 1], strict=True))
    assert rows["Deploy"] == f"{posted['deploy']['method']} / {posted['deploy']['platform']}"
    assert rows["Push"].startswith(expected_push(posted)), rows["Push"]
    apps = posted.get("apps")
    if isinstance(apps, dict) and apps.get("totalInstalled") is not False:
        assert rows["Apps"].startswith(f"{_count(apps['totalInstalled'])} installed")
    elif isinstance(apps, dict):
        assert rows["Apps"].startswith("unknown installed")  # `false`: the engine could not count
    else:
        assert rows["Apps"] == "unknown"
