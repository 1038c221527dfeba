"""The engine: events in, obligations out, one case at a time.

Data flows one way: events are validated (:mod:`._events`), the catalogue is loaded and compiled
(:mod:`._catalog`, :mod:`._compiler`), a backend matches each case's facts (:mod:`._durable` or
:mod:`._reference`), and then — in event time, in our own code — instances are built, due dates
computed (:mod:`._calendar`) and statuses decided (:mod:`._status`).

Determinism: events are de-duplicated by id and sorted by (instant, id) before anything else, cases are
evaluated in sorted order, and results are sorted; so the same events in any order give the same result.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from ._calendar import LegalCalendar, end_of_day
from ._catalog import Catalog, load_catalog
from ._compiler import CompiledCatalog, compile_catalog, flatten
from ._events import EARLIEST, LATEST, Event, EventReader, Rejection, read_jsonl
from ._explain import why as explain_why
from ._ir import Activation, Fact, Matcher
from ._reference import ReferenceBackend
from ._results import Obligation, Receipt, Result
from ._status import CaseEvaluator
from .errors import BackendError, RunError

__all__ = ["Backend", "Engine", "parse_as_of"]


class Backend(Protocol):
    """What a matching backend provides (see :mod:`._ir` for the semantics)."""

    name: str

    def load(self, matchers: Sequence[Matcher]) -> None: ...
    def match(self, facts: Sequence[Fact], matcher_ids: Iterable[str]) -> set[Activation]: ...
    def close(self) -> None: ...


def parse_as_of(value: str | date | datetime) -> datetime:
    """Turn ``as_of`` into an instant; a bare date is the end of that day in CST (contract §2).

    Raises:
        RunError: the value is not an ISO date or an offset-aware datetime.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise RunError("as_of must carry a UTC offset", field="as_of", hint="e.g. 2024-12-31T18:00:00+08:00")
        if not EARLIEST <= value <= LATEST:
            raise RunError("as_of is outside the supported years 1900–2999", field="as_of", hint="e.g. 2024-12-31")
        return value
    if isinstance(value, date):
        if not EARLIEST.date() <= value < LATEST.date():
            raise RunError("as_of is outside the supported years 1900–2999", field="as_of", hint="e.g. 2024-12-31")
        return end_of_day(value)
    text = value.strip()
    try:
        if len(text) == 10:
            return parse_as_of(date.fromisoformat(text))
        return parse_as_of(datetime.fromisoformat(text))
    except ValueError:
        raise RunError(f"as_of {text[:40]!r} is not an ISO date or datetime", field="as_of",
                       hint="e.g. 2024-12-31") from None


def _known_at(ev: Event, at: datetime) -> bool:
    """Whether an event had happened by ``at``; a bare-date event only once its day has begun."""
    return ev.occurred_at < at or (ev.occurred_at == at and not ev.date_only)


def _make_backend(name: str) -> tuple[Backend, str | None]:
    if name == "reference":
        return ReferenceBackend(), None
    from ._durable import DurableBackend, durable_available

    ok, why = durable_available()
    if ok:
        return DurableBackend(), None
    if name == "durable_rules":
        raise RunError(f"the durable_rules backend is not available: {why}",
                       hint="install durable-rules (needs a C compiler), or use backend='reference'")
    return ReferenceBackend(), f"durable_rules unavailable ({why}); used the reference evaluator"


