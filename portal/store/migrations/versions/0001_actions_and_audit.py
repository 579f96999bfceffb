"""Action runs, the de-duplication gate, and the hash-chained audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "action_run",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("target_kind", sa.String(64), nullable=False),
        sa.Column("target_name", sa.String(200), nullable=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("preview", sa.String(2000), nullable=False),
        sa.Column("danger", sa.String(16), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("actor_sub", sa.String(254), nullable=False),
        sa.Column("actor_email", sa.String(254), nullable=False),
        sa.Column("actor_roles", sa.String(120), nullable=False),
        sa.Column("runbook_id", sa.String(128), nullable=True),
        sa.Column("approver_sub", sa.String(254), nullable=True),
        sa.Column("approver_email", sa.String(254), nullable=True),
        _ts("created_at", nullable=False),
        _ts("expires_at"),
        _ts("approved_at"),
        _ts("started_at"),
        _ts("finished_at"),
        _ts("heartbeat_at"),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("service_status", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("error", sa.String(2000), nullable=True),
    )
    op.create_index("ix_action_run_action", "action_run", ["action"])
    op.create_index("ix_action_run_target", "action_run", ["target"])
    op.create_index("ix_action_run_fingerprint", "action_run", ["fingerprint"])
    op.create_index("ix_action_run_state", "action_run", ["state"])
    op.create_index("ix_action_run_actor_sub", "action_run", ["actor_sub"])

    op.create_table(
        "action_gate",
        sa.Column("fingerprint", sa.String(64), primary_key=True),
        sa.Column("run_id", sa.String(36), nullable=False),
        _ts("updated_at", nullable=False),
    )

    op.create_table(
        "audit_record",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        _ts("at", nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("actor_sub", sa.String(254), nullable=False),
        sa.Column("actor_email", sa.String(254), nullable=False),
        sa.Column("actor_roles", sa.String(120), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("target_kind", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("preview", sa.String(2000), nullable=False),
        sa.Column("approver", sa.String(254), nullable=True),
        sa.Column("runbook_id", sa.String(128), nullable=True),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("service_status", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(128), nullable=True),
        _ts("started_at"),
        _ts("finished_at"),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # Each filter of the Audit screen walks one of these in seq order (keyset pagination).
    op.create_index("ix_audit_actor_seq", "audit_record", ["actor_sub", "seq"])
    op.create_index("ix_audit_actor_email_seq", "audit_record", ["actor_email", "seq"])
    op.create_index("ix_audit_action_seq", "audit_record", ["action", "seq"])
    op.create_index("ix_audit_target_seq", "audit_record", ["target", "seq"])
    op.create_index("ix_audit_outcome_seq", "audit_record", ["outcome", "seq"])
    op.create_index("ix_audit_at", "audit_record", ["at"])
    op.create_index("ix_audit_run", "audit_record", ["run_id"])

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    # The head exists from the start, so every append can lock it (never insert-or-lock).
    op.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :genesis)").bindparams(genesis="0" * 64))


def downgrade() -> None:
    op.drop_table("audit_head")
    for index in ("ix_audit_run", "ix_audit_at", "ix_audit_outcome_seq", "ix_audit_target_seq",
                  "ix_audit_action_seq", "ix_audit_actor_email_seq", "ix_audit_actor_seq"):
        op.drop_index(index, table_name="audit_record")
    op.drop_table("audit_record")
    op.drop_table("action_gate")
    for index in ("ix_action_run_actor_sub", "ix_action_run_state", "ix_action_run_fingerprint",
                  "ix_action_run_target", "ix_action_run_action"):
        op.drop_index(index, table_name="action_run")
    op.drop_table("action_run")
