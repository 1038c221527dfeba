"""The HTML report and the dashboard pages in real headless Chromium, offline, at 1366×768 and phone width.

Driven over the DevTools protocol (``--remote-debugging-pipe``) as tests/test_docs_browser.py does; every
host is unresolvable for the browser, so the charts can only come from the ECharts inlined in the page.
Checks: each chart container holds a rendered ``<svg>`` with its Chinese title, no console error or
uncaught exception, Chinese text on the page, no sideways scrolling of the page on a phone. Screenshots
are kept in build/reports/ for review (not committed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from browser_support import BROWSER
from browser_support import DevTools as _DevTools

pytest.importorskip("jinja2")
pytest.importorskip("openpyxl")

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "reports"
CLI = str(Path(sys.executable).parent / "fuxian-rules")
CHART_TITLES = {"rate": "各单位按期履行率", "area": "各条款领域逾期与违反情况", "month": "逐月趋势"}
VIEWPORTS = {"1366x768": (1366, 768, False), "phone": (390, 844, True)}

pytestmark = pytest.mark.skipif(BROWSER is None, reason="needs chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def devtools() -> Iterator[_DevTools]:
    client = _DevTools()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def pages() -> dict[str, Path]:
    """The district example's report (through the command line) and the three dashboard pages."""
    from fuxian_rules import Engine
    from fuxian_rules.reports import build_report, digest
    from fuxian_rules.reports.html import render_case_page, render_overview, render_unit_page

    OUT.mkdir(parents=True, exist_ok=True)
    events = ROOT / "examples" / "district-2024.jsonl"
    report = OUT / "district-2024.html"
    run = subprocess.run([CLI, "report", str(events), "--from", "2024-01-01", "--to", "2024-12-31", "--format",
                          "html", "-o", str(report)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    engine = Engine()
    good, _ = engine.validate(json.loads(line) for line in events.read_text(encoding="utf-8").splitlines())
    result = engine.evaluate(good, "2024-12-31")
    rep = build_report(result, good, engine.catalog, period_from=date(2024, 1, 1), period_to=date(2024, 12, 31))
    out = {"report": report, "overview": OUT / "overview.html", "unit": OUT / "unit.html", "case": OUT / "case.html"}
    out["overview"].write_text(render_overview(rep, engine.catalog, unit_href=lambda u: f"unit-{u}.html",
                                               case_href=lambda c: f"case-{c}.html"), encoding="utf-8")
    text = digest(result, "urban_management", 5, engine.calendar, catalog=engine.catalog).text
    out["unit"].write_text(render_unit_page(rep, "urban_management", engine.catalog, digest_text=text,
                                            docs_base_url="https://example.invalid/docs/"), encoding="utf-8")
    case = next(it.case_id for it in rep.breaches if it.case_id.startswith("XZ-"))
    out["case"].write_text(render_case_page(case, good, result.obligations, engine.catalog, as_of=result.as_of),
                           encoding="utf-8")
    return out


CHARTS_READY = ("[...document.querySelectorAll('[data-chart]')].length > 0 && [...document.querySelectorAll("
                "'[data-chart]')].every(el => el.getAttribute('data-rendered') === '1' && el.querySelector('svg'))")


@pytest.mark.parametrize("page", ["report", "overview"])
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_charts_render_offline_without_errors(devtools: _DevTools, pages: dict[str, Path], page: str,
                                              viewport: str) -> None:
    width, height, mobile = VIEWPORTS[viewport]
    assert devtools.open(pages[page].as_uri(), width, height, mobile, CHARTS_READY), "charts did not render"
    charts = devtools.eval("Object.fromEntries([...document.querySelectorAll('[data-chart]')].map(el => "
                           "[el.dataset.chart, {text: [...el.querySelectorAll('svg text')].map(t => t.textContent)"
                           ".join(' '), shapes: el.querySelectorAll('svg path, svg rect').length, "
                           "w: el.getBoundingClientRect().width}]))")
    assert set(charts) == set(CHART_TITLES)
    for name, title in CHART_TITLES.items():
        assert title in charts[name]["text"], name
        assert charts[name]["shapes"] > 10, name  # bars, lines, axes were drawn, not just a title
        assert 200 < charts[name]["w"] <= width, name
    body = devtools.eval("document.body.innerText")
    assert "府检联动" in body and "逾期未履行" in body and "区城管局" in body
    assert devtools.eval("document.documentElement.scrollWidth") <= width + 1  # no sideways page scroll
    time.sleep(0.3)
    devtools.eval("1")  # drain pending console events
    assert devtools.errors == []
    devtools.screenshot(OUT / f"screenshot-{page}-{viewport}.png")
    for section in ("chart-rate", "chart-area", "areas", "breaches"):
        if devtools.eval(f"!!document.getElementById('{section}')"):
            devtools.eval(f"document.getElementById('{section}').scrollIntoView(); window.scrollBy(0, -8)")
            time.sleep(0.3)
            devtools.screenshot(OUT / f"screenshot-{page}-{viewport}-{section}.png")
    if page == "report" and viewport == "1366x768":
        devtools.screenshot(OUT / "screenshot-report-full.png", full=True)
    assert (OUT / f"screenshot-{page}-{viewport}.png").stat().st_size > 20_000


def test_the_error_collector_sees_console_errors(devtools: _DevTools) -> None:
    """The no-console-error check above can fail: a page that logs an error and throws is caught."""
    url = "data:text/html,<meta charset=utf-8><script>console.error('boom'); throw new Error('bang')</script>"
    devtools.open(url, 800, 600, False, "document.readyState === 'complete'")
    time.sleep(0.3)
    devtools.eval("1")
    assert any("boom" in e for e in devtools.errors) and any("bang" in e for e in devtools.errors)


@pytest.mark.parametrize("page", ["unit", "case"])
def test_unit_and_case_pages_show_their_items(devtools: _DevTools, pages: dict[str, Path], page: str) -> None:
    width, height, mobile = VIEWPORTS["phone"]
    assert devtools.open(pages[page].as_uri(), width, height, mobile, "document.readyState === 'complete'")
    body = devtools.eval("document.body.innerText")
    if page == "unit":
        assert "区城管局" in body and "近期到期提醒" in body and "本期全部义务" in body
        links = devtools.eval("[...document.querySelectorAll('a')].map(a => a.href)")
        assert any("/docs/generated/rules/" in href for href in links)
    else:
        assert "事件（" in body and "义务（" in body and "依据：通知三（十一）" in body
    assert devtools.eval("document.documentElement.scrollWidth") <= width + 1
    assert devtools.errors == []
    devtools.screenshot(OUT / f"screenshot-{page}-phone.png")
