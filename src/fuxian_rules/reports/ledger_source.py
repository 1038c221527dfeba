"""The ledger as the input of a report: what ``report --db`` and the service's dashboard pages count.

Two ways in, each for its reader:

* :func:`ledger_events` — every stored event in arrival order, exactly what ``ledger export`` writes. The
  command line evaluates them as ``check`` evaluates a file, so a report from the ledger equals a report
  from the exported file, number for number.
* :func:`ledger_result` — the obligations the ledger already keeps current (``Ledger.obligations``, the
  same answers as ``GET /v1/obligations``, proven equal to ``check`` by the ledger's differential tests),
  with only the triggering events read back to date each obligation. A page view then does not
  re-evaluate the district.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import select

from fuxian_rules import Event, Obligation, Result
from fuxian_rules.ledger import Filters, Ledger
from fuxian_rules.ledger.schema import events as events_table
from fuxian_rules.ledger.store import raw_event

__all__ = ["ledger_events", "ledger_result"]

_PAGE = 5000
_CHUNK = 500


def ledger_events(ledger: Ledger) -> Iterator[dict[str, object]]:
    """Every stored event in its contract §1 shape, in arrival order (what ``ledger export`` writes)."""
    with ledger.read() as conn:
        for canonical in conn.execute(select(events_table.c.canonical).order_by(events_table.c.seq)).scalars():
            yield raw_event(canonical)


def _events_by_id(ledger: Ledger, ids: Sequence[str]) -> list[Event]:
    raws: list[tuple[int, dict[str, object]]] = []
    with ledger.read() as conn:
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start:start + _CHUNK])
            stmt = select(events_table.c.seq, events_table.c.canonical).where(events_table.c.id.in_(chunk))
            raws.extend((seq, raw_event(canonical)) for seq, canonical in conn.execute(stmt).all())
    raws.sort(key=lambda pair: pair[0])
    return ledger.engine.validate([raw for _, raw in raws])[0]


def ledger_result(ledger: Ledger, at: datetime, unit: str | None = None) -> tuple[Result, list[Event]]:
    """The ledger's obligations at ``at`` (of one holder, or all) as a :class:`Result`, with their trigger events.

    The result has no rejections: the ledger stores only accepted events (its ingestion answers name the
    rejected ones when they are sent).
    """
    obligations: list[Obligation] = []
    cursor: str | None = None
    while True:
        page = ledger.obligations(at, Filters(unit=unit), limit=_PAGE, cursor=cursor)
        obligations.extend(Obligation.model_validate(body) for body in page.obligations)
        cursor = page.next_cursor
        if cursor is None:
            break
    triggers = sorted({o.triggered_by[0] for o in obligations if o.triggered_by})
    result = Result(as_of=page.as_of.isoformat(), obligations=obligations, rejected=[], receipt=page.receipt)
    return result, _events_by_id(ledger, triggers)
