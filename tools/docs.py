"""Generate the documentation site's Markdown from the rule catalogue (``python -m tools.docs OUTDIR``).

Built from the files the engine runs on, so the site cannot drift from ``rules/``: a page per rule, the notice with
each sentence linked to its rules (and back), and fragments that the hand-written pages of ``docs/`` include.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any

from fuxian_rules import errors
from fuxian_rules.calendar.legal import LegalCalendar
from fuxian_rules.catalog.coverage import coverage_report
from fuxian_rules.catalog.loader import Catalog, load_catalog
from fuxian_rules.catalog.notice import normalise_text
from fuxian_rules.catalog.schema import event_json_schema
from fuxian_rules.cli import commands as _cli
from fuxian_rules.engine.engine import Engine, parse_as_of
from fuxian_rules.model.citation import Citation, notice_clauses
from fuxian_rules.model.events import Rejection
from fuxian_rules.model.labels import MODALITY_ZH, STATUS_ZH
from fuxian_rules.model.results import Obligation, Receipt, Result
from fuxian_rules.model.rules import EventPattern
from fuxian_rules.model.time import CST
from tools.spec import load_spec, render_markdown

__all__ = ["generate", "main"]

ROOT = Path(__file__).resolve().parents[1]
COVERAGE = {"encoded": "已编码", "advisory": "提示性", "not machine-checkable": "不可核验", "unclassified": "未分类"}
PERIOD_SOURCES = ("cpl:105", "civil-code:201", "civil-code:202", "civil-code:203", "cpl-interp:202")
#: Rule pages first in search (检察意见 should find the rule before the specification that quotes it).
MERMAID_INIT = '%%{init: {"flowchart": {"useMaxWidth": false}, "themeVariables": {"fontSize": "16px"}}}%%'
FRONT_RULE = "---\nsearch:\n  boost: 4\n---\n"
FRONT_SPEC = "---\nsearch:\n  boost: 0.3\n---\n"
NO_PROPERTIES = "（没有专门针对本规则所引条款的属性测试；通用属性见“合规规格”页面）"
LEGEND = "事件（圆角）触发规则，规则由事件履行；虚线为“须已发生”或“不再适用”；粗箭头为逾期或违反后引发的规则。"
_SPECIAL = re.compile(r"([\\`*_\[\]#|{}])")
_UNITS = {"hours": "小时", "days": "日", "working_days": "个工作日", "months": "个月", "years": "年"}
EXAMPLES = ROOT / "docs" / "examples"  # inputs the error catalogue and the calendar example show
_MARK = ".fuxian-docs"  # marks a folder as the generator's: only there are stale files removed


def _esc(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text.replace("&", "&amp;").replace("<", "&lt;"))


def _locate(hay: str, needle: str) -> tuple[int, int] | None:
    # the span of needle in hay, compared as the catalogue does (punctuation width and whitespace ignored)
    index = [i for i, ch in enumerate(hay) for _ in normalise_text(ch)]
    want = normalise_text(needle)
    pos = normalise_text(hay).find(want) if want else -1
    return None if pos < 0 else (index[pos], index[pos + len(want) - 1] + 1)


def _quote(text: str, mark: str | None = None) -> str:
    a, b = (_locate(text, mark) if mark else None) or (len(text), len(text))
    body = _esc(text[:a]) + (f"<mark>{_esc(text[a:b])}</mark>" if b > a else "") + _esc(text[b:])
    return "> " + body.strip().replace("\n", "<br>\n> ")


def _cond(where: Mapping[str, Any]) -> str:
    words = {"present": (" 有值", " 缺失"), "empty": (" 为空", " 非空"), "=": ("=true", "=false")}
    pairs = [(k, *next(iter(v.items()))) if isinstance(v, dict) else (k, "=", v) for k, v in where.items()]
    return "，".join(f"{k} ∈ {'/'.join(map(str, a))}" if op == "in" else k + (
        words[op][0 if a else 1] if isinstance(a, bool) else f"={a}") for k, op, a in pairs)


def _span(p: Any) -> str:
    return "无期限" if p == "none" else "".join(f"{v}{_UNITS[k]}" for k, v in p.model_dump(exclude_none=True).items())


class _Site:
    """What the pages share: the catalogue, the notice's sentences, clause↔rule links and the example run."""

    def __init__(self, out: Path, cat: Catalog, history: Path | None) -> None:
        self.out, self.cat, self.written = out, cat, set[Path]()
        self.spec = load_spec()  # the properties of tests/spec/test_spec_*.py; a checkout without them cannot build
        self.links: dict[str, list[str]] = defaultdict(list)  # clause id -> rule ids
        self.notes: dict[str, tuple[str, str]] = {}  # clause id or "id|sentence" -> (coverage status, reason)
        cited = {r: notice_clauses(lr.spec.basis) for r, lr in cat.rules.items()}
        for rid, cid in ((r, c) for r, cs in cited.items() for c in cs):
            self.links[cid].append(rid)
        said: dict[str, list[str]] = defaultdict(list)  # clause id or "id|sentence" -> rules, per coverage
        for row in coverage_report(cat):  # an invalid coverage.yaml raises here: the site must not build without it
            cid, kind = row.clause, row.kind
            key = f"{cid}|{normalise_text(row.text)}" if kind == "sentence" else cid
            said[key] += [r for r in row.rules if r in cat.rules]
            self.notes[key] = (row.status, row.reason)
            if kind == "clause" and (clause := cat.notice.get(cid)) is not None and clause.text:  # not bare headings
                self.links[cid] += [r for r in said[key] if r not in self.links[cid]]
        self.sentences: dict[str, list[str]] = {}  # clause id -> its own sentences (not its sub-items')
        self.anchors: dict[str, list[str]] = defaultdict(list)  # rule id -> anchors of its sentences
        self.by_anchor: dict[str, list[str]] = defaultdict(list)
        for c in cat.notice.clauses.values():
            own = c.text
            for sub in (s for s in cat.notice.clauses.values() if s.id.startswith(c.id + ".") and "." in c.id):
                own = own.replace(sub.text, "", 1)
            sents = self.sentences[c.id] = [x.strip() for x in re.split(r"(?<=[。；;])", own) if x.strip()]
            ends = [sum(len(x) for x in sents[:n]) for n in range(len(sents) + 1)]
            spans = {r: _locate("".join(sents), cat.rules[r].spec.text) for r in cat.rules
                     if any(c.id == b or c.id.startswith(b + ".") for b in cited[r])}
            for n, sent in enumerate(sents):
                found = [*said.get(f"{c.id}|{normalise_text(sent)}", []),
                         *(r for r, sp in spans.items() if sp and ends[n] < sp[1] and ends[n + 1] > sp[0])]
                for rid in dict.fromkeys(found):
                    self.anchors[rid].append(f"s-{c.id.replace('.', '-')}-{n + 1}")
                    self.by_anchor[f"s-{c.id.replace('.', '-')}-{n + 1}"].append(rid)
        self.lines: dict[str, list[str]] = defaultdict(list)  # case id -> its events, as written in the history
        raw = history.read_text(encoding="utf-8").split("\n") if history is not None and history.is_file() else []
        events = [json.loads(x) for x in raw if x.strip()]
        for x, ev in zip([x for x in raw if x.strip()], events, strict=True):
            self.lines[ev["case_id"]].append(x)
        self.as_of = max((str(ev["occurred_at"])[:10] for ev in events), default="2024-12-31")
        self.result = Engine(cat.directory, backend="reference").evaluate(events, self.as_of) if events else None

    def write(self, rel: str, text: str) -> None:
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:  # keep mtime: mkdocs serve
            path.write_text(text, encoding="utf-8")
        self.written.add(path)

    def event(self, p: EventPattern) -> str:
        text = f"[`{p.event}`](../../events.md#ev-{p.event})（{_esc(self.cat.types[p.event].title)}）"
        text += f"，条件 `{_cond(p.where)}`" if p.where else ""
        return text + "".join(f"，且 `data.{a}` 与触发事件的 `{b}` 相同" for a, b in p.match.items())

    def diagram(self, rules: Iterable[str], focus: str | None = None) -> str:
        ids: dict[str, str] = {}
        # Drawn at its own size (not shrunk to the column) with 16 px text: readable at 100 % on 1366×768;
        # a wide diagram scrolls sideways instead (docs/assets/extra.css).
        lines = ["```mermaid", MERMAID_INIT, "flowchart TD", "    classDef ev fill:#eef3fb,stroke:#5b7db1",
                 "    classDef focus fill:#ffe8a3,stroke:#b8860b,stroke-width:3px"]

        def node(key: str) -> str:
            if key not in ids:
                ids[key] = f"n{len(ids)}"
                if key in self.cat.rules:
                    lines.append(f'    {ids[key]}["{key}<br/>{MODALITY_ZH[self.cat.rules[key].spec.modality][:2]}"]')
                else:
                    t = self.cat.types[key].title.replace('"', "#quot;")
                    lines.append(f'    {ids[key]}(["{key}<br/>{t[:12]}{"…" if len(t) > 12 else ""}"]):::ev')
            return ids[key]

        def edge(a: str, arrow: str, text: str, where: Mapping[str, Any], b: str) -> None:
            text += f"：{_cond(where)}" if where else ""
            lines.append(f'    {node(a)} {arrow}|"{text.replace(chr(34), "#quot;")}"| {node(b)}')

        for rid in rules:
            s = self.cat.rules[rid].spec
            for a, arrow, text, where, b in [
                    *([(s.trigger.event, "-->", "触发", s.trigger.where, rid)] if s.trigger.event else []),
                    *((p.event, "-.->", "须已发生", {}, rid) for p in s.trigger.requires),
                    *((rid, "-->", "履行", p.where, p.event) for p in s.closed_by),
                    *((p.event, "-.->", "不再适用", p.where, rid) for p in s.cancelled_by),
                    *((rid, "==>", "逾期/违反", {}, t) for t in s.escalates_to)]:
                edge(a, arrow, text, where, b)
        return "\n".join([*lines, *([f"    class {ids[focus]} focus"] if focus in ids else []), "```"])

    def neighbours(self, rid: str) -> list[str]:
        s, lr = self.cat.rules[rid].spec, self.cat.rules[rid]
        near = {p.event for p in [*s.trigger.requires, *s.closed_by]} | {s.trigger.event}  # events it shares
        return [o for o, x in self.cat.rules.items() if o == rid or o in s.escalates_to or rid in x.spec.escalates_to
                or (x.area == lr.area and ({x.spec.trigger.event} | {p.event for p in x.spec.closed_by}) & near)]


