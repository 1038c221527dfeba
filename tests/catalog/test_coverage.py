"""Coverage of the notice (src/fuxian_rules/_coverage.py, rules/coverage.yaml).

The suite fails if any clause or obligation-bearing sentence of the notice is unclassified, if a rule
cites a clause that does not exist, or if the coverage file claims something the catalogue contradicts.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fuxian_rules import Catalog, CatalogError, load_catalog
from fuxian_rules.catalog.coverage import CoverageRow, coverage_report, is_obligation_bearing, sentence_units
from fuxian_rules.cli.commands import main

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def rows(catalog: Catalog) -> list[CoverageRow]:
    return coverage_report(catalog)


def test_every_clause_and_obligation_sentence_is_classified(rows: list[CoverageRow]) -> None:
    gaps = [(r.label, r.text[:30]) for r in rows if r.status == "unclassified"]
    assert gaps == []


def test_every_clause_of_the_notice_has_a_row(catalog: Catalog, rows: list[CoverageRow]) -> None:
    assert [r.clause for r in rows if r.kind == "clause"] == catalog.notice.ids()
    for section in "12345":
        assert section in catalog.notice
    assert {"2.3.1", "2.3.2", "2.3.3", "3.15", "4.3", "5.3"} <= set(catalog.notice.ids())


def test_every_obligation_bearing_sentence_has_a_row(catalog: Catalog, rows: list[CoverageRow]) -> None:
    bearing = {(c.id, " ".join(s.split())) for c, s in sentence_units(catalog.notice) if is_obligation_bearing(s)}
    assert bearing <= {(r.clause, r.text) for r in rows if r.kind == "sentence"}
    assert len(bearing) >= 25


def test_every_rule_cites_existing_clauses_and_is_covered(catalog: Catalog, rows: list[CoverageRow]) -> None:
    covered = {rid for r in rows for rid in r.rules}
    for rid, lr in catalog.rules.items():
        cited = [c.removeprefix("notice:") for c in lr.spec.basis if c.startswith("notice:")]
        assert cited and all(c in catalog.notice for c in cited), rid
        assert rid in covered, rid


def test_every_area_of_the_notice_is_encoded(rows: list[CoverageRow]) -> None:
    status = {r.clause: r.status for r in rows if r.kind == "clause"}
    for clause in ("2.3.1", "2.3.2", "2.3.3", "3.2", "3.4", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12",
                   "3.13", "4.3", "5.1", "5.2", "5.3"):
        assert status[clause] == "encoded", clause
    assert all(r.reason for r in rows if r.status == "not machine-checkable")


def test_advisory_rows_are_permissions_and_encoded_rows_are_not(catalog: Catalog, rows: list[CoverageRow]) -> None:
    for r in rows:
        kinds = {catalog.rules[rid].spec.modality for rid in r.rules}
        if r.status == "advisory":
            assert kinds == {"permission"}, r
        elif r.status == "encoded":
            assert kinds - {"permission"}, r


@pytest.mark.parametrize(("sentence", "bearing"), [
    ("主管机关自收到检察意见书之日起两个月内将处理结果书面回复检察院。", True),
    ("联席会议每年至少召开一次全体会议。", True),
    ("政府相关部门可邀请检察院派员参加。", True),
    ("全面推进平安惠济建设。", False),
    ("对重大疑难事项,由联席会议办公室协调处理。", False),
    ("自接到报告之日起３日内作出决定。", True),
])
def test_obligation_bearing_sentences(sentence: str, bearing: bool) -> None:
    assert is_obligation_bearing(sentence) is bearing


# ---- the coverage file is checked ----------------------------------------------------------------

def _with(tmp_path: Path, old: str, new: str) -> Path:
    text = (RULES / "coverage.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "coverage.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "message"), [
    ("fragment: 联席会议每年至少召开一次全体会议", "fragment: 联席会议每月召开一次全体会议", "matches no sentence"),
    ('  "3.14":\n', '  "3.16": {status: encoded}\n  "3.14":\n', "no clause '3.16'"),
    ('  "3.7": {status: encoded}', '  "3.7": {status: not machine-checkable, reason: 目标}', "encode this"),
    ('  "3.7": {status: encoded}', '  "3.7": {status: advisory}', "are not permissions"),
    ('  "3.1":\n    status: not machine-checkable\n', '  "3.1":\n    status: encoded\n', "no rule cites this"),
    ('  "3.2": {status: encoded}', '  "3.2": {status: encoded, rules: [no.such-rule]}', "unknown rule"),
    ("status: not machine-checkable\n    reason: 总体要求：阐明机制的指导思想和目标，没有义务人、行为或期限。",
     "status: not machine-checkable", "needs a `reason`"),
    ("- {clause: \"2.3.2\", fragment: 联席会议每年至少召开一次全体会议, status: encoded}",
     "- {clause: \"2.3.2\", fragment: 联席会议每年至少召开一次全体会议, status: encoded}\n"
     "  - {clause: \"2.3.2\", fragment: 安排部署府检联动工作, status: encoded}", "classified twice"),
    ("- {clause: \"2.3.1\", fragment: 各成员单位指定人员担任联席会议联络员, status: encoded}",
     "- {clause: \"2.3\", fragment: 各成员单位指定人员担任联席会议联络员, status: encoded}", "belong to the sub-item"),
])
def test_false_claims_are_refused(catalog: Catalog, tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("`", ".")):
        coverage_report(catalog, _with(tmp_path, old, new))


def test_a_missing_entry_is_reported_as_a_gap(catalog: Catalog, tmp_path: Path) -> None:
    entry = ('  - {clause: "3.5", fragment: 探索司法办案、信访风险评估、矛盾化解同步推进工作机制, status: not machine-checkable,\n'
             '     reason: "“同步推进”描述有待探索的工作机制，不是某一单位在某一事件后须在一定时间内完成的行为。"}\n')
    path = _with(tmp_path, entry, "")
    gaps = [r for r in coverage_report(catalog, path) if r.status == "unclassified"]
    assert [(r.clause, r.kind) for r in gaps] == [("3.5", "sentence")]
    path = _with(tmp_path, '  "3.14":\n    status: not machine-checkable\n    reason: 普法和法治文化建设，属于持续性工作要求，'
                           '没有可由事件触发的具体行为或期限。\n', "")
    gaps = [r for r in coverage_report(catalog, path) if r.status == "unclassified"]
    assert [(r.clause, r.kind) for r in gaps] == [("3.14", "clause")]


# ---- the command ---------------------------------------------------------------------------------

def test_coverage_command_table() -> None:
    out = io.StringIO()
    assert main(["coverage"], out=out) == 0
    text = out.getvalue()
    assert "三（十一）" in text and "不可核验" in text
    assert "条款：已编码 " in text and "；句子：已编码 " in text


def test_coverage_command_json(rows: list[CoverageRow]) -> None:
    out = io.StringIO()
    assert main(["coverage", "--format", "json"], out=out) == 0
    data = json.loads(out.getvalue())
    assert len(data) == len(rows)
    assert {d["status"] for d in data} == {"encoded", "advisory", "not machine-checkable"}
    assert data[0] == {"clause": "1", "label": "一、", "kind": "clause", "text": "总体要求", "obligation_bearing": False,
                       "status": "not machine-checkable", "rules": [], "reason": rows[0].reason}


def test_every_sentence_of_the_notice_is_classified(rows: list[CoverageRow]) -> None:
    """Issue 10: each of the notice's sentences is marked, so "considered, no duty" differs from "skipped"."""
    catalog = load_catalog()
    sentences = [r for r in rows if r.kind == "sentence"]
    assert len(sentences) == len(sentence_units(catalog.notice)) == 89
    assert not [r.text for r in sentences if r.status == "unclassified"]
    assert all(r.reason or r.rules for r in sentences)


def test_the_notice_page_marks_every_sentence() -> None:
    """The docs' notice page shows a coverage note under every sentence (not only the obligation-bearing ones)."""
    from tools.docs import _Site

    from fuxian_rules.catalog.notice import normalise_text

    catalog = load_catalog()
    site = _Site(Path("/nonexistent-site"), catalog, None)
    unmarked = [(cid, s) for cid, sents in site.sentences.items() for s in sents
                if f"{cid}|{normalise_text(s)}" not in site.notes]
    assert sum(len(v) for v in site.sentences.values()) == 89
    assert unmarked == []
