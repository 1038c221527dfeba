"""The engine: events in, obligations out, one case at a time.

Data flows one way: events are validated (:mod:`fuxian_rules.model.events`), the catalogue is loaded
(:mod:`fuxian_rules.catalog.loader`) and compiled (:mod:`fuxian_rules.engine.backends.compiler`), a backend
matches each case's facts (:mod:`fuxian_rules.engine.backends.durable` or
:mod:`fuxian_rules.engine.backends.reference`), and then — in event time, in our own code — instances are
built, due dates computed (:mod:`fuxian_rules.calendar.legal`) and statuses decided
(:mod:`fuxian_rules.engine.status`).

Determinism: events are de-duplicated by id and sorted by (instant, id) before anything else, cases are
evaluated in sorted order, and results are sorted; so the same events in any order give the same result.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from fuxian_rules.calendar.legal import LegalCalendar
from fuxian_rules.catalog.district import DistrictUnits, load_district_units, restrict_areas
from fuxian_rules.catalog.loader import Catalog, load_catalog
from fuxian_rules.engine.backends.compiler import CompiledCatalog, compile_catalog, flatten
from fuxian_rules.engine.backends.ir import Activation, Fact, Matcher
from fuxian_rules.engine.backends.reference import ReferenceBackend
from fuxian_rules.engine.explanations import Explainer
from fuxian_rules.engine.explanations import why as explain_why
from fuxian_rules.engine.ingestion import Ingestion
from fuxian_rules.engine.keymemory import CASES_BLOOM_BITS, KeyMemory
from fuxian_rules.engine.limits import (
    IDS_IN_MEMORY,
    MAX_CASE_EVENTS,
    MAX_REJECTIONS,
    YEARLY_HORIZON_YEARS,
    CaseTooLargeError,
    RejectionLog,
    gc_paused,
)
from fuxian_rules.engine.status import CaseEvaluator
from fuxian_rules.errors import BackendError, RunError
from fuxian_rules.model.events import Event, EventReader, Rejection, read_jsonl
from fuxian_rules.model.results import Obligation, Receipt, Result
from fuxian_rules.model.time import EARLIEST, LATEST, end_of_day
from fuxian_rules.model.version import library_version

__all__ = ["Backend", "CaseResult", "Engine", "parse_as_of"]


class Backend(Protocol):
    """What a matching backend provides (see :mod:`fuxian_rules.engine.backends.ir` for the semantics)."""

    name: str

    def load(self, matchers: Sequence[Matcher]) -> None:
        """Compile the matchers once, before any case is matched."""

    def match(self, facts: Sequence[Fact], matcher_ids: Iterable[str]) -> set[Activation]:
        """Return every activation of the given matchers over the facts of one case."""

    def close(self) -> None:
        """Release what the backend holds (native sessions, threads)."""


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


@dataclass(frozen=True)
class CaseResult:
    """One case's evaluation: its obligations, and a note when the backend fell back (for the receipt)."""

    case_id: str
    obligations: list[Obligation]
    note: str | None = None


def _make_backend(name: str) -> tuple[Backend, str | None]:
    if name == "reference":
        return ReferenceBackend(), None
    from fuxian_rules.engine.backends.durable import DurableBackend, durable_available

    ok, why = durable_available()
    if ok:
        return DurableBackend(), None
    if name == "durable_rules":
        raise RunError(f"the durable_rules backend is not available: {why}",
                       hint="install durable-rules (needs a C compiler), or use backend='reference'")
    return ReferenceBackend(), f"durable_rules unavailable ({why}); used the reference evaluator"


