"""``check --workers N``: the command line's batch and streaming checks on every core.

Hooked into ``fuxian-rules check`` by two lines of the CLI module. Without ``--workers`` the number of
cores is used, except for inputs under :data:`SMALL_INPUT` bytes, where starting worker processes (each
builds its engine: seconds) costs more than it saves; ``--workers 1`` is the one-process path. The output
is byte for byte what one process prints: the same JSON document (``--format json``), the same table, or
(``--stream``) the same JSON Lines in the same order.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TextIO

from fuxian_rules import Engine, Ingestion, Obligation, Rejection, Result, parse_as_of, read_jsonl
from fuxian_rules.engine.keymemory import KeyMemory
from fuxian_rules.engine.limits import MAX_REJECTIONS, freeze_long_lived
from fuxian_rules.settings import settings_from_args

from . import PartitionedEvaluator, _worker, default_workers, write_json

__all__ = ["SMALL_INPUT", "add_workers_option", "maybe_check_partitioned"]

#: Below this input size (bytes, about 4,000 events) the default is one process.
SMALL_INPUT = 1 << 20
#: From this input size a one-process JSON batch groups cases through spill files (flat memory) instead
#: of holding every accepted line until the end.
EXTERNAL_GROUPING = SMALL_INPUT
#: Input bytes per case bucket of a batch: a worker holds one bucket's events at a time.
BUCKET_BYTES = 4 << 20
#: At most this many buckets (the merge keeps one file open per bucket).
MAX_BUCKETS = 512
#: Cases per task of a streaming check.
STREAM_CASES = 200


def add_workers_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--workers`` to the ``check`` parser."""
    parser.add_argument("--workers", type=_at_least_one, default=None, metavar="N",
                        help="worker processes, partitioned by case (default: the number of cores; "
                             "1 = one process; inputs under 1 MiB use one process unless N is given)")


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _workers(args: argparse.Namespace) -> int:
    if args.workers is not None:
        return int(args.workers)
    try:
        if os.path.getsize(args.events) < SMALL_INPUT:
            return 1
    except OSError:
        return 1  # the one-process path reports the missing file as usual
    return default_workers()


def _engine_args(args: argparse.Namespace) -> dict[str, Any]:
    kwargs = settings_from_args(args).engine_kwargs()
    return {**kwargs, "calendars": tuple(kwargs["calendars"] or ()), "areas": tuple(kwargs["areas"] or ())}


