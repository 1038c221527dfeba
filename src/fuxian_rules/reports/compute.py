"""Compute the office's assessment from a :class:`fuxian_rules.Result` — the same result ``check`` prints.

The report never re-decides a status: it only sorts the engine's obligations into the period, the unit,
the clause area and the month, and counts them. The one thing the result does not carry is *when* an
obligation arose, so :func:`build_report` also takes the accepted events (to date the triggering event)
and the catalogue (to know which duties the calendar raises). ``labels.ARISEN_DEFINITION`` says the rule
in Chinese; the report prints it next to the numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from fuxian_rules import Catalog, Event, Obligation, Result, RunError

from .labels import area_label, area_of, instrument_names, unit_name
from .model import Counts, Item, Report, Row

__all__ = ["CST", "MAX_MONTHS", "ReportError", "build_report", "count", "parse_due"]

#: China Standard Time (contract §4): every day in a report is a CST calendar day.
CST = timezone(timedelta(hours=8))
#: A report covers at most ten years: the month-by-month table stays bounded whatever the input.
MAX_MONTHS = 120
#: Unit roles shown even with nothing to count: the joint meeting's members, its office and the hotline.
_MEMBER_ROLES = frozenset({"procuratorate", "police", "office", "agency", "hotline"})


class ReportError(RunError):
    """A report cannot be made as asked; ``code`` is stable (``report.bad-period``, ``report.bad-db`` …)."""

    def __init__(self, code: str, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        self.code = code
        super().__init__(f"[{code}] {message}", field=field, hint=hint)


def parse_due(due: str | None) -> tuple[date | None, datetime | None]:
    """Split the contract's ``due`` into its CST day and, for hour periods, its exact instant."""
    if due is None:
        return None, None
    if "T" in due:
        at = datetime.fromisoformat(due).astimezone(CST)
        return at.date(), at
    return date.fromisoformat(due), None


def count(items: Iterable[Item]) -> Counts:
    """Count items by modality and status (the definitions are in :class:`Counts`)."""
    n = dict.fromkeys(("arisen", "fulfilled", "late", "overdue", "pending", "cancelled", "prohibitions",
                       "violated", "advisories", "advisories_open"), 0)
    bucket = {"fulfilled": "fulfilled", "fulfilled_late": "late", "overdue": "overdue", "open": "pending",
              "cancelled": "cancelled"}
    for it in items:
        if it.modality == "obligation":
            n["arisen"] += 1
            if it.status in bucket:
                n[bucket[it.status]] += 1
        elif it.modality == "prohibition":
            n["prohibitions"] += 1
        else:
            n["advisories"] += 1
            if it.status == "advisory" and not it.closed_by:
                n["advisories_open"] += 1
        if it.status == "violated":
            n["violated"] += 1
    return Counts(**n)


def _months(start: date, end: date) -> list[tuple[int, int]]:
    out, (y, m) = [], (start.year, start.month)
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def check_period(period_from: date, period_to: date) -> None:
    """Refuse an empty or unbounded period, with a stable code."""
    if period_to < period_from:
        raise ReportError("report.bad-period", f"the period ends ({period_to}) before it starts ({period_from})",
                          field="to", hint="give --from on or before --to")
    if len(_months(period_from, period_to)) > MAX_MONTHS:
        raise ReportError("report.period-too-long", f"the period spans more than {MAX_MONTHS} months",
                          field="to", hint="make one report per year")


def _arisen_on(ob: Obligation, catalog: Catalog, days: dict[str, date], due_day: date | None,
               as_of_day: date) -> date:
    """The day an obligation arose (``labels.ARISEN_DEFINITION``)."""
    first = days.get(ob.triggered_by[0]) if ob.triggered_by else None
    loaded = catalog.rules.get(ob.rule)
    schedule = loaded.spec.trigger.schedule if loaded is not None else None
    if loaded is not None and schedule is not None:
        candidates = [loaded.spec.valid_from]
        if schedule.every == "year" and due_day is not None:
            candidates.append(date(due_day.year, 1, 1))
        if first is not None:
            candidates.append(first)
        return max(candidates)
    if first is not None:
        return first
    # The triggering event is not among the events given (a result built elsewhere): its due day, else
    # the rule's start, stands in, so the obligation is still counted somewhere rather than dropped.
    if due_day is not None:
        return due_day
    return loaded.spec.valid_from if loaded is not None else as_of_day


def _as_of_day(as_of: str) -> date:
    """The CST day ``as_of`` belongs to: a bare date's end (24:00) still belongs to that date."""
    return (datetime.fromisoformat(as_of).astimezone(CST) - timedelta(microseconds=1)).date()


