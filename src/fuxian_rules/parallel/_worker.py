"""What runs inside a worker process of partitioned evaluation: validate a chunk, evaluate a bucket.

Each worker process builds its own :class:`~fuxian_rules.Engine` once (from the same rules, policy,
calendars and backend as the caller's) and keeps it for every task it is given. Tasks and results are
plain tuples of strings and numbers, and JSON written to files (never pickle: nothing read back can run code), so no
explanation is ever pickled: obligations leave a worker as the JSON text the caller will print.

Two kinds of task (see :mod:`fuxian_rules.parallel` for the whole flow):

* :func:`validate_chunk` — parse and validate a chunk of input lines, spill the accepted events to one
  file grouped by bucket (a stable hash of the case id), and return one short summary per event (its
  id and content digest) so that the parent can apply the one ingestion rule in input order;
* :func:`evaluate_bucket` — read one bucket's events back, drop those the ingestion rule refused,
  evaluate each case of the bucket once (and each scheduled case whose id hashes to the bucket), and
  write the obligations, case by case in case-id order, to a result file.
"""

from __future__ import annotations

import json
import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from fuxian_rules import Engine, Event, FuxianRulesError, Ingestion, Obligation, Rejection, read_jsonl
from fuxian_rules.engine.ingestion import digest_of_canonical
from fuxian_rules.engine.limits import freeze_long_lived
from fuxian_rules.model.results import obligation_item

__all__ = ["bucket_of", "close_worker", "evaluate_bucket", "evaluate_cases", "init_worker", "iter_records", "render",
           "settle_ids", "validate_chunk", "worker_info"]

#: One engine per worker process, built by :func:`init_worker` (the pool's initializer), or the error
#: that building it raised: re-raised by every task, so the caller sees a LoadError, not a broken pool.
_ENGINE: list[Engine] = []
_FAILED: list[FuxianRulesError] = []


def bucket_of(case_id: str, buckets: int) -> int:
    """The bucket of a case: CRC-32 of its UTF-8 id, so equal in every process (unlike ``hash()``)."""
    return zlib.crc32(case_id.encode("utf-8")) % buckets


def init_worker(engine_args: dict[str, Any], own_process: bool = False) -> None:
    """Build this process's engine once; every later task of the process uses it.

    ``own_process``: this is a worker process, whose heap is ours: what was built is frozen out of the
    cyclic collector's reach (:func:`~fuxian_rules.engine.limits.freeze_long_lived`).
    """
    _ENGINE.clear()
    _FAILED.clear()
    try:
        _ENGINE.append(Engine(**engine_args))
    except FuxianRulesError as exc:
        _FAILED.append(exc)
    if own_process:
        freeze_long_lived()


def close_worker() -> None:
    """Free this process's engine (the in-process executor's shutdown; a worker process just exits)."""
    while _ENGINE:
        _ENGINE.pop().close()
    _FAILED.clear()


def _engine() -> Engine:
    if _FAILED:
        raise _FAILED[0]
    if not _ENGINE:  # pragma: no cover - the pool always runs init_worker first
        raise RuntimeError("worker engine not initialised")
    return _ENGINE[0]


def worker_info(as_of: datetime) -> tuple[dict[str, Any], list[str]]:
    """The receipt of a worker's engine (no run notes) and the scheduled case ids as of ``as_of``."""
    engine = _engine()
    return engine.receipt().model_dump(mode="json"), engine.scheduled_case_ids(as_of)


Refusal = tuple[int, Rejection]  # seq, rejection
Where = dict[int, tuple[int, int]]  # bucket -> (offset, length) of its part of a spill file


