"""Everything the portal says about a run in each state, in one table: its word, icon, chat colour
and chat sentence, and whether it ended well. Screens and the chat webhook read it; nothing else
keeps a per-state list (the audit event a state records is the store's: `portal.store.runs`)."""

from __future__ import annotations

from dataclasses import dataclass

from portal.store.models import ActionRun, RunState

__all__ = ["RUN_STATES", "ActionRun", "RunState", "StateLook", "look"]


@dataclass(frozen=True)
class StateLook:
    """How one run state is shown."""

    word: str  # the headline's first word(s): "Succeeded: push.send_test on Acme"
    icon: str  # a Streamlit material icon
    colour: str  # the chat attachment's colour
    chat: str  # what the requester did, in the chat message: "*ada* ran `push.send_test` on `ws_1`"
    good: bool  # shown as a success (green) rather than an error


RUN_STATES: dict[RunState, StateLook] = {
    RunState.AWAITING_APPROVAL: StateLook("Approval requested", ":material/hourglass_top:", "#1d74f5",
                                          "asks for approval to run", True),
    RunState.APPROVED: StateLook("Approved", ":material/verified:", "#1d74f5", "has approval to run", True),
    RunState.RUNNING: StateLook("Running", ":material/progress_activity:", "#1d74f5", "is running", False),
    RunState.SUCCEEDED: StateLook("Succeeded", ":material/check_circle:", "#2de0a5", "ran", True),
    RunState.FAILED: StateLook("Failed", ":material/error:", "#f5455c", "ran (FAILED)", False),
    RunState.UNKNOWN: StateLook("Outcome unknown (the service did not answer in time)", ":material/help:", "#ffd21f",
                                "ran (outcome UNKNOWN: the service did not answer in time)", False),
    RunState.ABANDONED: StateLook("Abandoned: outcome unknown", ":material/help:", "#ffd21f",
                                  "ran (abandoned: outcome unknown)", False),
    RunState.REJECTED: StateLook("Rejected", ":material/block:", "#9ea2a8", "was refused approval for", False),
    RunState.EXPIRED: StateLook("Expired", ":material/timer_off:", "#9ea2a8", "let an approval expire for", False),
    RunState.WITHDRAWN: StateLook("Withdrawn", ":material/undo:", "#9ea2a8", "withdrew the request for", False),
}
assert set(RUN_STATES) == set(RunState), "every run state needs its look"


def look(state: str | RunState) -> StateLook:
    """The look of a state given as a RunState or its stored value."""
    return RUN_STATES[RunState(state)]
