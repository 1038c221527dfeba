"""The documentation site: generated pages, the strict mkdocs build, and Chinese search in the built index."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tools.docs import NO_PROPERTIES, generate

from fuxian_rules import load_catalog
from fuxian_rules.catalog.notice import normalise_text

ROOT = Path(__file__).resolve().parents[2]
TRIM = re.compile(r"^[^\w\u4e00-\u9fa5]+|[^\w\u4e00-\u9fa5]+$")  # lunr's zh + en trimmer
CATALOG = load_catalog()


def _plain(markdown: str) -> str:
    """Page text as a reader sees it: no markup, escapes or line breaks; punctuation width folded."""
    text = re.sub(r"</?mark>|<br>|^> ", "", markdown, flags=re.M)
    return normalise_text(re.sub(r"\\(.)", r"\1", text).replace("&lt;", "<").replace("&amp;", "&"))


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs") / "generated"
    generate(out)
    return out


def test_a_page_per_rule_with_verbatim_clause_and_quotes(generated: Path) -> None:
    for rid, lr in CATALOG.rules.items():
        page = (generated / "rules" / f"{rid}.md").read_text(encoding="utf-8")
        plain = _plain(page)
        assert normalise_text(lr.spec.text) in plain, rid
        assert "<mark>" in page, f"{rid}: the encoded words are not highlighted"
        for cit in lr.spec.basis:
            source = CATALOG.notice.clauses[cit[7:]].text if cit.startswith("notice:") else CATALOG.citations[cit]["text"]
            assert normalise_text(source) in plain, f"{rid}: {cit} is not quoted in full"
        for cit, quote in lr.spec.quotes.items():
            assert normalise_text(quote) in plain, f"{rid}: quote of {cit}"
        for heading in ("## 规则释义", "## 流程图", "```mermaid", "## 所用部署政策", "## 示例（实际输出）", "## 检验本规则的属性"):
            assert heading in page, f"{rid}: {heading}"


def test_rule_pages_show_the_engines_actual_output(generated: Path) -> None:
    page = (generated / "rules" / "transfer.no-penalty-instead.md").read_text(encoding="utf-8")
    # report filed, no decision within 3 days, then a penalty: 以罚代刑 on recorded facts alone (issue 10)
    assert "| XZ-2024-003 | 区城管局 | 违反 `violated` | 2024-05-09 |" in page
    assert '"id": "x3-2"' in page  # the case's input events
    assert "已违反" in page  # the engine's explanation
    assert "“立即”" in (generated / "rules" / "transfer.report.md").read_text(encoding="utf-8")
    props = (generated / "rules" / "transfer.report.md").read_text(encoding="utf-8")
    assert NO_PROPERTIES in props or "## 检验本规则的属性\n\n- " in props


def test_notice_sentences_and_rules_link_both_ways(generated: Path) -> None:
    notice = (generated / "notice.md").read_text(encoding="utf-8")
    anchors = set(re.findall(r"\{[:#] ?#?([\w-]+)", notice)) | set(re.findall(r"\{#(clause-[\w-]+)\}", notice))
    for rid in CATALOG.rules:
        page = (generated / "rules" / f"{rid}.md").read_text(encoding="utf-8")
        targets = re.findall(r"\(\.\./notice\.md#([\w-]+)\)", page)
        assert targets and set(targets) <= anchors, rid
        assert f"](rules/{rid}.md)" in notice, f"the notice page does not link to {rid}"
    page = (generated / "rules" / "transfer.no-penalty-instead.md").read_text(encoding="utf-8")
    sentence = re.search(r"\(\.\./notice\.md#(s-3-13-\d+)\)", page)
    assert sentence, "以罚代刑 lies in 三（十三）: the rule must link to that sentence"
    block = notice.split(f"#{sentence.group(1)} ")[1].split("\n\n")[1]
    assert "rules/transfer.no-penalty-instead.md" in block


def test_generation_is_stable_and_prunes_stale_pages(generated: Path) -> None:
    before = {p: p.stat().st_mtime_ns for p in generated.rglob("*.md")}
    (generated / "rules" / "gone.rule.md").write_text("stale", encoding="utf-8")
    generate(generated)
    assert not (generated / "rules" / "gone.rule.md").exists()
    assert {p: p.stat().st_mtime_ns for p in generated.rglob("*.md")} == before  # mkdocs serve would loop otherwise


def test_a_foreign_folder_is_never_pruned(tmp_path: Path) -> None:
    (tmp_path / "mine.md").write_text("keep", encoding="utf-8")
    generate(tmp_path, history=None)
    assert (tmp_path / "mine.md").read_text(encoding="utf-8") == "keep"


# ---- the built site (needs mkdocs and mkdocs-material) -------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None:
        pytest.skip("mkdocs / mkdocs-material not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    run = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                          "-d", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert run.returncode == 0, run.stderr[-3000:]
    assert not re.search(r"^WARNING\b", run.stderr, re.M), run.stderr[-3000:]
    return out


def test_mkdocs_strict_build(site: Path) -> None:
    assert (site / "generated" / "rules" / "transfer.no-penalty-instead" / "index.html").is_file()
    assert (site / "assets" / "vendor" / "mermaid" / "mermaid.min.js").is_file()
    html = (site / "generated" / "rules" / "transfer.no-penalty-instead" / "index.html").read_text(encoding="utf-8")
    assert '<pre class="mermaid"><code>' in html
    assert "unpkg.com" not in html and "fonts.googleapis" not in html  # nothing from the internet


def _segment(query: str, terms: set[str]) -> list[str]:
    """Port of Material 9's ``segment`` (search worker): how a Chinese query is cut into index terms."""
    n, cuts = len(query), [0] * len(query)
    for i in range(n):
        for j in range(i + 1, n):
            if query[i:j] in terms:
                cuts[i] = j - i
    out, stack = [], [0]
    while stack:
        p = stack.pop()
        for q in range(1, cuts[p]):
            if cuts[p + q] > cuts[p] - q:
                out.append(query[p:p + q])
                stack.append(p + q)
        q = p + cuts[p]
        if q < n - 1 and cuts[q]:
            stack.append(q)
        out.append(query[p:q])
    return [query] if "" in out else out


