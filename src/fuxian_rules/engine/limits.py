"""What one call may cost: the bounds on a case, on rejections and on yearly duties, in one place.

Calling systems are sloppy and sometimes hostile, and fuxian_rules runs as a service. Each bound below
turns an input that would cost without limit (a case gathering every event of a unit for years, a
file of garbage lines, an ``as_of`` a thousand years ahead) into a clear, stable outcome:

* a case with more than :data:`MAX_CASE_EVENTS` events is not evaluated; it is reported once, naming
  the case, with the code ``case_too_large`` (``Engine(max_case_events=…)`` changes the bound);
* at most :data:`MAX_REJECTIONS` rejections are kept, in line order; the rest are counted
  (``Result.rejected_total``), so a file of garbage costs a counter, not a list;
* a stream remembers at most :data:`IDS_IN_MEMORY` event ids (and as many finished case ids) in RAM;
  older ones move to a temporary file on disk, so its memory stays flat however long it runs
  (``Engine(ids_in_memory=…)`` changes the bound);
* a yearly duty is raised for at most :data:`YEARLY_HORIZON_YEARS` years from its first year; a later
  ``as_of`` says so in the receipt's note instead of raising a thousand years of duties.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

from fuxian_rules.errors import RunError
from fuxian_rules.model.events import Rejection

__all__ = ["GC_PAUSE_EVENTS", "IDS_IN_MEMORY", "MAX_CASE_EVENTS", "MAX_REJECTIONS", "YEARLY_HORIZON_YEARS",
           "CaseTooLargeError", "RejectionLog", "freeze_long_lived", "gc_paused", "horizon_note"]

#: Events one case may hold (``staff:<unit>`` gathers a school's hires and checks for years: a few
#: thousand; a hundred thousand is far beyond any real case and still evaluates in seconds).
MAX_CASE_EVENTS = 100_000
#: Rejections kept with their line; the rest are counted.
MAX_REJECTIONS = 1000
#: Event ids (and, apart, finished case ids) a stream keeps in RAM before they move to disk: about
#: 7 MB each (~140 bytes per id), beyond which memory no longer grows with the input.
IDS_IN_MEMORY = 50_000
#: Years a yearly duty is raised for, from its first year.
YEARLY_HORIZON_YEARS = 20


#: Cases with more events than this are evaluated with Python's cyclic garbage collector paused.
GC_PAUSE_EVENTS = 5000

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused(events: int) -> Iterator[None]:
    """Pause the cyclic garbage collector while one large case is evaluated.

    A case of 100k events keeps a few hundred thousand live objects (instances, obligations, their
    texts); each collection walks them all, and collections come as they grow, so the collector alone
    doubled the cost per event between 10k and 100k events (measured: 194 µs/event with it, 101
    without). Evaluating a case creates no reference cycles to reclaim, so the collector is paused for
    the case (for all threads: a counter restores it when the last large case ends) and plain
    reference counting frees everything as usual.
    """
    global _gc_pausers, _gc_was_enabled
    if events <= GC_PAUSE_EVENTS:
        yield
        return
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


class CaseTooLargeError(RunError):
    """One case has more events than the engine's bound.

    Its error code is ``FR-RUN-001``; in a result it is a rejection with the code ``case_too_large``.
    """

    rejection_code = "case_too_large"

    def __init__(self, case_id: str, limit: int) -> None:
        super().__init__(f"case {case_id!r} has more than {limit} events and was not evaluated",
                         field="case_id", hint="split the history into cases as rules/vocabulary.yaml describes, "
                         "or raise Engine(max_case_events=…)", code="FR-RUN-001")
        self.case_id = case_id
        self.limit = limit

    def rejection(self) -> Rejection:
        """The same, as a rejection in a result (no line: it concerns the case, not one event)."""
        return Rejection(field="case_id", code=self.rejection_code, message=self.message + f" ({self.hint})")


def horizon_note(years: int = YEARLY_HORIZON_YEARS) -> str:
    """The receipt's note when a yearly duty was cut at the horizon."""
    return (f"yearly duties are raised for at most {years} years from their first year; "
            "later years at this as_of were not evaluated")


class RejectionLog:
    """The first ``keep`` rejections, in the order they came, and how many there were in all."""

    def __init__(self, keep: int = MAX_REJECTIONS) -> None:
        self.keep = keep
        self.kept: list[Rejection] = []
        self.total = 0

    def add(self, rejection: Rejection) -> None:
        """Count a rejection; keep it if fewer than ``keep`` are kept."""
        self.total += 1
        if len(self.kept) < self.keep:
            self.kept.append(rejection)

    @property
    def omitted(self) -> int:
        """How many were counted but not kept."""
        return self.total - len(self.kept)


def freeze_long_lived() -> None:
    """Collect once, then move every object alive now out of the cyclic collector's reach (``gc.freeze``).

    For a process that owns its heap (the ``fuxian-rules`` command, a worker process, the service) and has
    just built what it keeps to the end: the catalogue, the compiled rules, pydantic's schemas. Otherwise
    every full collection walks them all again (about 90 ms each with the bundled catalogue; 0.3 s of a
    77,000-event ``check``). Never called by the library on its own: a caller's process is the caller's.
    """
    gc.collect()
    gc.freeze()
