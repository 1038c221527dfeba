"""What operators and the service do with a whole ledger: health, stats, digest, export, import, replay."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from sqlalchemy import func, select, text

from fuxian_rules import Rejection

from .ingest import IngestReport
from .schema import audit, case_results, events, obligations, tokens
from .store import Filters, Ledger, raw_event
from .timing import CST, from_us, obligation_ids, restamp

__all__ = ["export_jsonl", "health", "import_jsonl", "replay", "stats", "unit_digest"]


def health(ledger: Ledger) -> dict[str, Any]:
    """The ledger's state for ``GET /v1/health``: database, schema revision, counts."""
    with ledger.read() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        n_events = conn.execute(select(func.count()).select_from(events)).scalar()
        n_cases = conn.execute(select(func.count()).select_from(case_results)).scalar()
        n_stale = conn.execute(select(func.count()).select_from(case_results).where(case_results.c.stale)).scalar()
    return {"database": ledger.db.dialect.name, "schema_revision": revision, "events": n_events,
            "cases": n_cases, "stale_cases": n_stale}


def stats(ledger: Ledger) -> dict[str, Any]:
    """``ledger stats``: counts of events, cases, cached obligations by status, tokens and audit rows."""
    out = health(ledger)
    with ledger.read() as conn:
        out["obligations_by_status"] = dict(conn.execute(
            select(obligations.c.status, func.count()).group_by(obligations.c.status)).all())
        out["events_by_type"] = dict(conn.execute(select(events.c.type, func.count()).group_by(events.c.type)).all())
        out["tokens_live"] = conn.execute(select(func.count()).select_from(tokens)
                                          .where(tokens.c.revoked_at.is_(None))).scalar()
        out["audit_entries"] = conn.execute(select(func.count()).select_from(audit)).scalar()
    return out


def unit_digest(ledger: Ledger, unit: str, at: datetime, days: int) -> dict[str, Any]:
    """What ``unit`` has overdue at ``at``, and what falls due from today to ``days`` working days ahead.

    Working days are counted on the engine's legal calendar (``Engine.calendar.add_working_days``, the
    same official schedule due dates use); "today" is the CST day ``at`` falls in (the day a bare-date
    ``as_of`` names).
    """
    today = (at - timedelta(microseconds=1)).astimezone(CST).date()
    horizon = ledger.engine.calendar.add_working_days(today, days).due
    assert horizon is not None
    overdue: list[dict[str, Any]] = []
    soon: list[dict[str, Any]] = []
    cursor: str | None = None
    receipt = None
    while True:
        page = ledger.obligations(at, Filters(unit=unit), limit=5000, cursor=cursor)
        receipt = page.receipt
        for ob in page.obligations:
            day = str(ob["due"])[:10] if ob.get("due") else None
            if ob["status"] == "overdue":
                overdue.append(ob)
            elif ob["status"] == "open" and day is not None and today.isoformat() <= day <= horizon.isoformat():
                soon.append(ob)
        cursor = page.next_cursor
        if cursor is None:
            break
    soon.sort(key=lambda o: (str(o["due"]), o["case_id"], o["rule"]))
    return {"unit": unit, "as_of": at.isoformat(), "today": today.isoformat(), "days": days,
            "horizon": horizon.isoformat(), "overdue": overdue, "due_soon": soon,
            "receipt": receipt.model_dump(mode="json")}


def export_jsonl(ledger: Ledger, out: IO[str]) -> int:
    """Write every stored event, in arrival order, as JSON Lines (contract §1); return how many."""
    n = 0
    with ledger.read() as conn:
        for canonical in conn.execute(select(events.c.canonical).order_by(events.c.seq)).scalars():
            out.write(json.dumps(raw_event(canonical), ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n


def _parsed(lines: Iterable[str]) -> Iterator[Any]:
    for line in lines:
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            yield Rejection(message=f"not valid JSON: {str(exc)[:120]}")


def import_jsonl(ledger: Ledger, lines: Iterable[str], *, batch: int = 1000) -> IngestReport:
    """Ingest a JSON Lines file through the same rule as ``POST /v1/events``; indexes count non-blank lines."""
    total = IngestReport()
    chunk: list[Any] = []
    offset = 0

    def flush() -> None:
        nonlocal offset, chunk
        report = ledger.ingest(chunk, who="cli:import")
        total.accepted += report.accepted
        total.duplicates += report.duplicates
        total.rejected.extend(type(b)(b.index + offset, b.id, b.field, b.message, b.code) for b in report.rejected)
        offset += len(chunk)
        chunk = []

    for item in _parsed(lines):
        chunk.append(item)
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    return total


def replay(ledger: Ledger, at: datetime) -> dict[str, Any]:
    """Re-evaluate every case from its stored events at ``at`` and compare with the stored results.

    A stored result is compared when its validity window contains ``at`` (otherwise it was never a claim
    about ``at`` and is counted as ``not_cached_for_as_of``). Differences are listed per obligation id.
    """
    engine = ledger.engine
    with ledger.read() as conn:
        cached = {r.case_id: r for r in conn.execute(select(case_results))}
        bodies: dict[str, list[dict[str, Any]]] = {}
        for case_id, body in conn.execute(select(obligations.c.case_id, obligations.c.body)
                                          .order_by(obligations.c.case_id, obligations.c.position)):
            bodies.setdefault(case_id, []).append(json.loads(body))
        by_case: dict[str, list[dict[str, Any]]] = {}
        for case_id, canonical in conn.execute(select(events.c.case_id, events.c.canonical).order_by(events.c.seq)):
            by_case.setdefault(case_id, []).append(raw_event(canonical))
    diffs: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    invalid = 0
    for case_id in sorted(set(cached) | set(by_case)):
        evs, rejected = engine.validate(by_case.get(case_id, []))
        invalid += len(rejected)
        case_obs = engine.evaluate_case(evs, at, case_id=case_id).obligations
        fresh = {oid: {"id": oid, **o.model_dump(mode="json")}
                 for o, oid in zip(case_obs, obligation_ids(engine, case_obs), strict=True)}
        counts["cases"] += 1
        counts["obligations"] += len(fresh)
        row = cached.get(case_id)
        usable = (row is not None and not row.stale and row.engine_hash == ledger.hash and row.valid_from_us is not None
                  and from_us(row.valid_from_us) <= at <= from_us(row.valid_until_us))
        if not usable:
            counts["not_cached_for_as_of"] += 1
            continue
        assert row is not None
        stored = {b["id"]: restamp(b, from_us(row.valid_from_us), at) for b in bodies.get(case_id, [])}
        counts["compared"] += 1
        for oid in sorted(set(stored) | set(fresh)):
            a, b = stored.get(oid), fresh.get(oid)
            if a == b:
                continue
            changed = sorted(k for k in set(a or {}) | set(b or {}) if (a or {}).get(k) != (b or {}).get(k))
            diffs.append({"case_id": case_id, "id": oid, "rule": (a or b or {}).get("rule"),
                          "kind": "missing" if b is None else "extra" if a is None else "changed", "fields": changed})
    return {"as_of": at.isoformat(), "cases": counts["cases"], "obligations": counts["obligations"],
            "compared_cases": counts["compared"], "not_cached_for_as_of": counts["not_cached_for_as_of"],
            "events_no_longer_valid": invalid, "differences": diffs}