class Engine:
    """Evaluate event histories against the rule catalogue.

    Args:
        rules: A catalogue folder (default: the bundled ``rules/``).
        policy: A deployment policy file overriding terms of ``rules/policy.yaml``.
        calendars: Official holiday schedules for years the calendar package does not cover.
        backend: ``"auto"`` (durable_rules, or the reference evaluator where it cannot be installed),
            ``"durable_rules"`` or ``"reference"``.

    Raises:
        LoadError: a rule, policy or calendar file is invalid (with file:line and field).
    """

    def __init__(
        self,
        rules: str | Path | None = None,
        *,
        policy: str | Path | None = None,
        calendars: Sequence[str | Path] = (),
        backend: str = "auto",
    ) -> None:
        if backend not in ("auto", "durable_rules", "reference"):
            raise RunError(f"unknown backend {backend!r}", field="backend",
                           hint="use 'auto', 'durable_rules' or 'reference'")
        self.catalog: Catalog = load_catalog(rules, policy)
        self.calendar = LegalCalendar(calendars)
        self.compiled: CompiledCatalog = compile_catalog(self.catalog)
        self.reader = EventReader(self.catalog.types, self.catalog.units)
        self._backend, self._backend_note = _make_backend(backend)
        try:
            self._backend.load(self.compiled.matchers)
        except BackendError as exc:
            if backend != "auto":
                raise
            # A catalogue beyond durable_rules' compile-time caps still gets evaluated, and says how.
            self._backend.close()
            self._backend = ReferenceBackend()
            self._backend.load(self.compiled.matchers)
            self._backend_note = (f"durable_rules cannot load this catalogue ({exc.message}); "
                                  "used the reference evaluator")
        self._fallback = ReferenceBackend()
        self._fallback.load(self.compiled.matchers)
        self._lock = threading.Lock()
        self._evaluator = CaseEvaluator(self.compiled, self.calendar)

    @property
    def backend_name(self) -> str:
        """The backend actually in use."""
        return self._backend.name

    def receipt(self, note: str | None = None) -> Receipt:
        """The receipt every result carries."""
        from . import __version__

        notes = [n for n in (self._backend_note, note) if n]
        return Receipt(
            library_version=__version__,
            catalog_sha256=self.catalog.sha256,
            policy_sha256=self.catalog.policy.sha256,
            policy_source="default" if self.catalog.policy.is_default else self.catalog.policy.source,
            calendar=self.calendar.fingerprint(),
            calendar_years=list(self.calendar.known_years()),
            backend=self._backend.name,
            backend_note="; ".join(notes) or None,
        )

    # ---- input --------------------------------------------------------------------------------
    def validate(self, events: Iterable[Any]) -> tuple[list[Event], list[Rejection]]:
        """Validate events (dicts, :class:`Event`, or ``(line, obj)`` pairs), de-duplicating by id.

        A repeated id with identical content is dropped; with different content, every version is
        rejected (which one is "right" cannot be decided, and keeping either would make the result
        depend on arrival order).
        """
        good: dict[str, Event] = {}
        rejected: list[Rejection] = []
        conflicts: dict[str, list[int | None]] = {}
        first_line: dict[str, int | None] = {}
        for item in events:
            line, raw = item if isinstance(item, tuple) else (None, item)
            if isinstance(raw, Rejection):
                rejected.append(raw)
                continue
            ev = self.reader.validate(raw, line)
            if isinstance(ev, Rejection):
                rejected.append(ev)
                continue
            if ev.id in conflicts:
                conflicts[ev.id].append(line)
            elif ev.id in good:
                if good[ev.id].canonical() != ev.canonical():
                    conflicts[ev.id] = [first_line[ev.id], line]
                    del good[ev.id]
            else:
                good[ev.id] = ev
                first_line[ev.id] = line
        for eid in sorted(conflicts):
            for line in sorted(conflicts[eid], key=lambda x: (x is None, x or 0)):
                rejected.append(Rejection(line=line, id=eid, field="id",
                                          message="the same event id was sent with different content; "
                                                  "all versions are rejected — resend one"))
        rejected.sort(key=lambda r: (r.line is None, r.line or 0, r.id or "", r.message))
        return sorted(good.values(), key=lambda e: (e.occurred_at, e.id)), rejected

    # ---- evaluation ---------------------------------------------------------------------------
    def evaluate(self, events: Iterable[Any], as_of: str | date | datetime) -> Result:
        """Evaluate events as of an instant and return every obligation, rejection and the receipt.

        Args:
            events: Dicts shaped like contract §1, :class:`Event` objects, or ``(line, obj)`` pairs.
            as_of: An instant, or a date (meaning the end of that day, CST). Events after it are
                ignored: the result is what was knowable then.
        """
        at = parse_as_of(as_of)
        good, rejected = self.validate(events)
        by_case: dict[str, list[Event]] = defaultdict(list)
        for ev in good:
            if _known_at(ev, at):
                by_case[ev.case_id].append(ev)
        obligations: list[Obligation] = []
        notes: set[str] = set()
        for case_id in sorted(set(by_case) | self.compiled.scheduled_cases):
            obs, note = self.evaluate_case(case_id, by_case.get(case_id, []), at)
            obligations.extend(obs)
            if note:
                notes.add(note)
        return Result(as_of=at.isoformat(), obligations=obligations, rejected=rejected,
                      receipt=self.receipt("; ".join(sorted(notes)) or None))

    def evaluate_stream(self, events: Iterable[Any], as_of: str | date | datetime
                        ) -> Iterator[tuple[str, list[Obligation], list[Rejection]]]:
        """Evaluate input grouped by case, one case at a time, in constant memory per case.

        Yields ``(case_id, obligations, rejections)`` as each case ends (when the next case begins),
        then the scheduled mechanism cases. Events of a case that reappears after its group ended are
        rejected (the input was not grouped; use :meth:`evaluate`). Ids are remembered (as a hash of
        their content) so duplicates are dropped; unlike :meth:`evaluate`, a conflicting later
        version is rejected and the first one kept, since the first may already have been reported.
        """
        at = parse_as_of(as_of)
        seen: dict[str, int] = {}
        finished: set[str] = set()
        current: str | None = None
        buffer: list[Event] = []

        def flush() -> tuple[str, list[Obligation], list[Rejection]]:
            assert current is not None
            buffer.sort(key=lambda e: (e.occurred_at, e.id))
            obs, _ = self.evaluate_case(current, [e for e in buffer if _known_at(e, at)], at)
            finished.add(current)
            return current, obs, []

        for item in events:
            line, raw = item if isinstance(item, tuple) else (None, item)
            if isinstance(raw, Rejection):
                yield "", [], [raw]
                continue
            ev = self.reader.validate(raw, line)
            if isinstance(ev, Rejection):
                yield "", [], [ev]
                continue
            digest = hash(ev.canonical())
            if ev.id in seen:
                if seen[ev.id] != digest:
                    yield ev.case_id, [], [Rejection(line=line, id=ev.id, field="id", message=(
                        "the same event id was sent earlier with different content; this one is rejected"))]
                continue
            if ev.case_id != current:
                if current is not None:
                    yield flush()
                current, buffer = None, []
                if ev.case_id in finished:
                    yield ev.case_id, [], [Rejection(line=line, id=ev.id, field="case_id", message=(
                        "input is not grouped by case: this case already ended; evaluate the file as a batch"))]
                    continue
                current = ev.case_id
            seen[ev.id] = digest
            buffer.append(ev)
        if current is not None:
            yield flush()
        for case_id in sorted(self.compiled.scheduled_cases - finished):
            obs, _ = self.evaluate_case(case_id, [], at)
            yield case_id, obs, []

    def evaluate_file(self, path: str | Path, as_of: str | date | datetime) -> Result:
        """Evaluate a JSON Lines file of events (one object per line)."""
        with open(path, "rb") as fh:
            return self.evaluate(read_jsonl(fh), as_of)

    def match_case(self, events: Sequence[Event]) -> tuple[set[Activation], str | None]:
        """Run the backend on one case's events; fall back to the reference evaluator on failure."""
        relevant = self.compiled.relevant({e.type for e in events})
        if not relevant:
            return set(), None
        types = self.catalog.types
        facts = [flatten(e, types) for e in events]
        with self._lock:
            try:
                return self._backend.match(facts, relevant), None
            except BackendError as exc:
                note = f"{self._backend.name} failed on a case ({exc.message}); used the reference evaluator"
                return self._fallback.match(facts, relevant), note

    def evaluate_case(self, case_id: str, events: Sequence[Event], at: datetime) -> tuple[list[Obligation], str | None]:
        """Evaluate one case's events (already validated, sorted and cut at ``at``)."""
        activations, note = self.match_case(events)
        return self._evaluator.evaluate(case_id, events, activations, at), note

    def explain(self, case_id: str, events: Iterable[Any], as_of: str | date | datetime,
                rule: str | None = None) -> tuple[list[Obligation], list[str]]:
        """Return one case's obligations and, for ``rule``, why it did or did not fire (Chinese lines)."""
        at = parse_as_of(as_of)
        good, _ = self.validate(events)
        case_events = [e for e in good if e.case_id == case_id and _known_at(e, at)]
        activations, _ = self.match_case(case_events)
        obligations = self._evaluator.evaluate(case_id, case_events, activations, at)
        why: list[str] = []
        if rule is not None:
            why = explain_why(self._evaluator, rule, case_id, case_events, activations, obligations)
        return obligations, why

    def close(self) -> None:
        """Free the backend's native state."""
        self._backend.close()
