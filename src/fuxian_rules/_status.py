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

from ._calendar import CST, LegalCalendar
from ._compiler import CompiledCatalog, CompiledRule
from ._due import Due, DueDates, due
from ._events import Event
from ._ir import Activation, construct
from ._results import Obligation, Status

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
    cancel_late: Event | None = None
    breach: datetime | None = None
    holder: str = "unknown"
    status_note: str = ""


def _not_before(ev: Event, ref: Event) -> bool:
    return ev.occurred_at >= ref.occurred_at or ev.day == ref.day


def _matches(mine: Any, theirs: Any) -> bool:
    """A closing event's field matches the instance's: equal, or (a list of units) containing it."""
    if mine is None:
        return False
    if isinstance(mine, list) and not isinstance(theirs, list):
        return theirs in mine
    return bool(mine == theirs)


def _one_per_unit(insts: list[_Instance], field: str) -> list[_Instance]:
    """Split each instance into one per unit its list field names (``holder: {field: …, each: true}``)."""
    out = []
    for inst in insts:
        units = inst.context.get(field)
        for unit in sorted(set(units)) if isinstance(units, list) else []:
            ctx = dict(inst.context)
            ctx[field] = unit
            out.append(_Instance(inst.rule, inst.case_id, inst.anchor, list(inst.trigger_ids), ctx, inst.start,
                                 inst.start_day, inst.date_only, inst.origin, inst.year))
    return out


def _in_order(anchor: Event, partner: Event, order: str) -> bool:
    """Whether a required event stands in the pattern's ``order`` to the trigger (see EventPattern.order)."""
    unclear = anchor.day == partner.day and (anchor.date_only or partner.date_only)
    if order == "before":
        return partner.day < anchor.day if unclear else partner.occurred_at < anchor.occurred_at
    if order == "same_day_unclear":
        return unclear
    return _not_before(anchor, partner)