class Engine:
    """Evaluate event histories against the rule catalogue.

    The engine keeps no state between calls: each call sees only the events passed to it, so pass the
    whole history of a case every time (a history split over two calls gives other obligations — a
    closing act in the second call is not seen by the first). The ledger keeps that history for you.

    Use it as a context manager (``with Engine() as engine: …``) or call :meth:`close`; a closed engine
    raises :class:`~fuxian_rules.RunError` if used again. Engines dropped without ``close()`` free their
    backend when they are collected.

    Args:
        rules: A catalogue folder (default: the bundled ``rules/``).
        policy: A deployment policy file overriding terms of ``rules/policy.yaml``.
        calendars: Official holiday schedules for years the calendar package does not cover.
        backend: ``"auto"`` (durable_rules, or the reference evaluator where it cannot be installed),
            ``"durable_rules"`` or ``"reference"``.
        units: A district's own units file (schools, kindergartens …), merged with ``rules/units.yaml``;
            its hash goes into every receipt.
        areas: Only the rules of these clause areas (and the rules they depend on); all when empty.
        max_case_events: Events one case may hold; a larger case is not evaluated and is reported
            (code ``case_too_large``, see :mod:`fuxian_rules.engine.limits`).
        max_rejections: Rejections a result keeps with their lines; the rest are counted.
        ids_in_memory: Event ids (and finished case ids) a stream or an :class:`Ingestion` keeps in RAM
            before they move to a temporary file on disk (see :mod:`fuxian_rules.engine.limits`).

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
        units: str | Path | None = None,
        areas: Sequence[str] = (),
        max_case_events: int = MAX_CASE_EVENTS,
        max_rejections: int = MAX_REJECTIONS,
        ids_in_memory: int = IDS_IN_MEMORY,
    ) -> None:
        self._closed = True  # until the backend is loaded
        self.max_case_events = max_case_events
        self.max_rejections = max_rejections
        if ids_in_memory < 1:
            raise RunError("ids_in_memory must be at least 1", field="ids_in_memory")
        self.ids_in_memory = ids_in_memory
        if backend not in ("auto", "durable_rules", "reference"):
            raise RunError(f"unknown backend {backend!r}", field="backend",
                           hint="use 'auto', 'durable_rules' or 'reference'")
        #: How this engine was built, for worker processes that build their own (evaluate_partitioned).
        self.init_args: dict[str, Any] = {"rules": rules, "policy": policy, "calendars": tuple(calendars),
                                          "backend": backend, "units": units, "areas": tuple(areas)}
        self.catalog: Catalog = load_catalog(rules, policy)
        self._units: DistrictUnits | None = None
        if units is not None:  # a district's own schools, kindergartens … (see _district)
            self._units = load_district_units(units, self.catalog.units)
            self.catalog = dataclasses.replace(self.catalog, units=self._units.units)
        self._areas = list(areas)
        if self._areas:
            self.catalog = restrict_areas(self.catalog, self._areas)
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
        self._explainer = Explainer(self.compiled)
        # Native state is freed when the engine is collected, even if close() was never called.
        self._finalizer = weakref.finalize(self, _close_backends, self._backend, self._fallback)
        self._closed = False

    def __enter__(self) -> Engine:
        """Use the engine in a ``with`` block; it is closed when the block ends."""
        self._check_open()
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the engine."""
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RunError("this engine is closed", hint="create a new Engine, or use it inside its `with` block")

    @property
    def backend_name(self) -> str:
        """The backend actually in use."""
        return self._backend.name

    def receipt(self, note: str | None = None) -> Receipt:
        """The receipt every result carries."""
        notes = [n for n in (self._backend_note, note) if n]
        return Receipt(
            library_version=library_version(),
            catalog_sha256=self.catalog.sha256,
            policy_sha256=self.catalog.policy.sha256,
            policy_source="default" if self.catalog.policy.is_default else self.catalog.policy.source,
            calendar=self.calendar.fingerprint(),
            calendar_years=list(self.calendar.known_years()),
            backend=self._backend.name,
            backend_note="; ".join(notes) or None,
            units_sha256=self._units.sha256 if self._units else None,
            units_source=self._units.source if self._units else None,
            areas=self._areas or None,
        )

    # ---- input --------------------------------------------------------------------------------
    def ingestion(self) -> Ingestion:
        """A fresh :class:`Ingestion`: the one de-duplication rule, with its own memory of ids."""
        self._check_open()
        return Ingestion(self.reader, in_memory=self.ids_in_memory)

    @contextlib.contextmanager
    def stream_memory(self) -> Iterator[tuple[Ingestion, KeyMemory]]:
        """What a stream remembers: an :class:`Ingestion` (every id) and the case ids that have ended.

        Both keep at most ``ids_in_memory`` keys in RAM, the rest in temporary files deleted when the
        block ends (:mod:`fuxian_rules.engine.keymemory`). Finished cases are added with the value 0.
        """
        ingestion = self.ingestion()
        finished = KeyMemory(self.ids_in_memory, CASES_BLOOM_BITS)
        try:
            yield ingestion, finished
        finally:
            ingestion.close()
            finished.close()

    def validate(self, events: Iterable[Any]) -> tuple[list[Event], list[Rejection]]:
        """Validate events (dicts, :class:`Event`, or ``(line, obj)`` pairs) under the one ingestion rule.

        Returns the accepted events sorted by (instant, id) and the rejections sorted by line. See
        :class:`Ingestion` for the rule (first version of an id wins; a later, different one is rejected).
        """
        self._check_open()
        ingestion = self.ingestion()
        good: list[Event] = []
        rejected: list[Rejection] = []
        for item in events:
            line, raw = item if isinstance(item, tuple) else (None, item)
            outcome = ingestion.offer(raw, line)
            if isinstance(outcome, Rejection):
                rejected.append(outcome)
            elif outcome is not None:
                good.append(outcome)
        rejected.sort(key=_rejection_order)
        return sorted(good, key=lambda e: (e.occurred_at, e.id)), rejected

    # ---- evaluation ---------------------------------------------------------------------------
    def evaluate(self, events: Iterable[Any], as_of: str | date | datetime) -> Result:
        """Evaluate events as of an instant and return every obligation, rejection and the receipt.

        The engine keeps no state between calls: pass the whole history of every case (the ledger keeps
        it for you). Rejections are kept up to ``max_rejections`` (in line order) and counted in
        ``rejected_total``; a case over ``max_case_events`` is reported (code ``case_too_large``).

        Args:
            events: Dicts shaped like contract §1, :class:`Event` objects, or ``(line, obj)`` pairs.
            as_of: An instant, or a date (meaning the end of that day, CST). Events after it are
                ignored: the result is what was knowable then.
        """
        at = parse_as_of(as_of)
        self._check_open()
        ingestion = self.ingestion()
        log = RejectionLog(self.max_rejections)
        by_case: dict[str, list[Event]] = defaultdict(list)
        for item in events:
            line, raw = item if isinstance(item, tuple) else (None, item)
            outcome = ingestion.offer(raw, line)
            if isinstance(outcome, Rejection):
                log.add(outcome)
            elif outcome is not None and outcome.known_at(at):
                by_case[outcome.case_id].append(outcome)
        log.kept.sort(key=_rejection_order)
        obligations: list[Obligation] = []
        notes: set[str] = set()
        for case in self.evaluate_cases(by_case, at, log):
            obligations.extend(case.obligations)
            if case.note:
                notes.add(case.note)
        return Result(as_of=at.isoformat(), obligations=obligations, rejected=log.kept,
                      rejected_total=log.total, receipt=self.receipt("; ".join(sorted(notes)) or None))

    def evaluate_cases(self, by_case: dict[str, list[Event]], at: datetime, log: RejectionLog
                       ) -> Iterator[CaseResult]:
        """Evaluate grouped events and the scheduled cases in sorted case order, one case at a time.

        Each case's events are dropped from ``by_case`` once evaluated; a case over the bound goes to
        ``log`` as one ``case_too_large`` rejection. Batch consumers write each result as it comes.
        """
        for case_id in sorted(set(by_case) | set(self.scheduled_case_ids(at))):
            try:
                yield self.evaluate_case(by_case.pop(case_id, []), at, case_id=case_id)
            except CaseTooLargeError as exc:
                log.add(exc.rejection())

    def evaluate_partitioned(self, events: Iterable[Any], as_of: str | date | datetime,
                             workers: int | None = None) -> Result:
        """:meth:`evaluate` on several processes, partitioned by case (same result; see :mod:`.parallel`)."""
        # The partitioned evaluator sits above the engine (its worker processes each build an Engine from
        # init_args), so it is imported when first used rather than by every `import fuxian_rules`.
        from fuxian_rules.parallel import evaluate_partitioned

        return evaluate_partitioned(self.init_args, events, as_of, workers=workers)

    def evaluate_stream(self, events: Iterable[Any], as_of: str | date | datetime
                        ) -> Iterator[tuple[str, list[Obligation], list[Rejection]]]:
        """Evaluate input grouped by case, one case at a time, in constant memory per case.

        Yields ``(case_id, obligations, rejections)`` as each case ends (when the next case begins),
        then the scheduled mechanism cases. The engine keeps no state between calls: each case's whole
        history must be in its group. A case over ``max_case_events`` yields one ``case_too_large``
        rejection (its events are not held). A case that reappears after its group ended stops the run
        with :class:`RunError` (field ``case_id``): the results already yielded for it would be wrong. Ids are
        remembered (as a hash of their content) so duplicates are dropped; unlike :meth:`evaluate`, a conflicting later
        version is rejected and the first one kept, since the first may already have been reported. Past
        ``ids_in_memory`` ids (or finished cases), they are remembered in a temporary file instead of RAM.
        """
        at = parse_as_of(as_of)
        with self.stream_memory() as (ingestion, finished):
            yield from self._stream(events, at, ingestion, finished)

    def _stream(self, events: Iterable[Any], at: datetime, ingestion: Ingestion, finished: KeyMemory
                ) -> Iterator[tuple[str, list[Obligation], list[Rejection]]]:
        current: str | None = None
        buffer: list[Event] = []
        too_large = False

        def flush() -> tuple[str, list[Obligation], list[Rejection]]:
            assert current is not None
            finished.add(current, 0)
            if too_large:
                return current, [], [CaseTooLargeError(current, self.max_case_events).rejection()]
            return current, self.evaluate_case(buffer, at, case_id=current).obligations, []

        for item in events:
            line, raw = item if isinstance(item, tuple) else (None, item)
            outcome = ingestion.offer(raw, line)
            if outcome is None:
                continue
            if isinstance(outcome, Rejection):
                yield "", [], [outcome]
                continue
            ev = outcome
            if ev.case_id != current:
                if current is not None:
                    yield flush()
                current, buffer, too_large = None, [], False
                if ev.case_id in finished:
                    # What was already yielded for that case lacked this event: its statuses cannot be trusted
                    # (mostly false "overdue"), so the run stops instead of printing more of them.
                    where = f"line {line}" if line is not None else f"event {ev.id!r}"
                    raise RunError(f"input is not grouped by case: at {where} a case reappears after other "
                                   "cases; results printed so far are incomplete. Sort the input by case_id, "
                                   "or evaluate it as a batch (without --stream)", field="case_id")
                current = ev.case_id
            if too_large:
                continue
            buffer.append(ev)
            if len(buffer) > self.max_case_events:
                buffer, too_large = [], True
        if current is not None:
            yield flush()
        for case_id in self.scheduled_case_ids(at):
            if case_id not in finished:
                yield case_id, self.evaluate_case([], at, case_id=case_id).obligations, []

    def evaluate_file(self, path: str | Path, as_of: str | date | datetime) -> Result:
        """Evaluate a JSON Lines file of events (one object per line)."""
        with open(path, "rb") as fh:
            return self.evaluate(read_jsonl(fh, self.reader.known_word), as_of)

    def match_case(self, events: Sequence[Event]) -> tuple[set[Activation], str | None]:
        """Run the backend on one case's events; fall back to the reference evaluator on failure."""
        self._check_open()
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

    def scheduled_case_ids(self, as_of: str | date | datetime) -> list[str]:
        """The cases that arise without any event (the yearly duties of the mechanism), sorted.

        Every consumer (batch, streaming, the ledger, partitioned and Spark evaluation) evaluates each of
        these once per run, with whatever events it holds for that case id (possibly none).
        """
        parse_as_of(as_of)
        return sorted(self.compiled.scheduled_cases)

    def evaluate_case(self, events: Sequence[Event], as_of: str | date | datetime, *,
                      case_id: str | None = None) -> CaseResult:
        """Evaluate one case: the per-case contract every consumer builds on.

        Args:
            events: That case's validated events (from :meth:`validate` or an :class:`Ingestion`), in
                any order; events after ``as_of`` are ignored. The engine keeps no state between calls:
                pass the whole history of the case (the ledger keeps it for you).
            as_of: An instant, or a date meaning the end of that day (CST).
            case_id: Required when ``events`` is empty (a scheduled case); otherwise must match them.

        Raises:
            RunError: events of several cases, or no case id.
            CaseTooLargeError: more than ``max_case_events`` events (a :class:`RunError`, code
                ``case_too_large``).
        """
        at = parse_as_of(as_of)
        self._check_open()
        ids = {e.case_id for e in events}
        if case_id is None:
            if len(ids) != 1:
                raise RunError("evaluate_case needs one case's events, or case_id=", field="case_id")
            case_id = next(iter(ids))
        elif ids - {case_id}:
            raise RunError("evaluate_case was given events of another case", field="case_id")
        if len(events) > self.max_case_events:
            raise CaseTooLargeError(case_id, self.max_case_events)
        with gc_paused(len(events)):
            known = sorted((e for e in events if e.known_at(at)), key=lambda e: (e.occurred_at, e.id))
            activations, note = self.match_case(known)
            notes: list[str] = [note] if note else []
            instances = self._evaluator.evaluate(case_id, known, activations, at, notes, YEARLY_HORIZON_YEARS)
            return CaseResult(case_id, self._explainer.obligations(instances, at), "; ".join(notes) or None)

    def explain(self, case_id: str, events: Iterable[Any], as_of: str | date | datetime,
                rule: str | None = None) -> tuple[list[Obligation], list[str]]:
        """Return one case's obligations and, for ``rule``, why it did or did not fire (Chinese lines)."""
        at = parse_as_of(as_of)
        good, _ = self.validate(events)
        if len(good) > self.max_case_events:
            good = [e for e in good if e.case_id == case_id]
            if len(good) > self.max_case_events:
                raise CaseTooLargeError(case_id, self.max_case_events)
        case_events = [e for e in good if e.case_id == case_id and e.known_at(at)]
        activations, _ = self.match_case(case_events)
        obligations = self._explainer.obligations(self._evaluator.evaluate(case_id, case_events, activations, at), at)
        why: list[str] = []
        if rule is not None:
            why = explain_why(self._evaluator, rule, case_id, case_events, activations, obligations)
        return obligations, why

    def close(self) -> None:
        """Free the backend's native state; the engine cannot be used afterwards (closing twice is harmless)."""
        self._closed = True
        self._finalizer()


def _close_backends(*backends: Backend) -> None:
    for backend in backends:
        backend.close()


def _rejection_order(r: Rejection) -> tuple[bool, int, str, str]:
    return (r.line is None, r.line or 0, r.id or "", r.message)
