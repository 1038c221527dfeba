"""Partitioned evaluation (``Engine.evaluate_partitioned``, ``check --workers``) ≡ one process.

Differential: the same generated histories — several cases interleaved, duplicate deliveries, events
of the yearly duties' case (joint-meeting), tasks with date fields, malformed lines and the same id sent
again with other content in another case — evaluated by one process and by worker processes must give
equal results: obligations in the same order, the same rejections (named by line), the same receipt.
Chunks and buckets are made tiny so that one history crosses several of each.
"""

from __future__ import annotations

import io
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuxian_rules import Engine, Obligation, Result
from fuxian_rules.cli import main
from fuxian_rules.parallel import PartitionedEvaluator
from fuxian_rules.parallel.cli import SMALL_INPUT
from strategies import as_of_for, examples, histories, joint_meetings, malformed_lines, task_cases

ENGINE_ARGS: dict[str, Any] = {"backend": "auto"}


@pytest.fixture(scope="module")
def one() -> Iterator[Engine]:
    engine = Engine(**ENGINE_ARGS)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def pool() -> Iterator[PartitionedEvaluator]:
    with PartitionedEvaluator(ENGINE_ARGS, workers=2, buckets=3, chunk=5) as evaluator:
        yield evaluator


@st.composite
def inputs(draw: st.DrawFn) -> tuple[list[bytes], str]:
    """JSON Lines of a generated history with yearly-duty events, tasks, bad lines and conflicting ids."""
    history = draw(histories(max_cases=3))
    events: list[dict[str, Any]] = list(history.events)
    events += draw(joint_meetings(first_year=2024, last_year=2025))
    if draw(st.booleans()):
        events += draw(task_cases(case_id="task:7")).events
    if events and draw(st.booleans()):  # the same id again, other content, in another case
        clash = dict(draw(st.sampled_from(events)))
        clash["case_id"] = "clash-" + str(clash["case_id"])
        events.append(clash)
    lines = [json.dumps(e, ensure_ascii=False).encode("utf-8") for e in events]
    lines += [bad.raw for bad in draw(st.lists(malformed_lines(), max_size=3))]
    lines += [b""] * draw(st.integers(0, 2))  # blank lines still count in line numbers
    lines = draw(st.permutations(lines))
    as_of, _ = draw(as_of_for(history))
    return lines, as_of


@settings(max_examples=examples(25))
@given(data=inputs())
def test_partitioned_equals_one_process(one: Engine, pool: PartitionedEvaluator, data: tuple[list[bytes], str],
                                        tmp_path_factory: pytest.TempPathFactory) -> None:
    lines, as_of = data
    path = tmp_path_factory.mktemp("p") / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    expected = one.evaluate_file(path, as_of)
    with pool.evaluate_file(path, as_of) as run:
        obligations = [Obligation.model_validate_json(t) for _, texts in run.cases for t in texts]
        got = Result(as_of=run.as_of, obligations=obligations, rejected=run.rejected, receipt=run.receipt,
                     rejected_total=len(run.rejected))
    assert got == expected
    # The object API (dicts in input order, no line numbers) agrees too.
    objects = [json.loads(x) for x in lines if x.strip() and x.startswith(b"{") and _parses(x)]
    assert pool.evaluate(objects, as_of) == one.evaluate(objects, as_of)


def _case_of(line: bytes) -> str:
    """The case id of a line that is an event object, else "" (bad lines sort first)."""
    if not _parses(line):
        return ""
    case_id = json.loads(line).get("case_id")
    return case_id if isinstance(case_id, str) else ""


def _parses(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):  # a malformed line, or one nested too deeply (rejected as too_deep)
        return False


def test_yearly_duties_evaluated_once(one: Engine, pool: PartitionedEvaluator) -> None:
    """With no events at all, the scheduled case is evaluated once: its obligations appear once."""
    expected = one.evaluate([], "2026-12-31")
    got = pool.evaluate([], "2026-12-31")
    assert expected.obligations, "the joint meeting's yearly duties arise without events"
    assert got == expected


def test_engine_method_delegates(one: Engine) -> None:
    rng = random.Random(3)
    events = [{"id": f"e{k}", "type": "crime_suspected", "case_id": f"C{rng.randrange(5)}",
               "occurred_at": f"2024-0{rng.randrange(3, 9)}-1{rng.randrange(0, 9)}",
               "data": {"agency": "market_regulation"}} for k in range(20)]
    assert one.evaluate_partitioned(events, "2024-12-31", workers=2) == one.evaluate(events, "2024-12-31")


