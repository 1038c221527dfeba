"""The built site in headless Chromium, offline: a rule page shows its clause, its Mermaid diagram renders
from the vendored mermaid.js, and Material's search finds Chinese terms.

Material draws each diagram inside a *closed* shadow root, which ``--dump-dom`` does not serialise, so the
diagram is checked over the DevTools protocol (``--remote-debugging-pipe``; ``DOM.getDocument`` with
``pierce`` sees closed shadow roots). Every host but 127.0.0.1 is unresolvable for the browser, so nothing
can come from a CDN. A screenshot of the rule page is left in ``site/`` for review.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser_support import BROWSER, FLAGS, DevTools

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
RULE = "transfer.no-penalty-instead"

pytestmark = pytest.mark.skipif(
    BROWSER is None or importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="needs chromium, mkdocs and mkdocs-material (apt-get install chromium; pip install -e '.[docs]')")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(SITE)], cwd=ROOT,
                           capture_output=True, text=True, timeout=300, check=False,
                           env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert build.returncode == 0, build.stderr[-3000:]
    server = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                               "--directory", str(SITE)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        port = re.search(r"port (\d+)", server.stdout.readline())
        assert port, "http.server did not report its port"
        yield f"http://127.0.0.1:{port.group(1)}/"
    finally:
        server.terminate()
        server.wait(10)
        assert server.stdout is not None
        server.stdout.close()


def _chromium(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run([str(BROWSER), *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                             text=True, timeout=90, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


class _DevTools(DevTools):
    """The shared DevTools client (tests/browser_support.py), with a tall window and a plain ``open``."""

    def __init__(self) -> None:
        super().__init__("--window-size=1280,2000")

    def open(self, url: str, until: str) -> Any:  # type: ignore[override]
        """Navigate, then poll the JavaScript expression ``until`` until it is truthy (or 20 s pass)."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            value = self.eval(until)
            if value:
                return value
            time.sleep(0.1)
        return None


@pytest.fixture(scope="module")
def devtools() -> Iterator[_DevTools]:
    client = _DevTools()
    try:
        yield client
    finally:
        client.close()


def _mermaid_svgs(node: dict[str, Any]) -> int:
    """Count ``<svg>`` elements inside the shadow roots of ``.mermaid`` hosts (closed ones included)."""
    attrs = dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2], strict=True))
    found = 0
    if "mermaid" in attrs.get("class", "").split():
        found += sum(c["nodeName"].lower() == "svg" for r in node.get("shadowRoots", []) for c in r.get("children", []))
    return found + sum(_mermaid_svgs(c) for c in [*node.get("children", []), *node.get("shadowRoots", [])])


def test_rule_page_shows_the_clause(base_url: str) -> None:
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", f"{base_url}generated/rules/{RULE}/")
    text = re.sub(r"<[^>]+>", "", dom)
    assert "杜绝有案不立、有案不移和以罚代刑等乱象" in text  # the notice's words, verbatim
    assert "行政执法机关对应当向公安机关移送的涉嫌犯罪案件，不得以行政处罚代替移送。" in text  # transfer-reg:11
    assert "XZ-2024-003" in text  # the worked example


def test_mermaid_renders_offline_and_screenshot(base_url: str, devtools: _DevTools) -> None:
    url = f"{base_url}generated/rules/{RULE}/"
    assert devtools.open(url, "document.querySelectorAll('div.mermaid').length > 0 && !document.querySelector"
                              "('pre.mermaid')"), "the diagram was not rendered (is mermaid.js vendored?)"
    assert _mermaid_svgs(devtools.call("DOM.getDocument", depth=-1, pierce=True)["root"]) >= 1
    shot = SITE / "generated" / "rules" / RULE / "screenshot-rule.png"
    _chromium("--virtual-time-budget=5000", "--window-size=1280,2000", f"--screenshot={shot}", url)
    assert shot.stat().st_size > 20_000


@pytest.mark.parametrize(("query", "page"), [("以罚代刑", RULE), ("检察意见", "transfer.procuratorial-opinion")])
def test_material_search_finds_chinese_terms(base_url: str, devtools: _DevTools, query: str, page: str) -> None:
    links = devtools.open(f"{base_url}?q={urllib.parse.quote(query)}", "[...document.querySelectorAll("
                          "'.md-search-result__item > a')].map(a => a.getAttribute('href'))")
    assert links, f"no search results for {query}"
    assert any(f"/generated/rules/{page}/" in link for link in links), links[:10]


# ---- for legal staff at 100 % on a 1366×768 screen ------------------------------------------------------
SHOTS = SITE / "screenshots"  # kept for review


