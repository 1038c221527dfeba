"""The generated pages for legal staff, without a browser: each rule page lists only the properties quoting
its own clause (in Chinese, the test as code), the navigation names rules by their Chinese titles, diagrams
are drawn at their own size with 16 px text, and rule pages outrank the specification in search."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tools.docs import FRONT_RULE, FRONT_SPEC, MERMAID_INIT, generate

from fuxian_rules import load_catalog

CATALOG = load_catalog()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, list[dict[str, str]]]]]:
    out = tmp_path_factory.mktemp("docs") / "generated"
    return out, generate(out)


def test_rule_pages_list_only_their_own_properties_in_chinese(site: tuple[Path, object]) -> None:
    out, _ = site
    counts = []
    for rid, lr in CATALOG.rules.items():
        page = (out / "rules" / f"{rid}.md").read_text(encoding="utf-8")
        section = page.split("## 检验本规则的属性")[1]
        assert "\\`" not in section, f"{rid}: escaped backticks would show literally"
        items = [x for x in section.splitlines() if x.startswith("- ")]
        counts.append(len(items))
        for item in items:
            assert re.fullmatch(r"- (「[^」]+」（`[\w.:-]+`）；?)+<br>由属性测试 `test_spec_\w+\.py::test_\w+` 检验", item), item
            cited = re.findall(r"（`([\w.:-]+)`）", item)
            assert set(cited) <= set(lr.spec.basis), f"{rid}: a property of another clause"
    assert max(counts) <= 20, "a rule page lists every property of its area again"
    assert sum(1 for c in counts if c) >= 0.8 * len(counts)


def test_the_navigation_names_rules_by_their_chinese_titles(site: tuple[Path, list[dict[str, list[dict[str, str]]]]]
                                                          ) -> None:
    _, nav = site
    entries = {title: path for area in nav for rules in area.values() for entry in rules for title, path in entry.items()}
    for rid, lr in CATALOG.rules.items():
        assert entries[f"{lr.spec.title} · {rid}"] == f"generated/rules/{rid}.md"


def test_diagrams_are_drawn_readable_and_rule_pages_outrank_the_spec(site: tuple[Path, object]) -> None:
    out, _ = site
    page = (out / "rules" / "transfer.no-penalty-instead.md").read_text(encoding="utf-8")
    assert page.startswith(FRONT_RULE) and "boost: 4" in FRONT_RULE
    assert f"```mermaid\n{MERMAID_INIT}\nflowchart TD" in page
    assert '"useMaxWidth": false' in MERMAID_INIT and '"fontSize": "16px"' in MERMAID_INIT
    assert (out / "spec.md").read_text(encoding="utf-8").startswith(FRONT_SPEC) and "boost: 0.3" in FRONT_SPEC
    css = (Path(__file__).resolve().parents[2] / "docs" / "assets" / "extra.css").read_text(encoding="utf-8")
    assert ".md-typeset .mermaid { overflow-x: auto; }" in css
