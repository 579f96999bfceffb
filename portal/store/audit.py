"""The audit log: append-only, hash-chained, verifiable; plus the keyset queries the Audit screen needs.

Every record's hash covers every other column of the record and the previous record's hash, so
editing, deleting or reordering any record, or cutting records off the end (the head row keeps
the last seq and hash), makes `verify` fail at the first record that no longer fits.
There is deliberately no update or delete function in this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import col

from portal.store.models import GENESIS_HASH, AuditHead, AuditRecord, utcnow

# The columns a record's hash covers, in a fixed order. A test checks this names every column
# but `hash`, so a column added later cannot silently escape the chain.
HASHED_FIELDS: tuple[str, ...] = (
    "seq", "at", "event", "run_id", "actor_sub", "actor_email", "actor_roles", "action", "target",
    "target_kind", "params", "preview", "approver", "runbook_id", "outcome", "service_status",
    "request_id", "started_at", "finished_at", "duration_ms", "detail", "prev_hash",
)

_STRING_LIMITS: dict[str, int] = {
    column.name: column.type.length
    for column in AuditRecord.__table__.columns  # type: ignore[attr-defined]
    if isinstance(getattr(column.type, "impl", column.type), String) and getattr(column.type, "length", None)
}


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


# One encoder, reused: verifying a million records is mostly this call.
_HASH_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_iso)


def _digest(values: Sequence[Any]) -> str:
    payload = _HASH_ENCODER.encode(dict(zip(HASHED_FIELDS, values, strict=True)))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record_hash(fields: Mapping[str, Any]) -> str:
    """sha256 over the hashed fields of a record (which include the previous record's hash)."""
    return _digest([fields.get(name) for name in HASHED_FIELDS])


def _clip(name: str, value: Any) -> Any:
    # Normalise before hashing, so what is hashed is exactly what the database gives back.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"audit field {name} is a naive datetime; use datetime.now(UTC)")
        return value.astimezone(UTC)
    limit = _STRING_LIMITS.get(name)
    if limit and isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def append(
    session: Session,
    *,
    event: str,
    outcome: str,
    actor_sub: str,
    action: str,
    params: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    **fields: Any,
) -> AuditRecord:
    """Append one record inside the caller's transaction; the caller commits it with its own changes.

    Locking the head row serialises appends across threads, processes and replicas, so the chain
    never forks; the record becomes visible only together with the state change it describes.
    """
    head = session.execute(
        select(col(AuditHead.seq), col(AuditHead.hash)).where(col(AuditHead.id) == 1).with_for_update()
    ).one()
    # `at` never goes backwards as `seq` grows (even across replicas' clocks), so a time range is a
    # seq range: the Audit screen's date filters page by seq like every other filter (see `page`).
    now = fields.get("at") or utcnow()
    if head.seq > 0:
        previous = session.execute(select(col(AuditRecord.at)).where(col(AuditRecord.seq) == head.seq)).scalar()
        if previous is not None and previous > now:
            now = previous
    values: dict[str, Any] = {
        "actor_email": "", "actor_roles": "", "target": "", "target_kind": "", "preview": "",
        **fields,
        "seq": head.seq + 1,
        "at": now,
        "event": event,
        "outcome": outcome,
        "actor_sub": actor_sub,
        "action": action,
        "params": canonical_json(dict(params or {})),
        "detail": canonical_json(dict(detail or {})),
        "prev_hash": head.hash,
    }
    unknown = set(values) - set(HASHED_FIELDS)
    if unknown:
        raise TypeError(f"unknown audit fields: {', '.join(sorted(unknown))}")
    values = {name: _clip(name, value) for name, value in values.items()}
    values["hash"] = record_hash(values)
    record = AuditRecord(**values)
    session.add(record)
    session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=values["seq"], hash=values["hash"]))
    session.flush()
    return record


