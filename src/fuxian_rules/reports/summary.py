"""The words of the assessment: column titles and the paragraphs the office pastes into a 考核通报.

Every format (Excel, HTML, Markdown) takes its column titles and its summary paragraphs from here, so
the spreadsheet and the page can never tell the reader two different things.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from fuxian_rules import Catalog

from .compute import CST
from .labels import AREA_DEFINITION, ARISEN_DEFINITION, LEGAL_BASIS, RATE_DEFINITION, STATUS_ZH, basis_label
from .model import Counts, Item, Report, Row

__all__ = ["COLUMNS", "ITEM_COLUMNS", "as_of_text", "bulletin", "cn_date", "definitions", "due_text",
           "rate_text", "status_text"]

#: The count columns, in order: (attribute of Counts, Chinese title). The rate follows them.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("arisen", "产生义务"), ("fulfilled", "按期履行"), ("late", "逾期履行"), ("overdue", "逾期未履行"),
    ("pending", "尚未到期"), ("cancelled", "不再适用"), ("prohibitions", "禁止性规定事项"),
    ("violated", "违反禁止性规定"), ("advisories", "提示事项"), ("advisories_open", "待处理提示"),
)
RATE_TITLE = "按期履行率"
#: The columns of an item list (one obligation per line).
ITEM_COLUMNS = ("单位", "案件编号", "事项", "条款", "产生日期", "期限", "状态", "规则", "说明")


def cn_date(d: date) -> str:
    """``2024年3月5日``."""
    return f"{d.year}年{d.month}月{d.day}日"


def rate_text(c: Counts) -> str:
    """``88.9%``, or ``不适用`` when nothing is countable."""
    rate = c.on_time_rate
    return "不适用" if rate is None else f"{rate * 100:.1f}%"


def due_text(it: Item) -> str:
    """The due date as a reader writes it: ``2024-06-06``, ``2024-06-06 09:00`` or ``未设期限``."""
    if it.due_at is not None:
        return f"{it.due_at:%Y-%m-%d %H:%M}" + ("（暂定）" if it.provisional else "")
    if it.due_date is not None:
        return it.due_date.isoformat() + ("（暂定）" if it.provisional else "")
    return "未设期限"


def status_text(it: Item) -> str:
    """The status in Chinese; an advisory already acted on says so."""
    if it.status == "advisory" and it.closed_by:
        return "提示（已处理）"
    if it.status == "fulfilled" and it.modality == "prohibition":
        return "已遵守"
    return STATUS_ZH.get(it.status, it.status)


def as_of_text(report: Report) -> str:
    """When the statuses were taken, in words: a bare date's end reads as 二十四时 of that date."""
    at = datetime.fromisoformat(report.as_of).astimezone(CST)
    if (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0):
        return f"{cn_date(date.fromordinal(at.date().toordinal() - 1))}二十四时"
    return f"{cn_date(at.date())}{at:%H:%M}"


def definitions() -> list[str]:
    """How each number is defined (printed under every table)."""
    return [ARISEN_DEFINITION, RATE_DEFINITION, AREA_DEFINITION,
            "逾期未履行指统计时点已过期限仍未履行；违反禁止性规定指出现了规则禁止的行为（如以罚代刑、录用有相关记录人员）；"
            "待处理提示指通知用“可以”“适时”等授权性用语规定、尚无人处理的提示事项，不作为逾期认定。"]


def _counts_sentence(c: Counts) -> str:
    text = (f"产生应当履行的义务 {c.arisen} 项，其中按期履行 {c.fulfilled} 项、逾期履行 {c.late} 项、"
            f"逾期未履行 {c.overdue} 项、尚未到期 {c.pending} 项")
    if c.cancelled:
        text += f"、不再适用 {c.cancelled} 项"
    text += f"，按期履行率 {rate_text(c)}"
    if c.prohibitions:
        text += f"；涉及禁止性规定 {c.prohibitions} 项，违反 {c.violated} 项"
    if c.advisories:
        text += f"；提示事项 {c.advisories} 项，其中 {c.advisories_open} 项尚待处理"
    return text