def _screen(devtools: _DevTools, width: int = 1366, height: int = 768) -> None:
    devtools.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=False)


def _shot(devtools: _DevTools, name: str) -> Path:
    import base64

    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    path.write_bytes(base64.b64decode(devtools.call("Page.captureScreenshot", format="png")["data"]))
    return path


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in [*node.get("children", []), *node.get("shadowRoots", []), *([node["contentDocument"]]
                                                                             if "contentDocument" in node else [])]:
        yield from _walk(child)


def _attrs(node: dict[str, Any]) -> dict[str, str]:
    return dict(zip(node.get("attributes", [])[::2], node.get("attributes", [])[1::2], strict=True))


def test_diagram_text_is_readable_at_100_percent(base_url: str, devtools: _DevTools) -> None:
    """Every label of the flow diagram is drawn at 12 px or more on the screen (the SVG is not shrunk)."""
    _screen(devtools)
    url = f"{base_url}generated/rules/{RULE}/"
    assert devtools.open(url, "document.querySelectorAll('div.mermaid').length > 0 && !document.querySelector"
                              "('pre.mermaid')"), "the diagram was not rendered"
    devtools.call("DOM.enable")
    devtools.call("CSS.enable")
    root = devtools.call("DOM.getDocument", depth=-1, pierce=True)["root"]
    svgs = [n for n in _walk(root) if n.get("nodeName", "").lower() == "svg" and "viewBox" in _attrs(n)
            and "flowchart" in _attrs(n).get("aria-roledescription", "")]
    assert svgs, "no diagram svg found"
    sizes = []
    for svg in svgs:
        box = devtools.call("DOM.getBoxModel", nodeId=svg["nodeId"])["model"]
        view_width = float(_attrs(svg)["viewBox"].split()[2])
        scale = box["width"] / view_width
        labels = [n for n in _walk(svg) if "nodeLabel" in _attrs(n).get("class", "").split()
                  or "edgeLabel" in _attrs(n).get("class", "").split() or n.get("nodeName", "").lower() == "text"]
        assert labels, "the diagram has no labels"
        for label in labels:
            style = devtools.call("CSS.getComputedStyleForNode", nodeId=label["nodeId"])["computedStyle"]
            font = next(float(p["value"].removesuffix("px")) for p in style if p["name"] == "font-size")
            sizes.append(font * scale)
    devtools.call("Runtime.evaluate", expression="document.querySelector('div.mermaid').scrollIntoView()")
    _shot(devtools, "diagram-1366x768.png")
    assert min(sizes) >= 12, f"diagram text drawn at {min(sizes):.1f} px (labels: {len(sizes)})"


def test_navigation_lists_chinese_titles_with_ids_beside(base_url: str, devtools: _DevTools) -> None:
    from fuxian_rules.catalog.loader import load_catalog

    _screen(devtools)
    links = devtools.open(f"{base_url}generated/rules/{RULE}/", "[...document.querySelectorAll('.md-nav__link')]"
                          ".map(a => a.textContent.replace(/\\s+/g, ' ').trim())")
    assert links
    for rid, lr in load_catalog().rules.items():
        assert f"{lr.spec.title} · {rid}" in links, f"{rid} is not listed by its Chinese title"
    _shot(devtools, "navigation-1366x768.png")


def test_the_first_search_hit_for_a_legal_term_is_a_rule_page(base_url: str, devtools: _DevTools) -> None:
    _screen(devtools)
    links = devtools.open(f"{base_url}?q={urllib.parse.quote('检察意见')}", "[...document.querySelectorAll("
                          "'.md-search-result__item > a')].map(a => a.getAttribute('href'))")
    assert links, "no search results"
    assert "/generated/rules/" in links[0], f"first hit {links[0]} is not a rule page: {links[:5]}"
    _shot(devtools, "search-jianchayijian-1366x768.png")


def test_rule_pages_show_their_own_properties_in_chinese(base_url: str) -> None:
    dom = _chromium("--virtual-time-budget=5000", "--dump-dom", f"{base_url}generated/rules/transfer.decide/")
    section = dom.split("检验本规则的属性")[-1]  # the section itself, not its entry in the table of contents
    assert "`" not in re.sub(r"<[^>]+>", "", section), "literal backticks instead of code"
    assert "<code>test_spec_transfer.py::test_the_head_decides_within_three_days_of_the_report</code>" in section
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    assert 0 < len(items) <= 12, len(items)
    assert all("由属性测试" in i for i in items)
    assert "calendar is the official schedule" not in section  # no English, no calendar-wide properties
