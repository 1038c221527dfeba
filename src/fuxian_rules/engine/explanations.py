"""Every Chinese sentence an obligation carries, written from the decisions of :mod:`.status`.

The status module decides (instances, due dates, closing, status, each with a :class:`~.status.Reason`);
this module only puts those decisions into words for legal staff: the rule and its basis, what raised it,
who holds it, the due-date line, the status and why. It also answers "why is there no flag here?"
(:func:`why`, ``fuxian-rules explain --rule``): the trigger event missing, a data field with the wrong
value, the event outside the rule's validity, a required earlier event absent, or (for escalations and
yearly duties) what would have raised it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from fuxian_rules.engine.backends.compiler import CompiledCatalog, flatten
from fuxian_rules.engine.backends.ir import Activation, Probe
from fuxian_rules.engine.status import CaseEvaluator, Instance, Reason, not_before, valid_on
from fuxian_rules.model.citation import Citation
from fuxian_rules.model.construct import construct
from fuxian_rules.model.events import Event
from fuxian_rules.model.labels import RULE_KIND_ZH, STATUS_ZH
from fuxian_rules.model.results import Obligation
from fuxian_rules.model.time import CST
from fuxian_rules.model.zhtime import zh_date, zh_dates, zh_instant

__all__ = ["Explainer", "instant_stamp", "stamp", "why"]


def instant_stamp(at: datetime, date_only: bool) -> str:
    """When an event happened, as a person writes it: ``2024年7月5日`` or ``2024年7月5日 10时30分``."""
    local = at if at.tzinfo is CST else at.astimezone(CST)
    if date_only:
        return zh_date(local.date())
    return f"{zh_date(local.date())} {local.hour}时" + (f"{local.minute}分" if local.minute else "")


def stamp(ev: Event) -> str:
    """The event's time as legal staff read it: its CST day, or day and minute."""
    return instant_stamp(ev.occurred_at, ev.date_only)


