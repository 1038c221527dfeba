"""Every core of one machine: evaluation partitioned by case over worker processes.

Cases are independent (the per-case contract, :meth:`fuxian_rules.Engine.evaluate_case`), so a batch
can be spread over processes — but event ids are not scoped to a case, so the one ingestion rule (first
valid version of an id wins, an identical resend is a duplicate, a later different version is rejected;
:class:`fuxian_rules.Ingestion`) must see every event in input order before anything is partitioned.
The flow, in three steps:

1. **Validate, in parallel, in input order.** The input is cut into chunks; a worker parses and
   validates each chunk (the same :class:`~fuxian_rules.Engine` reader as one process), writes the valid
   events to a spill file grouped by *bucket* (CRC-32 of the case id — stable across processes, unlike
   ``hash()``), and beside them one summary per event (line, id, content digest) grouped by *id bucket*
   (the same hash of the event id). Then each id bucket is settled by a worker: its summaries, chunk
   after chunk in input order, go through one :class:`~fuxian_rules.Ingestion` — the same class batch,
   streaming and the ledger use — which says which events are duplicates or conflicting versions
   (rejected, named by line). Every version of an id lands in the same id bucket, so this is the rule
   over the whole input, and no process ever holds every id: the parent never parses, validates or
   remembers an event; it keeps where the spills are and what the rule dropped.
2. **Evaluate, in parallel, bucket by bucket.** A worker reads one bucket's events back (restored as
   the reader accepted them, not validated twice: :meth:`~fuxian_rules.model.events.EventReader.restore`),
   drops the refused ones, and evaluates each of its cases once with ``evaluate_case``; every scheduled case
   (the yearly duties) belongs to exactly one bucket by the same hash, so it is evaluated exactly once.
   Obligations are written as the JSON text the caller will print (each case a header line of byte
   lengths, then the texts as they are), never pickled as objects.
3. **Merge.** Each bucket's results are sorted by case id; the parent merges them (``heapq.merge``)
   into the order :meth:`~fuxian_rules.Engine.evaluate` produces.

Memory: the parent keeps the rejections, the dropped events' numbers, the chunks in flight and one
``(file, offset, length)`` per chunk and bucket; a worker holds one bucket (of cases, or of ids) at a
time, so more buckets keep workers flat (the CLI picks their number from the input's size). Worker
processes are started with the ``spawn`` method and each builds its engine once (about a second with
the imports): small inputs are faster in one process.

With ``in_process=True`` the same three steps run in the calling process, one task after another: a
batch then sorts and groups externally (the spill files) in one process, so its memory stays flat in the
number of cases as a stream's does, where holding every case until the end would grow with the input.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

from fuxian_rules import Obligation, Receipt, Rejection, Result, parse_as_of
from fuxian_rules.engine.limits import MAX_REJECTIONS

from . import _worker

__all__ = ["PartitionedEvaluator", "PartitionedRun", "default_workers", "evaluate_partitioned"]


def default_workers() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class PartitionedRun:
    """One partitioned evaluation in progress: rejections and receipt known, obligations streamed.

    Attributes:
        as_of: The ``as_of`` instant, ISO text (as in :class:`~fuxian_rules.Result`).
        rejected: Every rejection, sorted as :meth:`~fuxian_rules.Engine.validate` sorts them.
        receipt: The receipt, identical to one process's.
        cases: ``(case_id, [rendered obligation, …])`` in case-id order, read lazily from disk.
    """

    as_of: str
    rejected: list[Rejection]
    receipt: Receipt
    cases: Iterator[tuple[str, list[str]]]


class PartitionedEvaluator:
    """A pool of worker processes, each with its own engine, evaluating batches partitioned by case.

    Args:
        engine_args: Keyword arguments of :class:`~fuxian_rules.Engine` (``rules``, ``policy``,
            ``calendars``, ``backend``); every worker builds its engine from them, once.
        workers: Number of worker processes (default: the number of cores).
        buckets: Number of case buckets (default: 8 per worker); more buckets, less memory per task.
        chunk: Events per validation task.
        in_process: Run every task in this process, in turn (``workers`` is then 1): external grouping
            in flat memory, without starting processes.
    """

    def __init__(self, engine_args: dict[str, Any], workers: int | None = None, *, buckets: int | None = None,
                 chunk: int = 2000, in_process: bool = False) -> None:
        self.workers = 1 if in_process else (workers or default_workers())
        self.buckets = buckets or 8 * self.workers
        self.chunk = chunk
        self._pool: Executor
        if in_process:
            self._pool = _InlineExecutor(dict(engine_args))
        else:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"),
                                             initializer=_worker.init_worker, initargs=(dict(engine_args), True))

    def __enter__(self) -> PartitionedEvaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def evaluate(self, events: Iterable[Any], as_of: str | date | datetime) -> Result:
        """Evaluate like :meth:`fuxian_rules.Engine.evaluate` (same result, same order), on every worker."""
        with self.run(events, as_of, style="model") as run:
            obligations = [Obligation.model_validate_json(text) for _, texts in run.cases for text in texts]
            return Result(as_of=run.as_of, obligations=obligations, rejected=run.rejected[:MAX_REJECTIONS],
                            rejected_total=len(run.rejected), receipt=run.receipt)

    def evaluate_file(self, path: str | Path, as_of: str | date | datetime, *, style: str = "model"
                      ) -> AbstractContextManager[PartitionedRun]:
        """Like :meth:`run` over a JSON Lines file; lines are parsed in the workers (a context manager)."""
        return self.run(_file_lines(path, self.chunk), as_of, style=style, raw=True)

    @contextmanager
    def run(self, events: Iterable[Any], as_of: str | date | datetime, *, style: str = "model", raw: bool = False
            ) -> Iterator[PartitionedRun]:
        """Evaluate, yielding a :class:`PartitionedRun` whose obligations are read as the caller goes.

        Args:
            events: Dicts, :class:`~fuxian_rules.Event` objects or ``(line, obj)`` pairs; with ``raw``,
                ``(first_line, [line bytes, …])`` chunks of a JSON Lines file.
            as_of: An instant, or a date meaning the end of that day (CST).
            style: How obligations are rendered (``model``, ``indent`` or ``line``; see
                :func:`fuxian_rules.parallel._worker.render`).
            raw: ``events`` are chunks of raw lines (parsed by the workers, as ``read_jsonl`` does).
        """
        at = parse_as_of(as_of)
        receipt_data, scheduled = self._pool.submit(_worker.worker_info, at).result()
        tmp = tempfile.mkdtemp(prefix="fuxian-partitioned-")
        try:
            rejected, parts, dropped = self._validate(events, tmp, raw)
            by_bucket: dict[int, list[str]] = defaultdict(list)
            for case_id in scheduled:
                by_bucket[_worker.bucket_of(case_id, self.buckets)].append(case_id)
            futures = [self._pool.submit(_worker.evaluate_bucket, b, parts.get(b, []), frozenset(dropped.get(b, ())),
                                         at, by_bucket.get(b, []), style, os.path.join(tmp, f"out-{b}.records"))
                       for b in sorted(set(parts) | set(by_bucket))]
            notes: set[str] = set()
            outputs = []
            for fut in futures:
                bucket, bucket_notes, _ = fut.result()
                notes.update(bucket_notes)
                outputs.append(os.path.join(tmp, f"out-{bucket}.records"))
            note = "; ".join(sorted(notes)) or None
            base = Receipt.model_validate(receipt_data)
            receipt = base.model_copy(update={
                "backend_note": "; ".join(n for n in (base.backend_note, note) if n) or None})
            merged = heapq.merge(*(_worker.iter_records(p) for p in outputs), key=lambda rec: rec[0])
            yield PartitionedRun(at.isoformat(), rejected, receipt, merged)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _validate(self, events: Iterable[Any], tmp: str, raw: bool
                  ) -> tuple[list[Rejection], dict[int, list[tuple[str, int, int]]], dict[int, set[int]]]:
        """Step 1: chunks validated by the workers; then the one ingestion rule, per id bucket, in input order."""
        rejected: list[Rejection] = []
        parts: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        id_parts: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        dropped: dict[int, set[int]] = defaultdict(set)
        chunks = iter(events) if raw else _chunks(events, self.chunk)
        window: list[tuple[str, Future[Any]]] = []
        seq = 0

        def collect(spill: str, fut: Future[Any]) -> None:  # called in chunk order: parts stay in input order
            refusals, where, id_where = fut.result()
            for bucket, (offset, length) in where.items():
                parts[bucket].append((spill, offset, length))
            for bucket, (offset, length) in id_where.items():
                id_parts[bucket].append((spill, offset, length))
            rejected.extend(r for _, r in refusals)

        for n, (first_line, items) in enumerate(chunks):
            spill = os.path.join(tmp, f"in-{n}.spill")
            window.append((spill, self._pool.submit(_worker.validate_chunk, seq, first_line if raw else None,
                                                    items, self.buckets, spill)))
            seq += len(items)
            if len(window) >= 2 * self.workers + 1:  # bounded: a few chunks in flight, applied in order
                collect(*window.pop(0))
        for spill, fut in window:
            collect(spill, fut)
        # Every version of an id hashes to the same id bucket: each bucket settles its ids alone, so the
        # ids are never all held in one process (the parent keeps only what the rule drops).
        for fut in [self._pool.submit(_worker.settle_ids, id_parts[b]) for b in sorted(id_parts)]:
            settled, conflicts = fut.result()
            for bucket, s_seq in settled:
                dropped[bucket].add(s_seq)
            rejected.extend(conflicts)
        rejected.sort(key=lambda r: (r.line is None, r.line or 0, r.id or "", r.message))
        return rejected, parts, dropped


class _InlineExecutor(Executor):
    """The tasks of a partitioned run, each run to completion as it is submitted, in this process."""

    def __init__(self, engine_args: dict[str, Any]) -> None:
        _worker.init_worker(engine_args)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool does
            fut.set_exception(exc)
        return fut

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        _worker.close_worker()


def _chunks(events: Iterable[Any], size: int) -> Iterator[tuple[int | None, list[Any]]]:
    it = iter(events)
    while batch := list(islice(it, size)):
        yield None, batch


def _file_lines(path: str | Path, size: int = 2000) -> Iterator[tuple[int, list[bytes]]]:
    """A JSON Lines file as ``(first line number, [raw lines])`` chunks (lines are parsed in workers)."""
    with open(path, "rb") as fh:
        first = 1
        while batch := list(islice(fh, size)):
            yield first, batch
            first += len(batch)


def evaluate_partitioned(engine_args: dict[str, Any], events: Iterable[Any], as_of: str | date | datetime,
                         workers: int | None = None) -> Result:
    """Evaluate like :meth:`fuxian_rules.Engine.evaluate`, partitioned by case over worker processes.

    Args:
        engine_args: Keyword arguments of :class:`~fuxian_rules.Engine` for the workers' engines.
        events: Dicts shaped like contract §1, :class:`~fuxian_rules.Event` objects or ``(line, obj)``.
        as_of: An instant, or a date meaning the end of that day (CST).
        workers: Number of processes (default: the number of cores).

    Returns:
        The same :class:`~fuxian_rules.Result` as one process gives (obligations, rejections, receipt).
    """
    with PartitionedEvaluator(engine_args, workers) as evaluator:
        return evaluator.evaluate(events, as_of)


def write_json(run: PartitionedRun, out: IO[str], on_case: Callable[[int], None] | None = None) -> None:
    """Write a run exactly as ``check --format json`` prints a :class:`~fuxian_rules.Result` (style ``indent``)."""

    def nested(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  ")

    out.write('{\n  "as_of": ' + json.dumps(run.as_of, ensure_ascii=False) + ',\n  "obligations": ')
    first = True
    for _, texts in run.cases:
        for text in texts:
            out.write(("[\n" if first else ",\n") + text)
            first = False
        if on_case is not None:
            on_case(len(texts))
    out.write("[]" if first else "\n  ]")
    kept = run.rejected[:MAX_REJECTIONS]  # as one process keeps them (Engine(max_rejections=…) default)
    out.write(',\n  "rejected": ' + nested([r.model_dump(mode="json") for r in kept]))
    out.write(',\n  "receipt": ' + nested(run.receipt.model_dump(mode="json")))
    out.write(f',\n  "rejected_total": {len(run.rejected)}\n}}\n')
