"""Optional chat notification: a Rocket.Chat incoming-webhook message per approval request and outcome.

Posting is best effort: a slow or failing webhook is logged and never fails, delays much, or
changes the outcome of an action.
"""

from __future__ import annotations

import logging
from typing import Any

import requests

from portal.actions.states import look
from portal.store.models import ActionRun, RunState

log = logging.getLogger("portal.actions.webhook")

def message_for(run: ActionRun, *, portal_url: str | None = None) -> dict[str, Any]:
    """The incoming-webhook JSON for a run in its current state."""
    state = RunState(run.state)
    who = run.actor_email or run.actor_sub
    text = f"*{who}* {look(state).chat} `{run.action}` on `{run.target}`"
    fields = [{"short": True, "title": "State", "value": state.value},
              {"short": True, "title": "Run", "value": run.id}]
    if run.approver_sub:
        fields.append({"short": True, "title": "Approver", "value": run.approver_email or run.approver_sub})
    if run.error:
        fields.append({"short": False, "title": "Error", "value": run.error})
    if run.request_id:
        fields.append({"short": True, "title": "Request id", "value": run.request_id})
    attachment: dict[str, Any] = {"title": run.preview[:300], "color": look(state).colour,
                                  "fields": fields}
    if portal_url:
        attachment["title_link"] = f"{portal_url.rstrip('/')}/audit?run={run.id}"
    return {"text": text, "attachments": [attachment]}


class ChatWebhook:
    """Posts run summaries to one Rocket.Chat incoming webhook."""

    def __init__(self, url: str, *, timeout: tuple[float, float] = (1.0, 3.0),
                 session: requests.Session | None = None, portal_url: str | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self.portal_url = portal_url
        self._session = session or requests.Session()

    def notify(self, run: ActionRun) -> bool:
        """Post the run's summary; True when the webhook accepted it. Never raises."""
        try:
            response = self._session.post(self.url, json=message_for(run, portal_url=self.portal_url),
                                          timeout=self.timeout)
        except Exception as exc:  # a notification must never break an action
            log.warning("chat webhook failed for run %s: %s", run.id, type(exc).__name__)
            return False
        if response.status_code >= 400:
            log.warning("chat webhook answered %s for run %s", response.status_code, run.id)
            return False
        return True
