r"""``fuxian-rules check``: evaluate a file and write the result as it is computed, in bounded memory.

The batch result (``--format json``, the document of contract §2) used to be built whole before a byte
was written: a million cases, or a thousand hires evaluated as of 2999, took gigabytes and, on running
out, wrote nothing. Now:

* lines are read in bounded chunks (:mod:`fuxian_rules.model.lines`);
* each accepted event is held only as its line's bytes (a fifth of a parsed event), grouped by case,
  and parsed again when its case is evaluated — the one ingestion rule has already accepted it, so
  parsing it again gives the same event;
* cases are evaluated in sorted order and each obligation is written as soon as it is computed;
* rejections are counted, and only the first ``max_rejections`` are kept with their lines;
* every string printed in the table is escaped if it holds a control character, and every JSON text
  is valid UTF-8 (a value that cannot be encoded would be written with ``\\u`` escapes).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TextIO

from fuxian_rules.cli.views import print_check
from fuxian_rules.engine.engine import Engine, parse_as_of
from fuxian_rules.engine.limits import CaseTooLargeError, RejectionLog
from fuxian_rules.model.events import Event, Rejection, read_jsonl
from fuxian_rules.model.lines import BLANK, iter_lines, parse_line
from fuxian_rules.model.results import Obligation, Result, obligation_item

__all__ = ["dumps", "events_input", "run_check"]


def dumps(obj: Any) -> str:
    """JSON text that is always valid UTF-8 (non-ASCII kept where it can be encoded)."""
    text = json.dumps(obj, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj, ensure_ascii=True)
    return text


def pretty(obj: Any, level: int) -> str:
    """``obj`` as ``json.dumps(..., indent=2)`` writes it at nesting ``level`` of a document (valid UTF-8)."""
    try:
        text = json.dumps(obj, ensure_ascii=False, indent=2)
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, ensure_ascii=True, indent=2)
    return text.replace("\n", "\n" + "  " * level)


def events_input(path: str) -> contextlib.AbstractContextManager[BinaryIO]:
    """The events file opened for reading bytes; ``-`` is standard input (left open afterwards)."""
    if path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    return open(path, "rb")


def run_check(engine: Engine, path: str, as_of: str, fmt: str, stream: bool, out: TextIO,
              basis_label: Callable[[str], str] = str) -> int:
    """Evaluate the file at ``path`` and write the result; return 1 if any event was rejected, else 0.

    JSON is written as each case is evaluated (memory holds the accepted lines, not the obligations);
    the table, which a person reads, is laid out once every row is known.
    """
    at = parse_as_of(as_of)
    if stream:
        return _stream(engine, path, at.isoformat(), out)
    log = RejectionLog(engine.max_rejections)
    notes: set[str] = set()
    with events_input(path) as fh:
        cases = _cases(engine, fh, as_of, log, notes)
        if fmt == "json":
            # The same bytes as json.dumps(result, indent=2), written one obligation at a time.
            out.write('{\n  "as_of": ' + dumps(at.isoformat()) + ',\n  "obligations": [')
            sep = "\n"
            for ob in cases:
                out.write(sep + obligation_item(ob))
                sep = ",\n"
            out.write(("\n  ]" if sep != "\n" else "]") + ',\n  "rejected": [')
            out.write(",".join("\n    " + pretty(r.model_dump(mode="json"), 2) for r in log.kept))
            out.write("\n  ]" if log.kept else "]")
            receipt = engine.receipt("; ".join(sorted(notes)) or None)
            out.write(',\n  "receipt": ' + pretty(receipt.model_dump(mode="json"), 1))
            out.write(f',\n  "rejected_total": {log.total}\n}}\n')
            return 1 if log.total else 0
        obligations = list(cases)
    result = Result(as_of=at.isoformat(), obligations=obligations, rejected=log.kept, rejected_total=log.total,
                    receipt=engine.receipt("; ".join(sorted(notes)) or None))
    print_check(result, out, basis_label)
    return 1 if log.total else 0


def _cases(engine: Engine, fh: Any, as_of: str, log: RejectionLog, notes: set[str]) -> Iterator[Obligation]:
    """Read, validate and group the file, then yield every case's obligations in sorted case order."""
    at = parse_as_of(as_of)
    words = engine.reader.known_word
    ingestion = engine.ingestion()
    held: dict[str, list[bytes] | None] = {}  # None: the case went over the bound (its events are dropped)
    for no, raw in iter_lines(fh):
        obj = parse_line(no, raw, words, Rejection)
        if obj is BLANK:
            continue
        outcome = ingestion.offer(obj, no)
        if isinstance(outcome, Rejection):
            log.add(outcome)
            continue
        if outcome is None or raw is None or not outcome.known_at(at):
            continue
        lines = held.setdefault(outcome.case_id, [])
        if lines is not None:
            lines.append(raw)
            if len(lines) > engine.max_case_events:
                held[outcome.case_id] = None
    for case_id in sorted(set(held) | set(engine.scheduled_case_ids(at))):
        lines = held.pop(case_id, [])
        if lines is None:
            log.add(CaseTooLargeError(case_id, engine.max_case_events).rejection())
            continue
        events: list[Event] = []
        for raw in lines:
            ev = engine.reader.validate(parse_line(0, raw, words, Rejection))
            assert isinstance(ev, Event)  # accepted once already, from these very bytes
            events.append(ev)
        case = engine.evaluate_case(events, at, case_id=case_id)
        if case.note:
            notes.update(case.note.split("; "))
        yield from case.obligations


def _stream(engine: Engine, path: str, as_of: str, out: TextIO) -> int:
    """JSON Lines as each case ends: ``{"obligation": …}``, ``{"rejected": …}``, then ``{"receipt": …}``.

    Only the first ``max_rejections`` rejections are written; if there were more, a
    ``{"rejected_total": n}`` line says how many before the receipt.
    """
    log = RejectionLog(engine.max_rejections)
    with events_input(path) as fh:
        for _, obligations, rejections in engine.evaluate_stream(read_jsonl(fh, engine.reader.known_word), as_of):
            for o in obligations:
                out.write(dumps({"obligation": o.model_dump(mode="json")}) + "\n")
            for r in rejections:
                log.add(r)
                if log.omitted == 0:
                    out.write(dumps({"rejected": r.model_dump(mode="json")}) + "\n")
    if log.omitted:
        out.write(dumps({"rejected_total": log.total}) + "\n")
    out.write(dumps({"receipt": engine.receipt().model_dump(mode="json")}) + "\n")
    return 1 if log.total else 0
