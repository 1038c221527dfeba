"""Alembic migrations of the ledger, shipped in the package and run by :func:`~fuxian_rules.ledger.db.connect`."""
