"""The assessment as Markdown: the summary and tables to paste into a 考核通报 or a wiki page.

Cells come from event data (case ids, free-form unit codes), so every cell is escaped: a ``|`` or a
line break cannot break the table, and ``<`` cannot become markup where the Markdown is rendered.
"""

from __future__ import annotations

from fuxian_rules import Catalog

from .model import Item, Report, Row
from .summary import COLUMNS, RATE_TITLE, bulletin, cn_date, definitions, due_text, rate_text, status_text

__all__ = ["render_markdown"]


def _cell(text: object) -> str:
    out = str(text).replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(out.split())


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _count_table(first: str, rows: list[Row], with_basis: bool = False) -> list[str]:
    head = [first, *(t for _, t in COLUMNS), RATE_TITLE] + (["依据"] if with_basis else [])
    body: list[list[object]] = []
    for r in rows:
        body.append([r.label, *(getattr(r.counts, a) for a, _ in COLUMNS), rate_text(r.counts)]
                    + (["、".join(r.basis)] if with_basis else []))
    return _table(head, body)


def _item_table(items: list[Item]) -> list[str]:
    return _table(["单位", "案件编号", "事项", "条款", "期限", "状态"],
                  [[it.holder_name, it.case_id, it.title, it.area_label, due_text(it), status_text(it)]
                   for it in items])


def render_markdown(report: Report, catalog: Catalog) -> str:
    """The whole assessment as one Markdown document (UTF-8 text)."""
    scope = report.units[0].label if report.unit is not None and report.units else "全区各成员单位"
    out = [f"# 府检联动工作考核情况（{cn_date(report.period_from)}至{cn_date(report.period_to)}）", "",
           f"范围：{scope}。依据：惠政文〔2024〕22号。", "", "## 一、考核通报摘要", ""]
    for p in bulletin(report, catalog):
        out += [p.replace("<", "&lt;").replace(">", "&gt;"), ""]
    out += ["## 二、各单位情况", "", *_count_table("单位", report.units), ""]
    out += ["## 三、分条款情况", "", *_count_table("条款领域", report.areas, with_basis=True), ""]
    out += ["## 四、逐月情况（按义务产生月份）", "", *_count_table("月份", report.months), ""]
    out += [f"## 五、逾期未履行与违反禁止性规定事项（{len(report.breaches)} 项）", ""]
    if not report.breaches:
        out += ["本期没有逾期未履行或违反禁止性规定的事项。", ""]
    for n, it in enumerate(report.breaches, 1):
        out += [f"{n}. **{_cell(it.holder_name)}** · 案件 {_cell(it.case_id)} · {it.area_label} · "
                f"期限 {due_text(it)} · {status_text(it)}：{_cell(it.title)}（规则 `{it.rule}`）", ""]
        out += ["    " + _cell(line) for line in it.explanation.splitlines() if line.strip()]
        out.append("")
    out += [f"## 六、检察意见的提出与回复（{len(report.opinions)} 项）", ""]
    out += (_item_table(report.opinions) if report.opinions else ["本期没有相关事项。"]) + [""]
    out += ["## 七、检察建议的回复", ""]
    if report.suggestion_rules:
        out += (_item_table(report.suggestions) if report.suggestions else ["本期没有相关事项。"]) + [""]
    else:
        out += ["规则库中没有关于检察建议回复的规则（通知三（十五）未规定触发条件或期限），本报告不作统计。", ""]
    out += [f"## 八、年度工作要点与重点工作任务清单（通知五（二），{len(report.tasks)} 项）", ""]
    out += (_item_table(report.tasks) if report.tasks else ["本期没有相关事项。"]) + [""]
    out += ["## 九、统计口径", ""] + [f"- {d}" for d in definitions()] + [""]
    rc = report.receipt
    out += [f"计算凭据：fuxian_rules {rc.get('library_version')}，规则库 {str(rc.get('catalog_sha256'))[:12]}，"
            f"部署政策 {str(rc.get('policy_sha256'))[:12]}（{rc.get('policy_source')}），"
            f"计算引擎 {rc.get('backend')}。", ""]
    return "\n".join(out)