def validate_chunk(seq0: int, first_line: int | None, items: Sequence[Any], buckets: int, spill: str
                   ) -> tuple[list[Refusal], Where, Where]:
    """Validate one chunk of input and spill its valid events, grouped by bucket, to ``spill``.

    Args:
        seq0: Position of the chunk's first item in the whole input (identifies items across phases).
        first_line: For raw JSON Lines (bytes or str), the file line number of the first item;
            ``None`` when ``items`` are already objects (dicts, events or ``(line, obj)`` pairs).
        items: The chunk.
        buckets: Number of buckets.
        spill: File to write the events to.

    Returns:
        The rejections; for each case bucket the ``(offset, length)`` in ``spill`` of its events (lines:
        the sequence number, a tab, the event's canonical JSON); and for each *id bucket* (the same hash of
        the event id) the ``(offset, length)`` of its summaries for the id rule (lines: sequence number,
        line, case bucket, digest, id; tab-separated: ids hold no tabs), see :func:`settle_ids`.
    """
    reader = _engine().reader
    refusals: list[Refusal] = []
    grouped: dict[int, list[str]] = defaultdict(list)
    by_id: dict[int, list[str]] = defaultdict(list)
    if first_line is not None:
        pairs: Iterator[tuple[int, tuple[int | None, Any]]] = (
            (no - 1, (no - 1 + first_line, obj)) for no, obj in read_jsonl(items))
    else:
        pairs = ((k, item if isinstance(item, tuple) else (None, item)) for k, item in enumerate(items))
    for k, (line, raw) in pairs:
        seq = seq0 + k
        if isinstance(raw, Rejection):
            # read_jsonl numbered the chunk from 1; the rejection must name the file's line
            refusals.append((seq, raw.model_copy(update={"line": line})))
            continue
        ev = reader.validate(raw, line)
        if isinstance(ev, Rejection):
            refusals.append((seq, ev))
            continue
        bucket = bucket_of(ev.case_id, buckets)
        canonical = ev.canonical()  # the digest's input, and the spilled form: JSON without raw newlines or tabs
        by_id[bucket_of(ev.id, buckets)].append(
            f"{seq}\t{'' if line is None else line}\t{bucket}\t{digest_of_canonical(canonical)}\t{ev.id}\n")
        grouped[bucket].append(f"{seq}\t{canonical}\n")
    where: Where = {}
    id_where: Where = {}
    with open(spill, "wb") as fh:
        for into, groups in ((where, grouped), (id_where, by_id)):
            for bucket, rows in groups.items():
                blob = "".join(rows).encode("utf-8")
                into[bucket] = (fh.tell(), len(blob))
                fh.write(blob)
    return refusals, where, id_where


def settle_ids(parts: Sequence[tuple[str, int, int]]) -> tuple[list[tuple[int, int]], list[Rejection]]:
    """The one ingestion rule over one id bucket: every version of each of its ids, in input order.

    Args:
        parts: Where the bucket's summaries were spilled, chunk after chunk in input order.

    Returns:
        ``(case bucket, sequence number)`` of each event the rule drops (an identical resend, or a later
        version with other content), and the rejections of the later versions. Ids never meet the
        parent: each bucket's are held here, one bucket at a time, so no process keeps every id.
    """
    ingestion = Ingestion()
    dropped: list[tuple[int, int]] = []
    conflicts: list[Rejection] = []
    for part in parts:
        for row in _spilled_lines(*part):
            seq, line, bucket, digest, eid = row.split("\t", 4)
            outcome = ingestion.settle(eid, digest, int(line) if line != "" else None)
            if outcome is True:
                continue
            dropped.append((int(bucket), int(seq)))
            if isinstance(outcome, Rejection):
                conflicts.append(outcome)
    return dropped, conflicts