def build_report(result: Result, events: Iterable[Event], catalog: Catalog, *, period_from: date,
                 period_to: date, unit: str | None = None) -> Report:
    """Sort the result's obligations into the period and count them.

    Args:
        result: What ``Engine.evaluate`` returned for these events and ``as_of``.
        events: The accepted events (``Engine.validate``), used only to date each triggering event.
        catalog: The engine's catalogue (``Engine().catalog``): unit names, clause labels, rule kinds.
        period_from: First day of the period (CST, inclusive).
        period_to: Last day of the period (CST, inclusive).
        unit: Restrict the report to the obligations this unit holds.

    Raises:
        ReportError: the period is empty or longer than :data:`MAX_MONTHS` months.
    """
    check_period(period_from, period_to)
    days = {ev.id: ev.day for ev in events}
    as_of_day = _as_of_day(result.as_of)
    items: list[Item] = []
    for ob in result.obligations:
        if unit is not None and ob.holder != unit:
            continue
        due_day, due_at = parse_due(ob.due)
        arisen = _arisen_on(ob, catalog, days, due_day, as_of_day)
        if not period_from <= arisen <= period_to:
            continue
        area = area_of(ob.basis)
        items.append(Item(
            rule=ob.rule, title=ob.title, case_id=ob.case_id, holder=ob.holder,
            holder_name=unit_name(catalog, ob.holder), modality=ob.modality, status=ob.status, area=area,
            area_label=area_label(catalog, area), arisen_on=arisen, due=ob.due, due_date=due_day, due_at=due_at,
            provisional=ob.due_provisional, basis=tuple(ob.basis), explanation=ob.explanation,
            closed_by=tuple(ob.closed_by)))
    order = {code: i for i, code in enumerate(catalog.units)}
    items.sort(key=lambda it: (order.get(it.holder, len(order)), it.holder, it.due_date or it.arisen_on,
                               it.arisen_on, it.case_id, it.rule, it.explanation))

    holders = [unit] if unit is not None else sorted(
        {it.holder for it in items} | {c for c, u in catalog.units.items() if u.role in _MEMBER_ROLES},
        key=lambda c: (order.get(c, len(order)), c))
    unit_rows = []
    for code in holders:
        mine = [it for it in items if it.holder == code]
        basis = instrument_names(catalog, [c for it in mine for c in it.basis])
        unit_rows.append(Row(code, unit_name(catalog, code), count(mine), tuple(basis)))

    notice_order = {cid: i for i, cid in enumerate(catalog.notice.ids())}
    covered = {area_of(lr.spec.basis) for lr in catalog.rules.values()} | {it.area for it in items}
    area_rows = []
    for area in sorted(covered, key=lambda a: (notice_order.get(a, len(notice_order)), a)):
        cited = [c for lr in catalog.rules.values() if area_of(lr.spec.basis) == area for c in lr.spec.basis]
        area_rows.append(Row(area, area_label(catalog, area), count(it for it in items if it.area == area),
                             tuple(instrument_names(catalog, cited))))

    month_rows = [Row(f"{y:04d}-{m:02d}", f"{y}年{m}月",
                      count(it for it in items if (it.arisen_on.year, it.arisen_on.month) == (y, m)))
                  for y, m in _months(period_from, period_to)]

    opinion_rules = [r for r, lr in catalog.rules.items() if "检察意见" in lr.spec.title]
    suggestion_rules = [r for r, lr in catalog.rules.items() if "检察建议" in lr.spec.title
                        or any(c.startswith("procuratorial-suggestion-rules") for c in lr.spec.basis)]
    task_rules = [r for r, lr in catalog.rules.items() if "notice:5.2" in lr.spec.basis]
    return Report(
        period_from=period_from, period_to=period_to, as_of=result.as_of, unit=unit, total=count(items),
        units=unit_rows, areas=area_rows, months=month_rows, items=items,
        breaches=[it for it in items if it.status in ("overdue", "violated")],
        opinions=[it for it in items if it.rule in opinion_rules],
        suggestions=[it for it in items if it.rule in suggestion_rules],
        tasks=[it for it in items if it.rule in task_rules],
        opinion_rules=opinion_rules, suggestion_rules=suggestion_rules, task_rules=task_rules,
        rejected=len(result.rejected), receipt=result.receipt.model_dump(mode="json"),
        notes=_notes(result, items, catalog, unit))


def _notes(result: Result, items: list[Item], catalog: Catalog, unit: str | None) -> list[str]:
    notes = []
    if result.rejected:
        notes.append(f"有 {len(result.rejected)} 条事件因格式或内容不符被拒收，未计入本报告；"
                     "请用 fuxian-rules check 查看拒收原因并更正后重新生成。")
    provisional = sum(it.provisional for it in items)
    if provisional:
        notes.append(f"有 {provisional} 项义务的期限涉及尚无官方节假日安排的年份，期限为暂定，请在安排公布后复核。")
    if unit is not None and unit not in catalog.units and not items:
        notes.append(f"单位代码 {unit} 不在单位名录中，本期也没有该单位承担的义务，请核对代码。")
    if result.receipt.backend_note:
        notes.append(f"计算说明：{result.receipt.backend_note}")
    return notes