def _links(rules: Iterable[str], up: str = "", sep: str = "、") -> str:
    return sep.join(f"[{r}]({up}{r}.md)" for r in rules)


def _period(site: _Site, rid: str) -> str:
    p = site.cat.rules[rid].spec.period
    if p is None:
        return "来源未规定期限，亦无部署政策适用，不设届满日（结果中 `due` 为 null）"
    if p.policy is not None:
        t = site.cat.policy.terms[p.policy]
        return f"“{t.word}”——无法定时限，采用[部署政策](../../policy.md#term-{p.policy})默认值 {_span(t.period)}"
    if p.follows:
        return "与本案中下列规则第一个已产生的实例届满时间相同：" + _links(p.follows, "../rules/")
    if p.hours is not None:
        return "作出该决定时即应履行" if p.hours == 0 else f"{p.hours}小时（自触发时刻起精确计算，不因节假日顺延）"
    if p.end_of_year or p.date_field:
        return f"触发事件 `data.{p.date_field}` 所载日期" if p.date_field else "触发（或计划）年度的最后一日"
    return f"{_span(p)}（起算日不计入；最后一日为节假日的，顺延至其后第一个工作日，见[期限计算](../../periods.md)）"


def _rule_page(site: _Site, rid: str) -> str:
    cat, lr = site.cat, site.cat.rules[rid]
    s, h, t = lr.spec, lr.spec.holder, lr.spec.trigger
    clauses = notice_clauses(s.basis)  # shown and linked: the rule's own citations
    first = (site.anchors[rid] or [f"clause-{clauses[0].replace('.', '-')}"])[0]
    basis = "、".join(f"`{c}`" for c in s.basis)
    out = [f"# {_esc(s.title)}", "", f"`{rid}` · {MODALITY_ZH[s.modality]} · 依据 {basis}",
           "", f"- 通知原文：“{_esc(s.text)}”（[在通知全文中查看](../notice.md#{first})）",
           f"- 条款区：{_esc(cat.areas[lr.area].title)}（规则文件 `{lr.file}:{lr.line}`）",
           f"- 施行：{s.valid_from} 起{f'，至 {s.valid_to} 止' if s.valid_to else ''}",
           "", "## 通知原文", ""]
    for cid in clauses:
        c, slug = cat.notice.clauses[cid], cid.replace(".", "-")
        here = [a for a in site.anchors[rid] if a.startswith(f"s-{slug}-")] or [f"clause-{slug}"]
        out += [f"**〔notice:{cid}〕{c.label}{_esc(c.heading)}** · [在通知全文中查看](../notice.md#{here[0]})", "",
                _quote(c.text, s.text), ""]
    national = [c for c in s.basis if not Citation.parse(c).is_notice]
    out += ["## 国家规定原文", ""] if national else []
    for cit in national:
        name, art = cat.instruments[cit.split(":")[0]]["name"], cat.citations[cit]
        out += [f"**〔{cit}〕{name}**（{art.get('status', '—')}）", "", _quote(str(art["text"]), s.quotes.get(cit)), ""]
    who = f"{cat.units[h.unit].name}（`{h.unit}`）" if h.unit else f"{'引发本规则的' if t.escalated else '触发'}事件 " \
        f"`data.{h.field}` 所载单位" + (f"（缺省为 {cat.units[h.default].name}）" if h.default else "")
    when = (f"发生事件 {site.event(EventPattern(event=t.event, where=t.where))}" + "".join(
        f"；且同案中此前已发生 {site.event(p)}" for p in t.requires)) if t.event else (
        "下列规则逾期未履行或被违反时自动引发：" + _links(cat.escalation_sources(rid))) if t.escalated else (
        f"按计划自动产生（自 {s.valid_from} 起{'，每个单位各一项' if t.schedule and t.schedule.per else ''}）")
    out += ["## 规则释义", "", f"- **谁**：{_esc(h.role or '')}{' —— ' if h.role else ''}{who}",
            f"- **在何种情况下**：{when}", f"- **{MODALITY_ZH[s.modality][:2]}做什么**：{_esc(s.title)}",
            f"- **期限**：{_period(site, rid)}",
            "- **如何履行**：" + ("；或 ".join(map(site.event, s.closed_by)) or "无可核验的履行事件")]
    out += [f"- **何时不再适用**：{'；或 '.join(map(site.event, s.cancelled_by))}"] if s.cancelled_by else []
    out += ["- **违反的后果**：" + (f"逾期或违反时引发 {_links(s.escalates_to)}" if s.escalates_to else
                                  "结果中标记为 `overdue`（逾期）或 `violated`（违反），不再引发其他规则")]
    out += [f"- **说明**：{_esc(s.explain)}"] if s.explain else []
    out += ["", "## 流程图", "", f"本规则（黄色）及其前后步骤。{LEGEND}", "",
            site.diagram(site.neighbours(rid), rid), "", "## 所用部署政策", ""]
    key = s.period.policy if s.period and s.period.policy else ""
    term = cat.policy.terms.get(key)
    out += [f"“{term.word}”（[`{key}`](../../policy.md#term-{key})）默认 {_span(term.period)}。理由：", "",
            _quote(term.reason)] if term else ["本规则不使用部署政策：期限直接来自法律或通知（或不设期限）。"]
    obs = [o for o in site.result.obligations if o.rule == rid] if site.result else []
    out += ["", "## 示例（实际输出）", ""] + ([f"以下是引擎（参考实现）对 `examples/history.jsonl`、截至 {site.as_of}"
            "的实际输出中本规则的结果。", "", "| 案件 | 义务人 | 状态 | 届满 due |", "|---|---|---|---|"] if obs else [
            "示例事件中没有触发本规则的案件。"])
    out += [f"| {o.case_id} | {_esc(o.holder_name)} | {STATUS_ZH[o.status].short} `{o.status}` | {o.due or '—'} |"
            for o in obs]
    for o in obs:
        out += ["", f'??? example "{o.case_id}：输入事件与说明（explanation）"', "", "    ```json",
                *(f"    {x}" for x in site.lines[o.case_id]), "    ```", "",
                *(f"    - {_esc(x.strip())}" for x in o.explanation.splitlines() if x.strip())]
    out += ["", "## 检验本规则的属性", "", *(_rule_properties(site, rid) or [NO_PROPERTIES])]
    return "\n".join([FRONT_RULE, *out, ""])


