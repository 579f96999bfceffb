"""Every page during an incident: each service in turn down, failing, slow (8 s) or answering garbage
(JSON cut short, a proxy's sign-in page, a proxy's HTML 404). Each page still shows its frame
without waiting for the slow answer, says the truth (never "never registered" or "nothing looks
wrong" on a missing source), shows one banner per degraded source, and never a stack trace."""

from __future__ import annotations

import time

import pytest
import requests

from portal.livedata import SERVICE_TITLES
from tests.support.apptest import open_screen, shown, texts

RUNBOOK = "push-workspace-401-unauthorized"  # views: push failures, workspace summary
# Which services each screen reads (the runbook: through its view blocks).
USES = {
    "fleet": {"fleet", "stats"},
    "workspace": {"fleet", "stats", "push", "marketplace", "hosting"},
    "push": {"push", "fleet"},
    "hosting": {"hosting", "fleet"},
    "marketplace": {"marketplace", "fleet"},
    "runbooks": {"fleet", "push"},
}
BROKEN = {
    "down": {"outage": True, "retry_after": 0},
    "failing": {"error_rate": 1.0},
    "json_cut_short": {"garbage": "malformed_json"},
    "sign_in_page": {"garbage": "html_login"},
    "proxy_404": {"garbage": "html_404"},
}
SLOW = {"latency_ms": 8000}


def fault(sandbox, service: str, body: dict) -> None:
    requests.put(f"{sandbox.base_url}/_sandbox/faults/{service}", json=body, timeout=5).raise_for_status()


@pytest.fixture(scope="module")
def hosted_workspace_id(sandbox) -> str:
    return requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()["workspace_ids"]["hosted"]


def open_page(screen_id: str, workspace_id: str):
    query = {"workspace": workspace_id} if screen_id == "workspace" else None
    if screen_id == "runbooks":
        query = {"runbook": RUNBOOK, "workspace": workspace_id}
    return open_screen("oncall", screen_id, query=query)


def banners(at) -> dict[str, int]:
    """How many top-of-page banners name each service."""
    counts = {name: 0 for name in SERVICE_TITLES}
    for warning in at.warning:
        for name, title in SERVICE_TITLES.items():
            if str(warning.value).startswith(f"**{title} "):
                counts[name] += 1
    return counts


def assert_truthful(at, service: str, screen_id: str) -> None:
    assert not at.exception, at.exception
    assert at.title, "the page drew no frame"
    text = texts(at)
    assert "Traceback" not in text
    if service == "fleet":
        assert "never registered" not in text and "Known only from the statistics" not in text
    if screen_id == "workspace" and service in {"fleet", "stats", "push", "hosting"}:
        assert "Nothing looks wrong" not in text
        assert f"{SERVICE_TITLES[service]} unavailable" in text or f"Waiting for {SERVICE_TITLES[service]}" in text


@pytest.mark.parametrize("kind", list(BROKEN))
@pytest.mark.parametrize(("screen_id", "service"), [(s, v) for s, used in USES.items() for v in sorted(used)])
def test_a_broken_service_degrades_only_its_widgets_and_says_so_once(sandbox, hosted_workspace_id, screen_id,
                                                                     service, kind):
    fault(sandbox, service, BROKEN[kind])
    at = open_page(screen_id, hosted_workspace_id)
    assert_truthful(at, service, screen_id)
    counts = banners(at)
    assert counts[service] == 1, counts  # one banner for the broken source, in plain words
    assert all(count == 0 for name, count in counts.items() if name != service), counts
    banner = next(str(w.value) for w in at.warning if str(w.value).startswith(f"**{SERVICE_TITLES[service]} "))
    assert "HTTP" not in banner and "request req_" not in banner  # the detail is behind a toggle
    assert any(e.label.startswith("Details") for e in at.expander)


@pytest.mark.parametrize(("screen_id", "service"), [("workspace", "stats"), ("workspace", "fleet"),
                                                    ("fleet", "fleet"), ("runbooks", "push"), ("hosting", "hosting")])
def test_a_slow_service_never_holds_the_page(sandbox, hosted_workspace_id, screen_id, service):
    since = requests.get(f"{sandbox.base_url}/_sandbox/requests", timeout=5).json()["now"]
    fault(sandbox, service, SLOW)
    at = open_page(screen_id, hosted_workspace_id)
    assert_truthful(at, service, screen_id)
    # The page came back while the slow service was still answering: its requests are not finished.
    log = requests.get(f"{sandbox.base_url}/_sandbox/requests", params={"since": since}, timeout=5).json()["items"]
    assert not [e for e in log if e["service"] == service], "the page waited for the slow service"
    assert f"Waiting for {SERVICE_TITLES[service]}" in texts(at)
    assert banners(at)[service] == 1
    others = {name for name in USES[screen_id] if name != service}
    assert all(f"Source: {SERVICE_TITLES[name]}" in texts(at) for name in others & {"push", "stats", "hosting"})


def test_a_late_answer_fills_in_on_the_next_run(sandbox, hosted_workspace_id):
    fault(sandbox, "stats", {"latency_ms": 3500})
    at = open_page("workspace", hosted_workspace_id)
    assert "Waiting for Statistics Collector" in texts(at)
    time.sleep(4.0)  # the call went on after the page's budget; the next run finds its answer
    at.run()
    assert "Waiting for Statistics Collector" not in texts(at)
    assert "Source: Statistics Collector" in texts(at)
    assert banners(at)["stats"] == 0


def test_workspace_page_with_fleet_down_says_it_cannot_tell_registration(sandbox, hosted_workspace_id):
    fault(sandbox, "fleet", BROKEN["down"])
    at = open_page("workspace", hosted_workspace_id)
    text = texts(at)
    assert shown(at.header[0].value) == hosted_workspace_id  # the id asked for, not a site URL from the statistics
    assert "Whether this workspace is registered cannot be told right now" in text
    assert "Cannot tell whether anything is wrong" in text or "Not checked" in text
