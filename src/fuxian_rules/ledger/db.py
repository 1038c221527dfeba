"""Opening a ledger database: URL normalisation, SQLite pragmas, and migrations to the latest schema.

SQLite: WAL journal with ``synchronous=FULL`` so that a committed write survives a crash of the process
and of the machine, a busy timeout so concurrent writers queue instead of failing, and ``BEGIN
IMMEDIATE`` for every write transaction so two writers never deadlock on a lock upgrade. PostgreSQL:
psycopg 3; migrations run under an advisory lock so several processes starting at once migrate once.
Statement parameters are hidden from error messages: they may carry event data.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

__all__ = ["connect", "normalise_url"]

#: The default ledger: a SQLite file in the working directory.
DEFAULT_URL = "sqlite:///fuxian-ledger.sqlite3"


def normalise_url(url: str) -> str:
    """Map the URLs people write (``postgresql://…``, ``postgres://…``) to the psycopg 3 driver."""
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below issues BEGIN itself
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=60000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the write lock up front: a read lock upgraded later can deadlock against another writer.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ledger_write") else "BEGIN")


def connect(url: str, *, migrate: bool = True) -> SqlEngine:
    """Open the ledger database at ``url`` and bring its schema to the latest revision.

    Args:
        url: A SQLAlchemy URL: ``sqlite:///PATH`` or ``postgresql://user@host:port/db``.
        migrate: Run the shipped Alembic migrations (idempotent) before returning.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, pool_size=8, max_overflow=8, connect_args={"timeout": 60}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True, hide_parameters=True,
                               connect_args={"prepare_threshold": None})
    if migrate:
        upgrade(engine)
    return engine


def upgrade(engine: SqlEngine) -> None:
    """Apply the migrations shipped in :mod:`fuxian_rules.ledger.migrations` (a no-op when up to date)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("fuxian_rules.ledger") / "migrations"))
    with engine.connect().execution_options(ledger_write=True) as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(734110512)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