def _overlaps(a: str, b: str, at_least: int = 8) -> bool:
    """Whether two texts share a run of ``at_least`` characters (punctuation width and spaces ignored)."""
    x, y = normalise_text(a), normalise_text(b)
    m = difflib.SequenceMatcher(None, x, y, autojunk=False).find_longest_match(0, len(x), 0, len(y))
    return m.size >= min(at_least, len(x), len(y))


def _rule_properties(site: _Site, rid: str) -> list[str]:
    """The properties that check this rule's own clause, in Chinese, the test's name as code.

    Those quoting one of the rule's national articles, or the words of the notice it encodes (not every
    property of the clause area, most of which are about the calendar or the engine in general).
    """
    spec = site.cat.rules[rid].spec
    out = []
    for module in site.spec:
        for prop in module.properties:
            quotes = [q for q in prop.quotes if q.cite in spec.basis and (
                _overlaps(q.text, spec.text) if Citation.parse(q.cite).is_notice
                else q.cite not in spec.quotes or _overlaps(q.text, spec.quotes[q.cite]))]
            if quotes:
                said = "；".join(f"「{_esc(q.text)}」（`{q.cite}`）" for q in dict.fromkeys(quotes))
                out.append(f"- {said}<br>由属性测试 `{module.module}.py::{prop.name}` 检验")
    return out


