"""The first ledger schema: events, per-case results, the obligations index, tokens, audit, meta.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _key(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create every table and index (written out, not imported, so later schema edits need a new revision)."""
    op.create_table(
        "events",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("id", _key(200), nullable=False),
        sa.Column("case_id", _key(200), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(64)),
        sa.Column("occurred_us", sa.BigInteger, nullable=False),
        sa.Column("canonical", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("received_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("id", name="uq_events_id"),
    )
    op.create_index("ix_events_case", "events", ["case_id", "seq"])
    op.create_table(
        "case_results",
        sa.Column("case_id", _key(200), primary_key=True),
        sa.Column("stale", sa.Boolean, nullable=False),
        sa.Column("valid_from_us", sa.BigInteger),
        sa.Column("valid_until_us", sa.BigInteger),
        sa.Column("engine_hash", sa.String(64)),
        sa.Column("note", sa.Text),
    )
    op.create_index("ix_case_results_stale", "case_results", ["stale"])
    op.create_index("ix_case_results_from", "case_results", ["valid_from_us"])
    op.create_index("ix_case_results_until", "case_results", ["valid_until_us"])
    op.create_table(
        "obligations",
        sa.Column("case_id", _key(200), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("ob_id", sa.String(32), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(120), nullable=False),
        sa.Column("due_day", sa.String(10)),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_obligations_holder", "obligations", ["holder", "case_id", "position"])
    op.create_index("ix_obligations_ob_id", "obligations", ["ob_id"])
    op.create_table(
        "tokens",
        sa.Column("token_id", sa.String(16), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("unit", sa.String(64), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("expires_us", sa.BigInteger),
        sa.Column("revoked_at", sa.String(40)),
    )
    op.create_table(
        "audit",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("who", sa.String(120), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("what", sa.Text, nullable=False),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    """Drop everything (the ledger's data with it)."""
    for table in ("meta", "audit", "tokens", "obligations", "case_results", "events"):
        op.drop_table(table)