@dataclass(frozen=True)
class Verification:
    """The result of checking the whole chain."""

    ok: bool
    checked: int
    head_seq: int
    first_bad_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit log OK: {self.checked} records, chain intact up to #{self.head_seq}"
        where = f"record #{self.first_bad_seq}" if self.first_bad_seq is not None else "the log"
        return f"audit log TAMPERED: {where}: {self.reason} ({self.checked} records checked before it)"


def _iter_records(sessions: sessionmaker[Session], batch: int) -> Iterator[Sequence[Any]]:
    # Keyset batches in short transactions: a million records never sit in memory at once. Rows are
    # tuples in HASHED_FIELDS order (seq first, prev_hash last) followed by the stored hash.
    columns = [*(getattr(AuditRecord, name) for name in HASHED_FIELDS), col(AuditRecord.hash)]
    last = 0
    while True:
        with sessions() as session:  # Core execution: no ORM row processing for a million rows
            rows = session.connection().execute(
                select(*columns).where(col(AuditRecord.seq) > last).order_by(col(AuditRecord.seq)).limit(batch)
            ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1][0]


def verify(sessions: sessionmaker[Session], *, batch: int = 5000) -> Verification:
    """Walk the chain from the first record; report the first record that does not fit."""
    with sessions() as session:
        head = session.execute(select(col(AuditHead.seq), col(AuditHead.hash)).where(col(AuditHead.id) == 1)).one()
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in _iter_records(sessions, batch):
        seq, values, stored = row[0], row[:-1], row[-1]
        if seq != expected_seq:
            return Verification(False, checked, head.seq, expected_seq,
                                f"missing: the next record found is #{seq}")
        if values[-1] != prev_hash:
            return Verification(False, checked, head.seq, seq, "its prev_hash does not match the previous record")
        if _digest(values) != stored:
            return Verification(False, checked, head.seq, seq, "its content does not match its hash (edited)")
        prev_hash, expected_seq, checked = stored, seq + 1, checked + 1
    last_seq = expected_seq - 1
    if head.seq != last_seq or head.hash != prev_hash:
        if head.seq > last_seq:
            return Verification(False, checked, head.seq, last_seq + 1,
                                f"missing: the head says the log ends at #{head.seq}")
        return Verification(False, checked, head.seq, last_seq, "the head does not match the last record")
    return Verification(True, checked, head.seq)


@dataclass(frozen=True)
class AuditFilter:
    """The Audit screen's filters; empty fields do not filter."""

    actor: str | None = None  # a sub, or an e-mail address
    action: str | None = None
    target: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    run_id: str | None = None


def _conditions(flt: AuditFilter) -> list[Any]:
    conditions: list[Any] = []
    if flt.actor:
        column = col(AuditRecord.actor_email) if "@" in flt.actor else col(AuditRecord.actor_sub)
        conditions.append(column == flt.actor.strip())
    for name in ("action", "target", "outcome", "run_id"):
        value = getattr(flt, name)
        if value:
            conditions.append(getattr(AuditRecord, name) == value.strip())
    if flt.since:
        conditions.append(col(AuditRecord.at) >= flt.since)
    if flt.until:
        conditions.append(col(AuditRecord.at) < flt.until)
    return conditions


@dataclass(frozen=True)
class AuditPage:
    """One page of records, newest first, and the cursor of the next (older) page."""

    records: list[AuditRecord]
    next_before: int | None


def _seq_bounds(session: Session, flt: AuditFilter) -> tuple[int | None, int | None]:
    """The seq range holding every record with `at` in [since, until): two probes of the `at` index.

    Exact because `append` never lets `at` go backwards; (1, 0) when no record can match.
    """
    lo = hi = None
    if flt.since:
        first = select(func.min(col(AuditRecord.at))).where(col(AuditRecord.at) >= flt.since).scalar_subquery()
        lo = session.execute(select(func.min(col(AuditRecord.seq))).where(col(AuditRecord.at) == first)).scalar()
        if lo is None:
            return 1, 0
    if flt.until:
        last = select(func.max(col(AuditRecord.at))).where(col(AuditRecord.at) < flt.until).scalar_subquery()
        hi = session.execute(select(func.max(col(AuditRecord.seq))).where(col(AuditRecord.at) == last)).scalar()
        if hi is None:
            return 1, 0
    return lo, hi