def _notice_page(site: _Site) -> str:
    notes = {k: f"{COVERAGE.get(st, st)}{'：' if st and why else ''}{_esc(why)}"
             for k, (st, why) in site.notes.items()}
    clauses = list(site.cat.notice.clauses.values())
    out = [f"# {site.cat.notice.title}", "", "惠政文〔2024〕22号。下表列出每一条款的处理情况及实现它的规则；全文中"
           "每一句之后列出依据该句的规则，规则页又链接回这里的原句。", "", "## 条款与规则对照表", "",
           "| 条款 | 标题 | 实现规则 | 处理情况 |", "|---|---|---|---|"]
    out += [f"| [{c.label}](#clause-{c.id.replace('.', '-')}) | {_esc(c.heading)} | "
            f"{_links(site.links.get(c.id, []), 'rules/', ' ')} | {notes.get(c.id, '')} |" for c in clauses]
    for c in clauses:
        slug = c.id.replace(".", "-")
        out += ["", f"{'#' * (c.id.count('.') + 2)} {c.label}{_esc(c.heading)} {{#clause-{slug}}}", ""]
        for n, sent in enumerate(site.sentences[c.id], 1):
            rules, note = site.by_anchor.get(f"s-{slug}-{n}"), notes.get(f"{c.id}|{normalise_text(sent)}")
            out += [_esc(sent), f"{{: #s-{slug}-{n} .fx-sentence }}", ""]
            if rules or note:
                out += [_links(dict.fromkeys(rules or []), "rules/", " · ") + (f"（{note}）" if note else ""),
                        "{: .fx-rules }", ""]
        if site.links.get(c.id):
            out += [f"实现本条的规则：{_links(site.links[c.id], 'rules/', ' · ')}", "{: .fx-clause-rules }"]
    return "\n".join([*out, ""])