class Explainer:
    """Write decided instances as obligations, with their Chinese explanation (contract §2)."""

    def __init__(self, compiled: CompiledCatalog) -> None:
        self.catalog = compiled.catalog
        # The fixed lines of each rule's explanation, written once.
        self._head = {cr.spec.id: f"【{RULE_KIND_ZH[cr.spec.modality]}】{cr.spec.title}\n依据："
                      + "；".join(self._cite(c) for c in cr.spec.basis) for cr in compiled.rules}
        self._tail = {cr.spec.id: f"\n说明：{cr.spec.explain}" if cr.spec.explain else "" for cr in compiled.rules}
        self._role = {cr.spec.id: f"（{cr.spec.holder.role}）" if cr.spec.holder.role else "" for cr in compiled.rules}

    def obligations(self, instances: Sequence[Instance], at: datetime) -> list[Obligation]:
        """The obligations of one case's instances, in the order results list them."""
        out = [self.obligation(i, at) for i in instances]
        out.sort(key=lambda o: (o.case_id, o.rule, o.triggered_by, o.holder))
        return out

    def _unit_name(self, code: str) -> str:
        unit = self.catalog.units.get(code)
        return unit.name if unit is not None else code

    def obligation(self, inst: Instance, at: datetime) -> Obligation:
        """One decided instance as an obligation, its explanation written as of ``at``."""
        spec = inst.rule.spec
        closed = [e.id for e in (inst.closed_by, inst.cancelled_by) if e is not None]
        deadline = inst.deadline
        return construct(Obligation, {
            "rule": spec.id, "case_id": inst.case_id, "holder": inst.holder,
            "holder_name": self._unit_name(inst.holder), "modality": spec.modality, "status": inst.status,
            "due": deadline.text if deadline is not None else None,
            "due_provisional": deadline.provisional if deadline is not None else False,
            "policy_terms": list(deadline.terms) if deadline is not None else [],
            "basis": list(spec.basis), "triggered_by": list(inst.trigger_ids), "closed_by": closed,
            "title": spec.title, "explanation": self._explanation(inst, at),
        })

    def _cite(self, cid: str) -> str:
        cited = Citation.parse(cid)
        if cited.is_notice:
            clause = self.catalog.notice.get(cited.article)
            return f"通知{clause.label}" if clause is not None else cid
        name = str(self.catalog.instruments.get(cited.instrument, {}).get("name", cid))
        return f"《{name.split('（')[0]}》第{cited.article}条"

    def _explanation(self, inst: Instance, at: datetime) -> str:
        spec = inst.rule.spec
        if inst.origin == "event" and inst.anchor is not None:
            a = inst.anchor
            trigger = f"触发：{stamp(a)} 事件 {a.id}（{self.catalog.types[a.type].title}）"
            for eid in inst.trigger_ids[1:]:
                trigger += f"\n　同案在先事件：{eid}"
        elif inst.origin == "schedule":
            since = zh_date(spec.valid_from)
            if inst.anchor is not None:
                since = f"{zh_date(max(spec.valid_from, inst.anchor.day))}（该单位在本案中的首个事件 {inst.anchor.id}）"
            if inst.year is not None:
                trigger = f"触发：{inst.year} 年度义务，自 {since} 起每年产生，无需触发事件"
            else:
                trigger = f"触发：常设义务，自 {since} 起存在，无需触发事件"
        else:
            src = inst.escalated_from
            assert src is not None and src.breach is not None
            trigger = (f"触发：规则 {src.rule.spec.id}（{src.rule.spec.title}）于 {zh_instant(src.breach)} "
                       f"{STATUS_ZH[src.status].sentence}，依本规则升级")
        period_line = inst.deadline.line if inst.deadline is not None else "期限：来源未规定期限，亦无部署政策适用，不设届满日"
        trigger += self._unit_notes(inst)
        return (f"{self._head[spec.id]}\n{trigger}\n"
                f"义务人：{self._unit_name(inst.holder)}{self._role[spec.id]}\n{period_line}\n"
                f"状态：{STATUS_ZH[inst.status].sentence}。{self._note(inst, at)}{self._tail[spec.id]}")

    def _unit_notes(self, inst: Instance) -> str:
        """Name the unit a per-unit duty is about; say when the unit's kind, which the rule needs, is unknown."""
        spec, out = inst.rule.spec, ""
        if spec.holder.each is not None:
            unit = str(inst.context.get(spec.holder.each, ""))
            out += f"\n所涉单位：{self._unit_name(unit)}（本项只就该单位核查）"
        if spec.holder.map is not None and not inst.context.get(spec.holder.field or ""):
            out += "\n注意：事件未载明单位类别，无法确定按职责分工负责督促的部门；请补充单位类别"
        kind_field = self.catalog.types[inst.anchor.type].fields.get("unit_kind") if inst.anchor else None
        if kind_field is not None and inst.holder not in self.catalog.units and not inst.context.get("unit_kind"):
            out += ("\n注意：义务人不在单位名录中，事件也未载明单位类别，本系统未核实其是否属于"
                    "密切接触未成年人的单位；结果以事件所述为准")
        return out

    def _note(self, inst: Instance, at: datetime) -> str:
        """Why the instance has its status, in words (after 状态：…。)."""
        close, cancel, reason = inst.closed_by, inst.cancelled_by, inst.reason
        if reason is Reason.CANCELLED:
            assert cancel is not None
            return f"事件 {cancel.id}（{stamp(cancel)}）发生后本规则不再适用"
        if reason is Reason.ADVISORY_ACTED:
            assert close is not None
            return f"已由事件 {close.id}（{stamp(close)}）行使或落实"
        if reason is Reason.ADVISORY_LAPSED:
            return f"提示：已过提示期限（{zh_dates(inst.deadline.text) if inst.deadline and inst.deadline.text else ''}），仍未见相应事件；不作为逾期认定"
        if reason is Reason.VIOLATED_LATE_CORRECTION:
            assert close is not None
            return f"纠正行为（事件 {close.id}，{stamp(close)}）晚于期限，违反已经发生"
        if reason is Reason.OVERDUE:
            return f"截至 {zh_instant(at)} 已过届满时间，未见履行事件"
        if reason in _CLOSED_BY:
            assert close is not None
            return f"事件 {close.id}（{stamp(close)}）{_CLOSED_BY[reason]}"
        return _FIXED[reason]


_PROBE_ZH = {Probe.VALUE: "取值应为", Probe.PRESENT: "是否存在（1 存在，0 缺失）应为",
             Probe.NONEMPTY: "是否非空（1 非空，0 为空）应为"}
