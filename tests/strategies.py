"""The one module of hypothesis strategies for the fuxian_rules test suite.

It generates realistic event histories for the rule catalogue together with the *spec oracle*: for
every history, the obligations the law says must arise, with their holders, due dates and statuses.
The oracle is written from the notice, the national articles and contract §1–§4 — not from the rule
files — so that the engine, the rule files and the oracle check one another.

Layout:

1. Time — the official working-day calendar (read straight from ``chinese_calendar``) and the period
   arithmetic of contract §4 (cpl:105, cpl-interp:202, civil-code:201–203).
2. The oracle — :class:`Duty` (one obligation a history must raise) and :func:`expect` (its status
   as of an instant), escalations (:data:`ESCALATIONS`) included.
3. :class:`Builder` — what a flow generator uses to emit events and declare the duties they raise.
4. The flow registry (:data:`FLOWS`, :func:`register_flow`) and the 三(十一) flows.
5. Histories — several cases interleaved, duplicate deliveries, start days near holidays and month
   ends and in years without calendar data, and ``as_of`` instants.
6. Hostile input — malformed events and JSON Lines.
7. Comparing results with the oracle (:func:`row`, :func:`modelled`).
8. :func:`examples` — per-test example budgets that scale with the hypothesis profile.

Adding another clause area (minors, aid, clues, mechanism): add a section to part 4 with
``@register_flow("minors.hire", area="minors", clauses=("notice:3.7",))`` functions that use
:class:`Builder` to emit events and declare a :class:`Duty` for *every* obligation of that area their
events raise (the oracle test compares complete sets for each area that has flows), and register the
area's escalations with :func:`register_escalation`. Every generic property (oracle agreement, order
independence, duplicates, ``as_of`` monotonicity, durable ≡ reference, hostile batches …) then covers
the new flows without further changes; a ``tests/spec/test_spec_<area>.py`` adds the area's clause laws.
"""

from __future__ import annotations

import calendar as stdcal
import json
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar
from hypothesis import settings
from hypothesis import strategies as st

from fuxian_rules.catalog.policy import load_policy

__all__ = [
    "CST",
    "ESCALATIONS",
    "FLOWS",
    "VALID_FROM",
    "Builder",
    "CaseHistory",
    "Due",
    "Duty",
    "Expected",
    "Follows",
    "History",
    "M",
    "Period",
    "as_of_for",
    "case_histories",
    "examples",
    "expect",
    "histories",
    "instant",
    "is_official_workday",
    "later",
    "malformed_lines",
    "matcher_shapes",
    "month_nominal",
    "official_due",
    "register_escalation",
    "register_flow",
    "start_instants",
    "timed_events",
]

CST = timezone(timedelta(hours=8))
REPO = Path(__file__).resolve().parents[1]
RULES_DIR = REPO / "rules"
#: 惠政文〔2024〕22号 is dated, and in force from, 2024年1月19日; no rule applies to earlier acts.
VALID_FROM = date(2024, 1, 19)

# ================================================================================================
# 1. Time
# ================================================================================================


@cache
def official_years() -> frozenset[int]:
    """Years for which the installed ``chinese_calendar`` has the State Council's schedule."""
    years: set[int] = set()
    for table in (chinese_calendar.holidays, chinese_calendar.workdays):
        years.update(d.year for d in table if isinstance(d, date))
    return frozenset(years)


def is_official_workday(d: date) -> bool:
    """Working day by the official schedule; Monday–Friday in years without data (contract §4)."""
    if d.year in official_years():
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < 5


def end_of_day(d: date) -> datetime:
    """24:00 CST of ``d`` (civil-code:203 截止时间为二十四时)."""
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=CST)


@dataclass(frozen=True)
class Due:
    """The end of a period: a last day (day/month periods) or an exact instant (hour periods)."""

    day: date | None
    at: datetime | None
    nominal: date | None
    provisional: bool

    @property
    def end(self) -> datetime:
        """The instant the period expires."""
        if self.at is not None:
            return self.at
        assert self.day is not None
        return end_of_day(self.day)

    @property
    def text(self) -> str:
        """``due`` as contract §2 prints it."""
        if self.at is not None:
            return self.at.astimezone(CST).isoformat()
        assert self.day is not None
        return self.day.isoformat()

    @property
    def last_day(self) -> date:
        """The last calendar day (CST) on which a date-only act is in time."""
        return self.day if self.day is not None else self.end.astimezone(CST).date()


def official_due(nominal: date) -> Due:
    """Move a nominal last day to the next official working day (cpl:105, civil-code:203)."""
    day, examined = nominal, [nominal]
    while not is_official_workday(day):
        day += timedelta(days=1)
        examined.append(day)
    provisional = any(d.year not in official_years() for d in examined)
    return Due(day, None, nominal, provisional)


def month_nominal(start: date, months: int) -> date:
    """cpl-interp:202: 自本月某日至下月同日为一个月；起算日为本月最后一日的，至下月最后一日；下月同日不存在的，至下月最后一日."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    last = stdcal.monthrange(year, month)[1]
    if start.day == stdcal.monthrange(start.year, start.month)[1] or start.day > last:
        return date(year, month, last)
    return date(year, month, start.day)


@dataclass(frozen=True)
class Period:
    """A period as the law states it: N days, N months or N hours (exactly one)."""

    days: int | None = None
    months: int | None = None
    hours: int | None = None
    working_days: int | None = None

    def due(self, start: datetime, start_day: date, date_only: bool) -> Due:
        """Contract §4: the start day is not counted; hour periods run from the instant, exactly."""
        if self.working_days is not None:  # the N-th official working day after the start day
            day, left, examined = start_day, self.working_days, []
            while left > 0:
                day += timedelta(days=1)
                examined.append(day)
                left -= is_official_workday(day)
            return Due(day, None, day, any(d.year not in official_years() for d in examined))
        if self.hours is not None:
            begin = end_of_day(start_day) if date_only else start
            return Due(None, (begin + timedelta(hours=self.hours)).astimezone(CST), None, False)
        if self.months is not None:
            return official_due(month_nominal(start_day, self.months))
        assert self.days is not None
        return official_due(start_day + timedelta(days=self.days))


@dataclass(frozen=True)
class Follows:
    """A prohibition whose period is the transfer's own (transfer.no-penalty-instead)."""

    rules: tuple[str, ...]


@cache
def policy_period(term: str) -> Period:
    """The deployment default for a word without a number (立即, 及时 …), from ``rules/policy.yaml``."""
    spec = load_policy(RULES_DIR / "policy.yaml", is_default=True).terms[term].period
    assert spec != "none"
    if spec.hours is not None:
        return Period(hours=spec.hours)
    if spec.months is not None:
        return Period(months=spec.months)
    if spec.working_days is not None:
        return Period(working_days=spec.working_days)
    assert spec.days is not None
    return Period(days=spec.days)


# ---- events as contract §1 JSON ------------------------------------------------------------------

#: Contract §1 defaults (``to`` defaults to public_security, flags to false).
DEFAULTS: dict[str, dict[str, Any]] = {
    "case_transferred": {"to": "public_security", "copied_to_procuratorate": False},
    "non_prosecution_decided": {"enterprise": False},
}


def instant(ev: dict[str, Any]) -> datetime:
    """The event's instant; a bare date is 00:00 CST of that day."""
    text = ev["occurred_at"]
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=CST)
    return datetime.fromisoformat(text)


def day_of(ev: dict[str, Any]) -> date:
    """The calendar day (CST) of the event."""
    return instant(ev).astimezone(CST).date()


def is_date_only(ev: dict[str, Any]) -> bool:
    """Whether the event gave a bare date."""
    return len(ev["occurred_at"]) == 10


def data_of(ev: dict[str, Any]) -> dict[str, Any]:
    """The event's data with contract defaults filled in and absent values dropped."""
    out = dict(DEFAULTS.get(ev["type"], {}))
    out.update({k: v for k, v in (ev.get("data") or {}).items() if v is not None})
    return out


def not_before(ev: dict[str, Any], ref: dict[str, Any]) -> bool:
    """An act "after" another: not earlier, or on the same day (a bare date is "some time that day")."""
    return instant(ev) >= instant(ref) or day_of(ev) == day_of(ref)


def known_at(ev: dict[str, Any], as_of: datetime) -> bool:
    """Whether the event had happened by ``as_of``: a bare date only once its day has begun."""
    return instant(ev) < as_of or (instant(ev) == as_of and not is_date_only(ev))


def order_key(ev: dict[str, Any]) -> tuple[datetime, str]:
    """Events are ordered by instant, then id."""
    return instant(ev), ev["id"]


# ================================================================================================
# 2. The oracle
# ================================================================================================


@dataclass(frozen=True)
class M:
    """An act that closes or cancels a duty: its type, constant fields, and fields equal to the trigger's.

    ``any_time``: the act counts even when it came before the trigger (a transfer made before the
    penalty means the penalty replaced nothing); otherwise it must not come before the trigger.
    """

    type: str
    where: tuple[tuple[str, Any], ...] = ()
    match: tuple[tuple[str, str], ...] = ()
    any_time: bool = False
    late_too: bool = False  # a cancelling act that takes the duty's premise away whenever it comes

    @staticmethod
    def of(type_: str, where: dict[str, Any] | None = None, match: dict[str, str] | None = None, *,
           any_time: bool = False, late_too: bool = False) -> M:
        """Build from dicts."""
        return M(type_, tuple(sorted((where or {}).items())), tuple(sorted((match or {}).items())), any_time,
                 late_too)

    def holds(self, ev: dict[str, Any], context: dict[str, Any]) -> bool:
        """Whether ``ev`` is such an act for a duty with this context."""
        if ev["type"] != self.type:
            return False
        data = data_of(ev)
        if any(data.get(k) != v for k, v in self.where):
            return False
        return all(data.get(mine) is not None and data.get(mine) == context.get(theirs) for mine, theirs in self.match)