def _page(session: Session, flt: AuditFilter, *, before: int | None, limit: int) -> AuditPage:
    conditions = _conditions(flt)
    if flt.since or flt.until:
        lo, hi = _seq_bounds(session, flt)
        conditions += [col(AuditRecord.seq) >= lo] if lo is not None else []
        conditions += [col(AuditRecord.seq) <= hi] if hi is not None else []
    if before is not None:
        conditions.append(col(AuditRecord.seq) < before)
    statement = select(AuditRecord).where(*conditions).order_by(col(AuditRecord.seq).desc()).limit(limit + 1)
    records = list(session.execute(statement).scalars())
    more = len(records) > limit
    records = records[:limit]
    return AuditPage(records, records[-1].seq if more and records else None)


def page(sessions: sessionmaker[Session], flt: AuditFilter, *, before: int | None = None,
         limit: int = 50) -> AuditPage:
    """Records matching `flt` with seq < `before`, newest first: keyset pagination (no OFFSET),
    so page 20,000 costs what page 1 costs."""
    with sessions() as session:
        return _page(session, flt, before=before, limit=limit)


def export(sessions: sessionmaker[Session], flt: AuditFilter, *, batch: int = 2000) -> Iterator[AuditRecord]:
    """Every record matching `flt`, newest first, fetched in keyset batches (for CSV export)."""
    before: int | None = None
    while True:
        result = page(sessions, flt, before=before, limit=batch)
        yield from result.records
        if result.next_before is None:
            return
        before = result.next_before


def trail(sessions: sessionmaker[Session], *, run_id: str) -> list[AuditRecord]:
    """A run's records, oldest first: its whole story."""
    statement = select(AuditRecord).where(col(AuditRecord.run_id) == run_id).order_by(col(AuditRecord.seq))
    with sessions() as session:
        return list(session.execute(statement).scalars())


# Audit events that end a request: each run (or refusal) is counted once, by its outcome.
FINAL_EVENTS: tuple[str, ...] = ("succeeded", "failed", "unknown", "abandoned", "rejected", "expired", "denied")


@dataclass(frozen=True)
class RunbookUsage:
    """How a runbook's action blocks were used, from the audit log."""

    last_used: datetime | None
    outcomes: dict[str, dict[str, int]]  # action -> outcome -> count

    @property
    def total(self) -> int:
        return sum(sum(by_outcome.values()) for by_outcome in self.outcomes.values())


def usage_per_runbook(sessions: sessionmaker[Session], *, runbook_ids: Iterable[str]) -> dict[str, RunbookUsage]:
    """Last use and per-action outcome counts of each runbook's blocks, from the records naming the
    runbook (one grouped query for all of them)."""
    ids = list(runbook_ids)
    rows: list[Any] = []
    if ids:
        statement = (
            select(col(AuditRecord.runbook_id), col(AuditRecord.action), col(AuditRecord.event), func.count(),
                   func.max(col(AuditRecord.at)))
            .where(col(AuditRecord.runbook_id).in_(ids))
            .group_by(col(AuditRecord.runbook_id), col(AuditRecord.action), col(AuditRecord.event))
        )
        with sessions() as session:
            rows = list(session.execute(statement).all())
    last: dict[str, datetime] = {}
    outcomes: dict[str, dict[str, dict[str, int]]] = {}
    for runbook_id, action, event, count, at in rows:
        if at is not None and (runbook_id not in last or at > last[runbook_id]):
            last[runbook_id] = at
        if event in FINAL_EVENTS:
            outcomes.setdefault(runbook_id, {}).setdefault(action, {})[event] = int(count)
    return {rid: RunbookUsage(last_used=last.get(rid), outcomes=outcomes.get(rid, {})) for rid in ids}
