"""From activations to decided instances: instances, due dates, closing, status — all in event time.

The backends only say which events match which patterns. Everything that depends on *when* — whether a
required event came before the trigger, whether a closing act came in time, whether ``as_of`` is past
the due date, when a breach escalates — is decided here, identically for every backend. Each decision
records *why* as a :class:`Reason`; the Chinese text of obligations is written from it by
:mod:`fuxian_rules.engine.explanations`.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from fuxian_rules.calendar.legal import LegalCalendar
from fuxian_rules.engine.backends.compiler import CompiledCatalog, CompiledRule
from fuxian_rules.engine.backends.ir import Activation
from fuxian_rules.engine.deadlines import Deadline, Deadlines, same_as
from fuxian_rules.engine.limits import horizon_note
from fuxian_rules.engine.pairing import ClosingIndex, PartnerIndex
from fuxian_rules.model.events import Event
from fuxian_rules.model.results import Status
from fuxian_rules.model.rules import RuleSpec
from fuxian_rules.model.time import CST

__all__ = ["CaseEvaluator", "Instance", "Reason", "not_before", "valid_on"]


class Reason(Enum):
    """Why an instance has its status: the decision, which the explanation then puts into words."""

    CANCELLED = "cancelled"  # a cancelling event came first (and in time)
    ADVISORY_ACTED = "advisory_acted"  # a permission was exercised
    ADVISORY_LAPSED = "advisory_lapsed"  # a permission's indicative period ran out unused
    ADVISORY = "advisory"  # a permission, nothing to decide
    VIOLATED_ON_ACT = "violated_on_act"  # a prohibited act: violated as it happened
    FULFILLED_IN_TIME = "fulfilled_in_time"  # closed within the period
    FULFILLED = "fulfilled"  # closed, no period to be late against
    VIOLATED_UNCORRECTED = "violated_uncorrected"  # a prohibition's correction period ran out
    VIOLATED_LATE_CORRECTION = "violated_late_correction"  # corrected, but after the period
    FULFILLED_LATE = "fulfilled_late"  # closed after the period
    OVERDUE = "overdue"  # the period ran out with no closing event
    OPEN = "open"  # not closed, the period still running
    OPEN_NO_LIMIT = "open_no_limit"  # not closed, and no period applies


@dataclass(slots=True)
class Instance:
    """One occurrence of a rule in a case: what raised it, its due date, what closed it, and its status."""

    rule: CompiledRule
    case_id: str
    anchor: Event | None
    trigger_ids: list[str]
    context: dict[str, Any]
    start: datetime
    start_day: date
    date_only: bool
    origin: str  # "event", "schedule" or "escalation"
    year: int | None = None
    deadline: Deadline | None = None
    status: Status = "open"
    closed_by: Event | None = None
    cancelled_by: Event | None = None
    cancel_late: Event | None = None
    breach: datetime | None = None
    holder: str = "unknown"
    reason: Reason = Reason.OPEN
    escalated_from: Instance | None = None


def not_before(ev: Event, ref: Event) -> bool:
    """Whether ``ev`` did not happen before ``ref`` (same-day bare dates count as not before)."""
    return ev.occurred_at >= ref.occurred_at or ev.day == ref.day


def _one_per_unit(insts: list[Instance], field: str) -> list[Instance]:
    """Split each instance into one per unit its list field names (``holder: {field: …, each: true}``)."""
    out = []
    for inst in insts:
        units = inst.context.get(field)
        for unit in sorted(set(units)) if isinstance(units, list) else []:
            ctx = dict(inst.context)
            ctx[field] = unit
            out.append(Instance(inst.rule, inst.case_id, inst.anchor, list(inst.trigger_ids), ctx, inst.start,
                                 inst.start_day, inst.date_only, inst.origin, inst.year))
    return out


def valid_on(spec: RuleSpec, day: date) -> bool:
    """Whether a rule is in force on ``day`` (its ``valid_from``/``valid_to``)."""
    return spec.valid_from <= day and (spec.valid_to is None or day <= spec.valid_to)


#: A closing (or cancelling) act of a rule: its matcher, match fields as sorted pairs, after_trigger and
#: first_year_only (see ClosingIndex.first).
_Closer = tuple[str, tuple[tuple[str, str], ...], bool, bool]


def _closers(matcher_ids: Sequence[str], patterns: Sequence[Any], late_only: bool = False) -> tuple[_Closer, ...]:
    return tuple((mid, tuple(sorted(p.match.items())), p.after_trigger, bool(getattr(p, "first_year_only", False)))
                 for mid, p in zip(matcher_ids, patterns, strict=True) if p.late_too or not late_only)


class CaseEvaluator:
    """Turn one case's activations into decided instances."""

    def __init__(self, compiled: CompiledCatalog, calendar: LegalCalendar) -> None:
        self.compiled = compiled
        self.catalog = compiled.catalog
        self.calendar = calendar
        self.by_id = {cr.spec.id: cr for cr in compiled.rules}
        # Positions in dependency order, by rule id and by trigger matcher id (see evaluate()).
        self._position = {cr.spec.id: i for i, cr in enumerate(compiled.rules)}
        self._position.update({cr.trigger: i for i, cr in enumerate(compiled.rules) if cr.trigger is not None})
        # Scheduled rules a case can raise: those of its fixed case id, and those whose units matcher fired.
        self._position.update({cr.units: i for i, cr in enumerate(compiled.rules) if cr.units is not None})
        self._scheduled_for: dict[str, list[int]] = defaultdict(list)
        for i, cr in enumerate(compiled.rules):
            sched = cr.spec.trigger.schedule
            if sched is not None and sched.case_id is not None:
                self._scheduled_for[sched.case_id].append(i)
        self._deadlines = Deadlines(compiled, calendar)
        # Per rule (by position): its closing, cancelling and late-cancelling acts, ready for the index.
        self._closers = [(_closers(cr.closes, cr.spec.closed_by), _closers(cr.cancels, cr.spec.cancelled_by),
                          _closers(cr.cancels, cr.spec.cancelled_by, late_only=True)) for cr in compiled.rules]

    # ---- instances ------------------------------------------------------------------------------
    def _event_instances(self, cr: CompiledRule, case_id: str, acts: dict[str, list[tuple[str, ...]]],
                         events: dict[str, Event]) -> list[Instance]:
        spec = cr.spec
        found = acts.get(cr.trigger or "", ())
        if not spec.trigger.requires:  # one instance per matching event, already in event order
            anchors = [events[aid] for (aid,) in found]
            return [Instance(cr, case_id, a, [a.id], {k: v for k, v in a.data.items() if v is not None},
                              a.occurred_at, day, a.date_only, "event")
                    for a in anchors if valid_on(cr.spec, day := a.day)]
        # Each required pattern is filled by its earliest event (joined on the match fields) on or
        # before the anchor's day, found through an index; anchors come in event order (see evaluate).
        index = PartnerIndex(acts, events)
        out = []
        for (aid,) in found:
            anchor = events[aid]
            if not valid_on(cr.spec, anchor.day):
                continue
            slots = [index.earliest(mid, r.match, anchor, r.order)
                     for mid, r in zip(cr.requires, spec.trigger.requires, strict=True)]
            chosen = [e for e in slots if e is not None]
            if len(chosen) < len(slots):
                continue
            context: dict[str, Any] = {}
            for ev in (*chosen, anchor):
                context.update({k: v for k, v in ev.data.items() if v is not None})
            out.append(Instance(cr, case_id, anchor, [anchor.id, *(e.id for e in chosen)], context,
                                 anchor.occurred_at, anchor.day, anchor.date_only, "event"))
        return out

    def _scheduled_instances(self, cr: CompiledRule, case_id: str, at: datetime,
                             acts: dict[str, list[tuple[str, ...]]], events: dict[str, Event],
                             horizon: int | None = None, notes: list[str] | None = None) -> list[Instance]:
        sched = cr.spec.trigger.schedule
        assert sched is not None
        if sched.case_id is not None and sched.case_id != case_id:
            return []
        units: dict[str, Event | None] = {}
        if sched.units_from is not None:
            for (fid,) in acts.get(cr.units or "", []):  # in event order (see evaluate): first one wins
                unit = events[fid].data.get("unit")
                if isinstance(unit, str):
                    units.setdefault(unit, events[fid])
        elif sched.units is not None:
            units.update((u, None) for u in sched.units)
        else:
            units[""] = None
        last_year = min(at.astimezone(CST).date().year, (cr.spec.valid_to or date.max).year)
        out = []
        for unit, first in sorted(units.items()):
            first_day = max(cr.spec.valid_from, first.day if first is not None else cr.spec.valid_from)
            ctx = {"unit": unit} if unit else {}
            ids = [first.id] if first is not None else []
            if sched.every == "once":
                start = datetime.combine(first_day, time(0), tzinfo=CST)
                if start < at and valid_on(cr.spec, first_day):
                    out.append(Instance(cr, case_id, first, ids, dict(ctx), start, first_day, True, "schedule"))
                continue
            if horizon is not None and last_year >= first_day.year + horizon:
                # A far as_of would raise a duty for every year up to it (a thousand years for 2999).
                if notes is not None and horizon_note(horizon) not in notes:
                    notes.append(horizon_note(horizon))
                last_year = first_day.year + horizon - 1
            for year in range(first_day.year, last_year + 1):
                start_day = max(first_day, date(year, 1, 1))
                start = datetime.combine(start_day, time(0), tzinfo=CST)
                if start >= at:  # as_of "2024-12-31" is 2025-01-01T00:00: no 2025 duty yet
                    continue
                out.append(Instance(cr, case_id, first, ids, dict(ctx), start, start_day, True, "schedule",
                                     year=year))
        return out

    # ---- deadlines ----------------------------------------------------------------------------------
    def _deadline(self, inst: Instance, done: dict[str, list[Instance]],
                  follows: dict[str, Deadline | None]) -> Deadline | None:
        spec = inst.rule.spec
        p = spec.period
        if p is None or not p.follows:
            return self._deadlines.of(spec.id, inst.start, inst.start_day, inst.date_only, inst.year, inst.context)
        # The same for every instance of the rule in the case (it reads only the followed rules' instances,
        # all decided before this rule): computed once per case, not once per instance.
        if spec.id not in follows:
            follows[spec.id] = self._followed_deadline(p.follows, done)
        return follows[spec.id]

    @staticmethod
    def _followed_deadline(followed: Sequence[str], done: dict[str, list[Instance]]) -> Deadline | None:
        # Once a followed step is breached, its due is final: a later step must not reopen the period.
        breached = [i for rid in followed for i in done.get(rid, []) if i.breach is not None]
        first = min(breached, key=lambda i: (i.breach, i.trigger_ids), default=None)
        for rid in followed:
            if first is not None and first.rule.spec.id != rid:
                continue
            if done.get(rid):
                src = first or max(done[rid], key=lambda i: (i.start, i.trigger_ids))
                if src.deadline is None:
                    return None
                return same_as(src.deadline, rid, src.trigger_ids[0])
        return None

    # ---- closing and status ---------------------------------------------------------------------
    @staticmethod
    def _first(inst: Instance, closers: Sequence[_Closer], index: ClosingIndex) -> Event | None:
        """The earliest event that closes (or cancels) the instance, through the case's index (linear)."""
        best: Event | None = None
        for mid, pairs, after_trigger, first_year_only in closers:
            if not index.has(mid):
                continue
            ev = index.first(mid, pairs, after_trigger, anchor=inst.anchor, trigger_ids=inst.trigger_ids,
                             year=inst.year, context=inst.context, first_year_only=first_year_only)
            if ev is not None and (best is None or (ev.occurred_at, ev.id) < (best.occurred_at, best.id)):
                best = ev
        return best

    def _on_time(self, ev: Event, deadline: Deadline | None) -> bool:
        if deadline is None or deadline.end is None:
            return True
        if deadline.at is not None:
            # A bare-date act happened some time that day: on time if its day began before the due
            # instant (the benefit of the doubt), late if the day began at or after it.
            return ev.occurred_at < deadline.at if ev.date_only else ev.occurred_at <= deadline.at
        assert deadline.day is not None
        return ev.day <= deadline.day

    def _decide(self, inst: Instance, at: datetime) -> None:
        spec, deadline = inst.rule.spec, inst.deadline
        close, cancel = inst.closed_by, inst.cancelled_by
        end = deadline.end if deadline is not None else None
        late = inst.cancel_late
        if late is not None and (close is None or (late.occurred_at, late.id) <= (close.occurred_at, close.id)):
            # a decision that takes away the rule's premise, whenever it came (EventPattern.late_too)
            inst.status, inst.closed_by, inst.cancelled_by, inst.reason = "cancelled", None, late, Reason.CANCELLED
            return
        if cancel is not None and (close is None or (cancel.occurred_at, cancel.id) <= (close.occurred_at, close.id)) \
                and self._on_time(cancel, deadline):
            inst.status, inst.closed_by, inst.reason = "cancelled", None, Reason.CANCELLED
            return
        inst.cancelled_by = None
        if spec.modality == "permission":
            inst.status = "advisory"
            if close is not None:
                inst.reason = Reason.ADVISORY_ACTED
            elif end is not None and at > end:
                inst.reason = Reason.ADVISORY_LAPSED
            else:
                inst.reason = Reason.ADVISORY
            return
        if spec.modality == "prohibition" and spec.period is None and not spec.closed_by:
            inst.status, inst.breach = "violated", inst.start
            inst.reason = Reason.VIOLATED_ON_ACT
            return
        # An act before the trigger (``after_trigger: false``) means the duty was met before it arose.
        if close is not None and (self._on_time(close, deadline) or close.occurred_at <= inst.start):
            inst.status = "fulfilled"
            inst.reason = Reason.FULFILLED_IN_TIME if end else Reason.FULFILLED
            return
        # A late closing act proves the period has run out, even when ``at`` is its very instant (24:00).
        if end is not None and (at > end or close is not None):
            inst.breach = max(end, inst.start)  # a breach cannot precede the act that raised the duty
            if spec.modality == "prohibition":
                inst.status = "violated"
                inst.reason = Reason.VIOLATED_UNCORRECTED if close is None else Reason.VIOLATED_LATE_CORRECTION
            elif close is not None:
                inst.status = "fulfilled_late"
                inst.reason = Reason.FULFILLED_LATE
            else:
                inst.status = "overdue"
                inst.reason = Reason.OVERDUE
            return
        inst.status = "open"
        inst.reason = Reason.OPEN if end is not None else Reason.OPEN_NO_LIMIT

    # ---- the case ------------------------------------------------------------------------------
    def evaluate(self, case_id: str, events: Sequence[Event], activations: set[Activation],
                 at: datetime, notes: list[str] | None = None, horizon: int | None = None) -> list[Instance]:
        """Build, time and decide every instance in the case and escalate breaches, in dependency order.

        Yearly duties are raised for at most ``horizon`` years from their first year (a note is added
        to ``notes`` when that cut anything). Cost is near-linear in the case's events: closing acts
        and required events are found through indexes (:mod:`fuxian_rules.engine.pairing`).
        """
        by_id = {e.id: e for e in events}
        acts: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        # Per matcher, in the order of the anchor events (instant, then id): _first stops at the first fit.
        for a in sorted(activations, key=lambda a: (a.matcher_id, by_id[a.fact_ids[0]].occurred_at, a.fact_ids)):
            acts[a.matcher_id].append(a.fact_ids)
        done: dict[str, list[Instance]] = {}
        closing = ClosingIndex(acts, by_id)
        follows: dict[str, Deadline | None] = {}
        escalations: dict[str, list[Instance]] = defaultdict(list)
        # Visit, in the catalogue's dependency order, only the rules something in this case can raise:
        # those with a trigger activation, the scheduled ones, and escalation targets as they arise.
        pending = [self._position[m] for m in acts if m in self._position] + self._scheduled_for.get(case_id, [])
        heapq.heapify(pending)
        visited: set[int] = set()
        while pending:
            index = heapq.heappop(pending)
            if index in visited:
                continue
            visited.add(index)
            cr = self.compiled.rules[index]
            spec = cr.spec
            if spec.trigger.event is not None:
                insts = self._event_instances(cr, case_id, acts, by_id)
                if spec.holder.each is not None:
                    insts = _one_per_unit(insts, spec.holder.each)
            elif spec.trigger.schedule is not None:
                insts = self._scheduled_instances(cr, case_id, at, acts, by_id, horizon, notes)
            else:
                insts = self._escalated_instances(cr, escalations.get(spec.id, []))
            closes, cancels, cancels_late = self._closers[index]
            for inst in insts:
                inst.holder = self._holder(inst)
                inst.deadline = self._deadline(inst, done, follows)
                inst.closed_by = self._first(inst, closes, closing)
                inst.cancelled_by = self._first(inst, cancels, closing)
                if cancels_late:
                    inst.cancel_late = self._first(inst, cancels_late, closing)
                self._decide(inst, at)
                if inst.breach is not None and inst.breach < at:
                    for target in spec.escalates_to:
                        escalations[target].append(inst)
                        heapq.heappush(pending, self._position[target])
            done[spec.id] = insts
        return [i for insts in done.values() for i in insts]

    def _escalated_instances(self, cr: CompiledRule, sources: list[Instance]) -> list[Instance]:
        best: dict[str, Instance] = {}
        for src in sorted(sources, key=lambda s: (s.breach, s.rule.spec.id, s.trigger_ids)):
            assert src.breach is not None
            probe = Instance(cr, src.case_id, src.anchor, list(src.trigger_ids), dict(src.context), src.breach,
                             src.breach.astimezone(CST).date(), False, "escalation", escalated_from=src)
            holder = self._holder(probe)
            if holder not in best and valid_on(cr.spec, probe.start_day):
                best[holder] = probe
        return [best[h] for h in sorted(best)]

    def _holder(self, inst: Instance) -> str:
        h = inst.rule.spec.holder
        if h.unit is not None:
            return h.unit
        value = inst.context.get(h.field or "")
        if h.map is not None:
            return h.map.get(value, h.default or "unknown") if isinstance(value, str) else (h.default or "unknown")
        if isinstance(value, str) and value:
            return value
        return h.default or "unknown"
