"""A stream's memory of ids stops growing in RAM, and answers exactly what a dict would.

Contract §1: 「the same id sent twice is the same event」 and §5: a resend with other content is rejected —
so a stream must remember every id it has seen, however long it runs. Past ``ids_in_memory`` ids the
memory moves to a temporary file (:class:`~fuxian_rules.engine.keymemory.KeyMemory`); these tests keep
that move invisible in every answer.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine, Ingestion
from fuxian_rules.engine.keymemory import KeyMemory

# Keys as odd as event ids may be: Chinese, empty-looking, lone surrogates (valid in JSON "\ud800").
KEYS = st.text(st.characters(codec=None, exclude_categories=()), max_size=6)
VALUES = st.one_of(st.integers(0, (1 << 128) - 1), st.text(max_size=4))


@settings(max_examples=S.examples(60))
@given(in_memory=st.integers(1, 6),
       ops=st.lists(st.tuples(st.booleans(), KEYS, VALUES), max_size=60))
def test_same_answers_as_a_dict_whatever_the_bound(in_memory: int, ops: list[tuple[bool, str, Any]]) -> None:
    """Adds and lookups in any order give a dict's answers; RAM never holds ``in_memory`` keys."""
    memory, model = KeyMemory(in_memory), {}
    try:
        for add, key, value in ops:
            assert memory.get(key) == model.get(key)
            assert (key in memory) is (key in model)
            if add and key not in model:
                memory.add(key, value)
                model[key] = value
            assert len(memory._hot) < in_memory
        assert len(memory) == len(model)
        assert memory.on_disk == len(model) - len(model) % in_memory
        assert all(memory.get(k) == v for k, v in model.items())
    finally:
        memory.close()
    assert memory.get(next(iter(model), "x")) is None and memory.on_disk == 0


def test_bound_must_be_positive() -> None:
    """A bound of 0 would move every key to disk one by one: refused."""
    with pytest.raises(ValueError, match="at least 1"):
        KeyMemory(0)


def test_ingestion_moves_ids_to_disk_and_keeps_the_rule() -> None:
    """First version wins, identical resend is a duplicate, other content is rejected — on disk too."""
    def digest(i: int) -> str:
        return hashlib.sha256(str(i).encode()).hexdigest()

    ingestion = Ingestion(in_memory=3)
    assert [ingestion.settle(f"e{i}", digest(i)) for i in range(10)] == [True] * 10
    assert ingestion.ids_on_disk == 9
    assert ingestion.settle("e0", digest(0)) is False
    conflict = ingestion.settle("e1", digest(7), line=42)
    assert not isinstance(conflict, bool) and (conflict.code, conflict.line, conflict.id) == ("id_conflict", 42, "e1")
    ingestion.close()
    assert ingestion.ids_on_disk == 0


@pytest.fixture(scope="module")
def tiny() -> Any:
    """An engine whose streams keep two ids (and two finished cases) in RAM."""
    e = Engine(backend="reference", ids_in_memory=2)
    yield e
    e.close()


def _streamed(engine: Engine, events: list[Any]) -> list[Any]:
    return [(cid, [o.model_dump(mode="json") for o in obs], [r.model_dump(mode="json") for r in rs])
            for cid, obs, rs in engine.evaluate_stream(events, "2030-01-01")]


@settings(max_examples=S.examples(25))
@given(h=S.histories(min_cases=2, max_cases=5), data=st.data())
def test_stream_with_ids_on_disk_is_the_same_stream(reference_engine: Engine, tiny: Engine, h: S.History,
                                                     data: st.DataObject) -> None:
    """The same stream output with two ids in RAM as with the default, conflicts and duplicates included.

    「区检察院应当向区行政执法机关提出检察意见」（notice:3.11）— whatever the memory, no duty is raised
    twice for a resent event, and a changed resend is rejected, never taken as a new fact.
    """
    order = [c.case_id for c in h.cases]
    grouped: list[Any] = sorted(h.events, key=lambda e: order.index(e["case_id"]))
    victim = data.draw(st.sampled_from(grouped))
    changed = dict(victim, case_id=victim["case_id"] + "-变更")
    stream = list(enumerate([*grouped, json.loads(json.dumps(victim)), changed], start=1))
    expected = _streamed(reference_engine, stream)
    assert _streamed(tiny, stream) == expected
    assert any(r["code"] == "id_conflict" for _, _, rs in expected for r in rs)


def test_reappearing_case_is_still_refused_once_on_disk(tiny: Engine) -> None:
    """A case that ended long ago (its id moved to disk) and comes back still stops the stream."""
    events = [{"id": f"ev-{i}", "type": "crime_suspected", "case_id": f"c-{i}", "occurred_at": "2025-03-01",
               "actor": "market_regulation", "data": {"agency": "market_regulation"}} for i in range(6)]
    back = {**events[0], "id": "ev-back"}
    with pytest.raises(Exception, match="not grouped by case"):
        list(tiny.evaluate_stream([*events, back], "2030-01-01"))


def test_stream_memory_deletes_what_it_moved_to_disk(tiny: Engine) -> None:
    """The memories a stream keeps (``Engine.stream_memory``) are emptied and their temporary files dropped
    when the block ends; every stream holds them in such a block, so one closed half-way drops them too."""
    with tiny.stream_memory() as (ingestion, finished):
        for i in range(5):
            ingestion.settle(f"e{i}", hashlib.sha256(bytes([i])).hexdigest())
            finished.add(f"c{i}", 0)
        assert ingestion.ids_on_disk == 4 and finished.on_disk == 4
    assert ingestion.ids_on_disk == 0 and finished.on_disk == 0 and "c1" not in finished


def test_no_room_on_disk_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No writable temporary directory (or a full disk): a stable code and what to do, never an id."""
    import sqlite3

    from fuxian_rules import RunError
    from fuxian_rules.cli import main
    from fuxian_rules.engine import keymemory

    def refuse(*_: Any, **__: Any) -> Any:
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(keymemory.sqlite3, "connect", refuse)
    ingestion = Ingestion(in_memory=1)
    with pytest.raises(RunError) as caught:
        ingestion.settle("未成年人-张三-身份证", hashlib.sha256(b"x").hexdigest())
    assert caught.value.code == "FR-RUN-002" and "TMPDIR" in (caught.value.hint or "")
    assert "张三" not in str(caught.value.to_dict())
    monkeypatch.setenv("FUXIAN_IDS_IN_MEMORY", "1")
    example = Path(__file__).resolve().parents[2] / "examples" / "history.jsonl"
    code = main(["check", str(example), "--as-of", "2025-03-31", "--stream", "--workers", "1"], out=io.StringIO())
    err = capsys.readouterr().err
    assert code == 2 and "temporary file" in err and "TMPDIR" in err and "Traceback" not in err
