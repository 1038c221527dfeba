"""The reminder digest: what one unit has overdue, and what falls due within N working days.

Working days are counted on the engine's legal calendar (weekends and statutory holidays skipped, the
officially adjusted working weekends counted), the same calendar that computed the due dates, so a
reminder never says "three working days left" about a deadline the engine counts differently. The
digest is pure — a :class:`fuxian_rules.Result` in, data and a Chinese message out — so the command
line and the service's ``GET /v1/units/{unit}/digest`` give the same answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

from fuxian_rules import Catalog, LegalCalendar, Obligation, Result

from .compute import CST, ReportError, parse_due
from .labels import basis_label

__all__ = ["MAX_DAYS", "Digest", "DigestItem", "digest"]

#: The horizon is bounded: a reminder looks ahead at most three months of working days.
MAX_DAYS = 60


@dataclass(frozen=True)
class DigestItem:
    """One line of the digest.

    Attributes:
        rule / title / case_id / status / due: As in the result (``due`` is the contract's string).
        due_date: The CST day it falls due (``None`` when the rule sets no limit).
        working_days_left: For items not yet due: working days from tomorrow up to the due day.
        days_overdue: For overdue items: calendar days since the due day.
        basis: The citations, as a reader knows them when a catalogue was given (else their ids).
        explanation: The engine's explanation.
    """

    rule: str
    title: str
    case_id: str
    status: str
    due: str | None
    due_date: date | None
    working_days_left: int | None
    days_overdue: int | None
    basis: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class Digest:
    """The digest of one unit at ``as_of``; ``text`` is the message to send."""

    unit: str
    unit_name: str
    as_of: str
    today: date
    days: int
    horizon: date
    overdue: list[DigestItem]
    due_soon: list[DigestItem]
    without_due: list[DigestItem]
    text: str

    def to_json(self) -> dict[str, object]:
        """JSON-ready data (dates as ISO strings) for the service's answer."""
        data = asdict(self)
        for key in ("today", "horizon"):
            data[key] = data[key].isoformat()
        for group in ("overdue", "due_soon", "without_due"):
            for item in data[group]:
                item["due_date"] = item["due_date"].isoformat() if item["due_date"] else None
                item["basis"] = list(item["basis"])
        return data


def _working_days_between(calendar: LegalCalendar, start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is ``start``)."""
    n, day = 0, start
    while day < end:
        day += timedelta(days=1)
        n += calendar.is_workday(day)
    return n


def digest(result: Result, unit: str, days: int, calendar: LegalCalendar, *,
           catalog: Catalog | None = None) -> Digest:
    """What ``unit`` has overdue at ``result.as_of`` and what falls due within ``days`` working days.

    Args:
        result: ``Engine.evaluate`` (or ``check``) for the events and the ``as_of`` wanted.
        unit: The holder's unit code.
        days: Working days to look ahead, 1 to :data:`MAX_DAYS`.
        calendar: The engine's legal calendar (``Engine().calendar``).
        catalog: The engine's catalogue, to name citations in Chinese (ids are shown without it).

    Raises:
        ReportError: ``days`` out of range (code ``digest.bad-days``).
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ReportError("digest.bad-days", f"days must be a whole number from 1 to {MAX_DAYS}", field="days")
    today = (datetime.fromisoformat(result.as_of).astimezone(CST) - timedelta(microseconds=1)).date()
    horizon = calendar.add_working_days(today, days).due
    assert horizon is not None  # a working-day period always ends on a day
    mine = [o for o in result.obligations if o.holder == unit]
    name = mine[0].holder_name if mine else (catalog.units[unit].name if catalog and unit in catalog.units else unit)

    def item(o: Obligation) -> DigestItem:
        day, _ = parse_due(o.due)
        left = _working_days_between(calendar, today, day) if day and o.status == "open" else None
        late = (today - day).days if day and o.status == "overdue" else None
        basis = tuple(basis_label(catalog, c) for c in o.basis) if catalog else tuple(o.basis)
        return DigestItem(o.rule, o.title, o.case_id, o.status, o.due, day, left, late, basis, o.explanation)

    items = [item(o) for o in mine]
    key = lambda i: (i.due_date or date.max, i.due or "", i.case_id, i.rule)  # noqa: E731
    overdue = sorted((i for i in items if i.status == "overdue"), key=key)
    soon = sorted((i for i in items if i.status == "open" and i.due_date and i.due_date <= horizon), key=key)
    without = sorted((i for i in items if i.status == "open" and i.due_date is None), key=key)
    text = _message(name, today, days, horizon, overdue, soon, without)
    return Digest(unit, name, result.as_of, today, days, horizon, overdue, soon, without, text)


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _due_text(i: DigestItem) -> str:
    if i.due is None:
        return "未设期限"
    if "T" in i.due:
        at = datetime.fromisoformat(i.due).astimezone(CST)
        return f"{_cn_date(at.date())}{at:%H:%M}"
    return _cn_date(date.fromisoformat(i.due))


def _line(n: int, i: DigestItem, tail: str) -> str:
    basis = "、".join(i.basis)
    due = f"期限 {_due_text(i)}" if i.due else "未设期限"
    return f"{n}. 案件 {i.case_id}：{i.title}。{due}{tail}（依据：{basis}）"


def _message(name: str, today: date, days: int, horizon: date, overdue: list[DigestItem],
             soon: list[DigestItem], without: list[DigestItem]) -> str:
    lines = [f"【府检联动到期提醒】{name}：",
             f"截至{_cn_date(today)}，贵单位有已逾期未履行事项 {len(overdue)} 项，"
             f"今后 {days} 个工作日内（至{_cn_date(horizon)}，按法定工作日计算）到期事项 {len(soon)} 项。"]
    if overdue:
        lines.append(f"一、已逾期未履行（{len(overdue)} 项）")
        lines += [_line(n, i, f"，已逾期 {i.days_overdue} 天") for n, i in enumerate(overdue, 1)]
    if soon:
        lines.append(f"{'二' if overdue else '一'}、{days} 个工作日内到期（{len(soon)} 项）")
        lines += [_line(n, i, "，今天到期" if i.working_days_left == 0 else f"，还有 {i.working_days_left} 个工作日")
                  for n, i in enumerate(soon, 1)]
    if without:
        lines.append(f"另有未设期限的待办事项 {len(without)} 项：")
        lines += [_line(n, i, "") for n, i in enumerate(without, 1)]
    if overdue or soon or without:
        lines.append("请及时办理，办理完成后将相应事项报送府检联动系统，以便核销。")
    else:
        lines.append("目前没有逾期或近期到期的事项。")
    return "\n".join(lines)
