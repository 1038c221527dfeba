"""The dashboard pages of the real ``fuxian-rules serve`` process: login, access rules, and the numbers shown.

The ledger holds the district's 2024 example (tests/service/conftest.py ``dashboard``); the pages must
show exactly the counts a report over the same events computes (``build_report`` on ``Engine.evaluate``),
a unit token must see its own page only, and the session cookie must be out of reach of scripts and of
other sites.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from fuxian_rules import Engine

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "examples" / "district-2024.jsonl"
Q = "?as_of=2024-12-31&from=2024-01-01&to=2024-12-31"


@pytest.fixture(scope="module")
def result() -> Any:
    engine = Engine(backend="reference")
    try:
        return engine.evaluate_file(str(EVENTS), "2024-12-31")
    finally:
        engine.close()


@contextlib.contextmanager
def login(base: str, token: str) -> Iterator[httpx.Client]:
    """A client holding the session cookie of ``token``, logged in through the form as a browser is."""
    with httpx.Client(base_url=base, timeout=60) as client:
        r = client.post("/dashboard/login", data={"token": token})
        assert r.status_code == 303, r.text[:300]
        yield client


def test_without_a_session_every_page_sends_to_the_login_form(dashboard: Any) -> None:
    base = dashboard.server.url
    for path in ("/dashboard/", "/dashboard/units/finance", "/dashboard/cases/XZ-2024-002"):
        r = httpx.get(base + path, timeout=30)
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login?next=%2Fdashboard%2F")
    r = httpx.get(base + "/dashboard/login", timeout=30)
    assert r.status_code == 200 and 'name="token"' in r.text and "访问令牌" in r.text
    assert 'name="viewport"' in r.text
    assert httpx.get(base + "/", timeout=30).headers["location"] == "/dashboard/"


def test_a_bad_token_is_refused_and_the_cookie_is_httponly_and_strict(dashboard: Any) -> None:
    base = dashboard.server.url
    r = httpx.post(base + "/dashboard/login", data={"token": "fxr_forged"}, timeout=30)
    assert r.status_code == 401 and "令牌无效" in r.text and "set-cookie" not in r.headers
    r = httpx.post(base + "/dashboard/login", data={"token": dashboard.tokens["justice"],
                                                    "next": "//evil.example/x"}, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/"  # no open redirect
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    r = httpx.post(base + "/dashboard/login", content=b"token=" + b"x" * 10_000,
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 413


def test_a_unit_sees_its_own_page_only(dashboard: Any, result: Any) -> None:
    base = dashboard.server.url
    with login(base, dashboard.tokens["urban_management"]) as unit:
        assert unit.get("/dashboard/units/urban_management" + Q).status_code == 200
        for path in ("/dashboard/units/finance", "/dashboard/units/justice"):
            r = unit.get(path + Q)
            assert r.status_code == 403 and "只能查看本单位" in r.text
        r = unit.get("/dashboard/" + Q)  # the overview is the office's: a unit is sent to its own page
        assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/units/urban_management")
        mine = {o.case_id for o in result.obligations if o.holder == "urban_management"}
        others = {o.case_id for o in result.obligations} - mine
        assert mine and others
        assert unit.get(f"/dashboard/cases/{sorted(mine)[0]}{Q}").status_code == 200
        r = unit.get(f"/dashboard/cases/{sorted(others)[0]}{Q}")
        assert r.status_code == 403 and sorted(others)[0] not in r.text
        assert unit.get("/dashboard/cases/no-such-case" + Q).status_code == 404
        r = unit.post("/dashboard/logout")
        assert r.status_code == 303 and "max-age=0" in r.headers["set-cookie"].lower()
        unit.cookies.clear()
        assert unit.get("/dashboard/units/urban_management").status_code == 303


def _table(html: str) -> dict[str, dict[str, str]]:
    rows = {}
    for key, body in re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', html, flags=re.S):
        rows[key] = dict(re.findall(r'data-col="([a-z_]+)">([^<]*)<', body))
    return rows


def test_the_overview_shows_the_reports_numbers(dashboard: Any, result: Any) -> None:
    from fuxian_rules.reports import build_report
    from fuxian_rules.reports.html import ECHARTS_SHA256

    engine = Engine(backend="reference")
    events = engine.validate([json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines()])[0]
    report = build_report(result, events, engine.catalog, period_from=date(2024, 1, 1), period_to=date(2024, 12, 31))
    engine.close()
    with login(dashboard.server.url, dashboard.tokens["justice"]) as office:
        r = office.get("/dashboard/" + Q)
        assert r.status_code == 200 and "府检联动工作看板" in r.text
        shown = _table(r.text)
        assert len(report.units) > 10
        for row in report.units:
            assert shown[row.key]["arisen"] == str(row.counts.arisen), row.key
            assert shown[row.key]["overdue"] == str(row.counts.overdue), row.key
            assert shown[row.key]["violated"] == str(row.counts.violated), row.key
        assert f"逾期未履行与违反禁止性规定事项（{len(report.breaches)} 项）" in r.text
        # ECharts comes once from the package, not inlined in every page.
        assert '<script src="/dashboard/vendor/echarts.min.js"></script>' in r.text and len(r.text) < 400_000
        js = office.get("/dashboard/vendor/echarts.min.js")
        assert js.status_code == 200 and "javascript" in js.headers["content-type"]
        assert hashlib.sha256(js.content).hexdigest() == ECHARTS_SHA256
        # Each rule links to the docs site the service serves itself (FUXIAN_DOCS_DIR).
        assert 'href="/site/generated/rules/' in r.text
        assert "规则文档" in office.get("/site/").text


def test_unit_and_case_pages(dashboard: Any, result: Any) -> None:
    with login(dashboard.server.url, dashboard.tokens["justice"]) as office:
        r = office.get("/dashboard/units/urban_management" + Q)
        assert r.status_code == 200 and "区城管局" in r.text and "近期到期提醒" in r.text and 'data-chart="area"' in r.text
        mine = [o for o in result.obligations if o.holder == "urban_management"]
        assert f"本期全部义务（{len(mine)} 项）" in r.text
        r = office.get("/dashboard/cases/staff:hj-school-01" + Q)
        assert r.status_code == 200 and "事件（" in r.text and "义务（" in r.text
        raw = [json.loads(line) for line in EVENTS.read_text(encoding="utf-8").splitlines()]
        persons = {e["data"]["person_id"] for e in raw if e["case_id"] == "staff:hj-school-01" and "person_id" in e["data"]}
        assert persons and not any(p in r.text for p in persons)  # no personal data on the page
        r = office.get("/dashboard/units/finance?as_of=yesterday")
        assert r.status_code == 422 and "as_of" in r.text


def test_pages_carry_a_content_security_policy_naming_the_one_inline_script(dashboard: Any) -> None:
    """Only this server's scripts and the chart set-up script (by its sha256) may run; no framing."""
    from fuxian_rules.reports.html import _chart_init

    expected = "'sha256-" + base64.b64encode(hashlib.sha256(_chart_init().encode("utf-8")).digest()).decode() + "'"
    with login(dashboard.server.url, dashboard.tokens["justice"]) as client:
        for path in ("/dashboard/login", "/dashboard/", "/dashboard/units/finance"):
            r = client.get(path, follow_redirects=True)
            assert r.status_code == 200, path
            csp = {d.split(" ")[0]: d.split(" ")[1:] for d in r.headers["content-security-policy"].split("; ")}
            assert csp["script-src"] == ["'self'", expected]
            assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] == ["'none'"]
            assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        page = client.get("/dashboard/").text
        assert page.count("<script>") == 1 and _chart_init() in page  # the hashed script is the one inline


def test_repeated_failed_logins_from_one_address_must_wait(tmp_path: Path) -> None:
    """After ten failed logins within five minutes an address gets 429 (with Retry-After), even with a good token."""
    from fuxian_rules.ledger import Ledger, create_token
    from ledger_support import Server

    url = f"sqlite:///{tmp_path / 'guard.sqlite3'}"
    with Engine(backend="reference") as engine:
        ledger = Ledger(url, engine)
        good = create_token(ledger, "justice", "office")[1]
        ledger.close()
    server = Server(url, tmp_path).start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            codes = [client.post("/dashboard/login", data={"token": f"fxr_guess{k}"}).status_code for k in range(10)]
            assert codes == [401] * 10
            r = client.post("/dashboard/login", data={"token": good})
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "分钟后再试" in r.text
            assert "set-cookie" not in r.headers
    finally:
        server.stop()
