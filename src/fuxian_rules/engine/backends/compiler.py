"""Compile the checked catalogue into matchers (:mod:`fuxian_rules.engine.backends.ir`) and an evaluation order.

Every event condition a rule states — its trigger, the events it requires, what closes or cancels it —
becomes a matcher that both backends run. Everything about time (which event came first, due dates,
lateness) is left to :mod:`fuxian_rules.engine.engine`, in event time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fuxian_rules.catalog.loader import Catalog
from fuxian_rules.engine.backends.ir import Cond, Fact, Join, Matcher, Pattern, Probe, flatten_value
from fuxian_rules.errors import CatalogError
from fuxian_rules.model.events import Event
from fuxian_rules.model.rules import EventPattern, RuleSpec
from fuxian_rules.model.vocabulary import LIST_KINDS, TypeSpec

__all__ = ["CompiledCatalog", "CompiledRule", "compile_catalog", "flatten"]


@dataclass(frozen=True)
class CompiledRule:
    """A rule with the ids of its matchers."""

    spec: RuleSpec
    area: str
    trigger: str | None
    closes: tuple[str, ...]
    cancels: tuple[str, ...]
    units: str | None
    #: One matcher per ``trigger.requires`` pattern, joined to the trigger in event time (engine.pairing).
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompiledCatalog:
    """Matchers for the backends, rules in evaluation order, and which matchers each event type feeds."""

    catalog: Catalog
    matchers: tuple[Matcher, ...]
    rules: tuple[CompiledRule, ...]
    by_type: dict[str, frozenset[str]]
    matcher_types: dict[str, frozenset[str]]
    scheduled_cases: frozenset[str]
    _relevant: dict[frozenset[str], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    def relevant(self, types_present: set[str] | frozenset[str]) -> list[str]:
        """Return, sorted, the matchers whose every pattern's type occurs in the case.

        Cases of one flow share their set of event types, so the answer is remembered per set (a
        copy is returned: callers may keep or change it).
        """
        key = frozenset(types_present)
        found = self._relevant.get(key)
        if found is None:
            ids: set[str] = set()
            for t in key:
                ids |= self.by_type.get(t, frozenset())
            found = tuple(sorted(m for m in ids if self.matcher_types[m] <= key))
            if len(self._relevant) > 10_000:  # bounded: type sets come from untrusted input
                self._relevant.clear()
            self._relevant[key] = found
        return list(found)


def _conds(where: dict[str, Any], tspec: TypeSpec) -> tuple[Cond, ...]:
    out = []
    for name in sorted(where):
        cond = where[name]
        if isinstance(cond, dict):
            op, arg = next(iter(cond.items()))
            if op == "in":
                out.append(Cond(Probe.VALUE.key(name), tuple(sorted(flatten_value(v) for v in arg)), Probe.VALUE, name))
            elif op == "present":
                out.append(Cond(Probe.PRESENT.key(name), ("1" if arg else "0",), Probe.PRESENT, name))
            else:  # empty
                out.append(Cond(Probe.NONEMPTY.key(name), ("0" if arg else "1",), Probe.NONEMPTY, name))
        else:
            out.append(Cond(Probe.VALUE.key(name), (flatten_value(cond),), Probe.VALUE, name))
    return tuple(out)


def _pattern(p: EventPattern, types: dict[str, TypeSpec], joins: tuple[Join, ...] = ()) -> Pattern:
    return Pattern(p.event, _conds(p.where, types[p.event]), joins)


def compile_catalog(catalog: Catalog) -> CompiledCatalog:
    """Compile every rule; order rules so each comes after the rules it follows or is escalated from."""
    types = catalog.types
    matchers: list[Matcher] = []
    compiled: dict[str, CompiledRule] = {}
    scheduled: set[str] = set()
    for rid, lr in catalog.rules.items():
        spec = lr.spec
        trig_id = None
        requires: list[str] = []
        if spec.trigger.event is not None:
            anchor = Pattern(spec.trigger.event, _conds(spec.trigger.where, types[spec.trigger.event]))
            trig_id = f"{rid}#trigger"
            matchers.append(Matcher(trig_id, lr.area, (anchor,)))
            # Each required pattern is matched on its own and joined to the trigger by the engine, through
            # an index on the joined fields: a join inside the backend yields every (trigger, partner)
            # pair — quadratic in a case with thousands of each — where only the earliest partner counts.
            for k, r in enumerate(spec.trigger.requires):
                requires.append(f"{rid}#requires{k}")
                matchers.append(Matcher(requires[-1], lr.area, (_pattern(r, types),)))
        closes = []
        for i, p in enumerate(spec.closed_by):
            closes.append(f"{rid}#close{i}")
            matchers.append(Matcher(closes[-1], lr.area, (_pattern(p, types),)))
        cancels = []
        for i, p in enumerate(spec.cancelled_by):
            cancels.append(f"{rid}#cancel{i}")
            matchers.append(Matcher(cancels[-1], lr.area, (_pattern(p, types),)))
        units_id = None
        sched = spec.trigger.schedule
        if sched is not None:
            if sched.case_id is not None:
                scheduled.add(sched.case_id)
            if sched.units_from is not None:
                units_id = f"{rid}#units"
                matchers.append(Matcher(units_id, lr.area, (_pattern(sched.units_from, types),)))
        compiled[rid] = CompiledRule(spec, lr.area, trig_id, tuple(closes), tuple(cancels), units_id, tuple(requires))

    by_type: dict[str, set[str]] = {}
    matcher_types: dict[str, frozenset[str]] = {}
    for m in matchers:
        ts = frozenset(p.event_type for p in m.patterns)
        matcher_types[m.id] = ts
        by_type.setdefault(m.patterns[0].event_type, set()).add(m.id)
    return CompiledCatalog(
        catalog=catalog,
        matchers=tuple(matchers),
        rules=tuple(compiled[r] for r in _order(catalog)),
        by_type={t: frozenset(v) for t, v in by_type.items()},
        matcher_types=matcher_types,
        scheduled_cases=frozenset(scheduled),
    )


def _order(catalog: Catalog) -> list[str]:
    """Topological order: a rule comes after the rules it follows and the rules escalating to it."""
    deps: dict[str, set[str]] = {rid: set() for rid in catalog.rules}
    for rid, lr in catalog.rules.items():
        for target in lr.spec.escalates_to:
            deps[target].add(rid)
        if lr.spec.period is not None and lr.spec.period.follows:
            deps[rid].update(lr.spec.period.follows)
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(deps):
        ready = sorted(r for r in deps if r not in done and deps[r] <= done)
        if not ready:  # the catalogue check refuses cycles; never spin if one slipped through
            raise CatalogError("cyclic escalation or period reference among: " + ", ".join(sorted(set(deps) - done)))
        order.extend(ready)
        done.update(ready)
    return order


_FieldKeys = tuple[tuple[str, str, str, bool], ...]
_field_keys_cache: dict[int, tuple[TypeSpec, _FieldKeys]] = {}


def _field_keys(tspec: TypeSpec) -> _FieldKeys:
    """Per field of a type: its name, its ``p_`` key, its ``d_``/``n_`` key and whether it is a list.

    Remembered per type spec (by identity, checked, since specs are unhashable).
    """
    hit = _field_keys_cache.get(id(tspec))
    if hit is not None and hit[0] is tspec:
        return hit[1]
    keys = tuple((name, Probe.PRESENT.key(name),
                  (Probe.NONEMPTY if fs.kind in LIST_KINDS else Probe.VALUE).key(name), fs.kind in LIST_KINDS)
                 for name, fs in tspec.fields.items())
    if len(_field_keys_cache) > 1024:
        _field_keys_cache.clear()
    _field_keys_cache[id(tspec)] = (tspec, keys)
    return keys


def flatten(event: Event, types: dict[str, TypeSpec]) -> Fact:
    """Flatten an event into a fact of strings (see :data:`fuxian_rules.engine.backends.ir.Fact`)."""
    fact: Fact = {"id": event.id, "t": event.type, "case_id": event.case_id, "_k": "1"}
    if event.actor is not None:
        fact["actor"] = event.actor
    data = event.data
    for name, p_key, v_key, is_list in _field_keys(types[event.type]):
        value = data.get(name)
        # blank text records nothing: "reasons": "  " is not a recorded reason (transfer-reg:5, :8)
        present = value is not None and value != [] and not (isinstance(value, str) and not value.strip())
        fact[p_key] = "1" if present else "0"
        if is_list:
            fact[v_key] = "1" if value else "0"
        elif value is not None:
            fact[v_key] = flatten_value(value)
    return fact
