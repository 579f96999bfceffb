"""One table says how each run state looks; the screens' headline and the chat message both read it."""

from __future__ import annotations

from portal.actions.states import RUN_STATES, look
from portal.actions.webhook import message_for
from portal.store.models import ActionRun, RunState, utcnow


def test_every_state_has_one_look() -> None:
    assert set(RUN_STATES) == set(RunState)
    assert look("succeeded") is RUN_STATES[RunState.SUCCEEDED]
    assert [state for state, seen in RUN_STATES.items() if seen.good] == [
        RunState.AWAITING_APPROVAL, RunState.APPROVED, RunState.SUCCEEDED]


def test_the_chat_message_takes_its_words_and_colour_from_the_table() -> None:
    for state in RunState:
        run = ActionRun(id="r1", action="push.send_test", target="ws_1", target_kind="workspace", fingerprint="f",
                        params="{}", preview="send a test push", danger="safe", state=state.value, actor_sub="ada",
                        actor_email="ada@example.com", created_at=utcnow())
        message = message_for(run)
        assert message["text"] == f"*ada@example.com* {RUN_STATES[state].chat} `push.send_test` on `ws_1`"
        assert message["attachments"][0]["color"] == RUN_STATES[state].colour