def _spilled_lines(path: str, offset: int, length: int) -> list[str]:
    """The non-empty lines of one part of a spill file, as text (json.loads of bytes sniffs each encoding)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        return [line for line in fh.read(length).decode("utf-8").split("\n") if line]


def render(o: Obligation, style: str) -> str:
    """One obligation as the text its consumer writes.

    ``model``: compact JSON (rebuilt into an :class:`~fuxian_rules.Obligation` by the parent);
    ``indent``: the lines ``check --format json`` prints for an item of ``"obligations"``;
    ``line``: one ``{"obligation": …}`` line of ``check --stream``.
    """
    if style == "model":
        return o.model_dump_json()
    if style == "indent":
        return obligation_item(o)
    return json.dumps({"obligation": o.model_dump(mode="json")}, ensure_ascii=False) + "\n"


def evaluate_bucket(bucket: int, parts: Sequence[tuple[str, int, int]], dropped: frozenset[int], at: datetime,
                    scheduled: Sequence[str], style: str, out: str) -> tuple[int, list[str], int]:
    """Evaluate every case of one bucket once, writing ``(case_id, [text, …])`` records in case-id order.

    Args:
        bucket: The bucket.
        parts: Where its events were spilled: ``(file, offset, length)`` of each chunk's part.
        dropped: Items the ingestion rule refused (identical resends, later conflicting versions).
        at: The ``as_of`` instant.
        scheduled: Scheduled case ids that hash to this bucket (evaluated here, and only here).
        style: How obligations are rendered (see :func:`render`).
        out: File to write the records to.

    Returns:
        The bucket, the backend notes of its cases, and the number of obligations.
    """
    engine = _engine()
    by_case: dict[str, list[Event]] = defaultdict(list)
    restore = engine.reader.restore_canonical
    for part in parts:
        # Lines "seq<TAB>event JSON" written by validate_chunk from events this engine's reader accepted:
        # restored, not validated again.
        for seq, text in (line.split("\t", 1) for line in _spilled_lines(*part)):
            if int(seq) not in dropped and (ev := restore(text)).known_at(at):
                by_case[ev.case_id].append(ev)
    notes: set[str] = set()
    count = 0
    with open(out, "wb") as fh:
        for case_id in sorted(set(by_case) | set(scheduled)):
            case = engine.evaluate_case(by_case.pop(case_id, []), at, case_id=case_id)
            if case.note:
                notes.add(case.note)
            if case.obligations:
                count += len(case.obligations)
                fh.write(_record(case_id, [render(o, style) for o in case.obligations]))
    return bucket, sorted(notes), count


def _record(case_id: str, texts: list[str]) -> bytes:
    """One case's record: a JSON header line ``[case id, [byte length of each text, …]]``, then the texts.

    The texts (JSON already, mostly Chinese) are written as they are: escaping them into another JSON
    string and decoding them again cost more than evaluating the case. ``surrogatepass`` keeps any
    string, however odd, byte for byte through the file.
    """
    blobs = [t.encode("utf-8", "surrogatepass") for t in texts]
    header = json.dumps([case_id, [len(b) for b in blobs]], ensure_ascii=True)
    return header.encode("ascii") + b"\n" + b"".join(blobs)


def iter_records(path: str) -> Iterator[tuple[str, list[str]]]:
    """Read back the records :func:`evaluate_bucket` wrote, one case at a time (flat memory)."""
    with open(path, "rb") as fh:
        for header in fh:
            case_id, lengths = json.loads(header)
            blob = memoryview(fh.read(sum(lengths)))
            texts, at = [], 0
            for n in lengths:
                texts.append(str(blob[at:at + n], "utf-8", "surrogatepass"))
                at += n
            yield case_id, texts


def evaluate_cases(cases: Sequence[tuple[str, list[str]]], at: datetime) -> list[tuple[str, list[str]]]:
    """Evaluate whole cases of a grouped stream (``check --stream``), rendered as its JSON Lines.

    Each case comes as its events' canonical JSON (the parent validated them; restored here, as spills are).
    """
    engine = _engine()
    restore = engine.reader.restore_canonical
    out = []
    for case_id, texts in cases:
        case = engine.evaluate_case([restore(text) for text in texts], at, case_id=case_id)
        out.append((case_id, [render(o, "line") for o in case.obligations]))
    return out
