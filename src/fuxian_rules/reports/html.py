"""The assessment as HTML pages (Jinja2) with charts drawn by the vendored Apache ECharts.

Four functions return whole pages as strings, so the command line writes them to a file and the HTTP
service can mount them as routes without touching the templates:

* :func:`render_report` — the full, self-contained report (everything of the Excel workbook, charts);
* :func:`render_overview` — all units at a glance (dashboard home);
* :func:`render_unit_page` — one unit: its counts, breaches, every item, and optionally its digest;
* :func:`render_case_page` — one case: its events and its obligations with their explanations.

ECharts is inlined (``script_src=None``, the default) so a saved page opens offline; the service instead
serves ``vendor/echarts.min.js`` once and passes its URL. The dashboard pages take a ``nav`` (links and a
logout form the service puts above the page), which a saved page has none of. Every value from events is
escaped by Jinja2's autoescaping, and the chart data travel as JSON in a ``<script type="application/json">`` block with
``<``, ``>`` and ``&`` escaped, so a case id can never become markup or script.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from fuxian_rules import Catalog, Event, Obligation, __version__

from .compute import CST, count
from .labels import STATUS_ZH, area_label, basis_label, unit_name
from .model import Report, Row
from .summary import COLUMNS, RATE_TITLE, as_of_text, bulletin, cn_date, definitions, due_text, rate_text, status_text

__all__ = ["ECHARTS_SHA256", "ECHARTS_VERSION", "chart_init_csp_hash", "echarts_js", "render_case_page",
           "render_overview", "render_report", "render_unit_page"]

ECHARTS_VERSION = "6.1.0"
ECHARTS_SHA256 = "b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0"
Href = Callable[[str], str]
#: The service's bar above a dashboard page: ``{"links": [(label, href), …], "who": str, "logout": href}``.
Nav = dict[str, Any]



@cache
def echarts_js() -> str:
    """The vendored ``echarts.min.js`` (checked against its recorded hash, so a damaged copy is caught)."""
    raw = resources.files("fuxian_rules.reports").joinpath("vendor/echarts.min.js").read_bytes()
    if hashlib.sha256(raw).hexdigest() != ECHARTS_SHA256:
        raise RuntimeError("the vendored echarts.min.js does not match its recorded sha256")
    return re.sub(r"</(script)", r"<\\/\1", raw.decode("utf-8"), flags=re.IGNORECASE)


@cache
def _chart_init() -> str:
    """The chart set-up script (templates/charts.js), inlined after the data block."""
    return resources.files("fuxian_rules.reports").joinpath("templates/charts.js").read_text(encoding="utf-8")


def chart_init_csp_hash() -> str:
    """The chart set-up script's hash as a Content-Security-Policy source (``'sha256-…'``).

    A page served with a CSP that names this hash runs that one inline script and no other: a script
    injected into the page (were escaping ever to fail) would not run.
    """
    digest = hashlib.sha256(_chart_init().encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _env() -> Environment:
    env = Environment(loader=PackageLoader("fuxian_rules.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True), trim_blocks=True, lstrip_blocks=True)
    env.globals.update(rate=rate_text, due=due_text, status=status_text, version=__version__,
                       echarts_version=ECHARTS_VERSION)
    return env


def _json_script(data: object) -> Markup:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e"))  # noqa: S704


def _pct(row: Row) -> float | None:
    rate = row.counts.on_time_rate
    return None if rate is None else round(rate * 100, 1)


def chart_data(report: Report, catalog: Catalog) -> dict[str, Any]:
    """The numbers the three charts draw (also what the browser test compares against)."""
    rated = sorted((r for r in report.units if r.counts.on_time_rate is not None),
                   key=lambda r: (r.counts.on_time_rate or 0.0, -r.counts.rate_denominator))
    areas = [r for r in report.areas if r.counts.arisen or r.counts.prohibitions]
    short = {r.key: (catalog.notice.get(r.key).label if catalog.notice.get(r.key) else r.label)  # type: ignore[union-attr]
             for r in areas}
    return {
        "rate": {"names": [r.label for r in rated], "values": [_pct(r) for r in rated]},
        "area": {"names": [short[r.key] for r in areas], "full": [r.label for r in areas],
                 "overdue": [r.counts.overdue for r in areas], "violated": [r.counts.violated for r in areas],
                 "late": [r.counts.late for r in areas]},
        "month": {"names": [r.label for r in report.months], "arisen": [r.counts.arisen for r in report.months],
                  "overdue": [r.counts.overdue for r in report.months], "late": [r.counts.late for r in report.months],
                  "rate": [_pct(r) for r in report.months]},
    }


def _page(template: str, *, title: str, subtitle: str, charts: dict[str, Any] | None,
          script_src: str | None, nav: Nav | None = None, **context: Any) -> str:
    js: Markup | str = ""
    if charts is not None and script_src is None:
        js = Markup(echarts_js())  # noqa: S704 - the vendored file, hash-checked
    html = _env().get_template(template).render(
        title=title, subtitle=subtitle, charts=charts is not None, echarts_js=js, script_src=script_src, nav=nav,
        chart_json=_json_script(charts) if charts is not None else "", chart_init=Markup(_chart_init()),  # noqa: S704
        columns=COLUMNS, rate_title=RATE_TITLE, definitions=definitions(), **context)
    return html


def _rule_href(docs_base_url: str | None) -> Href | None:
    if not docs_base_url:
        return None
    base = docs_base_url.rstrip("/")
    return lambda rule: f"{base}/generated/rules/{rule}/"


def _period(report: Report) -> str:
    return f"{cn_date(report.period_from)}至{cn_date(report.period_to)}"


def render_report(report: Report, catalog: Catalog, *, docs_base_url: str | None = None,
                  script_src: str | None = None) -> str:
    """The full report as one self-contained HTML page (ECharts inlined unless ``script_src`` is given)."""
    scope = report.units[0].label if report.unit is not None and report.units else "全区各成员单位"
    return _page("report.html.j2", title=f"府检联动工作考核报告（{_period(report)}）",
                 subtitle=f"{scope} · 惠济区常态化府检联动工作机制联席会议办公室", charts=chart_data(report, catalog),
                 script_src=script_src, report=report, paragraphs=bulletin(report, catalog), period=_period(report),
                 as_of_text=as_of_text(report), rule_href=_rule_href(docs_base_url),
                 unit_anchor=lambda code: f"#unit-{code}",
                 items_of=lambda code: [it for it in report.items if it.holder == code],
                 rate_height=_rate_height(report))


def _rate_height(report: Report) -> int:
    return max(360, 60 + 26 * sum(r.counts.on_time_rate is not None for r in report.units))


def render_overview(report: Report, catalog: Catalog, *, unit_href: Href | None = None,
                    case_href: Href | None = None, docs_base_url: str | None = None,
                    script_src: str | None = None, nav: Nav | None = None) -> str:
    """Dashboard home: the district's counts, the three charts, every unit (linked) and every breach."""
    return _page("overview.html.j2", title="府检联动工作看板", subtitle=_period(report),
                 charts=chart_data(report, catalog), script_src=script_src, nav=nav, report=report,
                 paragraphs=bulletin(report, catalog), period=_period(report), as_of_text=as_of_text(report),
                 unit_href=unit_href, case_href=case_href, rule_href=_rule_href(docs_base_url),
                 rate_height=_rate_height(report))


