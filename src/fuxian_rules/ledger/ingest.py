"""Ingestion into the ledger: the engine's one rule, made durable and safe under concurrent writers.

Each event is validated on its own by the engine (:meth:`fuxian_rules.Engine.ingestion`). Then the
ledger applies the same id rule as :class:`fuxian_rules.Ingestion`, with the stored events as its
memory: a new id is inserted; the same id with the same digest is a duplicate; the same id with another
digest is rejected (field ``id``) and the first version kept. Inserts use ``ON CONFLICT DO NOTHING`` on
the unique id, and whatever a concurrent writer stored first is read back to classify the rest, so two
writers of one id store it once. The events, the staleness marks of their cases and the audit row are
one transaction, committed before the caller answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from fuxian_rules import Engine, Event, Rejection, event_digest

from .schema import case_results, events
from .timing import to_us

__all__ = ["BadEvent", "IngestReport", "classify", "store"]

#: The stable codes of a rejected event (contract §5 answer, field ``code``).
INVALID_JSON = "invalid_json"
INVALID_EVENT = "invalid_event"
ID_CONFLICT = "id_conflict"

CONFLICT_MESSAGE = ("the same event id was stored earlier with different content; this version is rejected "
                    "and the first one kept — send a correction under a new id")


@dataclass(frozen=True)
class BadEvent:
    """One rejected event of a request: where it was, its id if it had one, the field, why, a stable code."""

    index: int
    id: str | None
    field: str | None
    message: str
    code: str

    def as_json(self) -> dict[str, Any]:
        """The contract §5 shape, plus ``code``."""
        return {"index": self.index, "id": self.id, "field": self.field, "message": self.message, "code": self.code}


@dataclass
class IngestReport:
    """What became of a batch: counts, the rejected events, and the cases that changed."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[BadEvent] = field(default_factory=list)
    cases: set[str] = field(default_factory=set)

    def as_json(self) -> dict[str, Any]:
        """The answer of ``POST /v1/events``."""
        return {"accepted": self.accepted, "duplicates": self.duplicates,
                "rejected": [b.as_json() for b in sorted(self.rejected, key=lambda b: b.index)]}


def classify(engine: Engine, items: Sequence[Any]) -> tuple[list[tuple[int, Event]], list[BadEvent]]:
    """Validate each item on its own; a :class:`Rejection` given in place of an item is a JSON error."""
    good: list[tuple[int, Event]] = []
    bad: list[BadEvent] = []
    for index, raw in enumerate(items):
        if isinstance(raw, Rejection):
            bad.append(BadEvent(index, None, None, raw.message, INVALID_JSON))
            continue
        outcome = engine.ingestion().offer(raw)
        if isinstance(outcome, Rejection):
            bad.append(BadEvent(index, outcome.id, outcome.field, outcome.message, INVALID_EVENT))
        elif outcome is not None:
            good.append((index, outcome))
    return good, bad


def _insert(conn: Connection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)


def store(conn: Connection, good: Sequence[tuple[int, Event]], report: IngestReport) -> None:
    """Apply the id rule against the stored events and insert what is new (inside the caller's transaction)."""
    if not good:
        return
    digests = {idx: event_digest(ev) for idx, ev in good}
    ids = sorted({ev.id for _, ev in good})
    known: dict[str, str] = {}
    for chunk in _chunks(ids, 500):
        known.update(conn.execute(select(events.c.id, events.c.digest).where(events.c.id.in_(chunk))).all())
    rows: list[dict[str, Any]] = []
    mine: dict[str, int] = {}
    received = datetime.now(UTC).isoformat()
    for idx, ev in good:
        digest = digests[idx]
        first = known.get(ev.id)
        if first is None:
            known[ev.id] = digest
            mine[ev.id] = idx
            rows.append({"id": ev.id, "case_id": ev.case_id, "type": ev.type, "actor": ev.actor,
                         "occurred_us": to_us(ev.occurred_at), "canonical": ev.canonical(), "digest": digest,
                         "received_at": received})
        elif first == digest:
            report.duplicates += 1
        else:
            report.rejected.append(BadEvent(idx, ev.id, "id", CONFLICT_MESSAGE, ID_CONFLICT))
    if not rows:
        return
    # One lock order for every writer (by id): two batches sharing ids then queue instead of deadlocking.
    rows.sort(key=lambda r: str(r["id"]))
    insert = _insert(conn)
    inserted: set[str] = set()
    for chunk in _chunks(rows, 1000):
        stmt = insert(events).on_conflict_do_nothing(index_elements=["id"]).returning(events.c.id)
        inserted.update(conn.execute(stmt, chunk).scalars().all())
    lost = [r for r in rows if r["id"] not in inserted]  # a concurrent writer stored these ids first
    if lost:
        theirs = dict(conn.execute(select(events.c.id, events.c.digest)
                                   .where(events.c.id.in_([r["id"] for r in lost]))).all())
        for r in lost:
            if theirs.get(r["id"]) == r["digest"]:
                report.duplicates += 1
            else:
                report.rejected.append(BadEvent(mine[r["id"]], r["id"], "id", CONFLICT_MESSAGE, ID_CONFLICT))
    report.accepted += len(inserted)
    cases = sorted({r["case_id"] for r in rows if r["id"] in inserted})
    report.cases.update(cases)
    mark_stale(conn, cases)


def mark_stale(conn: Connection, case_ids: Sequence[str], *, only_new: bool = False) -> None:
    """Note that these cases' cached results no longer hold (creating their rows when new).

    With ``only_new``, existing rows are left alone: used for the scheduled cases, which must exist
    (they arise without events) but are not changed by opening the ledger.
    """
    if not case_ids:
        return
    insert = _insert(conn)
    for chunk in _chunks(list(case_ids), 1000):
        stmt = insert(case_results).values([{"case_id": c, "stale": True} for c in chunk])
        if only_new:
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["case_id"]))
        else:
            conn.execute(stmt.on_conflict_do_update(index_elements=["case_id"], set_={"stale": True}))


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
