"""The ledger: stored events, per-case results kept current, and the obligations index to query them.

Reads never re-evaluate the world: each case's cached result carries the window of ``as_of`` for which
it holds (:mod:`.timing`). A read at ``as_of`` first re-evaluates, with
:meth:`fuxian_rules.Engine.evaluate_case`, only the cases that are stale (new events), were cached for
another catalogue, policy or calendar, or whose window does not contain ``as_of``; then it reads the
index. Re-evaluation and reading happen under one lock per process, so one answer never mixes results of
two instants; run one service process per ledger.
"""

from __future__ import annotations

import base64
import json
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from fuxian_rules import Engine, Event, Receipt

from . import db as dbmod
from .ingest import IngestReport, classify, mark_stale, store
from .schema import audit, case_results, events, meta, obligations
from .timing import (
    due_day,
    dumps,
    engine_hash,
    from_us,
    obligation_ids,
    restamp,
    rule_boundaries,
    to_us,
    valid_until,
    yearly_rules,
)

__all__ = ["Filters", "Ledger", "LedgerError", "Page", "raw_event"]

_CHUNK = 200


class LedgerError(ValueError):
    """A request the ledger cannot serve as asked (a bad cursor); ``code`` is stable."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Filters:
    """The filters of ``GET /v1/obligations`` (``due_before``/``due_after`` are strict, on the CST due day)."""

    unit: str | None = None
    status: str | None = None
    rule: str | None = None
    case_id: str | None = None
    due_before: str | None = None
    due_after: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of obligations at ``as_of`` and the cursor of the next page (None at the end)."""

    as_of: datetime
    obligations: list[dict[str, Any]]
    next_cursor: str | None
    receipt: Receipt


def raw_event(canonical: str) -> dict[str, Any]:
    """A stored event back in its contract §1 shape (what ``ledger export`` writes and ``check`` reads)."""
    d = json.loads(canonical)
    raw: dict[str, Any] = {"id": d["id"], "type": d["type"], "case_id": d["case_id"],
                           "occurred_at": d["occurred_at"][:10] if d.get("date_only") else d["occurred_at"]}
    if d.get("actor") is not None:
        raw["actor"] = d["actor"]
    raw["data"] = d.get("data") or {}
    return raw