def render_unit_page(report: Report, unit: str, catalog: Catalog, *, case_href: Href | None = None,
                     docs_base_url: str | None = None, digest_text: str | None = None,
                     script_src: str | None = None, nav: Nav | None = None) -> str:
    """One unit's page: only that unit's items (what a unit's own login may see).

    When ``report`` was built for this unit alone (``build_report(..., unit=unit)``), the page also draws
    the unit's two charts (by clause area, month by month); a district-wide report draws none, since its
    areas and months count every unit.
    """
    items = [it for it in report.items if it.holder == unit]
    row = next((r for r in report.units if r.key == unit), Row(unit, unit_name(catalog, unit), count(items)))
    areas = [Row(a, area_label(catalog, a), count(it for it in items if it.area == a))
             for a in dict.fromkeys(it.area for it in items)]
    charts = chart_data(report, catalog) if report.unit == unit else None
    return _page("unit.html.j2", title=row.label, subtitle=f"府检联动义务情况 · {_period(report)}", charts=charts,
                 script_src=script_src, nav=nav, row=row, areas=areas, items=items,
                 breaches=[it for it in items if it.status in ("overdue", "violated")], period=_period(report),
                 as_of_text=as_of_text(report), case_href=case_href, rule_href=_rule_href(docs_base_url),
                 digest_text=digest_text)


def render_case_page(case_id: str, events: Iterable[Event], obligations: Iterable[Obligation], catalog: Catalog,
                     *, as_of: str, docs_base_url: str | None = None, nav: Nav | None = None) -> str:
    """One case: its events (time, type, acting unit — no personal data) and its obligations, explained."""
    evs = [{"when": f"{ev.occurred_at.astimezone(CST):%Y-%m-%d}" if ev.date_only
            else f"{ev.occurred_at.astimezone(CST):%Y-%m-%d %H:%M}",
            "title": catalog.types[ev.type].title if ev.type in catalog.types else ev.type,
            "actor": unit_name(catalog, ev.actor) if ev.actor else "—", "id": ev.id}
           for ev in sorted(events, key=lambda e: (e.occurred_at, e.id)) if ev.case_id == case_id]
    obs = []
    for o in obligations:
        if o.case_id != case_id:
            continue
        at = datetime.fromisoformat(o.due).astimezone(CST) if o.due and "T" in o.due else None
        obs.append({"rule": o.rule, "title": o.title, "status": o.status, "holder_name": o.holder_name,
                    "status_text": STATUS_ZH.get(o.status, o.status),
                    "due_text": (f"{at:%Y-%m-%d %H:%M}" if at else o.due) or "未设期限",
                    "basis": "、".join(basis_label(catalog, c) for c in o.basis), "explanation": o.explanation})
    when = datetime.fromisoformat(as_of).astimezone(CST)
    return _page("case.html.j2", title=f"案件 {case_id}", subtitle="事件、义务与说明", charts=None, script_src=None,
                 nav=nav, events=evs, obligations=obs, as_of_text=f"{when:%Y-%m-%d %H:%M}",
                 rule_href=_rule_href(docs_base_url))
