"""三(十二)、四(三) 信息共享: the 12345 / 12309 双推送、双反馈 and data and case-file requests.

The notice gives no number: 同步 (push), 及时 (feedback) and 积极配合 (requests, reminded under 及时) map
to the deployment policy (rules/policy.yaml). Histories come from ``strategies.clue_cases``, whose
:class:`strategies.Duty` declarations the oracle (:func:`strategies.expect`) resolves.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine

CLAUSES = ["notice:3.12", "notice:4.3"]

FAR = "2031-12-31"


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


@st.composite
def clue_histories(draw: S.DrawFn) -> list[S.AreaCase]:
    return [draw(S.clue_cases(f"clue:C{i}")) for i in range(draw(st.integers(1, 4)))]


def triggered_rows(engine: Engine, events: list[dict[str, Any]], as_of: str) -> list[tuple[Any, ...]]:
    """Event-triggered obligations of the area (clues.liaison is a standing duty of case joint-meeting)."""
    result = engine.evaluate(events, as_of)
    assert result.rejected == []
    return sorted(S.row(o) for o in result.obligations if o.rule.startswith("clues.") and o.triggered_by)


@settings(max_examples=S.examples(100))
@given(data=st.data())
def test_every_push_and_feedback_duty_agrees_with_the_oracle(engine: Engine, data: st.DataObject) -> None:
    """Each clue received is pushed synchronously; each pushed clue is fed back promptly by its receiver.

    「12345政务热线对工作中收到的可能涉及损害国家利益、社会公共利益的热线举报线索,同步推送至检察机关」（notice:3.12）
    「区检察院12309服务中心对12345 政务热线受理中心推送的案件线索,依法履行监督职责,促进相关行政机关依法履职,并将办理情况及时反馈12345政务热线受理中心」（notice:3.12）
    「12309检察服务中心将收到的涉及相关政府部门的监督案件线索,同步推送至政府相关部门」（notice:3.12）
    「通过案件线索双推送、双反馈,确保投诉渠道畅通、处理答复及时」（notice:3.12）
    「区政务服务和大数据管理局对检察机关因办案需要的数据信息、政府相关部门对检察机关因办案需要调取行政执法案卷应积极配合」（notice:3.12）
    """
    cases = data.draw(clue_histories())
    events = [e for c in cases for e in c.events]
    as_of, at = S.as_of_near(data.draw, events, 50)
    got = triggered_rows(engine, list(data.draw(st.permutations(events))), as_of)
    want = sorted(S.expected_row(e) for c in cases for e in S.expect(c.duties, c.events, at))
    assert got == want


@settings(max_examples=S.examples(60))
@given(case=S.clue_cases())
def test_a_pushed_clue_is_owed_feedback_by_the_unit_it_concerns(engine: Engine, case: S.AreaCase) -> None:
    """A push to 12309, or to the department the clue concerns, creates one feedback duty for that receiver,
    due 及时 after the push; a push to a wrong department makes nobody overdue (issue 10, finding 13).

    「通过案件线索双推送、双反馈,确保投诉渠道畅通、处理答复及时」（notice:3.12）
    """
    result = engine.evaluate(case.events, FAR)
    days = S.policy_period("promptly").days
    assert days is not None
    feedback = [o for o in result.obligations
                if o.rule in ("clues.procuratorate-handle", "clues.department-feedback")]
    concerned = {S.data_of(e)["concerns_unit"] for e in case.events if e["type"] == "procuratorate_clue_received"}
    pushes = [e for e in case.events if e["type"] == "clue_pushed"
              and (S.data_of(e)["from"] == "hotline_12345" or S.data_of(e)["to"] in concerned)]
    assert sorted(o.triggered_by[0] for o in feedback) == sorted(p["id"] for p in pushes)
    for o in feedback:
        push = next(p for p in pushes if p["id"] == o.triggered_by[0])
        receiver = push["data"]["to"]
        assert o.holder == ("service_12309" if receiver == "procuratorate" else receiver)
        assert o.due == S.official_due(S.day_of(push) + timedelta(days=days)).text
        assert o.status in {"fulfilled", "fulfilled_late", "overdue"}


@settings(max_examples=S.examples(25))
@given(cases=clue_histories(), seed=st.integers(0, 2**16), as_of=st.sampled_from(["2025-06-30", FAR]))
def test_both_backends_agree_whatever_the_order(engine: Engine, durable_engine: Engine, cases: list[S.AreaCase],
                                                seed: int, as_of: str) -> None:
    """Reference and durable_rules agree on every clue history, in any order of delivery.

    「12345政务热线对工作中收到的可能涉及损害国家利益、社会公共利益的热线举报线索,同步推送至检察机关」（notice:3.12）
    """
    events = [e for c in cases for e in c.events]
    S.assert_order_free_and_backends_agree(engine, durable_engine, events, as_of, seed)
