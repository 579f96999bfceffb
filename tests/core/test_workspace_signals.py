from datetime import UTC, datetime, timedelta

from portal.clients.models import HostedInstance, PushDelivery, StatsReport, Workspace
from portal.clients.statistics import parse_statistics
from portal.releases import load_catalog
from portal.workspace_signals import push_settings, signals

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def _ws(**overrides) -> Workspace:
    base = dict(id="ws_1", unique_id="u1", name="Acme", site_url="https://a.example", contact_email="it@a.example",
                version="8.5.1", deploy_method="docker", deploy_platform="selfinstall", hosted=False, plan="pro",
                registration_state="registered", suspended=False, created_at=NOW - timedelta(days=90),
                last_stats_at=NOW - timedelta(hours=3))
    return Workspace(**{**base, **overrides})


def _report(doc: dict, age: timedelta = timedelta(hours=3)) -> StatsReport:
    return StatsReport(unique_id="u1", received_at=NOW - age, statistics=parse_statistics({"uniqueId": "u1", **doc}))


def _delivery(code: int) -> PushDelivery:
    outcome = {200: "sent", 406: "invalid_token", 401: "unauthorized", 422: "rejected"}.get(code, "error")
    return PushDelivery(id=f"d{code}", workspace_id="ws_1", platform="gcm", device_token="abc…", status_code=code,
                        outcome=outcome, created_at=NOW)


def test_healthy_workspace_has_no_signals():
    catalog = load_catalog()
    assert signals(workspace=_ws(), report=_report({"version": "8.5.1"}),
                   support=catalog.support("8.5.1", today=NOW.date()), deliveries=[_delivery(200)], now=NOW) == []


def test_each_problem_gives_its_tag_most_severe_first():
    catalog = load_catalog()
    found = signals(
        workspace=_ws(registration_state="deregistered", suspended=True, hosted=True),
        report=_report({"version": "7.1.0"}, age=timedelta(days=3)),
        support=catalog.support("7.1.0", today=NOW.date()),
        deliveries=[_delivery(401), _delivery(406), _delivery(406), _delivery(422), _delivery(200)],
        instance=HostedInstance(workspace_id="ws_1", region="eu", size="small", version="7.1.0", status="degraded",
                                url="https://a.example"),
        now=NOW,
    )
    tags = [s.tag for s in found]
    assert set(tags) == {"deregistered", "suspended", "out-of-support", "stats-silent", "push-401",
                         "invalid-tokens", "push-422", "hosted-down"}
    assert [s.severity for s in found] == sorted((s.severity for s in found),
                                                 key=["critical", "warning", "info"].index)
    assert "2 recent pushes to invalid device tokens" in next(s.message for s in found if s.tag == "invalid-tokens")


def test_stats_only_workspace_is_marked_unregistered():
    found = signals(workspace=None, report=_report({"version": "6.5.0"}),
                    support=load_catalog().support("6.5.0"), now=NOW)
    assert found[-1].tag == "unregistered" or "unregistered" in [s.tag for s in found]


def test_push_bitmask_decoded_for_people():
    registered = _ws()
    assert push_settings(_report({"version": "6.5.0", "push": 3}), registered) == "on, through the cloud gateway"
    assert push_settings(_report({"version": "6.5.0", "push": 7}), registered) == \
        "on, through a custom gateway URL (not the cloud gateway)"
    assert push_settings(_report({"version": "6.5.0", "push": 0}), registered) == "off"
    assert push_settings(_report({"version": "6.5.0", "push": 1}), registered).startswith("on, gateway disabled")
    assert push_settings(_report({"version": "3.18.0"})).startswith("unknown")
    assert push_settings(None).startswith("unknown")


def test_every_suggested_runbook_exists():
    from portal.runbooks import load_library
    from portal.workspace_signals import SIGNAL_RUNBOOKS

    library = load_library()
    missing = {i for ids in SIGNAL_RUNBOOKS.values() for i in ids} - set(library.runbooks)
    assert not missing


