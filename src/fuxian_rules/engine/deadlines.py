"""Deadlines of rule instances (an obligation's ``due``): a plan per rule from its period, then the calendar.

A rule's ``period`` says how its deadline is found: a number of hours, days, working days, months or
years counted by the legal calendar (:mod:`fuxian_rules.calendar.legal`), a deployment-policy term for words without a
number (及时, 立即), the end of the calendar year, a date carried by the event, or the deadline of the
step it follows. Day-based results are shared by every case that starts on the same day, so they are
remembered (bounded); a period counted from an instant never repeats and is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from fuxian_rules.calendar.legal import DueDate, LegalCalendar
from fuxian_rules.engine.backends.compiler import CompiledCatalog, CompiledRule
from fuxian_rules.model.time import CST, end_of_day
from fuxian_rules.model.zhtime import zh_date, zh_dates, zh_instant

__all__ = ["Deadline", "Deadlines", "deadline", "same_as"]


class Deadline(NamedTuple):
    """A computed due date; shared between instances (cached), so it is a tuple. Build it with :func:`due`."""

    text: str | None
    end: datetime | None
    day: date | None
    at: datetime | None
    provisional: bool
    steps: tuple[str, ...]
    terms: tuple[str, ...]
    line: str  # the explanation's 期限 line, written once per due date


def deadline(text: str | None, end: datetime | None, day: date | None, at: datetime | None, provisional: bool,
             steps: tuple[str, ...], terms: tuple[str, ...] = ()) -> Deadline:
    """Build a :class:`Deadline`, writing its explanation line (dates as a person writes them, see ``model.zhtime``)."""
    until = f"{zh_date(day)} 24时" if day is not None else zh_instant(at) if at is not None else ""
    return Deadline(text, end, day, at, provisional, steps, terms,
                    "期限：" + join_steps(steps) + (f"。届满：{until}前" if until else "。"))


def join_steps(steps: tuple[str, ...] | list[str]) -> str:
    """Join sentences with "；" without doubling punctuation: a step's own closing "。" or "：" is dropped."""
    return zh_dates("；".join(s.strip().rstrip("。；，：:;, ") for s in steps if s.strip().rstrip("。；，：:;, ")))


def same_as(followed: Deadline, rule_id: str, event_id: str) -> Deadline:
    """The due date of a step ending when the step it follows ends (rule ``rule_id``, raised by ``event_id``)."""
    first = f"期限与本案规则 {rule_id} 的届满时间相同（由事件 {event_id} 引起）："
    return deadline(followed.text, followed.end, followed.day, followed.at, followed.provisional,
               (first, *followed.steps), followed.terms)


@dataclass(frozen=True, slots=True)
class _Plan:
    """How a rule's due date is found, worked out once per rule from its ``period``.

    ``how`` is ``none`` (no period), ``follows``, ``end_of_year``, ``date_field``, ``no_limit`` (a
    policy term without a period) or ``compute`` (``kind`` and ``amount`` through the calendar).
    """

    how: str
    field: str = ""
    kind: str = ""
    amount: int = 0
    prefix: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()


