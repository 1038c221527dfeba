"""Every number of the report, in every format, equals a count over ``fuxian-rules check --format json``.

The expected counts are computed here from scratch: the JSON that ``check`` prints, the raw events file
(to date each triggering event) and the rule YAML read with PyYAML (which rules the calendar raises, and
from when). Nothing of ``fuxian_rules.reports`` is used to compute them. The report is then produced by
the real command line in all three formats and every table cell is compared.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("jinja2")

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "fuxian-rules")
CST = timezone(timedelta(hours=8))
KEYS = ("arisen", "fulfilled", "late", "overdue", "pending", "cancelled", "prohibitions", "violated",
        "advisories", "advisories_open")
TITLES = ("产生义务", "按期履行", "逾期履行", "逾期未履行", "尚未到期", "不再适用", "禁止性规定事项",
          "违反禁止性规定", "提示事项", "待处理提示")

CASES = [
    ("examples/history.jsonl", "2024-01-01", "2024-12-31", None),
    ("examples/history.jsonl", "2024-04-01", "2024-09-30", "2025-03-31"),
    ("examples/history.jsonl", "2025-01-01", "2025-12-31", "2025-03-31"),
    ("examples/district-2024.jsonl", "2024-01-01", "2024-12-31", None),
    ("examples/district-2024.jsonl", "2024-07-01", "2024-12-31", "2025-02-28"),
]


# ---- the oracle: counts from check's JSON, written independently of the library ----------------------
def _rules_yaml() -> dict[str, dict[str, Any]]:
    rules = {}
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and isinstance(doc.get("rules"), list):
            for r in doc["rules"]:
                rules[r["id"]] = r
    return rules


def _event_days(path: Path) -> dict[str, date]:
    days: dict[str, date] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            ev = json.loads(line)
            when = ev["occurred_at"]
            day = (date.fromisoformat(when) if len(when) == 10
                   else datetime.fromisoformat(when).astimezone(CST).date())
        except (ValueError, KeyError, TypeError):
            continue
        days.setdefault(ev["id"], day)
    return days


def _due_day(due: str | None) -> date | None:
    if due is None:
        return None
    return datetime.fromisoformat(due).astimezone(CST).date() if "T" in due else date.fromisoformat(due)


def _arisen(ob: dict[str, Any], rules: dict[str, dict[str, Any]], days: dict[str, date]) -> date:
    rule = rules[ob["rule"]]
    trig = days.get(ob["triggered_by"][0]) if ob["triggered_by"] else None
    schedule = rule["trigger"].get("schedule")
    valid_from = rule["valid_from"] if isinstance(rule["valid_from"], date) else date.fromisoformat(rule["valid_from"])
    if schedule:
        cands = [valid_from] + ([trig] if trig else [])
        if schedule["every"] == "year":
            cands.append(date(_due_day(ob["due"]).year, 1, 1))
        return max(cands)
    assert trig is not None, ob  # every event-triggered obligation names its events, which are in the file
    return trig


def _area(basis: list[str]) -> str:
    first = next(c for c in basis if c.startswith("notice:"))
    return ".".join(first[len("notice:"):].split(".")[:2])


def _tally(obs: list[dict[str, Any]]) -> dict[str, int]:
    c: Counter[str] = Counter()
    for o in obs:
        if o["modality"] == "obligation":
            c["arisen"] += 1
            c[{"fulfilled": "fulfilled", "fulfilled_late": "late", "overdue": "overdue", "open": "pending",
               "cancelled": "cancelled"}.get(o["status"], "other")] += 1
        elif o["modality"] == "prohibition":
            c["prohibitions"] += 1
        else:
            c["advisories"] += 1
            c["advisories_open"] += o["status"] == "advisory" and not o["closed_by"]
        c["violated"] += o["status"] == "violated"
    return {k: c[k] for k in KEYS}


def _rate(c: dict[str, int]) -> float | None:
    den = c["fulfilled"] + c["late"] + c["overdue"]
    return c["fulfilled"] / den if den else None


def _expected(events: str, start: str, end: str, as_of: str | None) -> dict[str, Any]:
    run = subprocess.run([CLI, "check", str(ROOT / events), "--as-of", as_of or end, "--format", "json"],
                         capture_output=True, text=True, check=False, cwd=ROOT)
    assert run.returncode in (0, 1), run.stderr
    data = json.loads(run.stdout)
    rules, days = _rules_yaml(), _event_days(ROOT / events)
    lo, hi = date.fromisoformat(start), date.fromisoformat(end)
    inside = [o for o in data["obligations"] if lo <= _arisen(o, rules, days) <= hi]
    by_unit, by_area, by_month = defaultdict(list), defaultdict(list), defaultdict(list)
    for o in inside:
        by_unit[o["holder"]].append(o)
        by_area[_area(o["basis"])].append(o)
        d = _arisen(o, rules, days)
        by_month[f"{d.year:04d}-{d.month:02d}"].append(o)
    key = lambda o: (o["rule"], o["case_id"], o["holder"], o["due"])  # noqa: E731
    return {
        "total": _tally(inside),
        "units": {u: _tally(v) for u, v in by_unit.items()},
        "areas": {a: _tally(v) for a, v in by_area.items()},
        "months": {m: _tally(v) for m, v in by_month.items()},
        "breaches": sorted(key(o) for o in inside if o["status"] in ("overdue", "violated")),
        "opinions": sorted(key(o) for o in inside if "检察意见" in rules[o["rule"]]["title"]),
        "tasks": sorted(key(o) for o in inside if "notice:5.2" in o["basis"]),
        "n": len(inside),
    }


def _zero() -> dict[str, int]:
    return dict.fromkeys(KEYS, 0)


# ---- reading the three formats back ---------------------------------------------------------------
def _report(tmp_path: Path, events: str, start: str, end: str, as_of: str | None, fmt: str) -> Path:
    out = tmp_path / f"r.{fmt}"
    cmd = [CLI, "report", str(ROOT / events), "--from", start, "--to", end, "--format", fmt, "-o", str(out)]
    run = subprocess.run(cmd + (["--as-of", as_of] if as_of else []), capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return out


def _xlsx_rows(path: Path, sheet: str) -> dict[str, tuple[dict[str, int], Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    head = [c.value for c in ws[3]]
    assert ws.freeze_panes in ("A4", "B4") and ws.auto_filter.ref.startswith("A3:")
    rows = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        rec = dict(zip(head, row, strict=True))
        first = head[0]
        key = rec[first].strftime("%Y-%m") if isinstance(rec[first], datetime) else rec[first]
        counts = {}
        for k, t in zip(KEYS, TITLES, strict=True):
            assert isinstance(rec[t], int), (t, rec[t])  # real numbers, not text
            counts[k] = rec[t]
        rows[key] = (counts, rec["按期履行率"])
    return rows


class _Cells(HTMLParser):
    """Collect ``<tr data-key>`` rows (cells by ``data-col``) and the chart JSON of the HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, dict[str, str]]] = []
        self.key: str | None = None
        self.col: str | None = None
        self.json_block = False
        self.chart_json = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.tables.append({})
        elif tag == "tr" and "data-key" in a:
            self.key = a["data-key"]
            self.tables[-1][self.key] = {}
        elif tag == "td" and self.key and "data-col" in a:
            self.col = a["data-col"]
            self.tables[-1][self.key][self.col] = ""
        elif tag == "script" and a.get("id") == "chart-data":
            self.json_block = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self.col = None
        elif tag == "tr":
            self.key = None
        elif tag == "script":
            self.json_block = False

    def handle_data(self, data: str) -> None:
        if self.key and self.col:
            self.tables[-1][self.key][self.col] += data
        if self.json_block:
            self.chart_json += data


