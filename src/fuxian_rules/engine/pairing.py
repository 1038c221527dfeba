"""Pairing within one case in near-linear time: closing acts with duties, required events with triggers.

A case can gather thousands of events (``staff:<unit>`` holds every hire and check of a school for
years; one agency's case can hold thousands of suspicions and penalties). Comparing every duty with
every candidate closing act, or every trigger with every earlier required event, costs the square of
that: 4,000 + 4,000 events took minutes and gigabytes. Here the candidates are indexed once per case
by their match keys (and year, for yearly duties), in event order, so each lookup is a dictionary
probe and a binary search:

* a duty closed ``after_trigger`` accepts acts from the start (00:00 CST) of its trigger's day on —
  "not before the trigger" is "at or after it, or the same day", which is exactly that;
* a required event fills its slot if it stands in its pattern's ``order`` to the trigger (by default on
  or before the trigger's day: the same rule, reversed), and the earliest such event is the one chosen;
  only events of the trigger's own day are ever passed over;
* an act naming a list of units is filed under each of them, so it closes each unit's duty.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import product
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


def _choices(value: Any) -> list[Any]:
    """The keys an act's field is filed under: the value itself, and each unit of a list."""
    if not isinstance(value, list):
        return [value]
    return [tuple(value), *dict.fromkeys(_hashable(v) for v in value)]


class ClosingIndex:
    """Per matcher of one case, its events indexed by match key (and year), each list in event order.

    An act whose matched field is a list of units is filed under the whole list and under each unit it
    names, so a duty of one unit is closed by an act naming several units, that one among them.
    """

    def __init__(self, acts: Mapping[str, Sequence[tuple[str, ...]]], events: Mapping[str, Event]) -> None:
        self._acts = acts
        self._events = events
        self._built: dict[tuple[str, tuple[tuple[str, str], ...], str], dict[_Key, _Bucket]] = {}

    def _index(self, mid: str, match: tuple[tuple[str, str], ...], yearly: str) -> dict[_Key, _Bucket]:
        """``yearly``: "" (no year), "data" (the year the act counts for) or "day" (the act's own year)."""
        key = (mid, match, yearly)
        found = self._built.get(key)
        if found is not None:
            return found
        found = {}
        # Most cases file a handful of acts under one field or none: those keys are built without the
        # general product of choices (the same keys, in the same order).
        mine = match[0][0] if len(match) == 1 else None
        for (fid,) in self._acts.get(mid, ()):  # in event order (instant, id): see CaseEvaluator.evaluate
            ev = self._events[fid]
            year = (year_of(ev),) if yearly == "data" else (ev.day.year,) if yearly == "day" else ()
            if not match:
                keys: Any = (year,)
            elif mine is not None:
                value = ev.data.get(mine)
                if value is None:
                    continue  # an act without the field matches no duty
                keys = [(c, *year) for c in _choices(value)] if isinstance(value, list) else ((value, *year),)
            else:
                raw = [ev.data.get(m) for m, _ in match]
                if None in raw:
                    continue
                keys = [(*values, *year) for values in product(*(_choices(v) for v in raw))]
            for k in keys:
                bucket = found.get(k)
                if bucket is None:
                    found[k] = bucket = ([], [])
                bucket[0].append(ev)
                bucket[1].append(ev.occurred_at)
        self._built[key] = found
        return found

    def has(self, mid: str) -> bool:
        """Whether matcher ``mid`` matched any event of the case (most closing acts a rule names never occur)."""
        return mid in self._acts

    def first(self, mid: str, pairs: tuple[tuple[str, str], ...], after_trigger: bool, *, anchor: Event | None,
              trigger_ids: Sequence[str], year: int | None, context: Mapping[str, Any],
              first_year_only: bool = False) -> Event | None:
        """The earliest event of matcher ``mid`` that can close a duty with this anchor, year and context.

        ``pairs``: the pattern's ``match`` as sorted ``(act's field, duty's context field)`` pairs.
        ``first_year_only`` (a yearly duty closed only in its trigger's own year): only the instance of
        the anchor's year can be closed, by an act dated in that year. Callers skip matchers the case
        lacks (:meth:`has`) before calling.
        """
        if not pairs:
            wanted: tuple[Any, ...] = ()
        elif len(pairs) == 1:
            value = context.get(pairs[0][1])
            if value is None:
                return None
            wanted = (tuple(value) if isinstance(value, list) else value,)
        else:
            wanted = tuple(_hashable(context.get(theirs)) for _, theirs in pairs)
            if None in wanted:
                return None
        yearly = "" if year is None else "day" if first_year_only else "data"
        if first_year_only and year is not None and (anchor is None or year != anchor.day.year):
            return None
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
    """The events of a required pattern per join key, in event order, for filling a trigger's ``requires`` slots."""

    def __init__(self, acts: Mapping[str, Sequence[tuple[str, ...]]], events: Mapping[str, Event]) -> None:
        self._acts = acts
        self._events = events
        self._built: dict[tuple[str, tuple[tuple[str, str], ...]], dict[_Key, _Bucket]] = {}

    def earliest(self, mid: str, match: Mapping[str, str], anchor: Event, order: str = "not_after") -> Event | None:
        """The earliest event of ``mid`` whose fields equal the anchor's and that stands in ``order`` to it.

        ``order`` (EventPattern.order): by default on or before the anchor's day; ``before``: strictly
        before it (on its day only if neither is a bare date); ``same_day_unclear``: on the anchor's day
        with either a bare date. Equality is on the flattened values, as the backends' joins compared
        them; the anchor itself never fills a slot. Only events of the anchor's own day can be passed
        over, so a lookup costs a binary search and a walk through that day.
        """
        if mid not in self._acts:
            return None
        pairs = tuple(sorted(match.items()))
        key = (mid, pairs)
        index = self._built.get(key)
        if index is None:
            index = {}
            for (fid,) in self._acts.get(mid, ()):  # in event order
                ev = self._events[fid]
                values = tuple(ev.data.get(mine) for mine, _ in pairs)
                if any(v is None for v in values):
                    continue
                bucket = index.setdefault(tuple(flatten_value(v) for v in values), ([], []))
                bucket[0].append(ev)
                bucket[1].append(ev.occurred_at)
            self._built[key] = index
        values = tuple(anchor.data.get(theirs) for _, theirs in pairs)
        if any(v is None for v in values):
            return None
        found = index.get(tuple(flatten_value(v) for v in values))
        if found is None:
            return None
        evs, times = found
        day0 = day_start(anchor.day)
        end = day_start(anchor.day + timedelta(days=1))
        # Every event before the anchor's day qualifies, except for same_day_unclear.
        i = bisect_left(times, day0) if order == "same_day_unclear" else 0
        for k in range(i, len(evs)):
            ev = evs[k]
            if ev.occurred_at >= end:
                return None
            if ev.id == anchor.id:
                continue
            unclear = ev.day == anchor.day and (anchor.date_only or ev.date_only)
            if order == "before":
                ok = ev.day < anchor.day if unclear else ev.occurred_at < anchor.occurred_at
            elif order == "same_day_unclear":
                ok = unclear
            else:
                ok = True  # before the end of the anchor's day: not after it
            if ok:
                return ev
        return None
