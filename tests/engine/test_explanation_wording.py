"""The explanation a legal officer reads under every flag: no internal field names, no ISO timestamps, no
punctuation glitches — checked over every obligation the example histories and every scenario file raise."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from fuxian_rules import Engine, Obligation
from fuxian_rules.testing.plugin import load_scenarios

ROOT = Path(__file__).resolve().parents[2]
# An ASCII identifier with an underscore (a field, a code, a policy key); English words in Chinese brackets.
IDENT = re.compile(r"(?<![A-Za-z0-9_\-.:])[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+")
BRACKETED = re.compile(r"（\s*[A-Za-z_][A-Za-z_ ]*\s*）")
# Two sentence marks in a row ("。；", "：；", "。。", "；；", "，，" …), and field-speak.
GLITCH = re.compile(r"[。；：，、][。；：，、]|为 ?(?:true|false)\b|: ?(?:true|false)\b")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?")


@cache
def explained() -> list[tuple[str, set[str], Obligation]]:
    """(where, ids the caller chose, obligation) for every obligation of the examples and scenarios."""
    engine = Engine(backend="reference")
    out: list[tuple[str, set[str], Obligation]] = []
    for path in sorted((ROOT / "examples").glob("*.jsonl")):
        ids = set()
        for line in path.read_bytes().splitlines():
            try:
                event = json.loads(line)
            except ValueError:  # bad-events.jsonl: the engine rejects such lines
                continue
            ids |= {str(event.get(k)) for k in ("id", "case_id")} if isinstance(event, dict) else set()
        out += [(path.name, ids, o) for o in engine.evaluate_file(path, "2025-03-31").obligations]
    for path in sorted((ROOT / "rules").glob("*.scenarios.yaml")):
        for sc in load_scenarios(path):
            ids = {str(e.get(k)) for e in sc.events for k in ("id", "case_id") if isinstance(e, dict)}
            out += [(f"{path.name}: {sc.name}", ids, o) for o in engine.evaluate(sc.events, sc.as_of).obligations]
    return out


def _without_caller_ids(text: str, ids: set[str]) -> str:
    for i in sorted(ids, key=len, reverse=True):  # event and case ids are the caller's, shown as given
        text = text.replace(i, "〈id〉")
    return text


def test_the_histories_raise_most_rules() -> None:
    rules = {o.rule for _, _, o in explained()}
    assert len(explained()) > 1000
    assert len(rules) >= 0.9 * len(Engine(backend="reference").catalog.rules), "the check would see too little"


def test_no_field_names_in_the_chinese() -> None:
    found = {}
    for where, ids, o in explained():
        text = _without_caller_ids(o.explanation, ids)
        for m in [*IDENT.findall(text), *BRACKETED.findall(text)]:
            found.setdefault(m, f"{where} · {o.rule}")
    assert not found, found


def test_no_punctuation_glitches() -> None:
    found = {}
    for where, ids, o in explained():
        for m in GLITCH.finditer(_without_caller_ids(o.explanation, ids)):
            found.setdefault(m.group(0), f"{where} · {o.rule}: …{o.explanation[max(0, m.start() - 30):m.end() + 10]}…")
    assert not found, found


def test_dates_and_times_as_a_person_writes_them() -> None:
    found = {}
    for where, ids, o in explained():
        for m in ISO.finditer(_without_caller_ids(o.explanation, ids)):
            found.setdefault(m.group(0), f"{where} · {o.rule}")
    assert not found, found


@pytest.fixture(scope="module")
def history() -> dict[tuple[str, str], Obligation]:
    engine = Engine(backend="reference")
    return {(o.case_id, o.rule): o for o in engine.evaluate_file(ROOT / "examples" / "history.jsonl",
                                                                 "2025-03-31").obligations}


def _minor_report() -> Obligation:
    """立即 (policy: 24 hours) from a date-only discovery: from the end of 6 May, so due at 24:00 on 7 May."""
    engine = Engine(backend="reference")
    events = [{"id": "m", "type": "minor_harm_discovered", "case_id": "minor:1", "occurred_at": "2024-05-06",
               "data": {"unit": "education"}}]
    return next(o for o in engine.evaluate(events, "2024-06-30").obligations if o.rule == "minors.report")


def test_an_hour_period_ending_at_midnight_is_the_end_of_the_day_before() -> None:
    o = _minor_report()
    assert o.due == "2024-05-08T00:00:00+08:00"  # the JSON keeps ISO (contract §2)
    assert "届满：2024年5月7日 24时前" in o.explanation


def test_a_zero_hour_period_reads_before_or_at_the_act() -> None:
    engine = Engine(backend="reference")
    events = [{"id": "h", "type": "staff_hired", "case_id": "staff:k", "occurred_at": "2025-01-24",
               "data": {"unit": "k", "unit_kind": "kindergarten", "person_id": "P"}}]
    o = next(o for o in engine.evaluate(events, "2025-03-31").obligations if o.rule == "minors.hire-check")
    assert "0小时" not in o.explanation
    assert "发生之前或者发生之时" in o.explanation and "录用前或者录用时" in o.explanation
    assert "届满：2025年1月24日 24时前" in o.explanation


def test_policy_keys_are_not_shown_but_the_word_and_its_default_are() -> None:
    o = _minor_report()
    assert "“立即”无法定时限，采用部署政策的默认值" in o.explanation
    assert "immediately" not in o.explanation and "（immediately）" not in o.explanation
