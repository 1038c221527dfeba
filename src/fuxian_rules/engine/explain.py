"""Why a rule did — or did not — raise an obligation in a case (``fuxian-rules explain --rule``).

Legal staff asking "why is there no flag here?" need the failing condition, not a silence: the trigger
event missing, a data field with the wrong value, the event outside the rule's validity, a required
earlier event absent, or (for escalations and yearly duties) what would have raised it.
"""

from __future__ import annotations

from collections.abc import Sequence

from fuxian_rules.engine.backends.compiler import flatten
from fuxian_rules.engine.backends.ir import Activation
from fuxian_rules.engine.status import CaseEvaluator, _not_before
from fuxian_rules.model.events import Event
from fuxian_rules.model.results import Obligation

__all__ = ["why"]


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
            lines.append(f"本规则自 {spec.valid_from.isoformat()} 起产生；所查询的时点早于该日")
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
                field = c.key[2:]
                want = "、".join(c.values)
                got = fact.get(c.key, "（缺失）")
                what = {"d": "取值应为", "p": "是否存在（1 存在，0 缺失）应为", "n": "是否非空（1 非空，0 为空）应为"}[c.key[0]]
                lines.append(f"事件 {ev.id}：条件不满足——字段 {field} {what} {want}，实际为 {got}")
            continue
        if not ev_._valid_on(cr, ev.day):
            until = f"至 {spec.valid_to.isoformat()}" if spec.valid_to else ""
            lines.append(f"事件 {ev.id}：发生于 {ev.day.isoformat()}，不在本规则的有效期间（自 {spec.valid_from.isoformat()}{until}）内")
            continue
        if ev.id not in matched or spec.trigger.requires:
            for req in spec.trigger.requires:
                partners = [e for e in events if e.type == req.event and e.id != ev.id and _not_before(ev, e)]
                if not partners:
                    lines.append(f"事件 {ev.id}：本案在其之前没有所需的“{types[req.event].title}”（{req.event}）事件"
                                 + (f"（须满足 {req.where}、字段对应 {req.match}）" if req.where or req.match else ""))
    if len(lines) == 1:
        lines.append("触发条件均满足，但所需的同案事件不符合条件或顺序")
    return lines
