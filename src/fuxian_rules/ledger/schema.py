"""The ledger's tables (SQLAlchemy Core), the description the queries use (the migrations spell it out).

A case's cached result is its ``case_results`` row (validity window, engine fingerprint, backend note)
with its ``obligations`` rows (one per obligation: the contract §2 JSON plus the columns queries filter
on), so each obligation's text is stored once.

Instants are stored as integer microseconds since the Unix epoch (UTC): they compare exactly and the
same way on SQLite and PostgreSQL, with no driver time-zone conversion in between. Case ids sort in
code-point order on both databases (PostgreSQL columns use the "C" collation) so that pages come out in
the order of ``fuxian-rules check``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

__all__ = ["audit", "case_results", "events", "meta", "metadata", "obligations", "tokens"]

metadata = MetaData()


def key(length: int) -> TypeEngine[str]:
    """A string column compared by code point on every database (``COLLATE "C"`` on PostgreSQL)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


#: A surrogate key that is an auto-incrementing 64-bit integer on PostgreSQL and a rowid on SQLite.
SEQ = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("id", key(200), nullable=False),
    Column("case_id", key(200), nullable=False),
    Column("type", String(64), nullable=False),
    Column("actor", String(64)),
    Column("occurred_us", BigInteger, nullable=False),
    Column("canonical", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("received_at", String(40), nullable=False),
    UniqueConstraint("id", name="uq_events_id"),
    Index("ix_events_case", "case_id", "seq"),
)

case_results = Table(
    "case_results", metadata,
    Column("case_id", key(200), primary_key=True),
    Column("stale", Boolean, nullable=False),
    Column("valid_from_us", BigInteger),
    Column("valid_until_us", BigInteger),
    Column("engine_hash", String(64)),
    Column("note", Text),
    Index("ix_case_results_stale", "stale"),
    Index("ix_case_results_from", "valid_from_us"),
    Index("ix_case_results_until", "valid_until_us"),
)

obligations = Table(
    "obligations", metadata,
    Column("case_id", key(200), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("ob_id", String(32), nullable=False),
    Column("holder", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("rule", String(120), nullable=False),
    Column("due_day", String(10)),
    Column("body", Text, nullable=False),
    Index("ix_obligations_holder", "holder", "case_id", "position"),
    Index("ix_obligations_ob_id", "ob_id"),
)

tokens = Table(
    "tokens", metadata,
    Column("token_id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("unit", String(64), nullable=False),
    Column("role", String(8), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_us", BigInteger),
    Column("revoked_at", String(40)),
)

audit = Table(
    "audit", metadata,
    Column("seq", SEQ, primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("who", String(120), nullable=False),
    Column("action", String(64), nullable=False),
    Column("what", Text, nullable=False),
)

meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
