"""Calling an action's handler for a run already recorded as running, and reading how it ended.

The handler gets the clients, an idempotency key derived from the run id, a progress line and a
liveness callback (a heartbeat every few seconds, so no replica takes a long run for abandoned).
Its answer becomes the run's outcome: succeeded; failed with the service's error; unknown when
the call timed out or the service had already accepted the write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from portal.actions.capture import capture_exchanges, decisive
from portal.actions.outcomes import Prepared, RunOutcome
from portal.actions.recording import Recorder
from portal.actions.spec import ActionFailed, ProgressCallback, RunContext
from portal.clients.errors import ServiceError, ServiceTimeout
from portal.store.db import Database
from portal.store.models import ActionRun, RunState
from portal.store.runs import heartbeat

if TYPE_CHECKING:
    from portal.clients import Clients

log = logging.getLogger("portal.actions")

HEARTBEAT_EVERY = 10.0  # seconds between heartbeats while a long operation runs


class Runner:
    """Runs handlers and records their outcome through the `Recorder`."""

    def __init__(self, database: Database, clients: Clients, recorder: Recorder, *, poll_interval: float = 0.5,
                 poll_timeout: float = 900.0) -> None:
        self.sessions = database.sessions
        self.clients = clients
        self.recorder = recorder
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout

    def execute(self, run: ActionRun, prepared: Prepared, progress: ProgressCallback | None) -> RunOutcome:
        """Call the handler for `run` (recorded as running), then record how it ended."""
        alive = self._liveness(run.id)
        ctx = RunContext(self.clients, idempotency_key=f"portal-run-{run.id}",
                         progress=_reporting(progress, alive), alive=alive,
                         poll_interval=self.poll_interval, poll_timeout=self.poll_timeout)
        state, status, request_id, error = RunState.FAILED, None, None, None
        result: Any = None
        detail: dict[str, Any] = {}
        with capture_exchanges() as exchanges:
            try:
                answer = prepared.spec.handler(ctx, run.target, prepared.params)
                state, result, detail = RunState.SUCCEEDED, answer.detail, {"summary": answer.summary}
            except ServiceTimeout as exc:
                state, error = RunState.UNKNOWN, str(exc)
            except ServiceError as exc:
                # Once the service accepted the write, a later error (while polling) says nothing about it.
                accepted = any(e.method.upper() != "GET" and e.status < 400 for e in exchanges)
                state, error = (RunState.UNKNOWN if accepted else RunState.FAILED), str(exc)
                status, request_id = exc.status, exc.request_id
            except ActionFailed as exc:
                state, error, result = RunState.FAILED, str(exc), exc.detail
            except Exception as exc:
                log.exception("action %s run %s raised", run.action, run.id)
                state, error = RunState.UNKNOWN, f"portal error during the call: {type(exc).__name__}: {exc}"
            except BaseException:
                self.recorder.finish(run, RunState.UNKNOWN, status=None, request_id=None,
                                     error="interrupted while running; outcome unknown", result=None, detail={})
                raise
        seen = decisive(exchanges)
        if seen is not None:
            status = status if status is not None else seen.status
            request_id = request_id or seen.request_id
        final = self.recorder.finish(run, state, status=status, request_id=request_id, error=error, result=result,
                                     detail=detail)
        return RunOutcome(final, True, prepared.preview)

    def _liveness(self, run_id: str) -> Callable[[], None]:
        """A callable noting, at most every few seconds, that this process still runs `run_id`."""
        last_beat = time.monotonic()

        def alive() -> None:
            nonlocal last_beat
            if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                heartbeat(self.sessions, run_id)
                last_beat = time.monotonic()

        return alive


def _reporting(callback: ProgressCallback | None, alive: Callable[[], None]) -> ProgressCallback:
    def report(percent: int | None, message: str) -> None:
        if callback is not None:
            callback(percent, message)
        alive()

    return report
