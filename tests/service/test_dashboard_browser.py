"""The dashboard in real headless Chromium against the real service: log in, the overview, a unit's page.

At an office screen (1366×768) and a phone (390 px wide): the charts render (an ``<svg>`` in each chart
container, with its Chinese title), Chinese text is visible, no console error or uncaught exception, no
sideways scrolling of the page. The browser resolves no host name, so ECharts can only come from the
service. Screenshots are kept in build/dashboard/ (not committed) for review.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_support import BROWSER, DevTools

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "build" / "dashboard"
VIEWPORTS = {"1366x768": (1366, 768, False), "phone": (390, 844, True)}
Q = "?as_of=2024-12-31&from=2024-01-01&to=2024-12-31"
CHARTS_READY = ("[...document.querySelectorAll('[data-chart]')].length > 0 && [...document.querySelectorAll("
                "'[data-chart]')].every(el => el.getAttribute('data-rendered') === '1' && el.querySelector('svg'))")

pytestmark = pytest.mark.skipif(BROWSER is None, reason="needs chromium (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser(dashboard: Any) -> Iterator[DevTools]:
    client = DevTools()
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        yield client
    finally:
        client.close()


def _login(devtools: DevTools, base: str, token: str, width: int, height: int, mobile: bool) -> None:
    """Log in through the form, as a clerk does; the next page is the role's home."""
    assert devtools.open(f"{base}/dashboard/login", width, height, mobile, "!!document.getElementById('token')")
    devtools.eval(f"document.getElementById('token').value = {token!r}; document.querySelector('form').submit()")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "/login" in str(devtools.eval("location.pathname")):
        time.sleep(0.2)
    assert "/login" not in str(devtools.eval("location.pathname"))
    assert devtools.eval("document.cookie") == ""  # HttpOnly: the page's scripts cannot read the session


def _logout(devtools: DevTools) -> None:
    devtools.eval("document.querySelector('form[action$=\"/logout\"]').submit()")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not str(devtools.eval("location.pathname")).endswith("/login"):
        time.sleep(0.2)
    assert devtools.eval("!!document.getElementById('token')")


def _check_page(devtools: DevTools, url: str, width: int, height: int, mobile: bool, titles: list[str],
                shot: str) -> str:
    assert devtools.open(url, width, height, mobile, CHARTS_READY), f"charts did not render on {url}"
    texts = devtools.eval("[...document.querySelectorAll('[data-chart]')].map(el => "
                          "[...el.querySelectorAll('svg text')].map(t => t.textContent).join(' '))")
    for title in titles:
        assert any(title in t for t in texts), title
    body = str(devtools.eval("document.body.innerText"))
    assert devtools.eval("document.documentElement.scrollWidth") <= width + 1  # no sideways page scroll
    time.sleep(0.3)
    devtools.eval("1")  # drain pending console events
    assert devtools.errors == []
    devtools.screenshot(OUT / f"{shot}.png")
    assert (OUT / f"{shot}.png").stat().st_size > 20_000
    return body


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_office_logs_in_and_sees_the_overview_and_a_unit(browser: DevTools, dashboard: Any,
                                                             viewport: str) -> None:
    width, height, mobile = VIEWPORTS[viewport]
    base = dashboard.server.url
    _login(browser, base, dashboard.tokens["justice"], width, height, mobile)
    body = _check_page(browser, f"{base}/dashboard/{Q}", width, height, mobile,
                       ["各单位按期履行率", "各条款领域逾期与违反情况", "逐月趋势"], f"overview-{viewport}")
    assert "府检联动工作看板" in body and "各单位情况" in body and "区城管局" in body and "退出登录" in body
    browser.eval("document.getElementById('chart-area').scrollIntoView(); window.scrollBy(0, -8)")
    time.sleep(0.3)
    browser.screenshot(OUT / f"overview-{viewport}-charts.png")
    body = _check_page(browser, f"{base}/dashboard/units/urban_management{Q}", width, height, mobile,
                       ["各条款领域逾期与违反情况", "逐月趋势"], f"unit-{viewport}")
    assert "区城管局" in body and "近期到期提醒" in body and "本期全部义务" in body
    _logout(browser)
    assert browser.open(f"{base}/dashboard/{Q}", width, height, mobile, "!!document.getElementById('token')")


def test_a_unit_logs_in_to_its_own_page(browser: DevTools, dashboard: Any) -> None:
    width, height, mobile = VIEWPORTS["phone"]
    base = dashboard.server.url
    _login(browser, base, dashboard.tokens["urban_management"], width, height, mobile)
    assert "/dashboard/units/urban_management" in str(browser.eval("location.pathname"))
    assert browser.open(f"{base}/dashboard/units/finance{Q}", width, height, mobile,
                        "document.readyState === 'complete'")
    assert "只能查看本单位" in str(browser.eval("document.body.innerText"))
    browser.screenshot(OUT / "unit-forbidden-phone.png")
    assert browser.open(f"{base}/dashboard/units/urban_management{Q}", width, height, mobile, CHARTS_READY)
    _logout(browser)
    browser.screenshot(OUT / "login-phone.png")
