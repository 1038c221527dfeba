"""From activations to obligations: instances, due dates, closing, status — all in event time.

The backends only say which events match which patterns. Everything that depends on *when* — whether a
required event came before the trigger, whether a closing act came in time, whether ``as_of`` is past
the due date, when a breach escalates — is decided here, identically for every backend.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from fuxian_rules.calendar.legal import CST, LegalCalendar
from fuxian_rules.engine.backends.compiler import CompiledCatalog, CompiledRule
from fuxian_rules.engine.backends.ir import Activation, construct
from fuxian_rules.engine.due import Due, DueDates, due
from fuxian_rules.engine.limits import horizon_note
from fuxian_rules.engine.pairing import ClosingIndex, PartnerIndex
from fuxian_rules.model.events import Event
from fuxian_rules.model.results import Obligation, Status

__all__ = ["CaseEvaluator"]

_MODALITY_ZH = {"obligation": "义务", "prohibition": "禁止性规定", "permission": "可以（提示）"}
_STATUS_ZH = {
    "open": "未到期（尚未履行）", "fulfilled": "已按期履行", "fulfilled_late": "已履行但逾期",
    "overdue": "已逾期未履行", "violated": "已违反", "advisory": "提示", "cancelled": "已不再适用",
}


@dataclass(slots=True)
class _Instance:
    rule: CompiledRule
    case_id: str
    anchor: Event | None
    trigger_ids: list[str]
    context: dict[str, Any]
    start: datetime
    start_day: date
    date_only: bool
    origin: str
    year: int | None = None
    due: Due | None = None
    status: Status = "open"
    closed_by: Event | None = None
    cancelled_by: Event | None = None
    breach: datetime | None = None
    holder: str = "unknown"
    status_note: str = ""


def _not_before(ev: Event, ref: Event) -> bool:
    return ev.occurred_at >= ref.occurred_at or ev.day == ref.day


def _instant_stamp(at: datetime, date_only: bool) -> str:
    local = at if at.tzinfo is CST else at.astimezone(CST)
    if date_only:
        return local.date().isoformat()
    # %-formatting: half the cost of isoformat(" ", "minutes") or an f-string here, on a hot path
    return "%04d-%02d-%02d %02d:%02d" % (local.year, local.month, local.day, local.hour, local.minute)  # noqa: UP031


def _stamp(ev: Event) -> str:
    """The event's time as legal staff read it: its CST day, or day and minute."""
    return _instant_stamp(ev.occurred_at, ev.date_only)


