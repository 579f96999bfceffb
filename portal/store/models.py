"""The portal's own tables: action runs, their de-duplication gate, and the hash-chained audit log.

`ActionRun` is the operational state of one run; it only moves forward (see `portal.store.runs`).
`AuditRecord` is the append-only log: one row per thing that happened, chained by hash. Every
string has a max length; every timestamp is timezone-aware and stored as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, Text, TypeDecorator
from sqlmodel import Field, SQLModel

# Column lengths; a test compares the migrated schema with these models so the two cannot drift.
ID_LEN = 36
NAME_LEN = 64
TARGET_LEN = 200
PERSON_LEN = 254  # an e-mail address
ROLES_LEN = 120
HASH_LEN = 64
SHORT_TEXT_LEN = 2000
GENESIS_HASH = "0" * HASH_LEN


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, whatever the database keeps.

    SQLite has no time zone type and would hand back naive datetimes; the audit hash needs the
    value read back to equal the value written, to the microsecond.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        # SQLite stores the text without an offset; give it a naive UTC value so nothing is shifted.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, timezone-aware UTC (microsecond precision, which every supported database keeps)."""
    return datetime.now(UTC)


class RunState(StrEnum):
    """Where a run is. Runs only move forward: see `portal.store.runs.FORWARD`."""

    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the service call timed out: it may or may not have acted
    ABANDONED = "abandoned"  # the process died while running: outcome unknown
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the requester took back a two-person request before it ran

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES = frozenset(
    {RunState.SUCCEEDED, RunState.FAILED, RunState.UNKNOWN, RunState.ABANDONED, RunState.REJECTED, RunState.EXPIRED,
     RunState.WITHDRAWN}
)


class AuditEvent(StrEnum):
    """What an audit record says happened."""

    DENIED = "denied"  # the policy refused the request; no run was created
    APPROVAL_REQUESTED = "approval_requested"
    APPROVED = "approved"
    APPROVAL_DENIED = "approval_denied"  # someone tried to approve and the policy refused
    REJECTED = "rejected"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    REFUSED = "refused"  # an approved run was asked to run with other parameters, or by someone else
    JOINED = "joined"  # someone else asked for exactly a run that stood: recorded as theirs, nothing ran again
    STARTED = "started"  # recorded before the service is called
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    ABANDONED = "abandoned"


class ActionRun(SQLModel, table=True):
    """One request to run an action, from approval (if needed) to its outcome."""

    __tablename__ = "action_run"

    id: str = Field(primary_key=True, max_length=ID_LEN)
    action: str = Field(max_length=NAME_LEN, index=True)
    target: str = Field(max_length=TARGET_LEN, index=True)
    target_kind: str = Field(max_length=NAME_LEN)
    target_name: str | None = Field(default=None, max_length=TARGET_LEN)
    fingerprint: str = Field(max_length=HASH_LEN, index=True)  # hash(action, target, params)
    params: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, secrets masked
    preview: str = Field(max_length=SHORT_TEXT_LEN)
    danger: str = Field(max_length=16)
    state: str = Field(max_length=24, index=True)
    actor_sub: str = Field(max_length=PERSON_LEN, index=True)
    actor_email: str = Field(default="", max_length=PERSON_LEN)
    actor_roles: str = Field(default="", max_length=ROLES_LEN)
    runbook_id: str | None = Field(default=None, max_length=NAME_LEN * 2)
    approver_sub: str | None = Field(default=None, max_length=PERSON_LEN)
    approver_email: str | None = Field(default=None, max_length=PERSON_LEN)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    approved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    heartbeat_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    worker: str | None = Field(default=None, max_length=TARGET_LEN)  # host:pid:token of the running process
    service_status: int | None = None
    request_id: str | None = Field(default=None, max_length=128)
    result: str | None = Field(default=None, sa_column=Column(Text))  # JSON summary of the answer
    error: str | None = Field(default=None, max_length=SHORT_TEXT_LEN)


class ActionGate(SQLModel, table=True):
    """The latest run per fingerprint: the row whose primary key makes double execution impossible.

    Two requests with the same fingerprint contend for this one row (insert, or lock and update),
    so only one of them can create a run, in every process and replica sharing the database.
    """

    __tablename__ = "action_gate"

    fingerprint: str = Field(primary_key=True, max_length=HASH_LEN)
    run_id: str = Field(max_length=ID_LEN)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AuditRecord(SQLModel, table=True):
    """One append-only, hash-chained line of the audit log. Every column except `hash` is hashed."""

    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_actor_seq", "actor_sub", "seq"),
        Index("ix_audit_actor_email_seq", "actor_email", "seq"),
        Index("ix_audit_action_seq", "action", "seq"),
        Index("ix_audit_target_seq", "target", "seq"),
        Index("ix_audit_outcome_seq", "outcome", "seq"),
        Index("ix_audit_at", "at"),
        Index("ix_audit_run", "run_id"),
    )

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    event: str = Field(max_length=24)
    run_id: str | None = Field(default=None, max_length=ID_LEN)
    actor_sub: str = Field(max_length=PERSON_LEN)
    actor_email: str = Field(default="", max_length=PERSON_LEN)
    actor_roles: str = Field(default="", max_length=ROLES_LEN)
    action: str = Field(max_length=NAME_LEN)
    target: str = Field(default="", max_length=TARGET_LEN)
    target_kind: str = Field(default="", max_length=NAME_LEN)
    params: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON, secrets masked
    preview: str = Field(default="", max_length=SHORT_TEXT_LEN)
    approver: str | None = Field(default=None, max_length=PERSON_LEN)
    runbook_id: str | None = Field(default=None, max_length=NAME_LEN * 2)
    outcome: str = Field(max_length=24)  # the run state after this event, or "denied"
    service_status: int | None = None
    request_id: str | None = Field(default=None, max_length=128)
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    duration_ms: int | None = None
    detail: str = Field(sa_column=Column(Text, nullable=False))  # JSON: reason, error, result summary
    prev_hash: str = Field(max_length=HASH_LEN)
    hash: str = Field(max_length=HASH_LEN)


class AuditHead(SQLModel, table=True):
    """The chain's head (one row): locked by every append, so appends are serial across replicas.

    It also lets `verify` notice records cut off the end of the log.
    """

    __tablename__ = "audit_head"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=HASH_LEN)
