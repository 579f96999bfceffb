"""The one authority on who may see which screen and run which action, on what, with what.

Everything is declared here once (each action's least role, whether it needs a second person,
its rule over parameters; screens' least roles come from `portal.screens`) and decided here only.
Pages and ui ask (`may_view_screen`, `may_offer`, `offers`, `needs_approval`); the executor asks
`decide_action` where the action runs; nothing relies on a hidden button. Every denial carries a
reason a person can act on, and the role it needs when a role is what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from portal.identity import Principal


@dataclass(frozen=True)
class Decision:
    """The answer to "may they?": allowed or not, and why, in words a person can act on."""

    allowed: bool
    reason: str
    needs_role: str | None = None  # set when the person lacks a role: the least role that would do

    def __bool__(self) -> bool:
        return self.allowed


ParamRule = Callable[[Principal, str | None, Mapping[str, Any]], Decision | None]


@dataclass(frozen=True)
class ActionRule:
    """The least role for an action, whether a second person (an admin) must approve it, and
    an optional rule over its target and parameters (returns a denial, or None when fine)."""

    min_role: str
    two_person: bool = False
    param_rule: ParamRule | None = None


# Support may resend one delivery, or one workspace over at most a day; on-call up to a week.
RESEND_WINDOW: dict[str, timedelta] = {
    "support": timedelta(hours=24),
    "oncall": timedelta(days=7),
    "admin": timedelta(days=7),
}
APPROVER_ROLE = "admin"


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _one_value(value: Any) -> bool:
    """True for a single concrete id: not empty, not a list, not a wildcard."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return False
    text = str(value).strip()
    return bool(text) and not any(mark in text for mark in ("*", ",", " "))


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h" if hours < 48 else f"{hours / 24:g} days"


def _resend_rule(principal: Principal, target: str | None, params: Mapping[str, Any]) -> Decision | None:
    """push.resend: one delivery, or one workspace with a bounded time window; never fleet-wide."""
    delivery_id = params.get("delivery_id")
    if delivery_id not in (None, ""):
        if not _one_value(delivery_id):
            return Decision(False, "push.resend: delivery_id must name exactly one delivery")
        return None
    workspace_id = params.get("workspace_id") or target
    if workspace_id in (None, ""):
        return Decision(
            False,
            "push.resend needs one delivery_id, or one workspace_id with since and until; "
            "fleet-wide resends are not allowed",
        )
    if not _one_value(workspace_id):
        return Decision(False, "push.resend: workspace_id must name exactly one workspace, not several or a wildcard")
    since, until = _parse_time(params.get("since")), _parse_time(params.get("until"))
    if since is None or until is None:
        return Decision(False, "push.resend for a workspace needs since and until as ISO 8601 timestamps")
    window = until - since
    if window <= timedelta(0):
        return Decision(False, "push.resend: until must be after since")
    limit = RESEND_WINDOW[principal.role or "support"]
    if window > limit:
        wider = " (on-call may resend up to 7 days)" if principal.role == "support" else ""
        return Decision(
            False,
            f"push.resend: the window is {_hours(window)}; as {principal.role} you may resend at most "
            f"{_hours(limit)} for one workspace{wider}",
        )
    return None


ACTION_RULES: dict[str, ActionRule] = {
    "push.send_test": ActionRule("support"),
    "push.resend": ActionRule("support", param_rule=_resend_rule),
    "push.purge_invalid_tokens": ActionRule("oncall"),
    "workspace.revoke_access_tokens": ActionRule("support"),
    "workspace.force_license_sync": ActionRule("support"),
    "marketplace.resync_subscriptions": ActionRule("support"),
    "workspace.rotate_client_secret": ActionRule("oncall", two_person=True),
    "workspace.suspend": ActionRule("oncall", two_person=True),
    "workspace.unsuspend": ActionRule("oncall", two_person=True),
    "hosting.restart": ActionRule("oncall"),
    "hosting.set_maintenance": ActionRule("oncall"),
    "hosting.upgrade": ActionRule("oncall"),
}

