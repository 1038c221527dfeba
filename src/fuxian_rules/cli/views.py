"""What ``check``, ``rules``, ``coverage`` and ``explain`` print for people (``--format table``).

Each view takes what the command computed and writes it for a reader at a terminal: Chinese headers and
statuses, unit names instead of codes, the ``as_of`` instant said as the end of a day ("截至 2025-03-31
24:00"), and — in ``explain`` — each cited clause quoted once per case instead of under every
obligation. JSON output is written by the commands themselves and never comes here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from fuxian_rules.catalog.coverage import CoverageRow
from fuxian_rules.cli.table import Column, console_for, due_text, print_table, print_text
from fuxian_rules.model.labels import MODALITY_ZH, STATUS_ZH
from fuxian_rules.model.zhtime import as_of_text

__all__ = ["print_check", "print_coverage", "print_explain", "print_rules"]

COVERAGE_ZH = {"encoded": "已编码", "advisory": "提示性", "not machine-checkable": "不可核验",
               "unclassified": "未分类"}
_UNIT_ZH = {"hours": "小时", "days": "日", "working_days": "个工作日", "months": "个月", "years": "年"}


def _status(status: str) -> str:
    label = STATUS_ZH.get(status)  # type: ignore[call-overload]
    return label.short if label is not None else status


def _dropped_note(dropped: Sequence[str]) -> str:
    return f"（窗口较窄，未显示：{'、'.join(dropped)}；加宽窗口或用 --format json 查看）" if dropped else ""


def print_check(result: Any, out: TextIO, basis_label: Callable[[str], str] = str) -> None:
    """The ``check`` table: one row per obligation, then counts, rejections and the receipt."""
    console = console_for(out)
    at = as_of_text(datetime.fromisoformat(result.as_of))
    rejected = max(getattr(result, "rejected_total", 0), len(result.rejected))
    print_text(console, f"截至 {at}：{len(result.obligations)} 项义务，{rejected} 个事件被拒绝")
    if result.obligations:
        columns = [Column("案件", 9, 12), Column("规则", 8, 20), Column("义务人", 5, 10), Column("状态", 10, 8, False),
                   Column("届满", 6, 10), Column("条款", 2, 14)]
        # the notice's clauses only: the national articles are in the explanation (explain) and the JSON
        rows = [[o.case_id, o.rule, o.holder_name, _status(o.status),
                 due_text(o.due, o.due_provisional),
                 "、".join(dict.fromkeys(basis_label(b) for b in o.basis if b.startswith("notice:"))) or "—"]
                for o in result.obligations]
        console.print()
        note = _dropped_note(print_table(console, columns, rows))
        if note:
            print_text(console, note)
        counts: dict[str, int] = {}
        for o in result.obligations:
            counts[o.status] = counts.get(o.status, 0) + 1
        print_text(console, "合计：" + "，".join(f"{_status(k)} {v}" for k, v in sorted(counts.items())))
    if result.rejected:
        console.print()
        print_text(console, "被拒绝的事件：")
        for r in result.rejected:
            where = f"第 {r.line} 行" if r.line is not None else "事件"
            print_text(console, f"{where}" + (f"（id {r.id}）" if r.id else "") + f"：{r.message}", indent=2)
        more = getattr(result, "rejected_total", 0) - len(result.rejected)
        if more > 0:
            print_text(console, f"……另有 {more} 个被拒绝的事件未列出（只列出前 {len(result.rejected)} 个）", indent=2)
    rc = result.receipt
    console.print()
    years = f"{rc.calendar_years[0]}–{rc.calendar_years[-1]}" if rc.calendar_years else "—"
    policy = "内置默认" if rc.policy_source == "default" else rc.policy_source
    units = getattr(rc, "units_sha256", None)
    print_text(console, f"凭据：fuxian_rules {rc.library_version} · 引擎 {rc.backend}"
                        f" · 规则目录 {rc.catalog_sha256[:12]} · 部署政策 {rc.policy_sha256[:12]}（{policy}）"
                        f" · 节假日数据 {years}"
                        + (f" · 单位名录 {units[:12]}" if units else ""))
    if rc.backend_note:
        print_text(console, f"说明：{rc.backend_note}")


def period_text(period: Any) -> str:
    """A rule's period as people say it: ``3日``, ``24小时``, ``“及时”（部署政策）``, ``录用前或者录用时``."""
    if period is None:
        return "不设期限"
    p = period.model_dump(exclude_none=True)
    if p.get("policy"):
        return f"部署政策 {p['policy']}"
    if p.get("follows"):
        return "同 " + "、".join(p["follows"])
    if p.get("end_of_year"):
        return "当年年底"
    if p.get("date_field"):
        return "事件所载日期"
    if p.get("hours") == 0:
        return "触发时即须履行"
    return "".join(f"{v}{_UNIT_ZH[k]}" for k, v in p.items() if k in _UNIT_ZH) or "—"


def print_rules(rules: Iterable[Any], summary: str, out: TextIO, basis_label: Callable[[str], str] = str) -> None:
    """The ``rules`` table: id, kind, period, basis and the rule in Chinese."""
    console = console_for(out)
    columns = [Column("规则", 9, 20), Column("类型", 6, 4, False), Column("期限", 5, 8), Column("条款", 2, 14),
               Column("内容", 8, 20)]
    rows = [[r.spec.id, MODALITY_ZH[r.spec.modality][:2], period_text(r.spec.period),
             "\n".join(dict.fromkeys(basis_label(b) for b in r.spec.basis if b.startswith("notice:"))) or "—",
             r.spec.title] for r in rules]
    note = _dropped_note(print_table(console, columns, rows))
    print_text(console, summary + note)


def print_coverage(rows: Sequence[CoverageRow], summary: str, out: TextIO) -> None:
    """The ``coverage`` table: each clause and obligation-bearing sentence, how it is handled, by which rules."""
    console = console_for(out)
    columns = [Column("条款", 9, 6), Column("层级", 3, 4, False), Column("处理", 8, 8, False),
               Column("规则", 5, 24), Column("原文 / 理由", 7, 20)]
    table = []
    for r in rows:
        shown = "\n".join(r.rules[:3]) + (f"\n等 {len(r.rules)} 条" if len(r.rules) > 3 else "")
        text = r.text if len(r.text) <= 30 else r.text[:29] + "…"
        table.append([r.label, "条" if r.kind == "clause" else "句", COVERAGE_ZH.get(r.status, r.status),
                      shown or "—", f"{text} —— {r.reason}" if r.reason else text])
    note = _dropped_note(print_table(console, columns, table))
    console.print()
    print_text(console, summary + note)


def print_explain(case_id: str, obligations: Sequence[Any], clause_text: Callable[[str], str | None],
                  out: TextIO) -> None:
    """``explain``: each obligation's explanation, then every clause the case cites, quoted once."""
    console = console_for(out)
    cited: dict[str, None] = {}
    for o in obligations:
        status = _status(o.status)
        print_text(console, f"== {o.rule} · {status} · 届满 {due_text(o.due, o.due_provisional)}")
        print_text(console, o.explanation)
        console.print()
        cited.update(dict.fromkeys(o.basis))
    quoted = [(cid, text) for cid in cited if (text := clause_text(cid))]
    if quoted:
        print_text(console, f"== 案件 {case_id} 所引条文（每条只列一次）")
        for cid, text in quoted:
            print_text(console, f"〔{cid}〕{text}", indent=2)