class Deadlines:
    """Deadline dates for the rules of one compiled catalogue, on one legal calendar."""

    def __init__(self, compiled: CompiledCatalog, calendar: LegalCalendar) -> None:
        self.catalog = compiled.catalog
        self.calendar = calendar
        self._plan = {cr.spec.id: self._make_plan(cr) for cr in compiled.rules}
        # one adder per kind of period; add_hours takes the start instant, the others its day
        self._add: dict[str, Callable[[Any, int], DueDate]] = {
            "hours": calendar.add_hours, "days": calendar.add_days, "working_days": calendar.add_working_days,
            "months": calendar.add_months, "years": calendar.add_years,
        }
        # Deadline dates depend only on (kind, start, amount): cases share them, so compute each once.
        self._due_cache: dict[tuple[str, Any, int], DueDate] = {}
        self._rule_due_cache: dict[tuple[str, Any, bool], Deadline] = {}

    def _make_plan(self, cr: CompiledRule) -> _Plan:
        """Read a rule's period (and its policy term) once, so that each instance only looks it up."""
        p = cr.spec.period
        if p is None:
            return _Plan("none")
        if p.follows:
            return _Plan("follows")
        if p.end_of_year:
            return _Plan("end_of_year")
        if p.date_field:
            return _Plan("date_field", field=p.date_field)
        kinds = ("days", "working_days", "months", "years", "hours")
        amounts: dict[str, int | None] = {k: getattr(p, k) for k in kinds}
        prefix: tuple[str, ...] = ()
        terms: tuple[str, ...] = ()
        if p.policy:
            term = self.catalog.policy.terms[p.policy]
            terms = (p.policy,)
            prefix = (f"“{term.word}”无法定时限，采用部署政策的默认值。{term.reason}",)
            if term.period == "none":
                return _Plan("no_limit", prefix=prefix, terms=terms)
            amounts = {k: getattr(term.period, k, None) for k in amounts}
        kind = next((k for k in ("hours", "days", "working_days", "months") if amounts.get(k) is not None), "years")
        return _Plan("compute", kind=kind, amount=amounts.get(kind) or 0, prefix=prefix, terms=terms)

    def of(self, rule_id: str, start: datetime, start_day: date, date_only: bool, year: int | None,
           context: dict[str, Any]) -> Deadline | None:
        """The due date of an instance of ``rule_id`` that started at ``start`` (its day, ``start_day``).

        ``year`` is the year of a yearly duty; ``context`` the data of the events that raised it (for a
        period read from a date field). Periods that follow another rule are resolved by the caller.
        """
        plan = self._plan[rule_id]
        how = plan.how
        if how == "compute":
            return self._compute(rule_id, plan, start, start_day, date_only)
        if how in ("none", "follows"):
            return None
        if how == "end_of_year":
            last = date(year if year is not None else start_day.year, 12, 31)
            return deadline(last.isoformat(), end_of_day(last), last, None, False,
                       (f"以自然年度计：{last.year} 年 12 月 31 日前（年度义务，不适用期间顺延）",))
        if how == "date_field":
            value = context.get(plan.field)
            if not isinstance(value, date):
                return None
            if value < start_day:  # a deadline before the assignment: the assigner's error, not a breach
                return deadline(None, None, None, None, False,
                                (f"事件所载完成期限 {value.isoformat()} 早于派发之日 {start_day.isoformat()}，"
                                 "应由派发单位（联席会议办公室）更正；更正前不设届满日，不认定义务人逾期",))
            return deadline(value.isoformat(), end_of_day(value), value, None, False,
                       (f"期限为事件所载完成期限 {value.isoformat()}（由派发单位确定，不适用期间顺延）",))
        return deadline(None, None, None, None, False, (*plan.prefix, "部署政策未设期限：不设届满日"), plan.terms)

    def _at_once(self, start_at: datetime, start_day: date, date_only: bool) -> tuple[
            str, datetime, None, datetime, bool, tuple[str, ...]]:
        """A period of zero hours: the act is due before the triggering act or at the same time."""
        at = end_of_day(start_day) if date_only else start_at
        steps = ("应在触发事件发生之前或者发生之时履行（例如录用前或者录用时），不另设期间",
                 *(("触发事件只给出日期，当日履行均视为按时",) if date_only else ()))
        return at.isoformat(), at, None, at, False, steps

    def _compute(self, rule_id: str, plan: _Plan, start_at: datetime, start_day: date, date_only: bool) -> Deadline:
        """Run the rule's period through the legal calendar from the instance's start (cached)."""
        start: date | datetime = start_day
        if plan.kind == "hours":
            start = end_of_day(start_day) if date_only else start_at
        # A period counted from an instant is never shared between cases: remembering it would only
        # push out the day-based ones, which cases starting on the same day do share.
        shared = not isinstance(start, datetime) or date_only
        key = (rule_id, start, date_only)
        if shared:
            cached = self._rule_due_cache.get(key)
            if cached is not None:
                return cached
        prefix = plan.prefix
        if plan.kind == "hours" and plan.amount == 0:  # "when hiring": before the act or at the same time
            return deadline(*self._at_once(start_at, start_day, date_only), plan.terms)
        if plan.kind == "hours" and date_only:
            prefix = (*prefix, "触发事件只给出日期，小时期限自该日24时起算（对义务人最有利的解释）")
        calc_key = (plan.kind, start, plan.amount)
        result = self._due_cache.get(calc_key) if shared else None
        if result is None:
            result = self._add[plan.kind](start, plan.amount)
            if shared:
                self._due_cache[calc_key] = result
        steps = (*prefix, *result.steps)
        if result.provisional:
            years = "、".join(str(y) for y in result.missing_years)
            steps = (*steps, f"注意：{years} 年没有官方节假日数据，届满日为临时结果；部署方可提供该年度安排文件")
        if result.due_at is not None:
            at = result.due_at.astimezone(CST)
            found = deadline(at.isoformat(), at, None, at, result.provisional, steps, plan.terms)
        else:
            assert result.due is not None
            found = deadline(result.due.isoformat(), result.end_instant(), result.due, None, result.provisional,
                        steps, plan.terms)
        if shared:
            if len(self._rule_due_cache) > 16384:  # bounded (each holds its explanation text); cheap to redo
                self._rule_due_cache.clear()
                self._due_cache.clear()
            self._rule_due_cache[key] = found
        return found