def _signed_in_with_role(principal: Principal | None) -> Decision | None:
    if principal is None:
        return Decision(False, "not signed in")
    if principal.role is None:
        return Decision(False, "your groups grant no portal role; ask for one of the portal groups")
    return None


def decide_action(
    principal: Principal | None,
    action: str,
    *,
    target: str | None = None,
    params: Mapping[str, Any] | None = None,
) -> Decision:
    """May `principal` run `action` on `target` with `params`? Unknown actions are denied."""
    rule = ACTION_RULES.get(action)
    if rule is None:
        return Decision(False, f"unknown action {action!r}")
    refused = _signed_in_with_role(principal)
    if refused is not None:
        return refused
    assert principal is not None
    if not principal.has_role(rule.min_role):
        return Decision(False, f"{action} needs the {rule.min_role} role or higher; you are {principal.role}",
                        rule.min_role)
    if rule.param_rule is not None:
        refused = rule.param_rule(principal, target, params or {})
        if refused is not None:
            return refused
    if rule.two_person:
        return Decision(
            True, f"{principal.role} may request {action}; an {APPROVER_ROLE} other than you must approve it"
        )
    return Decision(True, f"{principal.role} may run {action}")


def may_offer(principal: Principal | None, action: str) -> Decision:
    """May `principal` be offered `action` at all (its form, its Run button)? The role alone decides
    here; the parameters are decided by `decide_action` when it runs."""
    rule = ACTION_RULES.get(action)
    if rule is None:
        return Decision(False, f"unknown action {action!r}")
    refused = _signed_in_with_role(principal)
    if refused is not None:
        return Decision(False, refused.reason, rule.min_role)
    assert principal is not None
    if not principal.has_role(rule.min_role):
        return Decision(False, f"{action} needs the {rule.min_role} role or higher; you are {principal.role}",
                        rule.min_role)
    return Decision(True, f"{principal.role} may run {action}")


def offers(principal: Principal | None, actions: Iterable[str]) -> dict[str, Decision]:
    """`may_offer` for each of `actions`, in their order: which of them this person may run."""
    return {action: may_offer(principal, action) for action in actions}


def needs_approval(action: str) -> bool:
    """True for two-person actions: they run only after an admin other than the requester approves."""
    rule = ACTION_RULES.get(action)
    return bool(rule and rule.two_person)


def screen_min_role(screen_id: str) -> str | None:
    """The least role that may open a screen (declared in `portal.screens`), or None for an unknown one."""
    from portal.screens import SCREENS

    return next((screen.min_role for screen in SCREENS if screen.id == screen_id), None)


def may_view_screen(principal: Principal | None, screen_id: str) -> Decision:
    """May `principal` open the screen `screen_id`? Unknown screens are denied."""
    min_role = screen_min_role(screen_id)
    if min_role is None:
        return Decision(False, f"unknown screen {screen_id!r}")
    refused = _signed_in_with_role(principal)
    if refused is not None:
        return refused
    assert principal is not None
    if not principal.has_role(min_role):
        return Decision(False, f"the {screen_id} screen needs the {min_role} role or higher; you are {principal.role}",
                        min_role)
    return Decision(True, f"{principal.role} may open {screen_id}")


def may_approve(principal: Principal | None, *, requested_by: str) -> Decision:
    """May `principal` approve a two-person request made by `requested_by` (the requester's sub)?"""
    refused = _signed_in_with_role(principal)
    if refused is not None:
        return refused
    assert principal is not None
    if not principal.has_role(APPROVER_ROLE):
        return Decision(False, f"approving needs the {APPROVER_ROLE} role; you are {principal.role}", APPROVER_ROLE)
    if principal.sub == requested_by:
        return Decision(False, "you cannot approve your own request; another admin must")
    return Decision(True, f"{APPROVER_ROLE} may approve a request by {requested_by}")
