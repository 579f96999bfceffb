"""The Streamlit composition root: settings, clients, the database and the action executor,
built once per process."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from portal.settings import Settings, get_settings

if TYPE_CHECKING:
    from portal.actions.executor import Executor
    from portal.audit_log import AuditLog
    from portal.clients import Clients
    from portal.store import Database

log = logging.getLogger("portal")


@dataclass(frozen=True)
class AppContext:
    """What pages are given: settings, clients, and (when the database opened) the executor and audit log."""

    settings: Settings
    clients: Clients
    database: Database | None = None  # None when it could not be opened
    executor: Executor | None = None  # None without a database
    audit: AuditLog | None = None  # None without a database
    database_error: str | None = field(default=None)


@st.cache_resource(show_spinner=False)
def app_context() -> AppContext:
    """Build (once per process) everything pages need; never at import time.

    Starting means: migrate the database (creating the SQLite file under var/ on first start) and
    mark runs a dead process left running as abandoned. If the database cannot be opened, the
    dashboards still work and the action screens say why they cannot.
    """
    from portal.actions.capture import recording_session
    from portal.clients import RetryPolicy, build_clients

    settings = get_settings()
    # Sessions that let the executor record each answer's status and request id in the audit log.
    # People wait on these calls: every call ends within connect + read timeout whatever the service
    # does (a body that drips included), a retry starts only within the page's budget, and a service
    # asking for a long pause (Retry-After) is retried after at most 2 s.
    retry = RetryPolicy(max_retry_after=2.0, deadline=settings.connect_timeout + settings.read_timeout,
                        retry_within=settings.page_budget)
    clients = build_clients(settings, session_factory=recording_session, retry=retry)
    database: Database | None = None
    executor: Executor | None = None
    audit: AuditLog | None = None
    error: str | None = None
    try:
        from portal.actions.executor import build_executor
        from portal.audit_log import AuditLog
        from portal.store import open_database

        database = open_database(settings.database_url)
        executor = build_executor(settings, database, clients)
        audit = AuditLog(database)
        abandoned = executor.recover_abandoned()
        if abandoned:
            log.warning("marked %d runs abandoned (outcome unknown): %s", len(abandoned), ", ".join(abandoned))
    except Exception as exc:  # the dashboards must not depend on the portal's own database
        log.exception("portal database unavailable")
        error = f"{type(exc).__name__}: {exc}"
    return AppContext(settings=settings, clients=clients, database=database, executor=executor, audit=audit,
                      database_error=error)