_CLOSED_BY = {Reason.FULFILLED_IN_TIME: "在期限内履行", Reason.FULFILLED: "已履行",
              Reason.FULFILLED_LATE: "履行，但晚于届满时间"}
_FIXED = {
    Reason.ADVISORY: "提示：可以（或应当注意）采取的行动，不作为逾期认定",
    Reason.VIOLATED_ON_ACT: "该行为一经发生即违反禁止性规定",
    Reason.VIOLATED_UNCORRECTED: "期限届满仍未纠正，构成违反",
    Reason.OPEN: "尚未履行，期限未届满",
    Reason.OPEN_NO_LIMIT: "尚未履行；来源未规定期限，亦无部署政策适用",
}


def why(ev_: CaseEvaluator, rule_id: str, case_id: str, events: Sequence[Event], activations: set[Activation],
        obligations: Sequence[Obligation]) -> list[str]:
    """Explain, in Chinese, why ``rule_id`` did or did not raise an obligation in this case."""
    cr = ev_.by_id.get(rule_id)
    if cr is None:
        return [f"没有规则 {rule_id}；用 `fuxian-rules rules` 查看规则目录"]
    fired = [o for o in obligations if o.rule == rule_id]
    if fired:
        return [f"规则 {rule_id} 在案件 {case_id} 中产生了 {len(fired)} 项结果："] + [o.explanation for o in fired]
    spec = cr.spec
    lines = [f"规则 {rule_id}（{spec.title}）在案件 {case_id} 中没有产生义务，原因："]
    types = ev_.catalog.types
    if spec.trigger.escalated:
        sources = ev_.catalog.escalation_sources(rule_id)
        lines.append(f"本规则只在以下规则逾期或被违反时产生：{', '.join(sources)}；截至该时点，本案中这些规则均未逾期或违反")
        return lines
    sched = spec.trigger.schedule
    if sched is not None:
        if sched.case_id is not None and sched.case_id != case_id:
            lines.append(f"本规则由日历产生，只适用于案件 {sched.case_id}，不适用于本案")
        elif sched.units_from is not None:
            lines.append(f"本规则按单位产生，单位取自本案的“{types[sched.units_from.event].title}”"
                         f"（{sched.units_from.event}）事件；本案没有符合条件的此类事件")
        else:
            lines.append(f"本规则自 {zh_date(spec.valid_from)} 起产生；所查询的时点早于该日")
        return lines
    trig_type = spec.trigger.event
    assert trig_type is not None
    candidates = [e for e in events if e.type == trig_type]
    if not candidates:
        lines.append(f"本案没有“{types[trig_type].title}”（{trig_type}）事件")
        return lines
    anchor_pat = ev_.compiled.matchers[[m.id for m in ev_.compiled.matchers].index(cr.trigger or "")].patterns[0]
    matched = {ids[0] for a in activations if a.matcher_id == cr.trigger for ids in [a.fact_ids]}
    for ev in candidates:
        fact = flatten(ev, types)
        failed = [c for c in anchor_pat.conds if not c.holds(fact)]
        if failed:
            for c in failed:
                want = "、".join(c.values)
                got = fact.get(c.key, "（缺失）")
                what = _PROBE_ZH[c.probe or Probe.VALUE]
                lines.append(f"事件 {ev.id}：条件不满足——字段 {c.field} {what} {want}，实际为 {got}")
            continue
        if not valid_on(spec, ev.day):
            until = f"至 {zh_date(spec.valid_to)}" if spec.valid_to else ""
            lines.append(f"事件 {ev.id}：发生于 {zh_date(ev.day)}，不在本规则的有效期间（自 {zh_date(spec.valid_from)}{until}）内")
            continue
        if ev.id not in matched or spec.trigger.requires:
            for req in spec.trigger.requires:
                partners = [e for e in events if e.type == req.event and e.id != ev.id and not_before(ev, e)]
                if not partners:
                    lines.append(f"事件 {ev.id}：本案在其之前没有所需的“{types[req.event].title}”（{req.event}）事件"
                                 + (f"（须满足 {req.where}、字段对应 {req.match}）" if req.where or req.match else ""))
    if len(lines) == 1:
        lines.append("触发条件均满足，但所需的同案事件不符合条件或顺序")
    return lines