def _encode_cursor(case_id: str, position: int, at: datetime) -> str:
    text = dumps([case_id, position, to_us(at)])
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, int, datetime]:
    """Read an opaque cursor: the last (case, position) served and the ``as_of`` the paging is pinned to."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        case_id, position, at_us = json.loads(text)
        if not (isinstance(case_id, str) and isinstance(position, int) and isinstance(at_us, int)):
            raise TypeError
        return case_id, position, from_us(at_us)
    except (ValueError, TypeError, OverflowError):
        raise LedgerError("the cursor is not one this service issued", "invalid_cursor") from None


class Ledger:
    """A durable store of events with their obligations kept current.

    Args:
        url: SQLAlchemy URL of the database (``sqlite:///PATH`` or ``postgresql://…``).
        engine: The engine to evaluate with (default: the bundled catalogue).
        migrate: Bring the schema to the latest migration on open.
    """

    def __init__(self, url: str, engine: Engine | None = None, *, migrate: bool = True) -> None:
        self._own_engine = engine is None
        self.engine = engine or Engine()
        self.db = dbmod.connect(url, migrate=migrate)
        self.hash = engine_hash(self.engine)
        self._bounds = rule_boundaries(self.engine)
        self._yearly = yearly_rules(self.engine)
        self._scheduled = frozenset(self.engine.scheduled_case_ids("2000-01-01"))
        self._lock = threading.RLock()
        with self.write() as conn:
            mark_stale(conn, self.engine.scheduled_case_ids("2000-01-01"), only_new=True)

    def close(self) -> None:
        """Release the database connections (and the engine, when the ledger made it)."""
        self.db.dispose()
        if self._own_engine:
            self.engine.close()

    # ---- transactions -------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed when the block ends."""
        with self.db.connect().execution_options(ledger_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction."""
        with self.db.connect() as conn, conn.begin():
            yield conn

    def audit(self, conn: Connection, who: str, action: str, what: dict[str, Any]) -> None:
        """Record who did what (counts, case ids, filters — never an event's data)."""
        conn.execute(audit.insert().values(at=datetime.now(UTC).isoformat(), who=who[:120], action=action,
                                           what=dumps(what)))

    # ---- ingestion ----------------------------------------------------------------------------
    def ingest(self, items: Sequence[Any], *, who: str = "cli") -> IngestReport:
        """Store a batch of events (dicts; a :class:`~fuxian_rules.Rejection` stands for an unparsable line)."""
        good, bad = classify(self.engine, items)
        for attempt in range(5):
            report = IngestReport(rejected=list(bad))
            try:
                with self.write() as conn:
                    store(conn, good, report)
                    self.audit(conn, who, "events.write", {
                        "received": len(items), "accepted": report.accepted, "duplicates": report.duplicates,
                        "rejected": len(report.rejected), "cases": sorted(report.cases)[:50]})
                return report
            except DBAPIError as exc:  # a deadlock or serialisation failure rolled the batch back: try again
                if attempt == 4 or getattr(exc.orig, "sqlstate", None) not in ("40P01", "40001"):
                    raise
        raise AssertionError("unreachable")

    # ---- keeping results current --------------------------------------------------------------
    def _meta_hash(self, conn: Connection) -> str | None:
        return conn.execute(select(meta.c.value).where(meta.c.key == "engine_hash")).scalar()

    def refresh(self, at: datetime, case_ids: Sequence[str] | None = None, *, stale_only: bool = False) -> int:
        """Re-evaluate the cases whose cached result does not hold at ``at``; return how many.

        With ``stale_only``, only cases whose events or engine changed since their evaluation: the
        start-up warm-up, which must not move results other readers keep for another ``as_of``.
        """
        at_us = to_us(at)
        with self.read() as conn:
            current = self._meta_hash(conn) == self.hash
        if not current:
            with self.write() as conn:
                if self._meta_hash(conn) != self.hash:
                    conn.execute(update(case_results).values(stale=True))
                    ins = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
                    conn.execute(ins(meta).values(key="engine_hash", value=self.hash).on_conflict_do_update(
                        index_elements=["key"], set_={"value": self.hash}))
        needs = case_results.c.stale if stale_only else or_(
            case_results.c.stale, case_results.c.valid_until_us < at_us, case_results.c.valid_from_us > at_us)
        with self.read() as conn:
            if case_ids is None:
                if not stale_only and not self._quick_miss(conn, at_us):
                    return 0
                todo = list(conn.execute(select(case_results.c.case_id).where(needs)
                                         .order_by(case_results.c.case_id)).scalars())
            else:
                todo = list(conn.execute(select(case_results.c.case_id)
                                         .where(case_results.c.case_id.in_(case_ids), needs)).scalars())
        for i in range(0, len(todo), _CHUNK):
            # Under the read lock, chunk by chunk: a background refresh (the start-up warm-up) never lands
            # between a read's own refresh and its query, so one answer is always of one instant.
            with self._lock:
                self._evaluate_chunk(todo[i:i + _CHUNK], at, needs)
        return len(todo)

    def _quick_miss(self, conn: Connection, at_us: int) -> bool:
        """Whether any case may need re-evaluation, from three index look-ups."""
        if conn.execute(select(case_results.c.case_id).where(case_results.c.stale).limit(1)).first():
            return True
        lo = conn.execute(select(func.min(case_results.c.valid_until_us))).scalar()
        hi = conn.execute(select(func.max(case_results.c.valid_from_us))).scalar()
        return (lo is not None and lo < at_us) or (hi is not None and hi > at_us)

    def _evaluate_chunk(self, chunk: Sequence[str], at: datetime, needs: Any) -> None:
        with self.write() as conn:
            locked = list(conn.execute(select(case_results.c.case_id)
                                       .where(case_results.c.case_id.in_(chunk), needs)
                                       .order_by(case_results.c.case_id).with_for_update()).scalars())
            if not locked:
                return
            by_case: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for case_id, canonical in conn.execute(select(events.c.case_id, events.c.canonical)
                                                   .where(events.c.case_id.in_(locked)).order_by(events.c.seq)):
                by_case[case_id].append(raw_event(canonical))
            conn.execute(delete(obligations).where(obligations.c.case_id.in_(locked)))
            rows: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            for case_id in locked:
                evs, _ = self.engine.validate(by_case.get(case_id, []))
                result = self.engine.evaluate_case(evs, at, case_id=case_id)
                ob_ids = obligation_ids(self.engine, result.obligations)
                for pos, (ob, ob_id) in enumerate(zip(result.obligations, ob_ids, strict=True)):
                    body = {"id": ob_id, **ob.model_dump(mode="json")}
                    rows.append({"case_id": case_id, "position": pos, "ob_id": body["id"], "holder": ob.holder,
                                 "status": ob.status, "rule": ob.rule, "due_day": due_day(ob.due), "body": dumps(body)})
                yearly = case_id in self._scheduled or any(o.rule in self._yearly for o in result.obligations)
                until = valid_until(self._bounds, at, evs, result.obligations, yearly=yearly)
                updates.append({"b_case": case_id, "b_until": to_us(until), "b_note": result.note})
            conn.execute(update(case_results).where(case_results.c.case_id == bindparam("b_case")).values(
                stale=False, valid_from_us=to_us(at), valid_until_us=bindparam("b_until"), engine_hash=self.hash,
                note=bindparam("b_note")), updates)
            if rows:
                conn.execute(obligations.insert(), rows)

    # ---- reading ------------------------------------------------------------------------------
    def obligations(self, at: datetime, filters: Filters, *, limit: int = 1000, cursor: str | None = None) -> Page:
        """One page of the obligations in force at ``at`` (a cursor pins the ``as_of`` of its first page)."""
        after: tuple[str, int] | None = None
        if cursor is not None:
            case_id, position, at = decode_cursor(cursor)
            after = (case_id, position)
        conds = []
        o = obligations.c
        for column, value in ((o.holder, filters.unit), (o.status, filters.status), (o.rule, filters.rule),
                              (o.case_id, filters.case_id)):
            if value is not None:
                conds.append(column == value)
        if filters.due_before is not None:
            conds.append(and_(o.due_day.is_not(None), o.due_day < filters.due_before))
        if filters.due_after is not None:
            conds.append(and_(o.due_day.is_not(None), o.due_day > filters.due_after))
        if after is not None:
            conds.append(tuple_(o.case_id, o.position) > tuple_(*after))
        with self._lock:
            self.refresh(at, [filters.case_id] if filters.case_id is not None else None)
            with self.read() as conn:
                stmt = (select(o.case_id, o.position, o.body, case_results.c.valid_from_us, case_results.c.note)
                        .join(case_results, case_results.c.case_id == o.case_id)
                        .where(*conds).order_by(o.case_id, o.position).limit(limit + 1))
                found = conn.execute(stmt).all()
        page = found[:limit]
        notes = sorted({r.note for r in page if r.note})
        bodies = [restamp(json.loads(r.body), from_us(r.valid_from_us), at) for r in page]
        nxt = _encode_cursor(page[-1].case_id, page[-1].position, at) if len(found) > limit else None
        return Page(at, bodies, nxt, self.engine.receipt("; ".join(notes) or None))

    def case(self, case_id: str, at: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
        """A case's stored events (contract §1 shape, in arrival order) and its obligations at ``at``."""
        with self._lock:
            self.refresh(at, [case_id])
            with self.read() as conn:
                row = conn.execute(select(case_results.c.valid_from_us)
                                   .where(case_results.c.case_id == case_id)).first()
                if row is None:
                    return None
                bodies = list(conn.execute(select(obligations.c.body).where(obligations.c.case_id == case_id)
                                           .order_by(obligations.c.position)).scalars())
                stored = [raw_event(c) for c in conn.execute(select(events.c.canonical).where(
                    events.c.case_id == case_id).order_by(events.c.seq)).scalars()]
        evaluated = from_us(row.valid_from_us)
        return stored, [restamp(json.loads(b), evaluated, at) for b in bodies]

    def holders_in_case(self, case_id: str, at: datetime) -> set[str]:
        """The units that hold an obligation in a case at ``at`` (who may read it)."""
        found = self.case(case_id, at)
        return set() if found is None else {str(b["holder"]) for b in found[1]}

    def events_of(self, conn: Connection) -> Iterator[Event]:
        """Every stored event, validated again, in arrival order (for export and replay)."""
        for canonical in conn.execute(select(events.c.canonical).order_by(events.c.seq)).scalars():
            evs, _ = self.engine.validate([raw_event(canonical)])
            yield from evs