# ---- the command line: byte for byte what one process prints ----------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture(scope="module")
def mixed_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The example history and the example bad events in one file, shuffled (not grouped by case)."""
    lines = [x for name in ("history.jsonl", "bad-events.jsonl")
             for x in (EXAMPLES / name).read_text(encoding="utf-8").splitlines()]
    random.Random(5).shuffle(lines)
    path = tmp_path_factory.mktemp("cli") / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_check_workers_prints_the_same(mixed_file: str, fmt: str) -> None:
    common = ("check", mixed_file, "--as-of", "2025-03-31", "--format", fmt, "--backend", "reference")
    code1, out1 = _run(*common, "--workers", "1")
    code2, out2 = _run(*common, "--workers", "2")
    assert code1 == 1, "the bad events are rejected (exit status 1)"
    assert (code2, out2) == (code1, out1)
    if fmt == "json":
        assert json.loads(out2)["rejected"]


def test_check_stream_workers_prints_the_same() -> None:
    common = ("check", str(EXAMPLES / "history.jsonl"), "--as-of", "2025-03-31", "--stream", "--backend", "reference")
    code1, out1 = _run(*common, "--workers", "1")
    code2, out2 = _run(*common, "--workers", "2")
    assert out1.count('{"obligation"') > 1
    assert (code2, out2) == (code1, out1)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_stream_with_ids_on_disk_prints_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 workers: str) -> None:
    """``FUXIAN_IDS_IN_MEMORY=1``: every id and finished case goes to disk; not one output byte changes.

    The resend of the first event is a duplicate and its changed version is rejected (contract §1, §5),
    although that id left RAM long before.
    """
    lines = (EXAMPLES / "history.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    lines += [lines[0], json.dumps(dict(first, occurred_at="2024-03-05T09:30:00+08:00"), ensure_ascii=False)]
    path = tmp_path / "grouped.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    common = ("check", str(path), "--as-of", "2025-03-31", "--stream", "--backend", "reference", "--workers", workers)
    code, out = _run(*common)
    monkeypatch.setenv("FUXIAN_IDS_IN_MEMORY", "1")
    assert _run(*common) == (code, out)
    assert code == 1 and out.count('"id_conflict"') == 1 and out.count('{"obligation"') > 1


def test_workers_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "x.jsonl", "--as-of", "2025-03-31", "--workers", "0"])
    assert "at least 1" in capsys.readouterr().err


@settings(max_examples=examples(100))
@given(texts=st.lists(st.text(), min_size=6, max_size=6), flag=st.booleans())
def test_fast_indent_rendering_is_json_dumps(texts: list[str], flag: bool) -> None:
    """The Rust writer used for ``check --format json`` items prints what ``json.dumps`` prints, for any text."""
    from fuxian_rules.parallel._worker import render

    o = Obligation(rule=texts[0], case_id=texts[1], holder=texts[2], holder_name=texts[3], modality="obligation",
                   status="open", due=None if flag else texts[4], due_provisional=flag, policy_terms=texts[:2],
                   basis=[texts[5]], triggered_by=texts[3:], closed_by=[], title=texts[4], explanation=texts[5])
    expected = json.dumps(o.model_dump(mode="json"), ensure_ascii=False, indent=2)
    assert render(o, "indent") == "\n".join("    " + ln for ln in expected.split("\n"))


def test_bad_catalogue_is_a_clean_error(mixed_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A catalogue the workers cannot load: exit status 2 and the loader's message, as with one process."""
    code = main(["check", mixed_file, "--as-of", "2025-03-31", "--workers", "2", "--rules", str(tmp_path)])
    assert code == 2
    assert "vocabulary.yaml" in capsys.readouterr().err


# ---- one process, grouped externally (flat memory): the same bytes as holding every case -------------------

