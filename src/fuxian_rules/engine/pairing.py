"""Pairing within one case in near-linear time: closing acts with duties, required events with triggers.

A case can gather thousands of events (``staff:<unit>`` holds every hire and check of a school for
years; one agency's case can hold thousands of suspicions and penalties). Comparing every duty with
every candidate closing act, or every trigger with every earlier required event, costs the square of
that: 4,000 + 4,000 events took minutes and gigabytes. Here the candidates are indexed once per case
by their match keys (and year, for yearly duties), in event order, so each lookup is a dictionary
probe and a binary search:

* a duty closed ``after_trigger`` accepts acts from the start (00:00 CST) of its trigger's day on —
  "not before the trigger" is "at or after it, or the same day", which is exactly that;
* a required event fills its slot if it is on or before the trigger's day (the same rule, reversed),
  and the earliest such event is the one chosen, so only the first of each key is ever needed.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from fuxian_rules.engine.backends.ir import flatten_value
from fuxian_rules.model.events import Event
from fuxian_rules.model.time import CST

__all__ = ["ClosingIndex", "PartnerIndex", "day_start", "year_of"]

_Key = tuple[Any, ...]
_Bucket = tuple[list[Event], list[datetime]]  # events in order, and their instants (for bisect)


def day_start(day: date) -> datetime:
    """00:00 CST of ``day``."""
    return datetime.combine(day, time(0), tzinfo=CST)


def year_of(ev: Event) -> int:
    """The year a yearly duty's closing event counts for: its ``data.year`` if it names one, else its day's."""
    year = ev.data.get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) else ev.day.year


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class ClosingIndex:
    """Per matcher of one case, its events indexed by match key (and year), each list in event order."""

    def __init__(self, acts: Mapping[str, Sequence[tuple[str, ...]]], events: Mapping[str, Event]) -> None:
        self._acts = acts
        self._events = events
        self._built: dict[tuple[str, tuple[tuple[str, str], ...], bool], dict[_Key, _Bucket]] = {}

    def _index(self, mid: str, match: tuple[tuple[str, str], ...], yearly: bool) -> dict[_Key, _Bucket]:
        key = (mid, match, yearly)
        found = self._built.get(key)
        if found is None:
            found = {}
            for (fid,) in self._acts.get(mid, ()):  # in event order (instant, id): see CaseEvaluator.evaluate
                ev = self._events[fid]
                values = tuple(_hashable(ev.data.get(mine)) for mine, _ in match)
                if any(v is None for v in values):
                    continue  # an act without the field matches no duty
                bucket = found.setdefault((*values, year_of(ev)) if yearly else values, ([], []))
                bucket[0].append(ev)
                bucket[1].append(ev.occurred_at)
            self._built[key] = found
        return found

    def first(self, mid: str, match: Mapping[str, str], after_trigger: bool, *, anchor: Event | None,
              trigger_ids: Sequence[str], year: int | None, context: Mapping[str, Any]) -> Event | None:
        """The earliest event of matcher ``mid`` that can close a duty with this anchor, year and context."""
        pairs = tuple(sorted(match.items()))
        wanted = tuple(_hashable(context.get(theirs)) for _, theirs in pairs)
        if any(v is None for v in wanted):
            return None
        yearly = year is not None
        bucket = self._index(mid, pairs, yearly).get((*wanted, year) if yearly else wanted)
        if bucket is None:
            return None
        evs, times = bucket
        start = 0
        if not yearly and anchor is not None and after_trigger:
            start = bisect_left(times, day_start(anchor.day))
        for i in range(start, len(evs)):
            if evs[i].id not in trigger_ids:  # at most len(trigger_ids) are skipped
                return evs[i]
        return None


class PartnerIndex:
    """The earliest event of a required pattern per join key, for filling a trigger's ``requires`` slots."""

    def __init__(self, acts: Mapping[str, Sequence[tuple[str, ...]]], events: Mapping[str, Event]) -> None:
        self._acts = acts
        self._events = events
        self._built: dict[tuple[str, tuple[tuple[str, str], ...]], dict[_Key, list[Event]]] = {}

    def earliest(self, mid: str, match: Mapping[str, str], anchor: Event) -> Event | None:
        """The earliest event of ``mid`` whose fields equal the anchor's, on or before the anchor's day.

        Equality is on the flattened values, as the backends' joins compared them; the anchor itself
        never fills a slot.
        """
        pairs = tuple(sorted(match.items()))
        key = (mid, pairs)
        index = self._built.get(key)
        if index is None:
            index = {}
            for (fid,) in self._acts.get(mid, ()):
                ev = self._events[fid]
                values = tuple(ev.data.get(mine) for mine, _ in pairs)
                if any(v is None for v in values):
                    continue
                bucket = index.setdefault(tuple(flatten_value(v) for v in values), [])
                if len(bucket) < 2:  # the earliest, and the next in case the earliest is the anchor itself
                    bucket.append(ev)
            self._built[key] = index
        values = tuple(anchor.data.get(theirs) for _, theirs in pairs)
        if any(v is None for v in values):
            return None
        end = day_start(anchor.day + timedelta(days=1))
        for ev in index.get(tuple(flatten_value(v) for v in values), ()):
            if ev.id != anchor.id:
                return ev if ev.occurred_at < end else None
        return None