@dataclass
class Duty:
    """One obligation a history must raise: who, by when, what discharges it.

    ``intent`` records how the generator placed the closing act (``on_time``, ``late``, ``missing``);
    the oracle never relies on it — it resolves the duty against the whole history.
    """

    rule: str
    case_id: str
    trigger: dict[str, Any]
    holder: str
    period: Period | Follows | None
    closers: tuple[M, ...] = ()
    cancellers: tuple[M, ...] = ()
    partners: tuple[dict[str, Any], ...] = ()
    modality: str = "obligation"
    intent: str = "n/a"

    @property
    def context(self) -> dict[str, Any]:
        """Data of the required events, then of the trigger (the trigger wins)."""
        ctx: dict[str, Any] = {}
        for ev in (*self.partners, self.trigger):
            ctx.update(data_of(ev))
        return ctx

    @property
    def trigger_ids(self) -> tuple[str, ...]:
        """``triggered_by`` of the obligation."""
        return (self.trigger["id"], *(p["id"] for p in self.partners))

    def closing_act(self, events: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """The first act in ``events`` that discharges this duty."""
        return _first(self.closers, sorted(events, key=order_key), self.trigger, self.trigger_ids, self.context)

    def cancelling_act(self, events: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """The first act in ``events`` after which this duty no longer applies."""
        return _first(self.cancellers, sorted(events, key=order_key), self.trigger, self.trigger_ids, self.context)

    def due(self) -> Due | None:
        """The due date, for duties with a fixed period."""
        if isinstance(self.period, Period):
            return self.period.due(instant(self.trigger), day_of(self.trigger), is_date_only(self.trigger))
        return None


@dataclass(frozen=True)
class Expected:
    """What the engine must report for one obligation as of an instant."""

    rule: str
    case_id: str
    triggered_by: tuple[str, ...]
    holder: str
    modality: str
    status: str
    due: str | None
    provisional: bool
    closed_by: tuple[str, ...]
    due_end: datetime | None = field(default=None, compare=False)
    breach: datetime | None = field(default=None, compare=False)
    nominal: date | None = field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """Identifies the obligation within a result."""
        return self.rule, self.case_id, self.triggered_by


@dataclass(frozen=True)
class Escalation:
    """A rule raised when one of ``sources`` is breached (overdue, fulfilled late or violated)."""

    rule: str
    sources: tuple[str, ...]
    modality: str
    holder_unit: str | None = None
    holder_field: str | None = None
    period: Period | None = None
    closers: tuple[M, ...] = ()
    cancellers: tuple[M, ...] = ()


#: Escalated rules by id (see :func:`register_escalation`).
ESCALATIONS: dict[str, Escalation] = {}


def register_escalation(esc: Escalation) -> Escalation:
    """Declare how a breach of some rules raises another (for other areas' generators too)."""
    ESCALATIONS[esc.rule] = esc
    return esc


@dataclass
class _Inst:
    rule: str
    trigger_ids: tuple[str, ...]
    anchor: dict[str, Any]
    start: datetime
    context: dict[str, Any]
    due: Due | None
    breach: datetime | None
    expected: Expected


def _first(acts: Sequence[M], events: Sequence[dict[str, Any]], anchor: dict[str, Any],
           exclude: Iterable[str], context: dict[str, Any]) -> dict[str, Any] | None:
    skip = set(exclude)
    found = [e for e in events if e["id"] not in skip
             and any(a.holds(e, context) and (a.any_time or not_before(e, anchor)) for a in acts)]
    return min(found, key=order_key) if found else None


def _on_time(ev: dict[str, Any], due: Due | None) -> bool:
    if due is None:
        return True
    if due.at is not None:
        # a bare-date act happened some time that day: in time if the day began before the due instant
        return instant(ev) < due.at if is_date_only(ev) else instant(ev) <= due.at
    assert due.day is not None
    return day_of(ev) <= due.day


def _status(modality: str, due: Due | None, close: dict[str, Any] | None, cancel: dict[str, Any] | None,
            start: datetime, as_of: datetime) -> tuple[str, tuple[str, ...], datetime | None]:
    """Contract §2 statuses: (status, closed_by, breach instant)."""
    if cancel is not None and (close is None or order_key(cancel) < order_key(close)) and _on_time(cancel, due):
        return "cancelled", (cancel["id"],), None
    closed = (close["id"],) if close is not None else ()
    if modality == "permission":
        return "advisory", closed, None
    if close is not None and (_on_time(close, due) or instant(close) <= start):  # done before it arose
        return "fulfilled", closed, None
    if due is not None and (as_of > due.end or close is not None):  # a late act proves the period ran out
        breach = max(due.end, start)
        if modality == "prohibition":
            return "violated", closed, breach
        return ("fulfilled_late" if close is not None else "overdue"), closed, breach
    return "open", (), None


def expect(duties: Sequence[Duty], events: Sequence[dict[str, Any]], as_of: datetime) -> list[Expected]:
    """Every obligation the law raises for one case's duties and events, as of ``as_of``."""
    unique = {e["id"]: e for e in events}
    visible = sorted((e for e in unique.values() if known_at(e, as_of)), key=order_key)
    seen = {e["id"] for e in visible}
    done: dict[str, list[_Inst]] = defaultdict(list)
    live = [d for d in duties if set(d.trigger_ids) <= seen and day_of(d.trigger) >= VALID_FROM]
    for d in sorted(live, key=lambda d: isinstance(d.period, Follows)):
        due = d.due() if isinstance(d.period, Period) else _follows_due(d.period, done) if d.period else None
        close = _first(d.closers, visible, d.trigger, d.trigger_ids, d.context)
        cancel = _first(d.cancellers, visible, d.trigger, d.trigger_ids, d.context)
        late = _first([c for c in d.cancellers if c.late_too], visible, d.trigger, d.trigger_ids, d.context)
        start = instant(d.trigger)
        if late is not None and (close is None or order_key(late) <= order_key(close)):
            status, closed, breach = "cancelled", (late["id"],), None
        else:
            status, closed, breach = _status(d.modality, due, close, cancel, start, as_of)
        exp = Expected(d.rule, d.case_id, d.trigger_ids, d.holder, d.modality, status,
                       due.text if due else None, due.provisional if due else False, closed,
                       due.end if due else None, breach, due.nominal if due else None)
        done[d.rule].append(_Inst(d.rule, d.trigger_ids, d.trigger, start, d.context, due, breach, exp))
    for esc in ESCALATIONS.values():
        for inst in _escalate(esc, done, visible, as_of):
            done[esc.rule].append(inst)
    return sorted((i.expected for insts in done.values() for i in insts), key=lambda e: e.key)


def _follows_due(f: Follows, done: dict[str, list[_Inst]]) -> Due | None:
    """A step of the transfer already breached fixes the transfer's due; else the last step raised."""
    chain = [i for r in f.rules for i in done.get(r, [])]
    breached = [i for i in chain if i.breach is not None]
    if breached:
        return min(breached, key=lambda i: (i.breach, i.trigger_ids)).due
    for r in f.rules:
        if done.get(r):
            return max(done[r], key=lambda i: (i.start, i.trigger_ids)).due
    return None


def _escalate(esc: Escalation, done: dict[str, list[_Inst]], visible: Sequence[dict[str, Any]],
              as_of: datetime) -> list[_Inst]:
    sources = [i for r in esc.sources for i in done.get(r, []) if i.breach is not None and i.breach < as_of]
    best: dict[str, _Inst] = {}
    for src in sorted(sources, key=lambda s: (s.breach, s.rule, s.trigger_ids)):
        assert src.breach is not None
        holder = esc.holder_unit or str(src.context.get(esc.holder_field or "") or "unknown")
        if holder in best or src.breach.astimezone(CST).date() < VALID_FROM:
            continue
        start = src.breach
        due = esc.period.due(start, start.astimezone(CST).date(), False) if esc.period else None
        close = _first(esc.closers, visible, src.anchor, src.trigger_ids, src.context)
        cancel = _first(esc.cancellers, visible, src.anchor, src.trigger_ids, src.context)
        status, closed, breach = _status(esc.modality, due, close, cancel, start, as_of)
        exp = Expected(esc.rule, src.expected.case_id, src.trigger_ids, holder, esc.modality, status,
                       due.text if due else None, due.provisional if due else False, closed,
                       due.end if due else None, breach, due.nominal if due else None)
        best[holder] = _Inst(esc.rule, src.trigger_ids, src.anchor, start, src.context, due, breach, exp)
    return [best[h] for h in sorted(best)]


# ================================================================================================
# 3. The builder
# ================================================================================================

#: How an event's ``occurred_at`` is written: a bare date, or a datetime with this UTC offset.
FORMATS = ("+08:00", "date", "+08:00", "date", "Z", "-05:00", "+05:45", "+14:00", "-12:00")
TIMINGS = ("on_time", "late", "missing")
DrawFn = Callable[[st.SearchStrategy[Any]], Any]


def stamp(at: datetime, fmt: str) -> str:
    """Write an instant as ``occurred_at`` in the given format (``date``: its CST day)."""
    if fmt == "date":
        return at.astimezone(CST).date().isoformat()
    if fmt == "Z":
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    sign = -1 if fmt[0] == "-" else 1
    tz = timezone(sign * timedelta(hours=int(fmt[1:3]), minutes=int(fmt[4:6])))
    return at.astimezone(tz).isoformat()


class Builder:
    """Emits one case's events and records the duties they raise.

    Args:
        draw: hypothesis's ``draw`` (from ``st.composite`` or ``st.data()``).
        case_id: The case every event belongs to.
        start: The instant the case's first event happens (CST).
        flow: The flow's name (for statistics and failure messages).
    """

    def __init__(self, draw: DrawFn, case_id: str, start: datetime, flow: str) -> None:
        self.draw = draw
        self.case_id = case_id
        self.clock = start
        self.flow = flow
        self.events: list[dict[str, Any]] = []
        self.duties: list[Duty] = []
        self._seq = 0

    # ---- choices ----------------------------------------------------------------------------
    def pick(self, options: Sequence[Any]) -> Any:
        """One of ``options``."""
        return self.draw(st.sampled_from(list(options)))

    def flag(self) -> bool:
        """A boolean choice."""
        return bool(self.draw(st.booleans()))

    def timing(self) -> str:
        """``on_time``, ``late`` or ``missing``."""
        return str(self.draw(st.sampled_from(TIMINGS)))

    # ---- events -------------------------------------------------------------------------------
    def emit(self, type_: str, data: dict[str, Any] | None = None, *, at: datetime | None = None,
             fmt: str | None = None, max_gap_days: int = 5, actor: str | None = None) -> dict[str, Any]:
        """Append an event at ``at`` (default: some time after the clock), written in ``fmt``."""
        fmt = fmt or self.draw(st.sampled_from(FORMATS))
        if at is None:
            minutes = self.draw(st.integers(0, max_gap_days * 24 * 60))
            at = self.clock + timedelta(minutes=minutes)
        self._seq += 1
        ev: dict[str, Any] = {"id": f"{self.case_id}.{self._seq}", "type": type_, "case_id": self.case_id,
                              "occurred_at": stamp(at, fmt)}
        if actor is not None:
            ev["actor"] = actor
        if data is not None:
            ev["data"] = data
        self.events.append(ev)
        self.clock = max(self.clock, instant(ev))
        return ev

    def duty(self, rule: str, trigger: dict[str, Any], *, holder: str, period: Period | Follows | None,
             closers: Iterable[M] = (), cancellers: Iterable[M] = (), partners: Iterable[dict[str, Any]] = (),
             modality: str = "obligation") -> Duty:
        """Declare that ``trigger`` raises ``rule`` for ``holder``."""
        d = Duty(rule, self.case_id, trigger, holder, period, tuple(closers), tuple(cancellers),
                 tuple(partners), modality)
        self.duties.append(d)
        return d

    def close(self, duty: Duty, type_: str, data: dict[str, Any] | None = None, *, timing: str | None = None,
              max_late_days: int = 40, actor: str | None = None) -> dict[str, Any] | None:
        """Emit the act that discharges ``duty`` on time, late, or not at all (returns it, or None)."""
        timing = timing or self.timing()
        duty.intent = timing
        if timing == "missing":
            return None
        due = duty.due() if isinstance(duty.period, Period) else None
        trig = duty.trigger
        t0, d0 = instant(trig), day_of(trig)
        fmt = self.draw(st.sampled_from(FORMATS))
        if due is None:
            return self.emit(type_, data, at=t0 + timedelta(minutes=self.draw(st.integers(0, 20 * 24 * 60))),
                             fmt=fmt, actor=actor)
        last_ok_day = due.last_day
        last_ok = due.at if due.at is not None else due.end - timedelta(minutes=1)
        edge = self.draw(st.sampled_from((True, False, False)))  # the last moment in time, or the first late
        if fmt == "date":
            if timing == "on_time":
                back = 0 if edge else self.draw(st.integers(0, (last_ok_day - d0).days))
                day = last_ok_day - timedelta(days=back)
            else:
                day = last_ok_day + timedelta(days=1 if edge else self.draw(st.integers(1, max_late_days)))
            at = datetime.combine(day, time(0), tzinfo=CST)
        elif timing == "on_time":
            span = max(int((last_ok - t0).total_seconds() // 60), 0)
            at = t0 + timedelta(minutes=span if edge else self.draw(st.integers(0, span)))
        else:
            at = last_ok + timedelta(minutes=1 if edge else self.draw(st.integers(1, max_late_days * 24 * 60)))
        return self.emit(type_, data, at=at, fmt=fmt, actor=actor)


# ================================================================================================
# 4. Flows
# ================================================================================================


@dataclass(frozen=True)
class Flow:
    """A generator of one kind of case."""

    name: str
    area: str
    clauses: tuple[str, ...]
    build: Callable[[Builder], None]


#: Every registered flow, by name.
FLOWS: dict[str, Flow] = {}


def register_flow(name: str, *, area: str, clauses: Sequence[str]) -> Callable[[Callable[[Builder], None]],
                                                                               Callable[[Builder], None]]:
    """Register a flow generator under ``name`` (unique)."""

    def deco(fn: Callable[[Builder], None]) -> Callable[[Builder], None]:
        if name in FLOWS:
            raise ValueError(f"flow {name!r} registered twice")
        FLOWS[name] = Flow(name, area, tuple(clauses), fn)
        return fn

    return deco


def flows_of(area: str) -> list[str]:
    """Names of the flows of one area."""
    return sorted(n for n, f in FLOWS.items() if f.area == area)


# ---- 三(十一) ------------------------------------------------------------------------------------

AGENCIES = ("market_regulation", "ecology", "urban_management", "transport", "health", "agriculture",
            "emergency", "natural_resources", "culture_tourism", "housing", "forestry", "commerce")
REASONS = ("现有证据不足以证明达到立案追诉标准", "涉案金额未达追诉标准", "情节显著轻微", "   ")
IMMEDIATELY = "immediately"
PROMPTLY = "promptly"

# issue 10: the report has no limit (transfer-reg:5 核实情况后) and escalates nowhere
register_escalation(Escalation(
    "transfer.procuratorial-opinion",
    sources=("transfer.decide", "transfer.send", "transfer.no-penalty-instead"),
    modality="obligation", holder_unit="procuratorate",
    closers=(M.of("procuratorial_opinion_issued", {"kind": "require_transfer"}),),
    cancellers=(M.of("case_transferred"), M.of("non_transfer_reviewed", {"should_transfer": False})),
))
register_escalation(Escalation(
    "filing.overdue-supervision",
    sources=("transfer.filing-review",),
    modality="permission", holder_field="agency",
    closers=(M.of("filing_supervision_requested", match={"agency": "agency"}), M.of("filing_decided")),
))
register_escalation(Escalation(
    "filing.correction-notice",
    sources=("filing.open-on-notice",),
    modality="obligation", holder_unit="procuratorate",
    closers=(M.of("correction_notice_issued"),),
    cancellers=(M.of("filing_decided", {"opened": True}), M.of("reconsideration_decided", {"opened": True})),
))
register_escalation(Escalation(
    "reverse.follow-up",
    sources=("reverse.reply",),
    modality="permission", holder_unit="procuratorate",
    closers=(M.of("opinion_reply_sent", match={"opinion_id": "opinion_id"}),),
))
register_escalation(Escalation(
    "transfer.internal-supervision",
    sources=("transfer.decide", "transfer.send"),
    modality="permission", holder_field="agency", period=policy_period(PROMPTLY),
    closers=(M.of("case_transferred", match={"agency": "agency"}),),
))
register_escalation(Escalation(
    "reverse.internal-supervision",
    sources=("reverse.reply",),
    modality="permission", holder_field="unit", period=policy_period(PROMPTLY),
    closers=(M.of("opinion_reply_sent", match={"opinion_id": "opinion_id"}),),
))


def _reasons(b: Builder) -> dict[str, Any]:
    """``reasons`` given, empty, blank or absent."""
    choice = b.pick(("given", "absent", "empty"))
    if choice == "given":
        return {"reasons": b.pick(REASONS)}
    return {"reasons": ""} if choice == "empty" else {}


def _has_reasons(data: dict[str, Any]) -> bool:
    """Reasons are recorded only when there is text: blank text records nothing (transfer-reg:5, :8)."""
    reasons = data.get("reasons")
    return isinstance(reasons, str) and bool(reasons.strip())


def _transfer_chain(b: Builder, *, penalty: bool, approved: bool | None = True) -> None:
    """crime_suspected → report (立即) → decision (3日) → transfer (24小时) → filing review → handover."""
    agency = b.pick(AGENCIES)
    crime = b.emit("crime_suspected", {"agency": agency}, actor=agency if b.flag() else None)
    steps: list[Duty] = []
    refusal: dict[str, Any] | None = None
    d = b.duty("transfer.report", crime, holder=agency, period=None,  # 核实情况后: no limit (transfer-reg:5)
               closers=[M.of("transfer_report_submitted", match={"agency": "agency"}),
                        M.of("transfer_decided", match={"agency": "agency"}),
                        M.of("case_transferred", match={"agency": "agency"})])
    steps.append(d)
    transferred: dict[str, Any] | None = None
    report = b.close(d, "transfer_report_submitted", {"agency": agency})
    if report is not None:
        d = b.duty("transfer.decide", report, holder=agency, period=Period(days=3),
                   closers=[M.of("transfer_decided", match={"agency": "agency"}),
                            M.of("case_transferred", match={"agency": "agency"})])
        steps.append(d)
        ok = approved if approved is not None else b.flag()
        data: dict[str, Any] = {"agency": agency, "approved": ok}
        if not ok or b.flag():
            data.update(_reasons(b))
        decided = b.close(d, "transfer_decided", data)
        if decided is not None and not ok:
            if not _has_reasons(data):
                b.duty("transfer.refusal-reasons", decided, holder=agency, period=Period(hours=0))
            b.duty("transfer.refusal-review", decided, holder="procuratorate", period=None, modality="permission",
                   closers=[M.of("non_transfer_reviewed", match={"agency": "agency"}),
                            M.of("procuratorial_opinion_issued", {"kind": "require_transfer"}),
                            M.of("case_transferred", match={"agency": "agency"})])
            refusal = decided
            decided = None
        elif decided is not None:
            d = b.duty("transfer.send", decided, holder=agency, period=Period(hours=24),
                       closers=[M.of("case_transferred", match={"agency": "agency"})])
            steps.append(d)
            transferred = b.close(d, "case_transferred", _transfer_data(b, agency))
    if transferred is None and approved is not False and b.flag():
        transferred = _opinion_branch(b, agency, steps)
    if transferred is not None:
        _after_transfer(b, transferred, agency)
    if penalty:
        _penalty(b, crime, agency, transferred, refusal)


def _transfer_data(b: Builder, agency: str, copied: bool | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"agency": agency}
    if b.flag():
        data["to"] = "public_security"
    if copied is not None:
        data["copied_to_procuratorate"] = copied
    elif b.flag():
        data["copied_to_procuratorate"] = b.flag()
    return data


def _opinion_branch(b: Builder, agency: str, steps: list[Duty]) -> dict[str, Any] | None:
    """应移不移: the procuratorate issues a 检察意见 and the agency transfers (with a copy, or not)."""
    due = next((s.due() for s in reversed(steps) if s.due() is not None), None)
    after = (due.end if due is not None else b.clock) + timedelta(minutes=b.draw(st.integers(1, 30 * 24 * 60)))
    opinion_id = f"JY-{b.case_id}"
    opinion = b.emit("procuratorial_opinion_issued",
                     {"opinion_id": opinion_id, "kind": "require_transfer", "to": agency}, at=after,
                     actor="procuratorate")
    sent = [M.of("case_transferred", {"to": "public_security"}, match={"agency": "to"}, any_time=True)]
    copied = [M.of("case_transferred", {"copied_to_procuratorate": True}, match={"agency": "to"}, any_time=True),
              M.of("transfer_copied_to_procuratorate", match={"agency": "to"}, any_time=True)]
    got = [M.of("procuratorial_opinion_received", match={"opinion_id": "opinion_id"})]
    d = b.duty("transfer.transfer-on-opinion-awaiting-receipt", opinion, holder=agency, period=None,
               closers=sent, cancellers=got)
    b.duty("transfer.copy-on-opinion-awaiting-receipt", opinion, holder=agency, period=None, closers=copied,
           cancellers=got)
    if b.flag():  # the receipt is recorded: the periods run from it (contract §4)
        received = b.emit("procuratorial_opinion_received", {"opinion_id": opinion_id, "unit": agency},
                          max_gap_days=4)
        as_unit = [M.of(m.type, dict(m.where), {"agency": "unit"}, any_time=True) for m in copied]
        d = b.duty("transfer.transfer-on-opinion", received, holder=agency, period=policy_period(PROMPTLY),
                   closers=[M.of("case_transferred", {"to": "public_security"}, match={"agency": "unit"},
                                 any_time=True)], partners=[opinion])
        b.duty("transfer.copy-on-opinion", received, holder=agency, period=policy_period(PROMPTLY),
               closers=as_unit, partners=[opinion])
    return b.close(d, "case_transferred", _transfer_data(b, agency, copied=b.flag()))


def _penalty(b: Builder, crime: dict[str, Any], agency: str, transferred: dict[str, Any] | None,
             refusal: dict[str, Any] | None = None) -> None:
    """An administrative penalty: before any transfer (以罚代刑 if none comes in time), or after the case
    was transferred or declined by public security (lawful, transfer-reg:10–11)."""
    t0 = instant(crime)
    when = b.pick(("before the transfer", "after everything else"))
    if when == "after everything else":  # after any transfer, filing decision or reconsideration
        at = b.clock + timedelta(minutes=b.draw(st.integers(0, 20 * 24 * 60)))
    else:
        limit = instant(transferred) if transferred is not None else t0 + timedelta(days=30)
        span = int((limit - t0).total_seconds() // 60) - 1
        if span < 0:
            return
        at = t0 + timedelta(minutes=b.draw(st.integers(0, span)))
    pen = b.emit("admin_penalty_imposed", {"agency": agency}, at=at)
    b.duty("transfer.no-penalty-instead", pen, holder=agency,
           period=Follows(("transfer.send", "transfer.decide", "transfer.report")),
           closers=[M.of("case_transferred", match={"agency": "agency"}, any_time=True)],
           cancellers=[M.of("transfer_decided", {"approved": False}, {"agency": "agency"}, any_time=True,
                            late_too=True),
                       M.of("filing_decided", {"opened": False}, any_time=True),
                       M.of("reconsideration_decided", {"opened": False}, any_time=True)],
           partners=[crime], modality="prohibition")
    if refusal is not None and not_before(pen, refusal):  # refused, then fined: the procuratorate reviews
        b.duty("transfer.penalty-after-refusal-review", pen, holder="procuratorate", period=None,
               modality="permission", partners=[refusal],
               closers=[M.of("non_transfer_reviewed", match={"agency": "agency"}),
                        M.of("procuratorial_opinion_issued", {"kind": "require_transfer"}),
                        M.of("case_transferred", match={"agency": "agency"})])


def _received(b: Builder, document: str, unit: str) -> dict[str, Any] | None:
    """Maybe record the addressee's receipt of a document (contract §4: periods run from it)."""
    if not b.flag():
        return None
    return b.emit("document_received", {"document": document, "unit": unit}, max_gap_days=3)


def _handover(b: Builder, decided: dict[str, Any], transferred: dict[str, Any], agency: str, waiting: str) -> None:
    """立案 → the agency hands over within 3 days of RECEIVING the 立案通知书 (transfer-reg:12)."""
    got = [M.of("document_received", {"document": "filing_notice"}, match={"unit": "agency"})]
    d = b.duty(waiting, decided, holder=agency, period=None, partners=[transferred],
               closers=[M.of("materials_handed_over", match={"agency": "agency"})], cancellers=got)
    notice = _received(b, "filing_notice", agency)
    if notice is not None:
        d = b.duty("transfer.handover", notice, holder=agency, period=Period(days=3), partners=[transferred],
                   closers=[M.of("materials_handed_over", match={"agency": "unit"}, any_time=True)])
    b.close(d, "materials_handed_over", {"agency": agency})


def _after_transfer(b: Builder, transferred: dict[str, Any], agency: str) -> None:
    """Public security reviews (3日); handover (3日 from receipt); or non-filing, reconsideration (3日 each)."""
    police = data_of(transferred)["to"]
    d = b.duty("transfer.filing-review", transferred, holder=police, period=Period(days=3),
               closers=[M.of("filing_decided")])
    opened = b.flag()
    data: dict[str, Any] = {"opened": opened, **_reasons(b)}
    filing = b.close(d, "filing_decided", data, actor="public_security" if b.flag() else None)
    if filing is None:
        return
    if opened:
        _handover(b, filing, transferred, agency, "transfer.handover-awaiting-receipt")
        return
    if not _has_reasons(data):
        b.duty("transfer.non-filing-reasons", filing, holder="public_security", period=Period(hours=0))
    asked = [M.of("reconsideration_requested", match={"agency": "agency"}),
             M.of("filing_supervision_requested", match={"agency": "agency"})]
    d = b.duty("transfer.reconsideration-awaiting-receipt", filing, holder=agency, period=None, closers=asked,
               cancellers=[M.of("document_received", {"document": "non_filing_notice"}, match={"unit": "agency"})],
               partners=[transferred], modality="permission")
    notice = _received(b, "non_filing_notice", agency)
    if notice is not None:
        d = b.duty("transfer.reconsideration-may-request", notice, holder=agency, period=Period(days=3),
                   closers=[M.of(m.type, dict(m.where), {"agency": "unit"}) for m in asked],
                   partners=[transferred], modality="permission")
    req = b.close(d, "reconsideration_requested", {"agency": agency})
    if req is None:
        return
    decided_by = [M.of("reconsideration_decided")]
    d = b.duty("transfer.reconsideration-decide-awaiting-receipt", req, holder="public_security", period=None,
               closers=decided_by, cancellers=[M.of("document_received", {"document": "reconsideration_request"})])
    got = _received(b, "reconsideration_request", "public_security")
    if got is not None:
        d = b.duty("transfer.reconsideration-decide", got, holder="public_security", period=Period(days=3),
                   closers=decided_by)
    opened = b.flag()
    decided = b.close(d, "reconsideration_decided", {"opened": opened})
    if decided is not None and opened:
        _handover(b, decided, transferred, agency, "transfer.handover-after-reconsideration")


@register_flow("transfer", area="transfer", clauses=("notice:3.11",))
def transfer_flow(b: Builder) -> None:
    """行政执法机关发现涉嫌犯罪 → 书面报告 → 负责人决定 → 24小时内移送 → 立案审查 → 移交材料."""
    _transfer_chain(b, penalty=False)


@register_flow("refusal", area="transfer", clauses=("notice:3.11",))
def refusal_flow(b: Builder) -> None:
    """负责人决定不批准移送（理由记录在案或没有记录）."""
    _transfer_chain(b, penalty=b.flag(), approved=False)


@register_flow("penalty", area="transfer", clauses=("notice:3.11", "notice:3.13"))
def penalty_flow(b: Builder) -> None:
    """行政处罚之后移送（按期、逾期）或不移送（以罚代刑）."""
    _transfer_chain(b, penalty=True, approved=None)


@register_flow("filing-supervision", area="transfer", clauses=("notice:3.11",))
def filing_supervision_flow(b: Builder) -> None:
    """检察院要求说明不立案理由（收到通知后7日）和通知立案（收到通知立案书后15日）."""
    if b.flag():
        req = b.emit("non_filing_explanation_requested", actor="procuratorate")
        explained = [M.of("non_filing_explained"), M.of("filing_decided", {"opened": True}),
                     M.of("reconsideration_decided", {"opened": True})]
        d = b.duty("filing.explain-awaiting-receipt", req, holder="public_security", period=None,
                   closers=explained, cancellers=[M.of("document_received", {"document": "explanation_request"})])
        got = _received(b, "explanation_request", "public_security")
        if got is not None:
            d = b.duty("filing.explain", got, holder="public_security", period=Period(days=7), closers=explained)
        done = b.close(d, "non_filing_explained")
        if done is not None:
            b.duty("filing.review-explanation", done, holder="procuratorate", period=None,
                   closers=[M.of("non_filing_reasons_reviewed"), M.of("filing_notice_issued")])
    if not b.events or b.flag():
        notice = b.emit("filing_notice_issued", actor="procuratorate" if b.flag() else None)
        opened = [M.of("filing_decided", {"opened": True}), M.of("reconsideration_decided", {"opened": True})]
        d = b.duty("filing.open-on-notice-awaiting-receipt", notice, holder="public_security", period=None,
                   closers=opened, cancellers=[M.of("document_received", {"document": "filing_order"})])
        got = _received(b, "filing_order", "public_security")
        if got is not None:
            d = b.duty("filing.open-on-notice", got, holder="public_security", period=Period(days=15),
                       closers=opened)
        if b.flag():  # a refusal first: it does not discharge the duty to open the case
            b.emit("filing_decided", {"opened": False, "reasons": b.pick(REASONS[:3])})
        if b.flag():
            b.close(d, "filing_decided", {"opened": True, "reasons": "依检察院通知立案"})
        else:
            b.close(d, "reconsideration_decided", {"opened": True})


@register_flow("reverse", area="transfer", clauses=("notice:3.11", "notice:3.2"))
def reverse_flow(b: Builder) -> None:
    """不起诉 → 检察意见 → 主管机关收到之日起两个月内书面回复."""
    authority = b.pick(AGENCIES)
    needs = b.draw(st.sampled_from((True, True, True, False)))
    enterprise = b.flag()
    data: dict[str, Any] = {"needs_admin_penalty": needs, "competent_authority": authority}
    if enterprise or b.flag():
        data["enterprise"] = enterprise
    npd = b.emit("non_prosecution_decided", data, actor="procuratorate")
    if not needs:
        return
    rule = "reverse.opinion-enterprise" if enterprise else "reverse.opinion"
    d = b.duty(rule, npd, holder="procuratorate", period=policy_period("reverse_promptly"),
               closers=[M.of("procuratorial_opinion_issued", {"kind": "admin_penalty"})])
    opinion_id = f"YJ-{b.case_id}"
    opinion = b.close(d, "procuratorial_opinion_issued",
                      {"opinion_id": opinion_id, "kind": "admin_penalty", "to": authority})
    if opinion is None:
        return
    replied = [M.of("opinion_reply_sent", match={"opinion_id": "opinion_id", "unit": "unit"})]
    d = b.duty("reverse.reply-awaiting-receipt", opinion, holder=authority, period=None,
               closers=[M.of("opinion_reply_sent", match={"opinion_id": "opinion_id", "unit": "to"})],
               cancellers=[M.of("procuratorial_opinion_received", match={"opinion_id": "opinion_id"})])
    if b.draw(st.sampled_from((True, True, True, False))):  # the receipt is usually recorded
        received = b.emit("procuratorial_opinion_received", {"opinion_id": opinion_id, "unit": authority},
                          actor=authority, max_gap_days=10)
        d = b.duty("reverse.reply", received, holder=authority, period=Period(months=2), closers=replied,
                   partners=[opinion])
    if b.flag():  # a reply to another opinion does not answer this one
        b.emit("opinion_reply_sent", {"opinion_id": f"{opinion_id}-other", "unit": authority}, max_gap_days=20)
    b.close(d, "opinion_reply_sent", {"opinion_id": opinion_id, "unit": authority}, max_late_days=60)


# ================================================================================================
# 5. Histories
# ================================================================================================

#: Days around which deadlines are hard: holidays, adjusted working days (调休), the notice's date,
#: month ends and the first year without official calendar data.
ANCHOR_DAYS = tuple(date.fromisoformat(d) for d in (
    "2024-01-19", "2024-02-09", "2024-02-18", "2024-04-04", "2024-04-28", "2024-05-01", "2024-06-10",
    "2024-09-14", "2024-09-29", "2024-10-01", "2024-10-12", "2024-12-31", "2025-01-26", "2025-01-28",
    "2025-02-08", "2025-04-30", "2025-05-31", "2025-09-28", "2025-10-01", "2025-10-11", "2026-02-14",
    "2026-02-28", "2026-09-30", "2026-12-31", "2027-01-01", "2027-02-06", "2028-02-29",
))


def month_ends(first_year: int = 2024, last_year: int = 2028) -> st.SearchStrategy[date]:
    """The last day of some month."""
    return st.builds(lambda y, m: date(y, m, stdcal.monthrange(y, m)[1]),
                     st.integers(first_year, last_year), st.integers(1, 12))


def start_days() -> st.SearchStrategy[date]:
    """A day near a holiday, an adjusted working day or a month end; or any day 2024–2028."""
    near = st.tuples(st.one_of(st.sampled_from(ANCHOR_DAYS), month_ends()), st.integers(-6, 6))
    # never before the notice took effect: a history meant to raise duties must be in force
    return st.one_of(near.map(lambda p: max(VALID_FROM, p[0] + timedelta(days=p[1]))),
                     st.dates(VALID_FROM, date(2028, 12, 31)))


def start_instants() -> st.SearchStrategy[datetime]:
    """A CST instant on a :func:`start_days` day, at a working hour or at the edges of the day."""
    minutes = st.one_of(st.sampled_from((0, 1, 9 * 60, 17 * 60 + 30, 23 * 60 + 59)), st.integers(0, 24 * 60 - 1))
    return st.builds(lambda d, m: datetime.combine(d, time(0), tzinfo=CST) + timedelta(minutes=m),
                     start_days(), minutes)


@st.composite
def timed_events(draw: DrawFn, type_: str, data: dict[str, Any] | None = None, *, case_id: str = "P-1",
                 event_id: str = "p1", start: st.SearchStrategy[datetime] | None = None) -> dict[str, Any]:
    """One event of ``type_`` at a :func:`start_instants` instant in force (from VALID_FROM), in any format."""
    at = draw(start if start is not None else start_instants())
    at = max(at, datetime.combine(VALID_FROM, time(0), tzinfo=CST))
    ev: dict[str, Any] = {"id": event_id, "type": type_, "case_id": case_id,
                          "occurred_at": stamp(at, draw(st.sampled_from(FORMATS)))}
    if data is not None:
        ev["data"] = data
    return ev


def later(ev: dict[str, Any], type_: str, data: dict[str, Any] | None = None, *, minutes: int = 1,
          event_id: str | None = None, fmt: str = "+08:00") -> dict[str, Any]:
    """An event of the same case ``minutes`` after ``ev``."""
    out: dict[str, Any] = {"id": event_id or f"{ev['id']}+{minutes}", "type": type_, "case_id": ev["case_id"],
                           "occurred_at": stamp(instant(ev) + timedelta(minutes=minutes), fmt)}
    if data is not None:
        out["data"] = data
    return out


@dataclass
class CaseHistory:
    """One generated case: its flow, events and duties."""

    flow: str
    case_id: str
    events: list[dict[str, Any]]
    duties: list[Duty]


@dataclass
class History:
    """Several cases, their events interleaved (possibly with duplicate deliveries)."""

    cases: list[CaseHistory]
    events: list[dict[str, Any]]

    @property
    def unique_events(self) -> list[dict[str, Any]]:
        """One copy of each event, in time order."""
        return sorted({e["id"]: e for e in self.events}.values(), key=order_key)

    def expected(self, as_of: datetime) -> list[Expected]:
        """The oracle's obligations for every case, sorted by key."""
        out = [x for c in self.cases for x in expect(c.duties, c.events, as_of)]
        return sorted(out, key=lambda e: e.key)

    def span(self) -> tuple[datetime, datetime]:
        """First and last event instants."""
        times = [instant(e) for e in self.events] or [datetime(2024, 6, 1, tzinfo=CST)]
        return min(times), max(times)


CASE_PREFIXES = ("XZ-2024", "XS-2025", "BQS", "行政案件", "case")


@st.composite
def case_histories(draw: DrawFn, flows: Sequence[str] | None = None, *, case_id: str | None = None,
                   start: datetime | None = None) -> CaseHistory:
    """One case generated by one registered flow."""
    name = draw(st.sampled_from(sorted(flows or FLOWS)))
    case_id = case_id or f"{draw(st.sampled_from(CASE_PREFIXES))}-001"
    b = Builder(draw, case_id, start or draw(start_instants()), name)
    FLOWS[name].build(b)
    return CaseHistory(name, case_id, b.events, b.duties)


@st.composite
def histories(draw: DrawFn, flows: Sequence[str] | None = None, *, min_cases: int = 1, max_cases: int = 4,
              duplicates: bool = True) -> History:
    """Several cases (distinct ids) with their events shuffled together and some delivered twice."""
    n = draw(st.integers(min_cases, max_cases))
    prefix = draw(st.sampled_from(CASE_PREFIXES))
    cases = [draw(case_histories(flows, case_id=f"{prefix}-{i:03d}")) for i in range(n)]
    events = [e for c in cases for e in c.events]
    events = list(draw(st.permutations(events)))
    if duplicates and events:
        for i in draw(st.lists(st.integers(0, len(events) - 1), max_size=4)):
            events.insert(draw(st.integers(0, len(events))), json.loads(json.dumps(events[i])))
    return History(cases, events)


@st.composite
def as_of_for(draw: DrawFn, history: History, *, after_all: bool | None = None) -> tuple[str, datetime]:
    """An ``as_of`` (as the caller writes it) and the instant it means.

    A bare date means the end of that day, CST (contract §2). ``after_all`` forces an instant after
    every due date of the history (a year after its last event).
    """
    first, last = history.span()
    if after_all is None:
        after_all = draw(st.booleans())
    if after_all:
        at = last + timedelta(days=400)
    else:
        lo, hi = first - timedelta(days=1), last + timedelta(days=90)
        at = lo + timedelta(minutes=draw(st.integers(0, int((hi - lo).total_seconds() // 60))))
    if draw(st.booleans()):
        day = at.astimezone(CST).date()
        return day.isoformat(), end_of_day(day)
    fmt = draw(st.sampled_from(("+08:00", "Z", "-05:00")))
    return stamp(at, fmt), at


# ================================================================================================
# 6. Hostile input
# ================================================================================================

#: A value that stands for personal data: it must never appear in a message.
PII = "张三-身份证-410105199001011234"


@dataclass(frozen=True)
class Bad:
    """A malformed line: its bytes, the field a rejection must name (None: the line as a whole), the id."""

    raw: bytes
    field: str | None
    kind: str
    id: str | None = None


def _line(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


BASE_BAD = {"id": "bad", "type": "crime_suspected", "case_id": "BAD-1", "occurred_at": "2024-03-04",
            "data": {"agency": "market_regulation"}}


def _with(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(BASE_BAD))
    out.update(kw)
    return out


def _without(key: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(BASE_BAD))
    del out[key]
    return out


def _data(type_: str, d: dict[str, Any]) -> dict[str, Any]:
    return _with(type=type_, data=d)


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"{}" + b"]" * depth


@cache
def bad_lines() -> tuple[Bad, ...]:
    """Every kind of malformed line the suite feeds the engine (contract §1 says what is valid)."""
    head = b'{"id": "n", "type": "crime_suspected", "case_id": "c", "occurred_at": "2024-03-04", '
    return (
        Bad(_line(_with(id=123)), "id", "wrong type"),
        Bad(_line(_with(type=["crime_suspected"])), "type", "wrong type", "bad"),
        Bad(_line(_with(case_id=None)), "case_id", "wrong type", "bad"),
        Bad(_line(_with(occurred_at=20240304)), "occurred_at", "wrong type", "bad"),
        Bad(_line(_with(data=["agency", "health"])), "data", "wrong type", "bad"),
        Bad(_line(_with(actor=5)), "actor", "wrong type", "bad"),
        Bad(_line(_with(actor="Not A Code!")), "actor", "bad unit code", "bad"),
        Bad(_line(_without("id")), "id", "missing field"),
        Bad(_line(_without("type")), "type", "missing field", "bad"),
        Bad(_line(_without("case_id")), "case_id", "missing field", "bad"),
        Bad(_line(_without("occurred_at")), "occurred_at", "missing field", "bad"),
        Bad(_line(_with(extra="x")), None, "unknown field", "bad"),
        Bad(_line(_with(occurred_at="2024-03-04T09:30:00")), "occurred_at", "naive datetime", "bad"),
        Bad(_line(_with(occurred_at="2024-03-04 09:30")), "occurred_at", "naive datetime", "bad"),
        Bad(_line(_with(occurred_at="2024-02-30")), "occurred_at", "impossible date", "bad"),
        Bad(_line(_with(occurred_at="2023-02-29")), "occurred_at", "impossible date", "bad"),
        Bad(_line(_with(occurred_at="2024-13-01T00:00:00+08:00")), "occurred_at", "impossible date", "bad"),
        Bad(_line(_with(occurred_at="2024-06-30T23:59:60+08:00")), "occurred_at", "impossible time", "bad"),
        Bad(_line(_with(occurred_at="2024-03-04T09:30:00+25:00")), "occurred_at", "impossible offset", "bad"),
        Bad(_line(_with(occurred_at="yesterday")), "occurred_at", "not a date", "bad"),
        Bad(_line(_with(occurred_at="0001-01-01T00:00:00+14:00")), "occurred_at", "out of range", "bad"),
        Bad(_line(_with(occurred_at="9999-12-31T10:00:00+08:00")), "occurred_at", "out of range", "bad"),
        Bad(_line(_with(occurred_at="9999-12-31")), "occurred_at", "out of range", "bad"),
        Bad(_line(_with(id="x" * 100_000)), "id", "huge string"),
        Bad(_line(_with(case_id="c" * 201)), "case_id", "huge string", "bad"),
        Bad(_line(_data("transfer_decided", {"agency": "health", "approved": False, "reasons": PII * 400})),
            "data.reasons", "huge personal text", "bad"),
        Bad(_line(_with(id="a\u0000b")), "id", "control character"),
        Bad(_line(_with(type="case_moved")), "type", "unknown type", "bad"),
        Bad(_line(_data("crime_suspected", {})), "data.agency", "missing data field", "bad"),
        Bad(_line(_data("crime_suspected", {"agency": "no such bureau!"})), "data.agency", "malformed unit code", "bad"),
        Bad(_line(_data("crime_suspected", {"agency": "health", "name": PII})), "data", "unknown data field",
            "bad"),
        Bad(_line(_data("transfer_decided", {"agency": "health", "approved": "yes"})), "data.approved",
            "bool as text", "bad"),
        Bad(_line(_data("transfer_decided", {"agency": "health", "approved": 1})), "data.approved", "bool as int",
            "bad"),
        Bad(_line(_data("transfer_decided", {"agency": "health", "approved": False, "reasons": 7})),
            "data.reasons", "wrong data type", "bad"),
        Bad(_line(_data("procuratorial_opinion_issued", {"opinion_id": "o", "kind": PII, "to": "health"})),
            "data.kind", "value outside enum", "bad"),
        Bad(_line(_data("background_check_done", {"unit": "education", "person_id": PII + "\n", "has_record": True})),
            "data.person_id", "personal id with control character", "bad"),
        Bad(_line(_data("background_check_done", {"unit": "education", "person_id": PII, "has_record": PII})),
            "data.has_record", "personal data in a bool", "bad"),
        Bad(_line(_data("annual_staff_check_done", {"unit": "education", "year": 2024.5})), "data.year", "float",
            "bad"),
        Bad(_line(_data("task_assigned", {"task_id": "t", "unit": "justice", "due": "2024-02-30"})), "data.due",
            "impossible date", "bad"),
        Bad(_line(_data("crime_suspected", {"agency": {"nested": {"deeper": [1, 2, 3]}}})), "data.agency",
            "nested value", "bad"),
        Bad(head[:-2] + b', "data": {"agency": "health", "x": NaN}}', None, "NaN"),
        Bad(b'{"id": "n", "type": "crime_suspected", "case_id": "c", "occurred_at": Infinity}', None, "Infinity"),
        Bad(b'{"id": "n", "type": "crime_suspected", "case_id": "c", "occurred_at": -Infinity}', None, "Infinity"),
        Bad(b'{"id": "d", "id": "e", "type": "crime_suspected", "case_id": "c", "occurred_at": "2024-03-04"}',
            None, "duplicate keys"),
        Bad(_line(_with(case_id="行政X")).replace(b"X", b"\xff\xfe"), None, "non-UTF-8"),
        Bad(b"\xef\xbb\xbf" + _line(_with(id="bom")), None, "byte order mark"),
        Bad(_nested(100_000), None, "deep nesting"),
        Bad(head + b'"data": {"agency": "health", "deep": ' + _nested(5_000) + b"}}", None, "deep nesting in data"),
        Bad(head + b'"data": {"agency": "health", "deep": ' + _nested(200) + b"}}", "data",
            "nesting in data", "n"),
        Bad(b"[1, 2, 3]", None, "not an object"),
        Bad(b'"crime_suspected"', None, "not an object"),
        Bad(b"null", None, "not an object"),
        Bad(b"42", None, "not an object"),
        Bad(b"true", None, "not an object"),
        Bad(b"not json at all", None, "not JSON"),
        Bad(b'{"id": "t", "type": "crime_suspected"', None, "truncated"),
        Bad(b'{"id": "big", "pad": "' + b"x" * (1024 * 1024) + b'"}', None, "line too long"),
    )


def malformed_lines() -> st.SearchStrategy[Bad]:
    """One malformed JSON Lines line, with the field (and id) its rejection must name."""
    return st.sampled_from(bad_lines())


# ---- hand-built matcher shapes (for the durable_rules crash test) --------------------------------

#: Keys and values chosen to stress the C core: unicode, quotes, backslashes, the empty string, values
#: that look like numbers or booleans (it coerces types), and keys that differ in one character.
SHAPE_KEYS = ("d_a", "d_b", "d_名称", "p_a", "n_list", "d_opinion_id", "d_x1", "d_x2")
SHAPE_VALUES = ("1", "true", "false", "", "a", "b", "张三", 'q"uote', "back\\slash", "9", "10", "1.0", " ", "é",
                r"\u00e9", "$or", "null")
SHAPE_TYPES = ("A", "B", "crime_suspected", "类型")


@st.composite
def _pattern(draw: DrawFn, anchor: bool) -> dict[str, Any]:
    keys = draw(st.lists(st.sampled_from(SHAPE_KEYS), unique=True, max_size=3))
    conds = [[k, sorted(draw(st.sets(st.sampled_from(SHAPE_VALUES), min_size=1, max_size=3)))] for k in keys]
    joins = [] if anchor else draw(st.lists(st.tuples(st.sampled_from(SHAPE_KEYS), st.sampled_from(SHAPE_KEYS)),
                                            max_size=2, unique_by=lambda j: j[0]))
    return {"t": draw(st.sampled_from(SHAPE_TYPES)), "conds": conds, "joins": [list(j) for j in joins]}


@st.composite
def matcher_shapes(draw: DrawFn) -> dict[str, Any]:
    """Matchers of one to three areas (1–4 patterns each) and fact sets of one case or two to run them on."""
    matchers = []
    for i in range(draw(st.integers(1, 8))):
        n = draw(st.integers(1, 4))
        patterns = [draw(_pattern(anchor=True))] + [draw(_pattern(anchor=False)) for _ in range(n - 1)]
        matchers.append({"id": f"m{i}#x", "area": draw(st.sampled_from(("a1", "a2", "区域"))), "patterns": patterns})
    fact_sets = []
    for _ in range(draw(st.integers(1, 4))):
        facts = []
        for j in range(draw(st.integers(0, 10))):
            fact = {"id": f"f{j}", "t": draw(st.sampled_from(SHAPE_TYPES)),
                    "case_id": draw(st.sampled_from(("c1", "c1", "c2"))), "_k": "1"}
            for key in draw(st.lists(st.sampled_from(SHAPE_KEYS), unique=True, max_size=5)):
                fact[key] = draw(st.sampled_from(SHAPE_VALUES))
            facts.append(fact)
        fact_sets.append(facts)
    return {"matchers": matchers, "fact_sets": fact_sets}


# ================================================================================================
# 7. Comparing results
# ================================================================================================

def modelled_areas() -> frozenset[str]:
    """Areas the oracle models: those with registered flows (other areas are left out of comparisons)."""
    return frozenset(f.area for f in FLOWS.values())


def row(o: Any) -> tuple[Any, ...]:
    """The parts of an obligation the oracle predicts, as a comparable tuple."""
    return (o.rule, o.case_id, tuple(o.triggered_by), o.holder, o.modality, o.status, o.due,
            o.due_provisional, tuple(o.closed_by))


def expected_row(e: Expected) -> tuple[Any, ...]:
    """An :class:`Expected` as :func:`row` would show the matching obligation."""
    return (e.rule, e.case_id, e.triggered_by, e.holder, e.modality, e.status, e.due, e.provisional, e.closed_by)


def modelled(obligations: Iterable[Any], catalog: Any, case_ids: Iterable[str]) -> list[Any]:
    """The obligations of modelled areas in the given cases."""
    cases = set(case_ids)
    areas = modelled_areas()
    return [o for o in obligations if o.case_id in cases and catalog.rules[o.rule].area in areas]


def dump(result: Any) -> list[dict[str, Any]]:
    """Obligations and rejections of a result as plain data (the receipt left out)."""
    return [o.model_dump(mode="json") for o in result.obligations] + [
        r.model_dump(mode="json") for r in result.rejected]


def assert_order_free_and_backends_agree(reference: Any, durable: Any, events: list[dict[str, Any]],
                                         as_of: str, seed: int) -> None:
    """The reference result is the same for a shuffled delivery, and durable_rules (not fallen back to
    the reference evaluator) gives exactly that result for the shuffled delivery."""
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    ref = reference.evaluate(events, as_of)
    assert dump(reference.evaluate(shuffled, as_of)) == dump(ref)
    dur = durable.evaluate(shuffled, as_of)
    assert dur.receipt.backend == "durable_rules" and dur.receipt.backend_note is None
    assert dump(dur) == dump(ref)


# ================================================================================================
# 8. Example budgets
# ================================================================================================

#: The ``max_examples`` of the ``ci`` profile; other profiles scale every budget by their own.
CI_BASE = 100


def examples(n: int) -> int:
    """``n`` examples on the ``ci`` profile, scaled by the active profile (``long``: 10×)."""
    return max(1, n * settings.default.max_examples // CI_BASE)


# ================================================================================================
# 9. Other clause areas: minors 三(七), judicial aid 三(六), clue sharing 三(十二), the mechanism 二、五
# ================================================================================================
#
# These generators are not registered in :data:`FLOWS` (the generic oracle properties compare complete
# result sets per area, and the yearly duties of these areas need no trigger event): each
# ``tests/spec/test_spec_<area>.py`` states its own laws over them. Where a duty's closing act must come after
# its trigger, the generators declare :class:`Duty` objects so that :func:`expect` is the oracle.


@dataclass
class AreaCase:
    """One generated case of another area: events, the duties :func:`expect` resolves, and facts."""

    case_id: str
    events: list[dict[str, Any]]
    duties: list[Duty]
    facts: dict[str, Any] = field(default_factory=dict)


def _in_force(at: datetime) -> datetime:
    return max(at, datetime.combine(VALID_FROM, time(0), tzinfo=CST))


# ---- 三(七) minors -------------------------------------------------------------------------------------

#: Units that discover harm: state organs (unit codes) and a school that must give its unit_kind.
HARM_UNITS = (("education", None), ("health", None), ("civil_affairs", None), ("hj-school-01", "school"),
              ("hj-kg-02", "kindergarten"))
#: Where a report may go: public security (立即接受), civil affairs or education (及时受理), or another department.
REPORT_TO = ("public_security", "civil_affairs", "education", "health")


def _with_kind(data: dict[str, Any], kind: str | None) -> dict[str, Any]:
    return {**data, "unit_kind": kind} if kind else data


@st.composite
def harm_cases(draw: DrawFn, case_id: str = "minor:1") -> AreaCase:
    """A discovery of harm to a minor, reported on time, late or never, and the report accepted (or not).

    Duties: minors.report (立即, policy), then minors.report-accept-police (立即) or minors.report-accept
    (及时) for the department that received the report.
    """
    b = Builder(draw, case_id, _in_force(draw(start_instants())), "minors.harm")
    unit, kind = b.pick(HARM_UNITS)
    found = b.emit("minor_harm_discovered", _with_kind({"unit": unit}, kind))
    d = b.duty("minors.report", found, holder=unit, period=policy_period(IMMEDIATELY),
               closers=[M.of("harm_reported", match={"unit": "unit"})])
    to = b.pick(REPORT_TO)
    report = b.close(d, "harm_reported", _with_kind({"unit": unit, "to": to}, kind), max_late_days=10)
    if report is not None and to in ("public_security", "civil_affairs", "education"):
        rule, term = (("minors.report-accept-police", IMMEDIATELY) if to == "public_security"
                      else ("minors.report-accept", PROMPTLY))
        d2 = b.duty(rule, report, holder=to, period=policy_period(term),
                    closers=[M.of("harm_report_accepted", match={"unit": "to"})])
        b.close(d2, "harm_report_accepted", {"unit": to}, max_late_days=20)
    return AreaCase(case_id, b.events, b.duties, {"unit": unit, "to": to, "report": report})


#: When the record check of one applicant is made relative to the hire.
CHECK_TIMING = ("before", "same_day", "after", "none")


@st.composite
def hire_cases(draw: DrawFn, unit: str = "hj-kg-01", kind: str = "kindergarten", max_people: int = 3) -> AreaCase:
    """Hires of one unit in close contact with minors (case staff:<unit>), one to ``max_people`` applicants.

    For each applicant: a record check before the hire, on the day of the hire, after it, or none; the
    check finds a record or not; and, sometimes, a dismissal some days later. ``facts["people"]`` lists,
    per person, the hire, the check (or None) and the dismissal (or None). Every event is date-only, so
    "on or before the hire" is a question of days (contract §2: a bare date is some time that day).
    """
    case_id = f"staff:{unit}"
    start = _in_force(draw(start_instants())).astimezone(CST).date()
    events: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    n = draw(st.integers(1, max_people))
    for i in range(n):
        pid = f"p{i + 1}"
        hired_on = start + timedelta(days=draw(st.integers(0, 40)))
        base = {"unit": unit, "unit_kind": kind, "person_id": pid}
        hire = {"id": f"{case_id}.h{i}", "type": "staff_hired", "case_id": case_id,
                "occurred_at": hired_on.isoformat(), "data": dict(base)}
        timing = draw(st.sampled_from(CHECK_TIMING))
        check = None
        if timing != "none":
            shift = {"before": -draw(st.integers(1, 30)), "same_day": 0,
                     "after": draw(st.integers(1, 30))}[timing]
            check = {"id": f"{case_id}.c{i}", "type": "background_check_done", "case_id": case_id,
                     "occurred_at": (hired_on + timedelta(days=shift)).isoformat(),
                     "data": {**base, "has_record": draw(st.booleans())}}
        dismissal = None
        if draw(st.booleans()):
            anchor = max(hired_on, day_of(check) if check else hired_on)
            dismissal = {"id": f"{case_id}.d{i}", "type": "staff_dismissed", "case_id": case_id,
                         "occurred_at": (anchor + timedelta(days=draw(st.integers(0, 20)))).isoformat(),
                         "data": dict(base)}
        events += [e for e in (hire, check, dismissal) if e is not None]
        people.append({"person_id": pid, "hire": hire, "check": check, "timing": timing, "dismissal": dismissal})
    return AreaCase(case_id, events, [], {"unit": unit, "people": people})


# ---- 三(六) judicial aid --------------------------------------------------------------------------------

AID_SITUATIONS = ("serious_injury", "urgent_medical", "death_or_incapacity_dependant", "major_property_loss",
                  "retaliation", "civil_tort_injury", "other")
AID_CAUSES = ("unsolved", "time_barred", "offender_dead", "offender_insolvent", "no_compensation_by_litigation")
AID_EXCLUSIONS = ("major_fault", "refused_cooperation", "false_statement", "waived_compensation",
                  "hardship_not_from_case", "already_compensated")
SOCIAL_AID_UNITS = ("education", "civil_affairs", "human_resources", "medical_insurance")


@st.composite
def aid_cases(draw: DrawFn, case_id: str = "aid:1") -> AreaCase:
    """One assessed party: every combination of situation, cause, hardship, exclusions and social-aid needs,
    then a decision (granted, refused, or none yet) and sometimes a referral to social aid departments."""
    at = _in_force(draw(start_instants()))
    data: dict[str, Any] = {"situation": draw(st.sampled_from(AID_SITUATIONS)),
                            "living_hardship": draw(st.booleans())}
    cause = draw(st.sampled_from((None, *AID_CAUSES)))
    if cause is not None:
        data["cause"] = cause
    exclusions = draw(st.lists(st.sampled_from(AID_EXCLUSIONS), unique=True, max_size=2))
    if exclusions or draw(st.booleans()):
        data["exclusions"] = exclusions
    needs = draw(st.lists(st.sampled_from(SOCIAL_AID_UNITS), unique=True, max_size=2))
    if needs or draw(st.booleans()):
        data["social_aid_needs"] = needs
    fmt = draw(st.sampled_from(FORMATS))
    events = [{"id": f"{case_id}.a", "type": "aid_case_assessed", "case_id": case_id,
               "occurred_at": stamp(at, fmt), "data": data}]
    decision = draw(st.sampled_from((None, True, False)))
    if decision is not None:
        d: dict[str, Any] = {"granted": decision}
        if not decision:
            d["reasons"] = "不符合救助条件"
        events.append({"id": f"{case_id}.d", "type": "judicial_aid_decided", "case_id": case_id,
                       "occurred_at": stamp(at + timedelta(days=draw(st.integers(0, 60))), fmt), "data": d})
    referral = None
    if needs and draw(st.booleans()):
        to = draw(st.lists(st.sampled_from(needs), min_size=1, unique=True))  # some, or all, of the departments
        referral = {"id": f"{case_id}.r", "type": "social_aid_referral_sent", "case_id": case_id,
                    "occurred_at": stamp(at + timedelta(days=draw(st.integers(0, 60))), fmt), "data": {"to": to}}
        events.append(referral)
    return AreaCase(case_id, events, [], {"assessment": data, "decision": decision, "referral": referral})


# ---- 三(十二) clue sharing ----------------------------------------------------------------------------------

CLUE_DEPARTMENTS = ("market_regulation", "ecology", "housing", "urban_management", "health")
SYNCHRONOUSLY = "synchronously"


@st.composite
def clue_cases(draw: DrawFn, case_id: str = "clue:1") -> AreaCase:
    """One clue of the 双推送、双反馈 mechanism, or one data / case-file request; each act on time, late or never.

    * ``hotline``: 12345 receives a clue (harming public interest or not) → pushed to the procuratorate or
      its 12309 centre (同步) → 12309 feeds back to 12345 (及时);
    * ``procuratorate``: 12309 receives a clue concerning a department → pushed to it (同步; sometimes
      first to a wrong department, which owes feedback too) → the department feeds back (及时);
    * ``request``: the procuratorate asks for data or a case file (积极配合, policy 及时).
    """
    kind = draw(st.sampled_from(("hotline", "procuratorate", "request")))
    b = Builder(draw, case_id, _in_force(draw(start_instants())), f"clues.{kind}")
    clue_id = case_id.removeprefix("clue:")
    if kind == "hotline":
        harms = draw(st.sampled_from((True, True, False)))
        got = b.emit("hotline_clue_received", {"clue_id": clue_id, "harms_public_interest": harms})
        to = b.pick(("procuratorate", "service_12309"))
        push_data = {"clue_id": clue_id, "from": "hotline_12345", "to": to}
        if harms:
            d = b.duty("clues.hotline-push", got, holder="hotline_12345",  # 24/7: hour-based (issue 10)
                       period=policy_period("synchronously_hotline"),
                       closers=[M.of("clue_pushed", match={"clue_id": "clue_id"})])
            pushed = b.close(d, "clue_pushed", push_data, max_late_days=10)
        else:
            pushed = b.emit("clue_pushed", push_data) if b.flag() else None
        if pushed is not None:
            d = b.duty("clues.procuratorate-handle", pushed, holder="service_12309", period=policy_period(PROMPTLY),
                       closers=[M.of("clue_feedback_sent", {"to": "hotline_12345"}, match={"clue_id": "clue_id"})])
            b.close(d, "clue_feedback_sent", {"clue_id": clue_id, "from": "service_12309", "to": "hotline_12345"})
    elif kind == "procuratorate":
        dept = b.pick(CLUE_DEPARTMENTS)
        got = b.emit("procuratorate_clue_received", {"clue_id": clue_id, "concerns_unit": dept})
        d = b.duty("clues.procuratorate-push", got, holder="service_12309", period=policy_period(SYNCHRONOUSLY),
                   closers=[M.of("clue_pushed", match={"clue_id": "clue_id", "to": "concerns_unit"})])
        feedback = [M.of("clue_feedback_sent", match={"clue_id": "clue_id", "from": "to"})]
        if b.flag():  # pushed to the wrong department first: no discharge, and no duty on that department
            wrong = next(u for u in CLUE_DEPARTMENTS if u != dept)
            b.emit("clue_pushed", {"clue_id": clue_id, "from": "service_12309", "to": wrong}, max_gap_days=0)
            if b.flag():
                b.emit("clue_feedback_sent", {"clue_id": clue_id, "from": wrong, "to": "service_12309"})
        pushed = b.close(d, "clue_pushed", {"clue_id": clue_id, "from": "service_12309", "to": dept},
                         max_late_days=10)
        if pushed is not None:
            d = b.duty("clues.department-feedback", pushed, holder=dept, period=policy_period(PROMPTLY),
                       closers=feedback, partners=[got])
            b.close(d, "clue_feedback_sent", {"clue_id": clue_id, "from": dept, "to": "service_12309"})
    else:
        what = b.pick(("data", "case_file"))
        to = "big_data" if what == "data" else b.pick(CLUE_DEPARTMENTS)
        req = b.emit("data_request_made", {"request_id": f"R-{clue_id}", "to": to, "kind": what},
                     actor="procuratorate")
        rule = "clues.data-request" if what == "data" else "clues.case-file-request"
        answered = [M.of("data_request_fulfilled", match={"request_id": "request_id"})]
        d = b.duty(rule, req, holder=to, period=None, closers=answered)  # 积极配合: no limit, never overdue
        b.duty("clues.data-request-reminder", req, holder=to, period=policy_period("cooperation_reminder"),
               closers=answered, modality="permission")
        b.close(d, "data_request_fulfilled", {"request_id": f"R-{clue_id}"})
    return AreaCase(case_id, b.events, b.duties, {"kind": kind})


# ---- 二、五 the mechanism ----------------------------------------------------------------------------------

JOINT_MEETING = "joint-meeting"
CHAIRS = ("convener", "executive_deputy", "deputy")


@st.composite
def joint_meetings(draw: DrawFn, first_year: int = 2024, last_year: int = 2027) -> list[dict[str, Any]]:
    """Meetings of the joint meeting (case joint-meeting) over some years: plenary or not, each chair,
    entrusted or not (or the flag left out), as bare dates or instants; some years have none."""
    out: list[dict[str, Any]] = []
    for year in range(first_year, last_year + 1):
        for j in range(draw(st.integers(0, 2))):
            lo = VALID_FROM if year == VALID_FROM.year else date(year, 1, 1)
            day = draw(st.dates(lo, date(year, 12, 31)))
            at = datetime.combine(day, time(0), tzinfo=CST) + timedelta(minutes=draw(st.integers(0, 24 * 60 - 1)))
            data: dict[str, Any] = {"plenary": draw(st.booleans()), "chair": draw(st.sampled_from(CHAIRS))}
            entrusted = draw(st.sampled_from((None, True, False)))
            if entrusted is not None:
                data["entrusted"] = entrusted
            out.append({"id": f"jm-{year}-{j}", "type": "joint_meeting_held", "case_id": JOINT_MEETING,
                        "occurred_at": stamp(at, draw(st.sampled_from(("date", "+08:00")))), "data": data})
    return out


def counts_as_plenary(ev: dict[str, Any]) -> bool:
    """二(三)2: a plenary meeting chaired by the convener, or by a deputy the convener entrusted; a record that
    omits ``entrusted`` counts too (the missing fact is the office's to verify, not a breach — issue 10)."""
    d = data_of(ev)
    return bool(d.get("plenary")) and (d["chair"] == "convener" or d.get("entrusted") is not False)


@st.composite
def task_cases(draw: DrawFn, case_id: str = "task:1") -> AreaCase:
    """One task of the year's key task list: its completion date (near holidays and month ends), and a
    completion on or before it, after it, or none. ``facts``: unit, due (a date), completion (or None)."""
    assigned = _in_force(draw(start_instants()))
    due = max(draw(start_days()), assigned.astimezone(CST).date())
    unit = draw(st.sampled_from(("finance", "justice", "education", "market_regulation", "procuratorate")))
    task_id = case_id.removeprefix("task:")
    events = [{"id": f"{case_id}.a", "type": "task_assigned", "case_id": case_id,
               "occurred_at": stamp(assigned, draw(st.sampled_from(FORMATS))),
               "data": {"task_id": task_id, "unit": unit, "due": due.isoformat()}}]
    timing = draw(st.sampled_from(TIMINGS))
    done = None
    if timing != "missing":
        lo = assigned.astimezone(CST).date()
        day = (draw(st.sampled_from((due, draw(st.dates(lo, due))))) if timing == "on_time"
               else due + timedelta(days=draw(st.sampled_from((1, draw(st.integers(1, 60)))))))
        done = {"id": f"{case_id}.c", "type": "task_completed", "case_id": case_id,
                "occurred_at": day.isoformat(), "data": {"task_id": task_id}}
        events.append(done)
    return AreaCase(case_id, events, [], {"unit": unit, "due": due, "completion": done, "timing": timing})


#: The acts of one membership change (request, approval, change), each present or not.
MEMBERSHIP_ACTS = ("membership_change_requested", "membership_change_approved", "membership_changed")


@st.composite
def membership_cases(draw: DrawFn, unit: str = "finance", n: int = 1) -> AreaCase:
    """One membership change (case membership:<unit>-<yyyy>-<n>): request, approval and change, each
    present or absent, on days in any order (several acts may share a day); bare dates throughout."""
    start = _in_force(draw(start_instants())).astimezone(CST).date()
    case_id = f"membership:{unit}-{start.year}-{n}"
    events: list[dict[str, Any]] = []
    for k, type_ in enumerate(MEMBERSHIP_ACTS):
        if draw(st.booleans()) or (k == 2 and not events):
            day = start + timedelta(days=draw(st.integers(0, 20)))
            events.append({"id": f"{case_id}.{k}", "type": type_, "case_id": case_id,
                           "occurred_at": day.isoformat(), "data": {"unit": unit}})
    return AreaCase(case_id, events, [], {"unit": unit})


# ---- 三(二)(四)(八)(九)(十)(十三) enterprise cases, safety production, supported prosecution, public interest ----

PUBLIC_INTEREST_FIELDS = ("state_assets", "food_drug", "state_land", "personal_info", "women_rights", "ecology",
                          "natural_resources", "farmland", "other")


@st.composite
def criminal_cases(draw: DrawFn, case_id: str = "XS-2024-001") -> AreaCase:
    """A filed criminal case (safety production or not, enterprise or not), an early intervention some days
    before or after the first submission (or none), and a submission, closure, or neither — bare dates."""
    filed_on = _in_force(draw(start_instants())).astimezone(CST).date()
    data: dict[str, Any] = {"domain": draw(st.sampled_from(("safety_production", "safety_production", "other"))),
                            "enterprise": draw(st.booleans())}
    events = [{"id": f"{case_id}.f", "type": "criminal_case_filed", "case_id": case_id,
               "occurred_at": filed_on.isoformat(), "data": data}]
    end = draw(st.sampled_from((None, "arrest_approval", "prosecution", "withdrawn", "terminated")))
    end_ev = None
    if end is not None:
        end_on = filed_on + timedelta(days=draw(st.sampled_from((draw(st.integers(0, 60)), draw(st.integers(300, 420))))))
        if end in ("withdrawn", "terminated"):
            end_ev = {"id": f"{case_id}.e", "type": "criminal_case_closed", "case_id": case_id,
                      "occurred_at": end_on.isoformat(), "data": {"outcome": end}}
        else:
            end_ev = {"id": f"{case_id}.e", "type": "criminal_case_submitted", "case_id": case_id,
                      "occurred_at": end_on.isoformat(), "data": {"kind": end}}
        events.append(end_ev)
    intervention = None
    if draw(st.booleans()):
        ref = day_of(end_ev) if end_ev is not None else filed_on + timedelta(days=30)
        on = max(filed_on, ref + timedelta(days=draw(st.sampled_from((0, 1, -1, draw(st.integers(-20, 5)))))))
        intervention = {"id": f"{case_id}.i", "type": "early_intervention_done", "case_id": case_id,
                        "occurred_at": on.isoformat()}
        events.append(intervention)
    return AreaCase(case_id, events, [], {"filed": events[0], "end": end_ev, "intervention": intervention})


@st.composite
def public_interest_cases(draw: DrawFn, case_id: str = "pi:1") -> AreaCase:
    """A public-interest clue found in one field, shared with the procuratorate (or not) and handled (or not);
    or a supported-prosecution clue shared and screened (or not)."""
    at = _in_force(draw(start_instants()))
    clue_id = case_id.split(":", 1)[1]
    fmt = draw(st.sampled_from(FORMATS))

    def ev(suffix: str, type_: str, data: dict[str, Any], days: int) -> dict[str, Any]:
        return {"id": f"{case_id}.{suffix}", "type": type_, "case_id": case_id,
                "occurred_at": stamp(at + timedelta(days=days), fmt), "data": data}

    if draw(st.booleans()):
        unit = draw(st.sampled_from(("market_regulation", "ecology", "natural_resources", "health")))
        events = [ev("f", "public_interest_clue_found",
                     {"clue_id": clue_id, "unit": unit, "field": draw(st.sampled_from(PUBLIC_INTEREST_FIELDS))}, 0)]
        if draw(st.booleans()):
            events.append(ev("s", "public_interest_clue_shared", {"clue_id": clue_id, "from": unit},
                             draw(st.integers(0, 30))))
            if draw(st.booleans()):
                events.append(ev("h", "public_interest_clue_handled",
                                 {"clue_id": clue_id, "outcome": draw(st.sampled_from(("case_filed", "no_case",
                                                                                        "referred")))}, 31))
        return AreaCase(case_id, events, [], {"kind": "public_interest", "unit": unit})
    events = [ev("f", "support_prosecution_clue_shared",
                 {"clue_id": clue_id, "from": "human_resources", "group": "migrant_workers"}, 0)]
    if draw(st.booleans()):
        events.append(ev("s", "support_prosecution_clue_screened", {"clue_id": clue_id,
                                                                   "accepted": draw(st.booleans())}, 5))
    return AreaCase(case_id, events, [], {"kind": "support"})


def as_of_near(draw: DrawFn, events: list[dict[str, Any]], margin_days: int) -> tuple[str, datetime]:
    """An as_of (text, instant) between the day before the first event and ``margin_days`` after the last,
    or, half the time, long (400 days) after everything."""
    times = [instant(e) for e in events]
    if draw(st.booleans()):
        day = max(times).astimezone(CST).date() + timedelta(days=400)
    else:
        lo = min(times).astimezone(CST).date() - timedelta(days=1)
        day = lo + timedelta(days=draw(st.integers(0, (max(times) - min(times)).days + margin_days)))
    return day.isoformat(), end_of_day(day)
