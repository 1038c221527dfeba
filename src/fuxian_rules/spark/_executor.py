"""What runs on Spark executors: one engine per Python worker, and the pandas functions of each stage.

The catalogue, policy and calendar files are shipped once per job as a broadcast :class:`Bundle` (file
contents, not paths: executors do not see the driver's disk). Each Python worker writes the bundle to a
temporary folder once and builds its :class:`~fuxian_rules.Engine` from it; :data:`_ENGINES` keeps the
engine for every later task of the job (and of later jobs with the same bundle), keyed by the bundle's
digest, so an engine is built once per worker process, not once per partition or per case.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from fuxian_rules import Engine, Ingestion, Rejection, read_jsonl
from fuxian_rules.engine.ingestion import digest_of_canonical
from fuxian_rules.engine.limits import freeze_long_lived

__all__ = ["Bundle", "apply_id_rule", "engine_for", "evaluate_cases", "validate_rows"]

CONTRACT = ("id", "type", "case_id", "occurred_at", "actor")


@dataclass(frozen=True)
class Bundle:
    """Everything an executor needs to build the driver's engine: file contents and the backend.

    Attributes:
        rules: Files of a catalogue folder by relative path, or None for the bundled catalogue.
        policy: ``(file name, content)`` of a deployment policy, or None.
        calendars: ``(file name, content)`` of each calendar file.
        backend: The engine's backend argument.
        catalog_sha256: The driver's catalogue digest; an executor whose engine differs refuses to run.
    """

    rules: dict[str, bytes] | None
    policy: tuple[str, bytes] | None
    calendars: tuple[tuple[str, bytes], ...]
    backend: str
    catalog_sha256: str

    @property
    def key(self) -> str:
        """A digest of the whole bundle (the cache key of the executor's engine)."""
        h = hashlib.sha256(self.backend.encode() + self.catalog_sha256.encode())
        for name, content in sorted((self.rules or {}).items()):
            h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
        for name, content in ((self.policy,) if self.policy else ()) + self.calendars:
            h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
        return h.hexdigest()


_ENGINES: dict[str, Engine] = {}


def engine_for(bundle: Bundle) -> Engine:
    """This worker's engine for ``bundle``, built on first use from the shipped files."""
    key = bundle.key
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    root = tempfile.mkdtemp(prefix=f"fuxian-{key[:12]}-")

    def put(rel: str, content: bytes) -> str:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(content)
        return path

    rules = None
    if bundle.rules is not None:
        for rel, content in bundle.rules.items():
            put(os.path.join("rules", rel), content)
        rules = os.path.join(root, "rules")
    policy = put(os.path.join("policy", bundle.policy[0]), bundle.policy[1]) if bundle.policy else None
    calendars = [put(os.path.join("calendars", str(n), name), content)
                 for n, (name, content) in enumerate(bundle.calendars)]
    engine = Engine(rules, policy=policy, calendars=calendars, backend=bundle.backend)
    if engine.catalog.sha256 != bundle.catalog_sha256:
        raise RuntimeError("this executor's catalogue differs from the driver's: install the same fuxian-rules wheel")
    _ENGINES[key] = engine
    freeze_long_lived()  # a Spark Python worker is a process of its own, kept for the job's tasks
    return engine


def _value(v: Any) -> Any:
    """A pandas cell as a Python value; nulls (None, NaN, NA) as None."""
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return None
    return v.item() if hasattr(v, "item") else v


def _raw_event(row: dict[str, Any]) -> dict[str, Any] | Rejection:
    """The contract §1 object a row stands for: null columns are absent keys; ``data`` parsed as JSON."""
    raw = {k: row[k] for k in CONTRACT if row.get(k) is not None}
    text = row.get("data")
    if text is not None:
        (_, data), = read_jsonl([text]) if text.strip() else [(1, Rejection(message="data is empty"))]
        if isinstance(data, Rejection):
            return Rejection(line=row.get("line"), id=raw.get("id") if isinstance(raw.get("id"), str) else None,
                             field="data", message=f"data: {data.message}", code=data.code)
        raw["data"] = data
    return raw


def validate_rows(bundle: Bundle, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Stage 1 (``mapInPandas``): validate each row; valid events get their digest, bad ones a rejection."""
    engine = engine_for(bundle)
    for pdf in frames:
        out: dict[str, list[Any]] = {k: [] for k in ("seq", "line", "id", "case_id", "digest", "event", "field",
                                                     "message", "code")}
        columns = list(pdf.columns)
        # Column by column (tolist gives Python values), not to_dict("records"), which boxes every cell.
        for values in zip(*(pdf[c].tolist() for c in columns), strict=True):
            row = {k: _value(v) for k, v in zip(columns, values, strict=True)}
            raw = _raw_event(row)
            line = row.get("line")
            ev = raw if isinstance(raw, Rejection) else engine.reader.validate(raw, line)
            out["seq"].append(row["seq"])
            out["line"].append(line)
            if isinstance(ev, Rejection):
                for k, v in (("id", ev.id), ("case_id", None), ("digest", None), ("event", None),
                             ("field", ev.field), ("message", ev.message), ("code", ev.code)):
                    out[k].append(v)
                continue
            assert isinstance(raw, dict)
            canonical = ev.canonical()  # the digest's input, and what stage 3 restores the event from
            for k, v in (("id", ev.id), ("case_id", ev.case_id), ("digest", digest_of_canonical(canonical)),
                         ("event", canonical), ("field", None), ("message", None), ("code", None)):
                out[k].append(v)
        yield pd.DataFrame(out)


def apply_id_rule(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Stage 2: the one ingestion rule over all versions of each id.

    Input: one partition of valid rows, hash-partitioned by id and sorted by (id, seq), so that the versions
    of an id arrive together and in input order. They are offered to a :class:`~fuxian_rules.Ingestion`
    (a fresh one for each id, so memory stays flat): the first is kept, identical later ones are dropped,
    different later ones come back as rejections (``message`` set).
    """
    last: str | None = None
    ingestion = Ingestion()
    for pdf in frames:
        keep: list[bool] = []
        fields: list[str | None] = []
        messages: list[str | None] = []
        codes: list[str | None] = []
        for eid, digest, line in zip(pdf["id"], pdf["digest"], pdf["line"], strict=True):
            if eid != last:
                last, ingestion = eid, Ingestion()
            outcome = ingestion.settle(eid, digest, _value(line))
            keep.append(outcome is not False)
            fields.append(outcome.field if isinstance(outcome, Rejection) else None)
            messages.append(outcome.message if isinstance(outcome, Rejection) else None)
            codes.append(outcome.code if isinstance(outcome, Rejection) else None)
        out = pdf.assign(field=fields, message=messages, code=codes)
        yield out[keep]


OBLIGATION_COLUMNS = ("rule", "case_id", "holder", "holder_name", "modality", "status", "due", "due_provisional",
                      "policy_terms", "basis", "triggered_by", "closed_by", "title", "explanation")


def evaluate_cases(bundle: Bundle, at: datetime, frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    """Stage 3: evaluate each whole case once.

    Input: one partition of accepted events (``case_id``, ``event``: the JSON dump of the event stage 1
    accepted, restored here without a second validation), hash-partitioned by case id and sorted by it,
    so that each case's rows are contiguous (possibly across Arrow batches: the case still open at the
    end of a batch is carried to the next). A scheduled case arrives with a placeholder row (``event``
    null), so the yearly duties are evaluated exactly once, with whatever events the case has.
    ``position`` is the obligation's index within its case: ``orderBy("case_id", "position")`` is
    :meth:`~fuxian_rules.Engine.evaluate`'s order.
    """
    engine = engine_for(bundle)
    current: str | None = None
    texts: list[str | None] = []
    for pdf in frames:
        rows: dict[str, list[Any]] = {k: [] for k in (*OBLIGATION_COLUMNS, "position", "note")}
        for case_id, text in zip(pdf["case_id"], pdf["event"], strict=True):
            if case_id != current:
                if current is not None:
                    _evaluate_one(engine, at, current, texts, rows)
                current, texts = case_id, []
            texts.append(_value(text))
        yield pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})
    if current is not None:
        rows = {k: [] for k in (*OBLIGATION_COLUMNS, "position", "note")}
        _evaluate_one(engine, at, current, texts, rows)
        yield pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in rows.items()})


def _evaluate_one(engine: Engine, at: datetime, case_id: str, texts: list[str | None],
                  rows: dict[str, list[Any]]) -> None:
    """Evaluate one case from its rows' event JSON (None: the scheduled placeholder) into ``rows``."""
    events = []
    for text in texts:
        if text is None:
            continue
        ev = engine.reader.restore_canonical(text)  # validated in stage 1 by the same catalogue's reader
        if ev.known_at(at):  # Engine.evaluate's grouping
            events.append(ev)
    if not events and None not in texts:
        return
    result = engine.evaluate_case(events, at, case_id=case_id)
    for position, o in enumerate(result.obligations):
        for k in OBLIGATION_COLUMNS:  # plain strings, booleans and lists of strings: no dump needed
            rows[k].append(getattr(o, k))
        rows["position"].append(position)
        rows["note"].append(result.note)