def _fields(cls: Any) -> str:
    doc = (inspect.getdoc(cls) or "").split("Attributes:")[-1]
    said = dict(re.findall(r"^    (\w+): (.+(?:\n        .+)*)", doc, re.M))
    return f"### `{cls.__name__}`\n\n| 字段 | 类型 | 含义 |\n|---|---|---|\n" + "\n".join(
        f"| `{n}` | `{str(f.annotation).replace('typing.', '')}` | {_esc(' '.join(said.get(n, '').split()))} |"
        for n, f in cls.model_fields.items())


def _errors(site: _Site, engine: Engine) -> str:
    found: dict[str, tuple[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:  # rules/: the catalogue plus one broken rule file
        (rules := Path(tmp) / "rules").mkdir()
        for f in [*Path(site.cat.directory).iterdir(), EXAMPLES / "zz-example.yaml"]:
            (rules / f.name).symlink_to(f)
        calls: list[tuple[str, str, Callable[[], object]]] = [
            ("CatalogError", "zz-example.yaml", lambda: load_catalog(rules)),
            ("PolicyError", "my-policy.yaml", lambda: load_catalog(site.cat.directory, EXAMPLES / "my-policy.yaml")),
            ("CalendarError", "2027.yaml", lambda: LegalCalendar([EXAMPLES / "2027.yaml"])),
            ("RunError", "", lambda: parse_as_of("明天"))]
        for name, file, call in calls if EXAMPLES.is_dir() else []:
            try:
                call()
            except errors.FuxianRulesError as exc:
                shown = (EXAMPLES / file).read_text(encoding="utf-8") if file else 'parse_as_of("明天")'
                found[name] = (shown, str(exc).replace(f"{ROOT}/", "").replace(f"{tmp}/", ""))
    bad = ROOT / "examples" / "bad-events.jsonl"
    rejected = engine.evaluate_file(bad, "2024-12-31").rejected if bad.is_file() else []
    out = []
    for cls in (c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.FuxianRulesError)):
        out += [f"## `{cls.__name__}` {{#{cls.__name__.lower()}}}", "", f"基类：`{cls.__mro__[1].__name__}`", "",
                "```text", inspect.getdoc(cls) or "", "```", ""]
        if cls.__name__ in found:
            text, message = found[cls.__name__]
            out += ["输入：", "", "```text", text.rstrip(), "```", "", "实际消息：", "", "```text", message, "```", ""]
        if cls is errors.EventError and rejected:
            out += ["`examples/bad-events.jsonl` 中被拒绝的事件（实际输出，`result.rejected`）：", "",
                    "| 行 | id | 字段 | 信息 |", "|---|---|---|---|"]
            out += [f"| {r.line} | {r.id or ''} | {r.field or ''} | {_esc(r.message)} |" for r in rejected] + [""]
    return "\n".join(out)


def _snippets(site: _Site) -> dict[str, str]:
    cat, engine = site.cat, Engine(site.cat.directory, backend="reference")
    cal, years = engine.calendar, engine.calendar.known_years()
    cases = [("3日，届满日逢国庆节", cal.add_days(date(2024, 9, 28), 3)), ("24小时", cal.add_hours(
        datetime(2024, 3, 7, 10, tzinfo=CST), 24)), ("3日，届满日为调休工作日", cal.add_days(date(2024, 10, 9), 3)),
             ("2个月，起算日为月末", cal.add_months(date(2024, 12, 31), 2)),
             (f"3日，{years[-1] + 1}年尚无官方数据", cal.add_days(date(years[-1] + 1, 9, 28), 3))]
    site.write("event-schema.json", json.dumps(event_json_schema(engine.catalog), ensure_ascii=False, indent=2) + "\n")
    example = LegalCalendar([EXAMPLES / "2024.yaml"], use_package=False)  # the example of periods.md must be right
    assert all(example.is_workday(d) == cal.is_workday(d) for d in (date(2024, 9, 29), date(2024, 10, 1)))
    cli, history = StringIO(), str(ROOT / "examples" / "history.jsonl")
    if site.result:
        _cli.main(["check", history, "--as-of", site.as_of, "--backend", "reference"], out=cli)
    table = cli.getvalue().splitlines()
    shown = [o for o in (site.result.obligations if site.result else []) if o.rule == "transfer.no-penalty-instead"]
    policy = []
    for key, term in cat.policy.terms.items():
        users = [r for r, lr in cat.rules.items() if lr.spec.period and lr.spec.period.policy == key]
        policy += [f"## “{term.word}” `{key}` {{#term-{key}}}", "", f"默认期限：**{_span(term.period)}**", "",
                   _quote(term.reason), "", "使用该用语的规则：" + (_links(users, "generated/rules/") or "无"), ""]
    policy += ["## 政策文件原文", "", "```yaml", Path(cat.policy.source).read_text(encoding="utf-8").rstrip(), "```"]
    years_text = f"内置官方节假日数据覆盖 **{years[0]}—{years[-1]}年**（{'、'.join(map(str, years))}），数据来源 " \
        f"`{cal.fingerprint().split('+')[-1]}`。"
    snip = {
        "policy.md": "\n".join(policy),
        "periods.md": "\n\n".join(["## 法律依据原文", *(f"**〔{c}〕{cat.instruments[c.split(':')[0]]['name']}**\n\n"
                                   f"{_quote(str(cat.citations[c]['text']))}" for c in PERIOD_SOURCES), "## 节假日数据",
                                   years_text, "## 计算示例（实际计算结果）", *(
            f"**{what}** → `{d.due or d.due_at}`{'（provisional：待官方安排公布后复核）' if d.provisional else ''}"
            "\n\n" + "\n".join(f"1. {_esc(x)}" for x in d.steps) for what, d in cases)]),
        "vocabulary.md": "\n\n".join(f"### `{k}` {{#ev-{k}}}\n\n{_esc(t.title)}\n\n" + (
            "| 字段 | 类型 | 必填 | 缺省 | 取值 |\n|---|---|---|---|---|\n" + "\n".join(
                f"| `{n}` | {f.kind} | {'是' if f.required else ''} | "
                f"{'' if f.default is None else json.dumps(f.default)} | {' / '.join(f.values or [])} |"
                for n, f in t.fields.items()) if t.fields else "（无字段）")
            for k, t in cat.types.items()),
        "results.md": "\n\n".join(_fields(c) for c in (Result, Obligation, Rejection, Receipt)),
        "errors.md": _errors(site, engine),
        "cli-check.txt": "\n".join([f"$ fuxian-rules check examples/history.jsonl --as-of {site.as_of} --backend "
                                     "reference", *table[:12], "…（节选 excerpt）", *table[-4:]]),
        "obligation.json": shown[0].model_dump_json(indent=2) if shown else "{}",
    }
    engine.close()
    return snip


def nav_title(title: str, rid: str) -> str:
    """A rule in the navigation: its Chinese title, whole (legal staff look for its words), its id beside it."""
    return f"{title} · {rid}"


def generate(out: str | Path = "docs/generated", *, rules: str | Path | None = None,
             history: str | Path | None = ROOT / "examples" / "history.jsonl") -> list[dict[str, Any]]:
    """Write the generated pages into ``out`` and return the mkdocs nav of the rule pages, by clause area.

    Args:
        out: The output folder, owned by the generator (``docs/generated``).
        rules: A catalogue folder (default: the bundled ``rules/``).
        history: The event history (JSON Lines) the worked examples are computed from.

    Returns:
        One nav section per clause area, listing its rule pages.
    """
    cat, root = load_catalog(rules), Path(out)
    site = _Site(root, cat, Path(history) if history is not None else None)
    site.write("notice.md", _notice_page(site))
    for rid in cat.rules:
        site.write(f"rules/{rid}.md", _rule_page(site, rid))
    nav = [{rf.title: [{nav_title(lr.spec.title, r): f"generated/rules/{r}.md"}
                       for r, lr in cat.rules.items() if lr.area == area]} for area, rf in cat.areas.items()]
    for name, text in _snippets(site).items():
        site.write(f"snippets/{name}", text.rstrip() + "\n")
    site.write("spec.md", FRONT_SPEC + render_markdown(site.spec))  # the properties, from tests/ of the checkout
    pruning = (root / _MARK).is_file()  # prune only a folder this generator created
    site.write(_MARK, "generated by python -m tools.docs; do not edit\n")
    for stale in [p for p in root.rglob("*") if pruning and p.is_file() and p not in site.written]:
        stale.unlink()
    return nav


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m tools.docs [OUTDIR]`` (default ``docs/generated``); returns the exit status."""
    out = (argv if argv is not None else sys.argv[1:]) or ["docs/generated"]
    print(f"{out[0]}: {sum(len(next(iter(n.values()))) for n in generate(out[0]))} rule pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