def _pct(rate: float | None) -> str:
    return "不适用" if rate is None else f"{rate * 100:.1f}%"


def _md_table(text: str, heading: str) -> dict[str, list[str]]:
    section = text.split(heading, 1)[1]
    rows = {}
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if set(cells[0]) <= {"-", "|"} or cells[0] in ("单位", "条款领域", "月份"):
            continue
        rows[cells[0]] = cells[1:]
    return rows


# ---- the tests -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def engine() -> Any:
    from fuxian_rules import Engine

    return Engine()


@pytest.mark.parametrize(("events", "start", "end", "as_of"), CASES)
def test_every_number_equals_a_count_over_check_json(tmp_path: Path, engine: Any, events: str, start: str,
                                                      end: str, as_of: str | None) -> None:
    exp = _expected(events, start, end, as_of)
    assert exp["n"] > 0
    cat = engine.catalog
    label = {c: (cat.units[c].name if c in cat.units else f"{c}（名录外单位）") for c in exp["units"]}

    # Excel: the summary, area and month sheets, cell by cell, as real numbers.
    xlsx = _report(tmp_path, events, start, end, as_of, "xlsx")
    units = _xlsx_rows(xlsx, "汇总")
    assert set(exp["units"]) <= set(units)
    for code, (counts, rate) in units.items():
        want = exp["units"].get(code, _zero())
        assert counts == want, code
        if _rate(want) is None:
            assert rate is None, code  # N/A is an empty cell, so the column stays numeric
        else:
            assert rate == pytest.approx(_rate(want), abs=1e-12), code
    areas = _xlsx_rows(xlsx, "按条款")
    for area, (counts, _) in areas.items():
        assert counts == exp["areas"].get(area, _zero()), area
    assert set(exp["areas"]) <= set(areas)
    months = _xlsx_rows(xlsx, "按月份")
    lo, hi = date.fromisoformat(start), date.fromisoformat(end)
    assert len(months) == (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    assert min(months) == start[:7] and max(months) == end[:7]
    for month, (counts, _) in months.items():
        assert counts == exp["months"].get(month, _zero()), month
    wb = openpyxl.load_workbook(xlsx)
    for sheet, want in (("逾期与违反", exp["breaches"]), ("检察意见", exp["opinions"]), ("年度任务", exp["tasks"])):
        got = [r for r in wb[sheet].iter_rows(min_row=4, values_only=True) if r[0] is not None]
        assert len(got) == len(want), sheet
        assert sorted((r[5], r[2], r[1]) for r in got) == sorted(k[:3] for k in want), sheet
    # one sheet per unit holding something, with as many rows as it has items
    for code, want in exp["units"].items():
        sheet = next(ws for ws in wb.worksheets if ws.cell(4, 2).value == code and ws.title not in ("逾期与违反", "检察意见", "年度任务"))
        n = sum(1 for r in sheet.iter_rows(min_row=4, values_only=True) if r[0] is not None)
        assert n == want["arisen"] + want["prohibitions"] + want["advisories"], code
        assert isinstance(sheet.cell(4, 7).value, datetime)  # 产生日期 is a real date

    # HTML: the unit, area and month tables and the charts' data.
    html = _report(tmp_path, events, start, end, as_of, "html").read_text(encoding="utf-8")
    cells = _Cells()
    cells.feed(html)
    unit_t, area_t, month_t = cells.tables[:3]
    for table, want_all in ((unit_t, exp["units"]), (area_t, exp["areas"]), (month_t, exp["months"])):
        assert set(want_all) <= set(table)
        for key, row in table.items():
            want = want_all.get(key, _zero())
            assert {k: int(row[k]) for k in KEYS} == want, key
            assert row["rate"] == _pct(_rate(want)), key
    charts = json.loads(cells.chart_json)
    rated = {c: _rate(v) for c, v in exp["units"].items() if _rate(v) is not None}
    assert sorted(charts["rate"]["names"]) == sorted(label[c] for c in rated)
    for name, value in zip(charts["rate"]["names"], charts["rate"]["values"], strict=True):
        code = next(c for c in rated if label[c] == name)
        assert value == round(rated[code] * 100, 1)
    assert sum(charts["area"]["overdue"]) == exp["total"]["overdue"]
    assert sum(charts["month"]["arisen"]) == exp["total"]["arisen"]

    # Markdown: the same three tables.
    md = _report(tmp_path, events, start, end, as_of, "md").read_text(encoding="utf-8")
    md_units = _md_table(md, "## 二、各单位情况")
    for code, want in exp["units"].items():
        assert [int(x) for x in md_units[label[code]][:10]] == [want[k] for k in KEYS], code
        assert md_units[label[code]][10] == _pct(_rate(want))
    md_months = _md_table(md, "## 四、逐月情况")
    for month, want in exp["months"].items():
        y, m = month.split("-")
        assert [int(x) for x in md_months[f"{int(y)}年{int(m)}月"][:10]] == [want[k] for k in KEYS]
    t = exp["total"]
    assert (f"产生应当履行的义务 {t['arisen']} 项，其中按期履行 {t['fulfilled']} 项、逾期履行 {t['late']} 项、"
            f"逾期未履行 {t['overdue']} 项") in md
    assert f"## 五、逾期未履行与违反禁止性规定事项（{len(exp['breaches'])} 项）" in md
    assert re.search(rf"按期履行率 {re.escape(_pct(_rate(t)))}", md)


def test_unit_filter_counts_only_that_holder(tmp_path: Path) -> None:
    exp = _expected("examples/history.jsonl", "2024-01-01", "2024-12-31", None)
    out = tmp_path / "u.md"
    run = subprocess.run([CLI, "report", str(ROOT / "examples/history.jsonl"), "--from", "2024-01-01", "--to",
                          "2024-12-31", "--unit", "urban_management", "-o", str(out)], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr
    rows = _md_table(out.read_text(encoding="utf-8"), "## 二、各单位情况")
    assert list(rows) == ["区城管局"]
    assert [int(x) for x in rows["区城管局"][:10]] == [exp["units"]["urban_management"][k] for k in KEYS]
