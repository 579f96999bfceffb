"""The live views a `view` block may name: one registry with each view's title, description, the
service it reads, whether it needs a workspace, and its fetch. `portal/ui/runbook_view.py` renders
them (a test checks every view has a renderer). No Streamlit here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from portal.clients import Clients
    from portal.clients.http import Page
    from portal.clients.models import HostedInstance, HostingEvent, InvalidToken, PushDelivery, TrendPoint

Fetch = Callable[["Clients", Mapping[str, str]], Any]


@dataclass(frozen=True)
class ViewSpec:
    """One live view: what it shows and how its data is fetched for a runbook's context."""

    name: str
    title: str
    description: str
    service: str
    needs_workspace: bool
    fetch: Fetch  # (clients, context) -> the data its renderer takes


def _workspace(clients: Clients, context: Mapping[str, str]) -> Any:
    return clients.fleet.get_workspace(context["workspace"])


def _outcomes(clients: Clients, context: Mapping[str, str]) -> Any:
    return clients.push.counts(since=context["since"], until=context["until"], bucket="hour",
                               workspace_id=context.get("workspace"))


def _failures(clients: Clients, context: Mapping[str, str]) -> list[PushDelivery]:
    found: list[PushDelivery] = []
    for outcome in ("unauthorized", "invalid_token", "rejected", "error"):
        found += clients.push.deliveries(workspace_id=context["workspace"], outcome=outcome,
                                         since=context["since"], until=context["until"], limit=10).items
    return sorted(found, key=lambda d: d.created_at, reverse=True)[:20]


def _own_pushes(clients: Clients, context: Mapping[str, str]) -> list[PushDelivery]:
    """The newest deliveries of the workspace (any kind); the renderer keeps those it sent itself."""
    return list(clients.push.deliveries(workspace_id=context["workspace"], limit=100).items)


def _invalid(clients: Clients, context: Mapping[str, str]) -> tuple[Page[InvalidToken], list[TrendPoint]]:
    page = clients.push.invalid_tokens(workspace_id=context.get("workspace"), since=context["since"], limit=20)
    return page, clients.push.invalid_token_trend(since=context["since"], until=context["until"], bucket="hour")


def _top_failing(clients: Clients, context: Mapping[str, str]) -> Any:
    return clients.push.top_failing(since=context["since"], until=context["until"], limit=10)


def _stats(clients: Clients, context: Mapping[str, str]) -> Any:
    return clients.stats.latest(clients.fleet.get_workspace(context["workspace"]).unique_id)


def _apps(clients: Clients, context: Mapping[str, str]) -> Any:
    return clients.marketplace.workspace_apps(context["workspace"])


def _instance(clients: Clients, context: Mapping[str, str]) -> tuple[HostedInstance, list[HostingEvent]]:
    workspace = context["workspace"]
    return clients.hosting.get_instance(workspace), clients.hosting.events(workspace, limit=10)


VIEWS: dict[str, ViewSpec] = {view.name: view for view in (
    ViewSpec("workspace.summary", "Workspace",
             "the workspace's record: version and support, registration, token and secret dates",
             "fleet", True, _workspace),
    ViewSpec("push.outcomes", "Push deliveries by outcome",
             "push deliveries by outcome over the window (the workspace's, or gateway-wide)",
             "push", False, _outcomes),
    ViewSpec("push.recent_failures", "Recent failed pushes",
             "the workspace's latest failed push deliveries in the window", "push", True, _failures),
    ViewSpec("push.own_pushes", "The workspace's own pushes",
             "the latest pushes the workspace sent itself with its own cloud token (not test pushes or "
             "resends from here), and whether the gateway accepts its token now", "push", True, _own_pushes),
    ViewSpec("push.invalid_tokens", "Invalid device tokens (406)",
             "device tokens flagged invalid (406) in the window, and the trend", "push", False, _invalid),
    ViewSpec("push.top_failing", "Workspaces with the most failed pushes",
             "workspaces with the most failed deliveries in the window", "push", False, _top_failing),
    ViewSpec("stats.latest", "Latest statistics",
             "the workspace's latest statistics report and how old it is", "stats", True, _stats),
    ViewSpec("marketplace.apps", "Installed apps",
             "the workspace's installed apps and their subscriptions", "marketplace", True, _apps),
    ViewSpec("hosting.instance", "Hosted instance",
             "the hosted instance's status and recent events", "hosting", True, _instance),
)}