def _year_of(ev: Event) -> int:
    """The year a yearly duty's closing event counts for: its ``data.year`` if it names one, else its day's."""
    year = ev.data.get("year")
    return year if isinstance(year, int) and not isinstance(year, bool) else ev.day.year


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
        # anchor id -> for each required pattern, the earlier events that can fill it. Activations come
        # grouped by anchor in event order (see evaluate), so the anchors are visited in that order.
        partners: dict[str, list[dict[str, Event]]] = {}
        width = len(spec.trigger.requires)
        for ids in found:
            slots = partners.get(ids[0])
            if slots is None:
                slots = partners[ids[0]] = [{} for _ in range(width)]
            anchor = events[ids[0]]
            for k, pid in enumerate(ids[1:]):
                if _in_order(anchor, events[pid], spec.trigger.requires[k].order):
                    slots[k][pid] = events[pid]
        out = []
        for aid, slots in partners.items():
            anchor = events[aid]
            if not all(slots) or not self._valid_on(cr, anchor.day):
                continue
            chosen = [min(s.values(), key=lambda e: (e.occurred_at, e.id)) for s in slots]
            context: dict[str, Any] = {}
            for ev in (*chosen, anchor):
                context.update({k: v for k, v in ev.data.items() if v is not None})
            out.append(_Instance(cr, case_id, anchor, [anchor.id, *(e.id for e in chosen)], context,
                                 anchor.occurred_at, anchor.day, anchor.date_only, "event"))
        return out

    def _valid_on(self, cr: CompiledRule, day: date) -> bool:
        return cr.spec.valid_from <= day and (cr.spec.valid_to is None or day <= cr.spec.valid_to)

    def _scheduled_instances(self, cr: CompiledRule, case_id: str, at: datetime,
                             acts: dict[str, list[tuple[str, ...]]], events: dict[str, Event]) -> list[_Instance]:
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
            for year in range(first_day.year, last_year + 1):
                start_day = max(first_day, date(year, 1, 1))
                start = datetime.combine(start_day, time(0), tzinfo=CST)
                if start >= at:  # as_of "2024-12-31" is 2025-01-01T00:00: no 2025 duty yet
                    continue
                out.append(_Instance(cr, case_id, first, ids, dict(ctx), start, start_day, True, "schedule",
                                     year=year))
        return out

    # ---- due dates --------------------------------------------------------------------------------
    def _due(self, inst: _Instance, done: dict[str, list[_Instance]]) -> Due | None:
        spec = inst.rule.spec
        p = spec.period
        if p is None or not p.follows:
            return self._dues.of(spec.id, inst.start, inst.start_day, inst.date_only, inst.year, inst.context)
        # Once a followed step is breached, its due is final: a later step must not reopen the period.
        breached = [i for rid in p.follows for i in done.get(rid, []) if i.breach is not None]
        first = min(breached, key=lambda i: (i.breach, i.trigger_ids), default=None)
        for rid in p.follows:
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
               acts: dict[str, list[tuple[str, ...]]], events: dict[str, Event]) -> Event | None:
        best: Event | None = None
        for mid, pat in zip(matcher_ids, patterns, strict=True):
            found = acts.get(mid)
            if not found:
                continue
            for (fid,) in found:  # in event order (see evaluate): the first that qualifies is the answer
                ev = events[fid]
                if best is not None and (ev.occurred_at, fid) >= (best.occurred_at, best.id):
                    break
                if fid in inst.trigger_ids:
                    continue
                if inst.year is not None:
                    if getattr(pat, "first_year_only", False):
                        if inst.anchor is None or inst.year != inst.anchor.day.year or ev.day.year != inst.year:
                            continue
                    elif _year_of(ev) != inst.year:
                        continue
                elif inst.anchor is not None and pat.after_trigger and not _not_before(ev, inst.anchor):
                    continue
                if pat.match and not all(_matches(ev.data.get(mine), inst.context.get(theirs))
                                         for mine, theirs in pat.match.items()):
                    continue
                best = ev
                break
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
        late = inst.cancel_late
        if late is not None and (close is None or (late.occurred_at, late.id) <= (close.occurred_at, close.id)):
            inst.status, inst.closed_by, inst.cancelled_by = "cancelled", None, late
            inst.status_note = f"事件 {late.id}（{_stamp(late)}）使本规则的前提不再成立，本规则不再适用（无论该事件是否晚于期限）"
            return
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
                 at: datetime) -> list[Obligation]:
        """Build, time and decide every instance in the case; escalate breaches; return obligations."""
        by_id = {e.id: e for e in events}
        acts: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        # Per matcher, in the order of the anchor events (instant, then id): _first stops at the first fit.
        for a in sorted(activations, key=lambda a: (a.matcher_id, by_id[a.fact_ids[0]].occurred_at, a.fact_ids)):
            acts[a.matcher_id].append(a.fact_ids)
        done: dict[str, list[_Instance]] = {}
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
                if spec.holder.each is not None:
                    insts = _one_per_unit(insts, spec.holder.each)
            elif spec.trigger.schedule is not None:
                insts = self._scheduled_instances(cr, case_id, at, acts, by_id)
            else:
                insts = self._escalated_instances(cr, escalations.get(spec.id, []))
            for inst in insts:
                inst.holder = self._holder(inst)
                inst.due = self._due(inst, done)
                inst.closed_by = self._first(inst, cr.closes, spec.closed_by, acts, by_id)
                inst.cancelled_by = self._first(inst, cr.cancels, spec.cancelled_by, acts, by_id)
                if any(p.late_too for p in spec.cancelled_by):
                    late = [(m, p) for m, p in zip(cr.cancels, spec.cancelled_by, strict=True) if p.late_too]
                    inst.cancel_late = self._first(inst, [m for m, _ in late], [p for _, p in late], acts, by_id)
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
        if h.map is not None:
            return h.map.get(value, h.default or "unknown") if isinstance(value, str) else (h.default or "unknown")
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
        if spec.holder.each is not None:
            unit = str(inst.context.get(spec.holder.each, ""))
            trigger += f"\n所涉单位：{self._unit_name(unit)}［{unit}］（本项只就该单位核查）"
        if spec.holder.map is not None and not inst.context.get(spec.holder.field or ""):
            trigger += "\n注意：事件未载明单位类别（unit_kind），无法确定按职责分工负责督促的部门；请补充单位类别"
        kind_field = self.catalog.types[inst.anchor.type].fields.get("unit_kind") if inst.anchor else None
        if kind_field is not None and inst.holder not in self.catalog.units and not inst.context.get("unit_kind"):
            trigger += ("\n注意：义务人不在单位名录中，事件也未载明单位类别（unit_kind），本系统未核实其是否属于"
                        "密切接触未成年人的单位；结果以事件所述为准")
        return (f"{self._head[spec.id]}\n{trigger}\n"
                f"义务人：{self._unit_name(inst.holder)}［{inst.holder}］{self._role[spec.id]}\n{due}\n"
                f"状态：{_STATUS_ZH[inst.status]}。{inst.status_note}{self._tail[spec.id]}")
