"""The ledger (optional extra ``ledger``): a durable store of accepted events and of their obligations.

SQLite by default, PostgreSQL by URL; SQLAlchemy 2 with Alembic migrations shipped in the package. Built
on the engine's per-case contract only (``Engine.evaluate_case``, ``Engine.ingestion``)::

    from fuxian_rules.ledger import Ledger
    ledger = Ledger("sqlite:///fuxian-ledger.sqlite3")
    ledger.ingest(events)
    page = ledger.obligations(parse_as_of("2025-03-31"), Filters(unit="finance"))
"""

from __future__ import annotations

from .ingest import BadEvent, IngestReport
from .store import Filters, Ledger, LedgerError, Page
from .timing import obligation_id, obligation_ids
from .tokens import Principal, TokenError, create_token, list_tokens, revoke_token, verify_token

__all__ = [
    "BadEvent",
    "Filters",
    "IngestReport",
    "Ledger",
    "LedgerError",
    "Page",
    "Principal",
    "TokenError",
    "create_token",
    "list_tokens",
    "obligation_id",
    "obligation_ids",
    "revoke_token",
    "verify_token",
]
