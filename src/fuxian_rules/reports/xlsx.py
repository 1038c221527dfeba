"""The assessment as an Excel workbook the office can sort, filter and annotate (openpyxl).

One summary sheet (每单位一行), the clause-area and monthly breakdowns, the lists of breaches,
检察意见 and task-list items, the 考核通报 text, the definitions, and one sheet per unit with its
items. Numbers are numbers and dates are dates (so Excel sorts them), every table has an autofilter
and frozen header rows, and every column title is Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fuxian_rules import Catalog

from .compute import CST
from .model import Item, Report, Row
from .summary import COLUMNS, RATE_TITLE, as_of_text, bulletin, cn_date, definitions, status_text

__all__ = ["HEADER_ROW", "ITEM_HEADERS", "write_xlsx"]

#: Row 1 holds the sheet's title, row 2 the period; the column titles are on row 3 (frozen, filtered).
HEADER_ROW = 3
ITEM_HEADERS = ("单位", "单位代码", "案件编号", "事项", "条款领域", "规则", "产生日期", "期限", "状态",
                "期限为暂定", "依据", "说明")
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
_WRAP = Alignment(wrap_text=True, vertical="top")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _sheet_title(name: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters, none of the characters Excel forbids)."""
    base = _BAD_SHEET_CHARS.sub("_", name)[:31] or "单位"
    title, n = base, 2
    while title.lower() in used:
        suffix = f"_{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


Value = str | int | float | date | datetime | None


def _table(ws: Worksheet, title: str, period: str, headers: Sequence[str], rows: Sequence[Sequence[Value]],
           widths: Sequence[int], formats: dict[int, str] | None = None) -> None:
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.cell(2, 1, period)
    for col, head in enumerate(headers, 1):
        cell = ws.cell(HEADER_ROW, col, head)
        cell.font, cell.fill = _BOLD, _HEAD_FILL
        ws.column_dimensions[get_column_letter(col)].width = widths[col - 1] if col <= len(widths) else 12
    for r, row in enumerate(rows, HEADER_ROW + 1):
        for col, value in enumerate(row, 1):
            cell = ws.cell(r, col, value)
            if formats and col in formats:
                cell.number_format = formats[col]
            if isinstance(value, str) and len(value) > 40:
                cell.alignment = _WRAP
    last = get_column_letter(len(headers))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + max(len(rows), 1)}"
    ws.freeze_panes = f"{'B' if len(headers) > 6 else 'A'}{HEADER_ROW + 1}"


def _count_rows(rows: list[Row], key: bool = True) -> list[list[Value]]:
    out: list[list[Value]] = []
    for r in rows:
        rate = r.counts.on_time_rate
        out.append([*((r.key,) if key else ()), r.label, *(getattr(r.counts, a) for a, _ in COLUMNS),
                    rate, "、".join(r.basis)])
    return out


def _count_formats(first: int) -> dict[int, str]:
    fmts = {first + i: "0" for i in range(len(COLUMNS))}
    fmts[first + len(COLUMNS)] = "0.0%"
    return fmts


def _due_cell(it: Item) -> date | datetime | None:
    if it.due_at is not None:
        return it.due_at.astimezone(CST).replace(tzinfo=None)  # Excel has no time zones: CST wall time
    return it.due_date


def _item_rows(items: list[Item]) -> list[list[Value]]:
    return [[it.holder_name, it.holder, it.case_id, it.title, it.area_label, it.rule, it.arisen_on, _due_cell(it),
             status_text(it), "是" if it.provisional else "否", "、".join(it.basis), it.explanation]
            for it in items]


_ITEM_WIDTHS = (22, 16, 18, 50, 24, 30, 12, 17, 12, 8, 30, 80)
_ITEM_FORMATS = {7: "yyyy-mm-dd", 8: "yyyy-mm-dd hh:mm"}


def write_xlsx(report: Report, path: str | Path, catalog: Catalog | None = None) -> None:
    """Write the workbook to ``path``.

    Args:
        report: The computed assessment.
        path: Where to write the ``.xlsx`` file.
        catalog: The engine's catalogue, needed for the 考核通报 sheet (omitted without it).
    """
    wb = Workbook()
    created = datetime.fromisoformat(report.as_of).astimezone(CST).replace(tzinfo=None)
    wb.properties.creator = "fuxian_rules"
    wb.properties.title = "府检联动工作考核"
    wb.properties.created = wb.properties.modified = created
    period = f"统计期间：{cn_date(report.period_from)}至{cn_date(report.period_to)}；状态统计截至{as_of_text(report)}"
    used: set[str] = set()
    counts_head = [t for _, t in COLUMNS]

    ws = wb.active
    assert ws is not None
    ws.title = _sheet_title("汇总", used)
    _table(ws, "府检联动工作考核汇总（按单位）", period, ["单位代码", "单位", *counts_head, RATE_TITLE, "依据"],
           _count_rows(report.units), (18, 26, *([10] * len(COLUMNS)), 11, 60), _count_formats(3))
    ws = wb.create_sheet(_sheet_title("按条款", used))
    _table(ws, "分条款领域情况", period, ["条款", "条款领域", *counts_head, RATE_TITLE, "依据"],
           _count_rows(report.areas), (8, 36, *([10] * len(COLUMNS)), 11, 70), _count_formats(3))
    ws = wb.create_sheet(_sheet_title("按月份", used))
    months = [[date.fromisoformat(r.key + "-01"), *row[1:-1]] for r, row in zip(report.months,
                                                                               _count_rows(report.months, key=False),
                                                                               strict=True)]
    _table(ws, "逐月情况（按义务产生月份）", period, ["月份", *counts_head, RATE_TITLE], months,
           (12, *([10] * len(COLUMNS)), 11), {1: "yyyy-mm", **_count_formats(2)})
    for name, title, items in (("逾期与违反", "逾期未履行与违反禁止性规定事项", report.breaches),
                               ("检察意见", "检察意见的提出与回复", report.opinions),
                               ("年度任务", "年度工作要点与重点工作任务清单（通知五（二））", report.tasks)):
        ws = wb.create_sheet(_sheet_title(name, used))
        _table(ws, title, period, ITEM_HEADERS, _item_rows(items), _ITEM_WIDTHS, _ITEM_FORMATS)
    if catalog is not None:
        ws = wb.create_sheet(_sheet_title("通报摘要", used))
        _table(ws, "考核通报摘要", period, ["内容"], [[p] for p in bulletin(report, catalog)], (120,))
    ws = wb.create_sheet(_sheet_title("统计口径", used))
    rc = report.receipt
    notes = [*definitions(), "本期没有任何义务的单位只在“汇总”表中列出，不单设明细表。",
             f"计算凭据：fuxian_rules {rc.get('library_version')}，规则库 {rc.get('catalog_sha256')}，"
             f"部署政策 {rc.get('policy_sha256')}（{rc.get('policy_source')}），日历 {rc.get('calendar')}，"
             f"计算引擎 {rc.get('backend')}"]
    _table(ws, "统计口径与计算凭据", period, ["说明"], [[n] for n in notes], (120,))

    for row in report.units:
        mine = [it for it in report.items if it.holder == row.key]
        if not mine:
            continue
        ws = wb.create_sheet(_sheet_title(row.label, used))
        _table(ws, f"{row.label}：本期义务明细", period, ITEM_HEADERS, _item_rows(mine), _ITEM_WIDTHS, _ITEM_FORMATS)
    wb.save(str(path))
