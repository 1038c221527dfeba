"""The ledger answers exactly what ``fuxian-rules check`` answers, and its cache re-evaluates only when needed.

For generated histories (``strategies.histories``: several cases interleaved, duplicate deliveries),
sent to the ledger in random batches, the obligations the ledger serves at ``as_of`` equal, field for
field and in order, those of :meth:`Engine.evaluate` over the ledger's exported events — on SQLite and
on PostgreSQL. The example history (every clause area, yearly duties included) is queried at a run of
instants, forwards and backwards across due dates and year boundaries.
"""

from __future__ import annotations

import io
import json
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

import strategies as S
from fuxian_rules import Engine, parse_as_of
from fuxian_rules.ledger import Filters, Ledger
from fuxian_rules.ledger.ops import export_jsonl
from fuxian_rules.ledger.schema import case_results
from fuxian_rules.ledger.timing import from_us
from ledger_support import cli, postgres_url

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "history.jsonl"


def _served(ledger: Ledger, at: Any, limit: int = 100_000) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = ledger.obligations(at, Filters(), limit=limit, cursor=cursor)
        out.extend({k: v for k, v in o.items() if k != "id"} for o in page.obligations)
        cursor = page.next_cursor
        if cursor is None:
            return out


def _exported(ledger: Ledger) -> list[dict[str, Any]]:
    buf = io.StringIO()
    export_jsonl(ledger, buf)
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def _fresh(engine: Engine, events: list[dict[str, Any]], at: Any) -> list[dict[str, Any]]:
    return [o.model_dump(mode="json") for o in engine.evaluate(events, at).obligations]


def _url(kind: str, tmp: str) -> str:
    return f"sqlite:///{tmp}/l.sqlite3" if kind == "sqlite" else postgres_url()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_generated_histories_equal_check(kind: str, ref_engine: Engine) -> None:
    @settings(max_examples=S.examples(12))
    @given(h=S.histories(max_cases=4), data=st.data())
    def prop(h: S.History, data: st.DataObject) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            ledger = Ledger(_url(kind, tmp), ref_engine)
            events = h.events
            cuts = sorted(data.draw(st.lists(st.integers(0, len(events)), max_size=4)))
            for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True):
                ledger.ingest(events[a:b])
            stored = _exported(ledger)
            assert sorted(e["id"] for e in stored) == sorted({e["id"] for e in events})
            for _ in range(3):  # several instants, in drawn order: the cache moves forwards and backwards
                text, _at = data.draw(S.as_of_for(h))
                at = parse_as_of(text)
                assert _served(ledger, at, limit=data.draw(st.sampled_from([3, 1000]))) == _fresh(ref_engine, stored, at)
            ledger.close()

    prop()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_example_history_across_due_dates_and_years(kind: str, ref_engine: Engine, tmp_path: Path) -> None:
    ledger = Ledger(_url(kind, str(tmp_path)), ref_engine)
    raw = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    ledger.ingest(raw)
    for text in ["2024-03-01", "2024-06-30", "2024-12-31", "2025-01-01T00:00:00.000001+08:00", "2025-03-31",
                 "2025-03-31T12:00:00+08:00", "2024-09-15", "2026-02-01", "2025-03-31"]:
        at = parse_as_of(text)
        assert _served(ledger, at) == _fresh(ref_engine, raw, at), text
    ledger.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_read_inside_the_window_does_not_re_evaluate(kind: str, ref_engine: Engine, tmp_path: Path) -> None:
    ledger = Ledger(_url(kind, str(tmp_path)), ref_engine)
    raw = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    ledger.ingest(raw)
    t0 = parse_as_of("2024-10-08T09:00:00+08:00")
    assert ledger.refresh(t0) > 0
    with ledger.read() as conn:
        first_change = from_us(conn.execute(select(func.min(case_results.c.valid_until_us))).scalar())
    assert first_change > t0
    # Inside the window: nothing is re-evaluated, and the answer is still exactly check's.
    mid = t0 + (first_change - t0) / 2
    for at in (t0, mid, first_change):
        assert ledger.refresh(at) == 0
        assert _served(ledger, at) == _fresh(ref_engine, raw, at)
    # One microsecond later some result can change: those cases (only those) are re-evaluated.
    after = first_change + timedelta(microseconds=1)
    assert ledger.refresh(after) >= 1
    assert _served(ledger, after) == _fresh(ref_engine, raw, after)
    # New events make their case stale; a read re-evaluates that case only.
    extra = {"id": "late-1", "type": "crime_suspected", "case_id": "XZ-NEW-1", "occurred_at": "2024-10-09",
             "actor": "market_regulation", "data": {"agency": "market_regulation"}}
    ledger.ingest([extra])
    assert ledger.refresh(after) == 1
    assert _served(ledger, after) == _fresh(ref_engine, [*raw, extra], after)
    ledger.close()


def test_served_equals_the_check_command(ref_engine: Engine, tmp_path: Path) -> None:
    """The real ``fuxian-rules check --format json`` on the ledger's own export."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.sqlite3'}", ref_engine)
    raw = [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    ledger.ingest(raw[::-1])  # arrival order differs from the file's
    out = tmp_path / "export.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        export_jsonl(ledger, fh)
    proc = subprocess.run([cli(), "check", str(out), "--as-of", "2025-03-31", "--format", "json",
                           "--backend", "reference"], capture_output=True, text=True, check=True)
    assert _served(ledger, parse_as_of("2025-03-31")) == json.loads(proc.stdout)["obligations"]
    ledger.close()
