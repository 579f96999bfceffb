"""The audit log as screens read it: one object bound to the portal's database, no sessions in sight.

Pages and ui reach the log only through this (built once per process in `portal.app_context`);
the queries themselves live in `portal.store.audit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from portal.store import audit
from portal.store.audit import AuditFilter, AuditPage, RunbookUsage, Verification
from portal.store.db import Database
from portal.store.models import AuditEvent, AuditRecord

__all__ = ["AuditEvent", "AuditFilter", "AuditLog", "AuditPage", "AuditRecord", "RunbookUsage", "Verification"]


class AuditLog:
    """Read the hash-chained audit log: pages, a run's trail, exports, usage, verification."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    def page(self, flt: AuditFilter, *, before: int | None = None, limit: int = 50) -> AuditPage:
        """One page of matching records, newest first; `before` is the previous page's cursor."""
        return audit.page(self._sessions, flt, before=before, limit=limit)

    def trail(self, run_id: str) -> list[AuditRecord]:
        """Everything recorded about one run, oldest first."""
        return audit.trail(self._sessions, run_id=run_id)

    def export(self, flt: AuditFilter) -> Iterator[AuditRecord]:
        """Every matching record, newest first, fetched in batches."""
        return audit.export(self._sessions, flt)

    def usage(self, runbook_ids: Iterable[str]) -> dict[str, RunbookUsage]:
        """How each runbook's action blocks were used."""
        return audit.usage_per_runbook(self._sessions, runbook_ids=runbook_ids)

    def verify(self) -> Verification:
        """Walk the whole chain and report the first record that does not fit."""
        return audit.verify(self._sessions)