class CaseEvaluator:
    """Turn one case's activations into obligations."""

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
        self._dues = DueDates(compiled, calendar)
        # The fixed lines of each rule's explanation.
        self._head = {cr.spec.id: f"【{_MODALITY_ZH[cr.spec.modality]}】{cr.spec.title}\n依据："
                      + "；".join(self._cite(c) for c in cr.spec.basis) for cr in compiled.rules}
        self._tail = {cr.spec.id: f"\n说明：{cr.spec.explain}" if cr.spec.explain else "" for cr in compiled.rules}
        self._role = {cr.spec.id: f"（{cr.spec.holder.role}）" if cr.spec.holder.role else "" for cr in compiled.rules}

    # ---- instances ------------------------------------------------------------------------------
    def _event_instances(self, cr: CompiledRule, case_id: str, acts: dict[str, list[tuple[str, ...]]],
                         events: dict[str, Event]) -> list[_Instance]:
        spec = cr.spec
        found = acts.get(cr.trigger or "", ())
        if not spec.trigger.requires:  # one instance per matching event, already in event order
            anchors = [events[aid] for (aid,) in found]
            return [_Instance(cr, case_id, a, [a.id], {k: v for k, v in a.data.items() if v is not None},
                              a.occurred_at, day, a.date_only, "event")
                    for a in anchors if self._valid_on(cr, day := a.day)]
        # Each required pattern is filled by its earliest event (joined on the match fields) on or
        # before the anchor's day; anchors come in event order (see evaluate).
        index = PartnerIndex(acts, events)
        out = []
        for (aid,) in found:
            anchor = events[aid]
            if not self._valid_on(cr, anchor.day):
                continue
            slots = [index.earliest(mid, r.match, anchor) for mid, r in zip(cr.requires, spec.trigger.requires,
                                                                              strict=True)]
            chosen = [e for e in slots if e is not None]
            if len(chosen) < len(slots):
                continue
            context: dict[str, Any] = {}
            for ev in (*chosen, anchor):
                context.update({k: v for k, v in ev.data.items() if v is not None})
            out.append(_Instance(cr, case_id, anchor, [anchor.id, *(e.id for e in chosen)], context,
                                 anchor.occurred_at, anchor.day, anchor.date_only, "event"))
        return out

    def _valid_on(self, cr: CompiledRule, day: date) -> bool:
        return cr.spec.valid_from <= day and (cr.spec.valid_to is None or day <= cr.spec.valid_to)

    def _scheduled_instances(self, cr: CompiledRule, case_id: str, at: datetime,
                             acts: dict[str, list[tuple[str, ...]]], events: dict[str, Event],
                             horizon: int | None = None, notes: list[str] | None = None) -> list[_Instance]:
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
                if start < at and self._valid_on(cr, first_day):
                    out.append(_Instance(cr, case_id, first, ids, dict(ctx), start, first_day, True, "schedule"))
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
                out.append(_Instance(cr, case_id, first, ids, dict(ctx), start, start_day, True, "schedule",
                                     year=year))
        return out

    # ---- due dates --------------------------------------------------------------------------------
    def _due(self, inst: _Instance, done: dict[str, list[_Instance]], follows: dict[str, Due | None]) -> Due | None:
        spec = inst.rule.spec
        p = spec.period
        if p is None or not p.follows:
            return self._dues.of(spec.id, inst.start, inst.start_day, inst.date_only, inst.year, inst.context)
        # The same for every instance of the rule in the case (it reads only the followed rules' instances,
        # all decided before this rule): computed once per case, not once per instance.
        if spec.id not in follows:
            follows[spec.id] = self._followed_due(p.follows, done)
        return follows[spec.id]

    def _followed_due(self, followed: Sequence[str], done: dict[str, list[_Instance]]) -> Due | None:
        p_follows = followed
        # Once a followed step is breached, its due is final: a later step must not reopen the period.
        breached = [i for rid in p_follows for i in done.get(rid, []) if i.breach is not None]
        first = min(breached, key=lambda i: (i.breach, i.trigger_ids), default=None)
        for rid in p_follows:
            if first is not None and first.rule.spec.id != rid:
                continue
            if done.get(rid):
                src = first or max(done[rid], key=lambda i: (i.start, i.trigger_ids))
                if src.due is None:
                    return None
                d = src.due
                return due(d.text, d.end, d.day, d.at, d.provisional,
                           (f"期限与本案规则 {rid} 的届满时间相同（由事件 {src.trigger_ids[0]} 引起）：", *d.steps), d.terms)
        return None

    # ---- closing and status ---------------------------------------------------------------------
    def _first(self, inst: _Instance, matcher_ids: Sequence[str], patterns: Sequence[Any],
               index: ClosingIndex) -> Event | None:
        """The earliest event that closes (or cancels) the instance, through the case's index (linear)."""
        best: Event | None = None
        for mid, pat in zip(matcher_ids, patterns, strict=True):
            ev = index.first(mid, pat.match, pat.after_trigger, anchor=inst.anchor, trigger_ids=inst.trigger_ids,
                             year=inst.year, context=inst.context)
            if ev is not None and (best is None or (ev.occurred_at, ev.id) < (best.occurred_at, best.id)):
                best = ev
        return best

    def _on_time(self, ev: Event, due: Due | None) -> bool:
        if due is None or due.end is None:
            return True
        if due.at is not None:
            # A bare-date act happened some time that day: on time if its day began before the due
            # instant (the benefit of the doubt), late if the day began at or after it.
            return ev.occurred_at < due.at if ev.date_only else ev.occurred_at <= due.at
        assert due.day is not None
        return ev.day <= due.day

    def _decide(self, inst: _Instance, at: datetime) -> None:
        spec, due = inst.rule.spec, inst.due
        close, cancel = inst.closed_by, inst.cancelled_by
        end = due.end if due is not None else None
        if cancel is not None and (close is None or (cancel.occurred_at, cancel.id) <= (close.occurred_at, close.id)) \
                and self._on_time(cancel, due):
            inst.status, inst.closed_by = "cancelled", None
            inst.status_note = f"事件 {cancel.id}（{_stamp(cancel)}）发生后本规则不再适用"
            return
        inst.cancelled_by = None
        if spec.modality == "permission":
            inst.status = "advisory"
            if close is not None:
                inst.status_note = f"已由事件 {close.id}（{_stamp(close)}）行使或落实"
            elif end is not None and at > end:
                inst.status_note = f"提示：已过提示期限（{due.text if due else ''}），仍未见相应事件；不作为逾期认定"
            else:
                inst.status_note = "提示：可以（或应当注意）采取的行动，不作为逾期认定"
            return
        if spec.modality == "prohibition" and spec.period is None and not spec.closed_by:
            inst.status, inst.breach = "violated", inst.start
            inst.status_note = "该行为一经发生即违反禁止性规定"
            return
        # An act before the trigger (``after_trigger: false``) means the duty was met before it arose.
        if close is not None and (self._on_time(close, due) or close.occurred_at <= inst.start):
            inst.status = "fulfilled"
            inst.status_note = f"事件 {close.id}（{_stamp(close)}）在期限内履行" if end else f"事件 {close.id}（{_stamp(close)}）已履行"
            return
        # A late closing act proves the period has run out, even when ``at`` is its very instant (24:00).
        if end is not None and (at > end or close is not None):
            inst.breach = max(end, inst.start)  # a breach cannot precede the act that raised the duty
            if spec.modality == "prohibition":
                inst.status = "violated"
                inst.status_note = ("期限届满仍未纠正，构成违反" if close is None
                                    else f"纠正行为（事件 {close.id}，{_stamp(close)}）晚于期限，违反已经发生")
            elif close is not None:
                inst.status = "fulfilled_late"
                inst.status_note = f"事件 {close.id}（{_stamp(close)}）履行，但晚于届满时间"
            else:
                inst.status = "overdue"
                inst.status_note = f"截至 {_instant_stamp(at, False)} 已过届满时间，未见履行事件"
            return
        inst.status = "open"
        inst.status_note = "尚未履行，期限未届满" if end is not None else "尚未履行；来源未规定期限，亦无部署政策适用"

    # ---- the case ------------------------------------------------------------------------------
    def evaluate(self, case_id: str, events: Sequence[Event], activations: set[Activation],
                 at: datetime, notes: list[str] | None = None, horizon: int | None = None) -> list[Obligation]:
        """Build, time and decide every instance in the case; escalate breaches; return obligations.

        Yearly duties are raised for at most ``horizon`` years from their first year (a note is added
        to ``notes`` when that cut anything). Cost is near-linear in the case's events: closing acts
        and required events are found through indexes (:mod:`fuxian_rules.engine.pairing`).
        """
        by_id = {e.id: e for e in events}
        acts: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        # Per matcher, in the order of the anchor events (instant, then id): _first stops at the first fit.
        for a in sorted(activations, key=lambda a: (a.matcher_id, by_id[a.fact_ids[0]].occurred_at, a.fact_ids)):
            acts[a.matcher_id].append(a.fact_ids)
        done: dict[str, list[_Instance]] = {}
        closing = ClosingIndex(acts, by_id)
        follows: dict[str, Due | None] = {}
        escalations: dict[str, list[_Instance]] = defaultdict(list)
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
            elif spec.trigger.schedule is not None:
                insts = self._scheduled_instances(cr, case_id, at, acts, by_id, horizon, notes)
            else:
                insts = self._escalated_instances(cr, escalations.get(spec.id, []))
            for inst in insts:
                inst.holder = self._holder(inst)
                inst.due = self._due(inst, done, follows)
                inst.closed_by = self._first(inst, cr.closes, spec.closed_by, closing)
                inst.cancelled_by = self._first(inst, cr.cancels, spec.cancelled_by, closing)
                self._decide(inst, at)
                if inst.breach is not None and inst.breach < at:
                    for target in spec.escalates_to:
                        escalations[target].append(inst)
                        heapq.heappush(pending, self._position[target])
            done[spec.id] = insts
        out = [self._obligation(i) for insts in done.values() for i in insts]
        out.sort(key=lambda o: (o.case_id, o.rule, o.triggered_by, o.holder))
        return out

    def _escalated_instances(self, cr: CompiledRule, sources: list[_Instance]) -> list[_Instance]:
        best: dict[str, _Instance] = {}
        for src in sorted(sources, key=lambda s: (s.breach, s.rule.spec.id, s.trigger_ids)):
            assert src.breach is not None
            probe = _Instance(cr, src.case_id, src.anchor, list(src.trigger_ids), dict(src.context), src.breach,
                              src.breach.astimezone(CST).date(), False,
                              f"规则 {src.rule.spec.id}（{src.rule.spec.title}）于 "
                              f"{_instant_stamp(src.breach, False)} {_STATUS_ZH[src.status]}")
            holder = self._holder(probe)
            if holder not in best and self._valid_on(cr, probe.start_day):
                best[holder] = probe
        return [best[h] for h in sorted(best)]

    def _holder(self, inst: _Instance) -> str:
        h = inst.rule.spec.holder
        if h.unit is not None:
            return h.unit
        value = inst.context.get(h.field or "")
        if isinstance(value, str) and value:
            return value
        return h.default or "unknown"

    # ---- output -------------------------------------------------------------------------------
    def _unit_name(self, code: str) -> str:
        unit = self.catalog.units.get(code)
        return unit.name if unit is not None else code

    def _obligation(self, inst: _Instance) -> Obligation:
        spec = inst.rule.spec
        closed = [e.id for e in (inst.closed_by, inst.cancelled_by) if e is not None]
        due = inst.due
        return construct(Obligation, {
            "rule": spec.id, "case_id": inst.case_id, "holder": inst.holder,
            "holder_name": self._unit_name(inst.holder), "modality": spec.modality, "status": inst.status,
            "due": due.text if due is not None else None,
            "due_provisional": due.provisional if due is not None else False,
            "policy_terms": list(due.terms) if due is not None else [],
            "basis": list(spec.basis), "triggered_by": list(inst.trigger_ids), "closed_by": closed,
            "title": spec.title, "explanation": self._explanation(inst),
        })

    def _cite(self, cid: str) -> str:
        if cid.startswith("notice:"):
            clause = self.catalog.notice.get(cid.removeprefix("notice:"))
            return f"通知{clause.label}" if clause is not None else cid
        name = str(self.catalog.instruments.get(cid.split(":")[0], {}).get("name", cid))
        return f"《{name.split('（')[0]}》第{cid.split(':')[1]}条"

    def _explanation(self, inst: _Instance) -> str:
        spec = inst.rule.spec
        if inst.origin == "event" and inst.anchor is not None:
            a = inst.anchor
            trigger = f"触发：{_stamp(a)} 事件 {a.id}（{self.catalog.types[a.type].title}）"
            for eid in inst.trigger_ids[1:]:
                trigger += f"\n　同案在先事件：{eid}"
        elif inst.origin == "schedule":
            since = spec.valid_from.isoformat()
            if inst.anchor is not None:
                since = f"{max(spec.valid_from, inst.anchor.day).isoformat()}（该单位在本案中的首个事件 {inst.anchor.id}）"
            if inst.year is not None:
                trigger = f"触发：{inst.year} 年度义务，自 {since} 起每年产生，无需触发事件"
            else:
                trigger = f"触发：常设义务，自 {since} 起存在，无需触发事件"
        else:
            trigger = f"触发：{inst.origin}，依本规则升级"
        due = inst.due.line if inst.due is not None else "期限：来源未规定期限，亦无部署政策适用，不设届满日"
        return (f"{self._head[spec.id]}\n{trigger}\n"
                f"义务人：{self._unit_name(inst.holder)}［{inst.holder}］{self._role[spec.id]}\n{due}\n"
                f"状态：{_STATUS_ZH[inst.status]}。{inst.status_note}{self._tail[spec.id]}")