@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Over 1 MiB: the district example ten times under other ids, with the bad events, shuffled."""
    district = (EXAMPLES / "district-2024.jsonl").read_text(encoding="utf-8").splitlines()
    lines = [x for x in (EXAMPLES / "bad-events.jsonl").read_text(encoding="utf-8").splitlines()]
    for copy in range(12):
        for text in district:
            if not text.strip():
                continue
            ev = json.loads(text)
            ev["id"], ev["case_id"] = f"x{copy}-{ev['id']}", f"x{copy}-{ev['case_id']}"
            lines.append(json.dumps(ev, ensure_ascii=False))
    lines.append(lines[-1])  # an identical resend: a duplicate
    random.Random(9).shuffle(lines)
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert path.stat().st_size > SMALL_INPUT
    return str(path)


def test_one_process_batch_groups_externally_with_the_same_bytes(big_file: str) -> None:
    """``check --workers 1`` on a big file takes the spill-file path; it prints what holding every case prints."""
    from fuxian_rules.cli.check import run_check

    with Engine(backend="reference") as engine:
        held = io.StringIO()
        held_code = run_check(engine, big_file, "2024-12-31", "json", False, held)
    calls: list[bool] = []
    real = PartitionedEvaluator.__init__

    def spy(self: PartitionedEvaluator, *args: Any, **kwargs: Any) -> None:
        calls.append(bool(kwargs.get("in_process")))
        real(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(PartitionedEvaluator, "__init__", spy)
        code, out = _run("check", big_file, "--as-of", "2024-12-31", "--format", "json", "--backend", "reference",
                         "--workers", "1")
    assert calls == [True], "a one-process batch over 1 MiB is grouped through spill files"
    assert (code, out) == (held_code, held.getvalue())
    assert code == 1 and len(json.loads(out)["obligations"]) > 1000


def test_in_process_evaluator_equals_one_process(one: Engine) -> None:
    lines = (EXAMPLES / "history.jsonl").read_bytes().splitlines()
    with PartitionedEvaluator(ENGINE_ARGS, in_process=True, buckets=4, chunk=7) as inline:
        assert inline.workers == 1
        events = [json.loads(x) for x in lines if x.strip()]
        assert inline.evaluate(events, "2025-03-31") == one.evaluate(events, "2025-03-31")


@pytest.mark.parametrize("stream", [False, True])
def test_standard_input_with_workers_is_read_by_one_process(mixed_file: str, stream: bool,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """``-`` cannot be read twice or measured: with ``--workers 2`` it is checked as one process checks it."""
    common = ["check", "--as-of", "2025-03-31", "--format", "json", "--backend", "reference"]
    common += ["--stream"] if stream else []
    data = Path(mixed_file).read_bytes()
    if stream:  # streaming needs input grouped by case
        data = b"\n".join(sorted(data.splitlines(), key=_case_of)) + b"\n"
    runs = []
    for workers in ("1", "2"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        runs.append(_run(common[0], "-", *common[1:], "--workers", workers))
    assert runs[0] == runs[1] and runs[0][1]


ODD_TEXT = st.one_of(st.characters(), st.sampled_from(["\ud800", "\udfff", "\n", "\r", "中", "\x00"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.lists(st.text(ODD_TEXT, max_size=40), max_size=4)), max_size=6))
def test_result_records_give_back_every_text_unchanged(tmp_path_factory: pytest.TempPathFactory,
                                                      cases: list[tuple[str, list[str]]]) -> None:
    """Case records carry their texts raw (no second escaping); any string — newlines, Chinese, lone
    surrogates — comes back exactly, case by case."""
    from fuxian_rules.parallel import _worker

    path = tmp_path_factory.mktemp("records") / "bucket.out"
    with open(path, "wb") as fh:
        for case_id, texts in cases:
            fh.write(_worker._record(case_id, texts))
    assert list(_worker.iter_records(str(path))) == cases


def test_worker_processes_freeze_what_they_built(pool: PartitionedEvaluator) -> None:
    """A worker process's heap is ours: its engine is moved out of the cyclic collector's reach."""
    import gc

    pool.evaluate([], "2025-03-31")  # the workers have started and built their engines
    assert pool._pool.submit(gc.get_freeze_count).result() > 10_000


def test_an_id_bucket_is_settled_in_input_order_across_chunks(tmp_path: Path) -> None:
    """settle_ids applies the one ingestion rule to one id bucket's summaries, chunk after chunk: the first
    version of an id wins wherever it was, a resend is dropped, another version is rejected at its line."""
    from fuxian_rules.parallel import _worker

    first = tmp_path / "in-0"
    second = tmp_path / "in-1"
    first.write_bytes(b"0\t1\t3\t" + b"a" * 64 + b"\te1\n" + b"1\t\t0\t" + b"b" * 64 + b"\te2\n")
    second.write_bytes(b"junk" + b"7\t9\t2\t" + b"a" * 64 + b"\te1\n" + b"8\t10\t5\t" + b"c" * 64 + b"\te2\n")
    dropped, conflicts = _worker.settle_ids([(str(first), 0, first.stat().st_size), (str(second), 4, 74 + 75)])
    assert dropped == [(2, 7), (5, 8)]  # (case bucket, sequence number) of the resend and the other version
    assert [(r.id, r.line, r.code) for r in conflicts] == [("e2", 10, "id_conflict")]
