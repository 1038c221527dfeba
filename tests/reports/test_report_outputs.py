"""The report's files and commands: Excel types and layout, escaping of hostile event text, errors with
stable codes, the vendored ECharts, the example's generator, and ``import fuxian_rules`` staying light."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")
pytest.importorskip("jinja2")

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "fuxian-rules")
HISTORY = str(ROOT / "examples" / "history.jsonl")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=False, cwd=ROOT)


def test_import_fuxian_rules_loads_none_of_the_report_libraries() -> None:
    code = ("import sys, fuxian_rules; bad = [m for m in ('fuxian_rules.reports', 'openpyxl', 'jinja2') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_workbook_layout_types_and_chinese_titles(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    run = _run("report", HISTORY, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "xlsx", "-o", str(out))
    assert run.returncode == 0, run.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:8] == ["汇总", "按条款", "按月份", "逾期与违反", "检察意见", "年度任务", "通报摘要", "统计口径"]
    assert "区城管局" in wb.sheetnames and "hj-kg-01（名录外单位）" in wb.sheetnames
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("A4", "B4"), ws.title
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A3:"), ws.title
        assert all(isinstance(c.value, str) and not c.value.isascii() for c in ws[3] if c.value), ws.title
    ws = wb["区城管局"]
    head = [c.value for c in ws[3]]
    row = dict(zip(head, next(ws.iter_rows(min_row=4, values_only=True)), strict=True))
    assert isinstance(row["产生日期"], datetime) and row["产生日期"].date() >= date(2024, 1, 1)
    dues = [r[head.index("期限")] for r in ws.iter_rows(min_row=4, values_only=True)]
    assert all(d is None or isinstance(d, datetime) for d in dues)  # openpyxl reads dates back as datetimes
    assert any(isinstance(d, datetime) for d in dues)
    rate = wb["汇总"]["M4"]
    assert rate.number_format == "0.0%" and isinstance(rate.value, (int, float))  # 100 % reads back as 1
    assert wb["汇总"]["A3"].value == "单位代码" and wb["汇总"]["M3"].value == "按期履行率"


def test_hostile_case_ids_never_become_markup(tmp_path: Path) -> None:
    evil = "</script><script>alert(1)</script>|x"
    events = tmp_path / "e.jsonl"
    events.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in [
        {"id": "h1", "type": "crime_suspected", "case_id": evil, "occurred_at": "2024-03-04", "actor": "transport",
         "data": {"agency": "transport"}},
        # a written report, then no decision and a penalty: 以罚代刑 on recorded facts (a violated item, listed)
        {"id": "h3", "type": "transfer_report_submitted", "case_id": evil, "occurred_at": "2024-03-05",
         "actor": "transport", "data": {"agency": "transport"}},
        {"id": "h2", "type": "admin_penalty_imposed", "case_id": evil, "occurred_at": "2024-03-20",
         "actor": "transport", "data": {"agency": "transport"}},
    ]) + "\n", encoding="utf-8")
    html = tmp_path / "r.html"
    assert _run("report", str(events), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "html",
                "-o", str(html)).returncode == 0
    page = html.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page
    assert page.count("<script") == 3  # ECharts, the chart data, the chart set-up: nothing else
    md = _run("report", str(events), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "md").stdout
    assert "<script>" not in md and "\\|x" in md


@pytest.mark.parametrize(("args", "code"), [
    ([HISTORY, "--db", "sqlite:///x.db"], "report.events-and-db"),
    (["--db", "nosuchdialect://127.0.0.1/x"], "report.bad-db"),
    ([HISTORY, "--to", "2023-12-31"], "report.bad-period"),
    ([HISTORY, "--to", "2040-01-01"], "report.period-too-long"),
    ([HISTORY, "--to", "2024-13-01"], "report.bad-date"),
    ([HISTORY, "--to", "2024-12-31", "--format", "xlsx"], "report.output-required"),
    ([HISTORY, "--to", "2024-12-31", "--unit", "a|b<x>"], "report.bad-unit"),
])
def test_bad_requests_fail_with_a_stable_code(args: list[str], code: str) -> None:
    full = ["report", *args] if "--to" in args else ["report", *args, "--to", "2024-12-31"]
    run = _run(*full, "--from", "2024-01-01")
    assert run.returncode == 2
    assert f"[{code}]" in run.stderr
    assert "Traceback" not in run.stderr


def test_rejected_events_are_reported_not_counted(tmp_path: Path) -> None:
    bad = ROOT / "examples" / "bad-events.jsonl"
    run = _run("report", str(bad), "--from", "2024-01-01", "--to", "2024-12-31", "--format", "md")
    assert run.returncode == 1
    assert "被拒收，未计入本报告" in run.stdout


def test_vendored_echarts_is_intact_licensed_and_inlined() -> None:
    from fuxian_rules.reports.html import ECHARTS_SHA256, ECHARTS_VERSION, echarts_js

    vendor = resources.files("fuxian_rules.reports").joinpath("vendor")
    raw = vendor.joinpath("echarts.min.js").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == ECHARTS_SHA256
    assert "Apache License" in vendor.joinpath("LICENSE").read_text(encoding="utf-8")
    assert "Apache ECharts" in vendor.joinpath("NOTICE").read_text(encoding="utf-8")
    assert ECHARTS_VERSION in vendor.joinpath("README.txt").read_text(encoding="utf-8")
    assert "</script" not in echarts_js().lower()


def test_the_legal_basis_quoted_is_the_notice_verbatim() -> None:
    from fuxian_rules import Engine
    from fuxian_rules.reports.labels import LEGAL_BASIS

    notice = Engine().catalog.notice
    for clause, words in LEGAL_BASIS:
        assert words in "".join(notice.get(clause).text.split()), clause  # type: ignore[union-attr]


def test_district_example_is_what_the_generator_writes_and_is_all_accepted() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "make_district_example.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert "0 rejected" in run.stdout


def test_district_example_covers_every_area_and_member(tmp_path: Path) -> None:
    from fuxian_rules import Engine
    from fuxian_rules.reports import build_report
    from fuxian_rules.reports.labels import area_of

    engine = Engine()
    raw = [json.loads(line) for line in (ROOT / "examples" / "district-2024.jsonl").read_text().splitlines()]
    good, rejected = engine.validate(raw)
    assert not rejected
    report = build_report(engine.evaluate(good, "2024-12-31"), good, engine.catalog,
                          period_from=date(2024, 1, 1), period_to=date(2024, 12, 31))
    covered = {area_of(lr.spec.basis) for lr in engine.catalog.rules.values()}
    active = {r.key for r in report.areas if r.counts.arisen or r.counts.prohibitions or r.counts.advisories}
    assert covered == active
    members = {c for c, u in engine.catalog.units.items() if u.role in ("agency", "procuratorate", "police", "office")}
    holders = {it.holder for it in report.items}
    assert members <= holders
    rates = [r.counts.on_time_rate for r in report.units if r.counts.on_time_rate is not None]
    assert max(rates) == 1.0 and min(rates) < 0.5  # some units diligent, some not


def test_same_events_in_any_order_give_the_same_report(tmp_path: Path) -> None:
    import random

    lines = (ROOT / "examples" / "district-2024.jsonl").read_text(encoding="utf-8").splitlines()
    random.Random(7).shuffle(lines)
    shuffled = tmp_path / "shuffled.jsonl"
    shuffled.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = ["--from", "2024-01-01", "--to", "2024-12-31", "--format", "md"]
    first = _run("report", str(ROOT / "examples" / "district-2024.jsonl"), *args)
    second = _run("report", str(shuffled), *args)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout
    assert "逾期未履行" in first.stdout
