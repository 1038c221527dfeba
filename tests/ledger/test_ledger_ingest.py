"""Ingestion into the ledger: the engine's one rule, durable, on SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from sqlalchemy import func, select

from fuxian_rules import Engine
from fuxian_rules.ledger import Ledger
from fuxian_rules.ledger.schema import audit, events

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "history.jsonl"


def _history() -> list[dict]:
    return [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _stored(ledger: Ledger) -> dict[str, str]:
    with ledger.read() as conn:
        return dict(conn.execute(select(events.c.id, events.c.digest)).all())


def test_batch_with_bad_events_stores_the_good_ones_and_names_each_bad_one(db_url: str, ref_engine: Engine) -> None:
    ledger = Ledger(db_url, ref_engine)
    good = _history()[:5]
    bad_type = {**good[0], "id": "bad-1", "type": "no_such_type"}
    unknown_field = {**good[1], "id": "bad-2", "colour": "red"}
    no_id = {k: v for k, v in good[2].items() if k != "id"}
    conflict = {**good[3], "occurred_at": "2024-01-01"}  # same id as good[3], other content, later in the batch
    report = ledger.ingest([*good, bad_type, unknown_field, no_id, conflict])
    assert report.accepted == 5
    assert report.duplicates == 0
    got = {(b.index, b.id, b.field, b.code) for b in report.rejected}
    # "colour" is no word of the vocabulary, so its name is not repeated (a key a caller invents may be personal data)
    assert got == {(5, "bad-1", "type", "invalid_event"), (6, "bad-2", None, "invalid_event"),
                   (7, None, "id", "invalid_event"), (8, good[3]["id"], "id", "id_conflict")}
    assert all(b.message for b in report.rejected)
    assert set(_stored(ledger)) == {e["id"] for e in good}
    ledger.close()


def test_the_same_request_twice_changes_nothing_the_second_time(db_url: str, ref_engine: Engine) -> None:
    ledger = Ledger(db_url, ref_engine)
    batch = _history()
    first = ledger.ingest(batch)
    before = _stored(ledger)
    second = ledger.ingest(batch)
    assert first.accepted == len({e["id"] for e in batch}) and not first.rejected
    assert second.accepted == 0 and second.duplicates == len(batch) and not second.rejected
    assert _stored(ledger) == before
    # A later, different version of a stored id is rejected and the first one kept.
    changed = {**batch[0], "actor": "finance"}
    third = ledger.ingest([changed])
    assert [(b.index, b.id, b.field, b.code) for b in third.rejected] == [(0, batch[0]["id"], "id", "id_conflict")]
    assert _stored(ledger) == before
    with ledger.read() as conn:
        assert conn.execute(select(func.count()).select_from(audit).where(audit.c.action == "events.write")).scalar() == 3
        texts = " ".join(conn.execute(select(audit.c.what)).scalars())
    assert "person_id" not in texts and "data" not in texts  # counts and case ids only, never event data
    ledger.close()


def test_concurrent_writers_of_overlapping_batches_store_each_event_once(db_url: str, ref_engine: Engine) -> None:
    history = _history()
    ledger = Ledger(db_url, ref_engine)
    reports = []
    errors: list[BaseException] = []

    def client(k: int) -> None:
        try:
            # every client sends all events, in its own order and batch size: maximal overlap
            order = history[k:] + history[:k]
            for i in range(0, len(order), 7 + k):
                reports.append(ledger.ingest(order[i:i + 7 + k]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert sum(r.accepted for r in reports) == len(history)
    assert sum(r.duplicates for r in reports) == 5 * len(history)
    assert not any(r.rejected for r in reports)
    one = Ledger(db_url.replace("ledger.sqlite3", "one.sqlite3"), ref_engine) if db_url.startswith("sqlite") else None
    if one is not None:
        one.ingest(history)
        assert _stored(one) == _stored(ledger)
        one.close()
    assert len(_stored(ledger)) == len(history)
    ledger.close()