@pytest.mark.parametrize(("query", "pages"), [
    ("以罚代刑", ["generated/rules/transfer.no-penalty-instead/"]),
    ("检察意见", ["generated/rules/transfer.procuratorial-opinion/", "generated/rules/reverse.opinion/"]),
    ("不予立案", ["generated/rules/transfer.non-filing-reasons/"]),
    ("调休", ["periods/"]),
])
def test_chinese_search_finds_the_right_page(site: Path, query: str, pages: list[str]) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert {"zh", "zh_title"} <= set(index["config"]["fields"])
    separator = re.compile(index["config"]["separator"])  # Python re understands its \\uXXXX escapes too
    terms = {t for doc in index["docs"] for f in ("zh", "zh_title") for t in doc[f].split()}
    for doc in index["docs"]:  # the text field's terms, as lunr makes them (split, then trimmed)
        terms |= {TRIM.sub("", t) for t in separator.split(re.sub(r"<[^>]+>", " ", doc["text"]))} - {""}
    assert _segment(query, terms) == [query], "Material would split the query instead of searching it whole"
    hits = {doc["location"].split("#")[0] for doc in index["docs"] if any(t.startswith(query) for t in doc["zh"].split())}
    for page in pages:
        assert page in hits, f"{query} does not find {page}"
    pages_total = {d["location"].split("#")[0] for d in index["docs"]}
    # every rule page quoting 三(十一) in full contains these phrases, so "not most" is 3/4 of the pages
    assert len(hits) < len(pages_total) * 3 / 4, "a phrase query must not match nearly every page (per-character does)"