def test_suggestions_follow_signal_order_without_repeats():
    from portal.workspace_signals import Signal, suggested_runbooks

    found = [Signal("push-401", "critical", ""), Signal("out-of-support", "critical", ""),
             Signal("push-401", "critical", ""), Signal("suspended", "warning", "")]
    assert suggested_runbooks(found) == ["push-workspace-401-unauthorized", "out-of-support-version",
                                         "marketplace-426-unsupported-version"]


def test_a_fleetcommand_that_did_not_answer_says_nothing_about_registration():
    found = signals(workspace=None, report=_report({"version": "6.5.0"}),
                    support=load_catalog().support("6.5.0"), fleet_answered=False, now=NOW)
    assert "unregistered" not in [s.tag for s in found]


def test_the_gateway_is_used_only_when_the_server_is_registered():
    """pushNotification.ts: gateways only with Push_enable_gateway, Register_Server and the terms agreed."""
    doc = {"version": "6.5.0", "push": 3, "wizard": {"registerServer": True}}
    assert push_settings(_report(doc), _ws()) == "on, through the cloud gateway"
    off = {**doc, "wizard": {"registerServer": False}}
    assert push_settings(_report(off), _ws()).startswith("on, gateway enabled but unused (not registered)")
    disabled = push_settings(_report(doc), _ws(registration_state="connection_disabled"))
    assert disabled.startswith("on, gateway enabled but unused (cloud connection disabled)")
    assert "own APNs/FCM credentials" in disabled and "through the cloud gateway" not in disabled
    assert push_settings(_report(doc), None).startswith("on, gateway enabled but unused (not registered)")
    assert "refused (401)" in push_settings(_report(doc), _ws(registration_state="deregistered"))
    assert "cannot tell" in push_settings(_report(doc), None, fleet_answered=False)


def test_connection_disabled_and_a_changed_unique_id_are_signals():
    from portal.workspace_signals import suggested_runbooks

    ws = _ws(registration_state="connection_disabled",
             unique_id_history=[{"unique_id": "wD4EP3M7FeFzJZgk9", "until": NOW - timedelta(days=2)}])
    found = signals(workspace=ws, report=_report({"version": "8.5.1"}),
                    support=load_catalog().support("8.5.1", today=NOW.date()), now=NOW)
    by_tag = {s.tag: s for s in found}
    assert by_tag["connection-disabled"].severity == "warning"
    assert "wD4EP3M7FeFzJZgk9" in by_tag["unique-id-changed"].message
    assert suggested_runbooks(found) == ["workspace-deregistered-after-secret-rotation"]
    assert ws.connection == "connection disabled" and _ws(registration_state="unregistered").connection == \
        "never registered"


def _own(code: int, minutes: int, kind: str = "message", resent_from: str | None = None) -> PushDelivery:
    return _delivery(code).model_copy(update={"id": f"d{code}-{minutes}-{kind}", "kind": kind,
                                              "resent_from": resent_from,
                                              "created_at": NOW - timedelta(minutes=minutes)})


def test_own_pushes_judge_the_workspace_token_by_its_own_traffic_only():
    from portal.workspace_signals import own_pushes

    # A test push and a resend that succeeded after the 401s prove nothing about the workspace's token.
    mixed = [_own(401, 5), _own(200, 2, kind="test"), _own(200, 1, resent_from="d401-5-message")]
    verdict = own_pushes(mixed)
    assert verdict.state == "refused" and [d.id for d in verdict.pushes] == ["d401-5-message"]
    assert own_pushes([_own(401, 30), _own(200, 3)]).state == "accepted"
    assert own_pushes([_own(406, 3), _own(401, 30)]).state == "accepted"  # a 406 means its token passed
    assert own_pushes([_own(503, 3)]).state == "gateway-error"
    assert own_pushes([_own(401, 30)], since=NOW - timedelta(minutes=10)).state == "none"
    assert "cannot tell" in own_pushes([_own(200, 1, kind="test")]).message
