"""Rule-file checks: every bad rule file fails to load with file:line, the field and a hint."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fuxian_rules import CatalogError, PolicyError, load_catalog
from fuxian_rules.catalog.loader import default_rules_dir

GOOD_RULE = """\
version: 1
area: demo
title: 演示
clauses: ["notice:3.11"]
rules:
  - id: demo.reply
    title: 主管机关应当两个月内书面回复
    modality: obligation
    basis: ["notice:3.11"]
    text: 主管机关自收到检察意见书之日起两个月内将处理结果或者办理情况书面回复检察院
    valid_from: 2024-01-19
    trigger: {event: procuratorial_opinion_received}
    holder: {field: unit}
    period: {months: 2}
    closed_by:
      - {event: opinion_reply_sent, match: {opinion_id: opinion_id}}
"""


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("*.scenarios.yaml", "*.py"))
    for f in root.glob("*.yaml"):
        if f.name not in {"vocabulary.yaml", "units.yaml", "citations.yaml", "policy.yaml"}:
            f.unlink()
    (root / "demo.yaml").write_text(GOOD_RULE, encoding="utf-8")
    return root


def test_bundled_catalogue_loads() -> None:
    cat = load_catalog()
    assert "transfer.send" in cat.rules
    assert len(cat.sha256) == 64


def test_good_demo_loads(rules_dir: Path) -> None:
    assert list(load_catalog(rules_dir).rules) == ["demo.reply"]


@pytest.mark.parametrize(
    ("old", "new", "line", "needle"),
    [
        ("    period: {months: 2}", "    period: {months: 2}\n    priority: 1", 15, "Extra inputs"),
        ("{event: procuratorial_opinion_received}", "{event: procuratorial_opinion_recieved}", 12, "did you mean"),
        ("{months: 2}", "{months: 2, days: 3}", 14, "exactly one"),
        ("{months: 2}", "{months: -1}", 14, "greater than or equal"),
        ('["notice:3.11"]\n    text', '["notice:3.11", "transfer-reg:99"]\n    text', 9, "unknown citation"),
        ('["notice:3.11"]\n    text', '["notice:3.99"]\n    text', 9, "no clause"),
        ("两个月内将处理结果", "三个月内将处理结果", 10, "verbatim"),
        ("{field: unit}", "{field: agency}", 13, "no field 'agency'"),
        ("{field: unit}", "{unit: no_such_unit}", 13, "unknown unit"),
        ("match: {opinion_id: opinion_id}", "match: {opinion_ids: opinion_id}", 16, "no field"),
        ("{event: procuratorial_opinion_received}",
         "{event: procuratorial_opinion_received, where: {unit: {between: [1, 2]}}}", 12, "condition"),
        ("    modality: obligation", "    modality: duty", 8, "modality"),
        ("    valid_from: 2024-01-19", "    valid_from: 2024-01-19\n    valid_to: 2023-01-01", 6, "valid_to"),
    ],
)
def test_rule_file_errors_name_file_line_and_field(
    rules_dir: Path, old: str, new: str, line: int, needle: str
) -> None:
    path = rules_dir / "demo.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(rules_dir)
    err = info.value
    assert err.file is not None and err.file.endswith("demo.yaml")
    assert err.line == line, str(err)
    assert needle in str(err)


def test_duplicate_ids_across_files(rules_dir: Path) -> None:
    (rules_dir / "demo2.yaml").write_text(GOOD_RULE.replace("area: demo", "area: demo2"), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"duplicate rule id 'demo\.reply'") as info:
        load_catalog(rules_dir)
    assert info.value.line == 6  # the rule's line (one below where it was before rule files had a version)


def test_duplicate_keys_and_anchors(rules_dir: Path) -> None:
    path = rules_dir / "demo.yaml"
    path.write_text(GOOD_RULE.replace("    modality: obligation", "    modality: obligation\n    modality: permission"),
                    encoding="utf-8")
    with pytest.raises(CatalogError, match="duplicate key"):
        load_catalog(rules_dir)
    path.write_text("a: &x [1, 2]\nb: *x\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="anchors"):
        load_catalog(rules_dir)


def test_dangling_and_cyclic_escalations(rules_dir: Path) -> None:
    path = rules_dir / "demo.yaml"
    path.write_text(GOOD_RULE + "    escalates_to: [demo.nowhere]\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"unknown rule 'demo\.nowhere'"):
        load_catalog(rules_dir)
    second = GOOD_RULE.split("rules:\n", 1)[1].replace("demo.reply", "demo.again").replace(
        "trigger: {event: procuratorial_opinion_received}", "trigger: {escalated: true}")
    cyclic = (GOOD_RULE.replace("trigger: {event: procuratorial_opinion_received}", "trigger: {escalated: true}")
              + "    escalates_to: [demo.again]\n" + second + "    escalates_to: [demo.reply]\n")
    path.write_text(cyclic, encoding="utf-8")
    with pytest.raises(CatalogError, match="cyclic"):
        load_catalog(rules_dir)


def test_bad_policy_file(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("version: 1\nterms:\n  promptly:\n    word: 及时\n    period: {days: 3, hours: 2}\n    reason: 本地规定\n",
                   encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_catalog(policy=bad)
    assert info.value.line == 5
    bad.write_text("version: 1\nterms:\n  soonish:\n    word: 尽快\n    period: {days: 3}\n    reason: 本地规定\n",
                   encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown policy term"):
        load_catalog(policy=bad)


def test_policy_override_changes_due_and_receipt(tmp_path: Path) -> None:
    from fuxian_rules import Engine

    custom = tmp_path / "policy.yaml"
    custom.write_text("version: 1\nterms:\n  immediately:\n    word: 立即\n    period: {hours: 4}\n"
                      "    reason: 本区规定四小时内\n", encoding="utf-8")
    events = [{"id": "1", "type": "minor_harm_discovered", "case_id": "c", "occurred_at": "2024-03-04T09:00:00+08:00",
               "data": {"unit": "health"}}]
    default = Engine(backend="reference").evaluate(events, as_of="2024-03-04")
    local = Engine(backend="reference", policy=custom).evaluate(events, as_of="2024-03-04")
    d = {o.rule: o for o in default.obligations}["minors.report"]
    loc = {o.rule: o for o in local.obligations}["minors.report"]
    assert (d.due, d.status) == ("2024-03-05T09:00:00+08:00", "open")
    assert (loc.due, loc.status) == ("2024-03-04T13:00:00+08:00", "overdue")
    assert "本区规定四小时内" in loc.explanation
    assert default.receipt.policy_sha256 != local.receipt.policy_sha256
    assert default.receipt.catalog_sha256 != local.receipt.catalog_sha256