def _short_sentence(c: Counts) -> str:
    """Only the counts that are not zero: one line per clause area stays readable."""
    parts = [f"产生义务 {c.arisen} 项", f"按期履行率 {rate_text(c)}"]
    for value, what in ((c.late, "逾期履行"), (c.overdue, "逾期未履行"), (c.pending, "尚未到期"),
                        (c.violated, "违反禁止性规定"), (c.advisories_open, "待处理提示")):
        if value:
            parts.append(f"{what} {value} 项")
    return "，".join(parts)


def _names(rows: list[Row], what: Callable[[Row], str]) -> str:
    return "、".join(f"{r.label}（{what(r)}）" for r in rows)


def _cited(items: list[Item], catalog: Catalog) -> str:
    seen: list[str] = []
    for it in items:
        for cid in it.basis:
            label = basis_label(catalog, cid)
            if label not in seen:
                seen.append(label)
    return "、".join(seen)


def bulletin(report: Report, catalog: Catalog) -> list[str]:
    """The paragraphs of the 考核通报, each count with the clauses it rests on."""
    who = f"{report.units[0].label}" if report.unit is not None and report.units else "全区各成员单位"
    paras = [
        f"统计期间：{cn_date(report.period_from)}至{cn_date(report.period_to)}；各事项状态统计截至{as_of_text(report)}。",
        f"本期{who}在府检联动工作中{_counts_sentence(report.total)}。",
    ]
    bad = [r for r in report.units if r.counts.overdue or r.counts.violated]
    if bad and report.unit is None:
        paras.append("存在逾期未履行或违反禁止性规定事项的单位：" + _names(
            bad, lambda r: "，".join(p for p in (f"逾期未履行 {r.counts.overdue} 项" if r.counts.overdue else "",
                                                f"违反禁止性规定 {r.counts.violated} 项" if r.counts.violated else "")
                                     if p)) + "。")
    avg = report.total.on_time_rate
    if avg is not None and report.unit is None:
        low = sorted((r for r in report.units if r.counts.on_time_rate is not None and r.counts.on_time_rate < avg),
                     key=lambda r: (r.counts.on_time_rate or 0.0, r.key))
        if low:
            paras.append(f"按期履行率低于全区总体水平（{rate_text(report.total)}）的单位："
                         + _names(low, lambda r: rate_text(r.counts)) + "。")
    areas = [r for r in report.areas if r.counts.arisen or r.counts.prohibitions or r.counts.advisories]
    if areas:
        paras.append("分条款领域看：")
        paras += [f"{r.label}：{_short_sentence(r.counts)}（依据：{'、'.join(r.basis)}）。" for r in areas]
    if report.opinions:
        paras.append(f"检察意见的提出、移送与回复事项 {len(report.opinions)} 项，按期办结 "
                     f"{sum(it.status == 'fulfilled' for it in report.opinions)} 项，逾期办结 "
                     f"{sum(it.status == 'fulfilled_late' for it in report.opinions)} 项，逾期未办 "
                     f"{sum(it.status == 'overdue' for it in report.opinions)} 项"
                     f"（依据：{_cited(report.opinions, catalog)}）。")
    if not report.suggestion_rules:
        paras.append("检察建议的回复：通知三（十五）未规定触发条件或期限，规则库未将其列为可核验义务，本报告不作统计。")
    if report.tasks:
        t = report.tasks
        paras.append(f"年度工作要点与重点工作任务清单相关事项 {len(t)} 项，按期完成 "
                     f"{sum(it.status == 'fulfilled' for it in t)} 项、逾期完成 "
                     f"{sum(it.status == 'fulfilled_late' for it in t)} 项、逾期未完成 "
                     f"{sum(it.status == 'overdue' for it in t)} 项、尚未到期 {sum(it.status == 'open' for it in t)} 项"
                     f"（依据：{_cited(t, catalog)}）。")
    basis = "；".join(f"通知{catalog.notice.get(cid).label}“{words}”" for cid, words in LEGAL_BASIS  # type: ignore[union-attr]
                     if catalog.notice.get(cid) is not None)
    paras.append(f"考核依据：{basis}（惠政文〔2024〕22号）。")
    paras.extend(report.notes)
    return paras