def maybe_check_partitioned(args: argparse.Namespace, out: TextIO,
                            print_result: Callable[[Result, str, TextIO], None]) -> int | None:
    """Run ``check`` on several processes, or return None to let the one-process path run it."""
    workers = _workers(args)
    if args.events == "-":
        return None  # standard input is read once, in input order, by the one-process path
    if args.stream and workers > 1:
        return _check_stream(args, workers, out)
    if args.stream:
        return None
    try:
        size = os.path.getsize(args.events)
    except OSError:
        return None  # the one-process path reports the missing file as usual
    # One process: a batch at least EXTERNAL_GROUPING bytes big is grouped through spill files, in flat memory.
    in_process = workers == 1
    if in_process and (size < EXTERNAL_GROUPING or args.format != "json"):
        return None
    # Workers hold one bucket at a time, the parent one (file, offset) per chunk and bucket, and the merge
    # opens one file per bucket: buckets grow with the input up to a file-handle budget, chunks beyond it.
    buckets = min(MAX_BUCKETS, max(8 * workers, size // BUCKET_BYTES))
    chunk = min(50_000, max(2_000, size // 250 // 1_000))
    with PartitionedEvaluator(_engine_args(args), workers, buckets=buckets, chunk=chunk,
                              in_process=in_process) as evaluator:
        if in_process and getattr(args, "own_process", False):
            freeze_long_lived()  # the engine was built in this process (see cli.commands.main)
        if args.format == "json":
            with evaluator.evaluate_file(args.events, args.as_of, style="indent") as run:
                write_json(run, out)
                return 1 if run.rejected else 0
        with evaluator.evaluate_file(args.events, args.as_of) as run:
            obligations = [Obligation.model_validate_json(t) for _, texts in run.cases for t in texts]
            result = Result(as_of=run.as_of, obligations=obligations, rejected=run.rejected[:MAX_REJECTIONS],
                            rejected_total=len(run.rejected), receipt=run.receipt)
    print_result(result, args.format, out)
    return 1 if result.rejected else 0


# ---- streaming: grouped input, cases evaluated by workers, output in input order -----------------------

Slot = tuple[str, Any]  # ("rejected", Rejection) or ("cases", Future of rendered cases)


def _stream_slots(engine: Engine, lines: Iterator[tuple[int, Any]], pool: ProcessPoolExecutor, at: Any
                  ) -> Iterator[Slot]:
    """Engine.evaluate_stream's order, with the cases' evaluation sent to the workers in batches."""
    with engine.stream_memory() as (ingestion, finished):  # past ids_in_memory, on disk
        yield from _stream_cases(engine, lines, pool, at, ingestion, finished)


def _stream_cases(engine: Engine, lines: Iterator[tuple[int, Any]], pool: ProcessPoolExecutor, at: Any,
                  ingestion: Ingestion, finished: KeyMemory) -> Iterator[Slot]:
    current: str | None = None
    buffer: list[str] = []  # the case's events as canonical JSON: a tenth of pickling Event objects
    batch: list[tuple[str, list[str]]] = []

    def submit() -> Slot:
        fut = pool.submit(_worker.evaluate_cases, list(batch), at)
        batch.clear()
        return "cases", fut

    for line, raw in lines:
        outcome = ingestion.offer(raw, line)
        if outcome is None:
            continue
        if isinstance(outcome, Rejection):
            if batch:
                yield submit()
            yield "rejected", outcome
            continue
        ev = outcome
        if ev.case_id != current:
            if current is not None:
                finished.add(current, 0)
                batch.append((current, buffer))
                if len(batch) >= STREAM_CASES:
                    yield submit()
            current, buffer = None, []
            if ev.case_id in finished:
                if batch:
                    yield submit()
                yield "rejected", Rejection(line=line, id=ev.id, field="case_id", message=(
                    "input is not grouped by case: this case already ended; evaluate the file as a batch"))
                continue
            current = ev.case_id
        buffer.append(ev.canonical())
    if current is not None:
        finished.add(current, 0)
        batch.append((current, buffer))
    batch.extend((cid, []) for cid in engine.scheduled_case_ids(at) if cid not in finished)
    if batch:
        yield submit()


def _check_stream(args: argparse.Namespace, workers: int, out: TextIO) -> int:
    """``check --stream`` with workers: the same JSON Lines, in the same order, as one process."""
    engine = Engine(**_engine_args(args))
    at = parse_as_of(args.as_of)
    rejected = 0
    pending: list[Slot] = []

    def drain(slot: Slot) -> None:
        nonlocal rejected
        kind, value = slot
        if kind == "rejected":
            rejected += 1
            out.write(json.dumps({"rejected": value.model_dump(mode="json")}, ensure_ascii=False) + "\n")
            return
        fut: Future[list[tuple[str, list[str]]]] = value
        for _, texts in fut.result():
            out.write("".join(texts))

    try:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker.init_worker,
                                 initargs=(_engine_args(args), True)) as pool, open(args.events, "rb") as fh:
            for slot in _stream_slots(engine, read_jsonl(fh), pool, at):
                pending.append(slot)
                while pending and (pending[0][0] == "rejected" or len(pending) > 2 * workers + 1):
                    drain(pending.pop(0))
            for slot in pending:
                drain(slot)
        out.write(json.dumps({"receipt": engine.receipt().model_dump(mode="json")}, ensure_ascii=False) + "\n")
    finally:
        engine.close()
    return 1 if rejected else 0
