"""二、五 联席会议制度与工作保障: the yearly plenary meeting, its chair, membership changes and key tasks.

Yearly and standing duties of the mechanism need no trigger event and appear in every result (case
``joint-meeting``): properties filter by rule. Histories come from ``strategies.joint_meetings``,
``task_cases`` and ``membership_cases``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine
from helpers import of_rule

CLAUSES = ["notice:2.3.2", "notice:2.3.3", "notice:5.2", "notice:5.3"]

FAR = "2031-12-31"
J = S.JOINT_MEETING


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


# ---- 二(三)2 全体会议 -------------------------------------------------------------------------------------


@settings(max_examples=S.examples(80))
@given(meetings=S.joint_meetings(), as_of=st.dates(S.VALID_FROM, date(2028, 6, 30)))
def test_every_year_without_a_proper_plenary_meeting_is_overdue_once_it_ends(engine: Engine,
                                                                           meetings: list[dict[str, Any]],
                                                                           as_of: date) -> None:
    """One duty per calendar year from 2024, due 31 December; met only by a plenary meeting of that year
    chaired by the convener or by a deputy the convener entrusted; a meeting of the next year does not count.

    「联席会议每年至少召开一次全体会议,由召集人或召集人委托常务副召集人、副召集人主持」（notice:2.3.2）
    """
    found = of_rule(engine, meetings, as_of.isoformat(), "mechanism.plenary-meeting")
    assert sorted(o.due or "" for o in found) == [f"{y}-12-31" for y in range(2024, as_of.year + 1)]
    for o in found:
        assert (o.case_id, o.holder, o.modality, o.triggered_by) == (J, "convener", "obligation", [])
        year = int((o.due or "")[:4])
        counting = sorted((m for m in meetings if S.day_of(m).year == year and S.day_of(m) <= as_of
                           and S.counts_as_plenary(m)), key=S.order_key)
        if counting:
            assert (o.status, o.closed_by) == ("fulfilled", [counting[0]["id"]])
        else:
            assert o.status == ("overdue" if date(year, 12, 31) < as_of else "open"), (year, as_of)


@settings(max_examples=S.examples(40))
@given(meetings=S.joint_meetings())
def test_a_plenary_meeting_chaired_by_an_unentrusted_deputy_is_a_violation(engine: Engine,
                                                                          meetings: list[dict[str, Any]]) -> None:
    """A deputy may chair the plenary meeting only when the convener entrusted it; otherwise violated.

    「由召集人或召集人委托常务副召集人、副召集人主持」（notice:2.3.2）
    """
    found = of_rule(engine, meetings, FAR, "mechanism.plenary-chair")
    deputies = [m for m in meetings if m["data"]["plenary"] and m["data"]["chair"] != "convener"]
    want = [m["id"] for m in deputies if m["data"].get("entrusted") is False]  # recorded as not entrusted
    assert sorted(o.triggered_by[0] for o in found) == sorted(want)
    assert all(o.status == "violated" and o.modality == "prohibition" for o in found)
    # a record silent on the entrustment is a review item for the office, never a violation (issue 10)
    review = of_rule(engine, meetings, FAR, "mechanism.plenary-chair-review")
    assert sorted(o.triggered_by[0] for o in review) == sorted(m["id"] for m in deputies if "entrusted" not in m["data"])
    assert all(o.status == "advisory" and o.holder == "justice" for o in review)


# ---- 五(二)(三) 重点工作任务 ---------------------------------------------------------------------------------


@settings(max_examples=S.examples(80))
@given(case=S.task_cases(), after=st.integers(-5, 30))
def test_a_task_is_due_exactly_on_its_completion_date(engine: Engine, case: S.AreaCase, after: int) -> None:
    """The task's obligation is due on the completion date the list fixed (not moved); a breach raises supervision.

    「联席会议办公室制定府检联动年度工作要点,确定重点工作任务清单,明确责任单位和完成期限」（notice:5.2）
    「联席会议办公室适时对各成员单位落实年度重点工作任务清单、执行联席会议决议或纪要等工作情况进行督导检查、考核通报」（notice:5.3）
    """
    due: date = case.facts["due"]
    as_of = max(due + timedelta(days=after), S.day_of(case.events[0]))
    result = engine.evaluate(case.events, as_of.isoformat())
    assert result.rejected == []
    tasks = [o for o in result.obligations if o.rule == "mechanism.task"]
    assert len(tasks) == 1
    o = tasks[0]
    assert (o.due, o.holder, o.case_id) == (due.isoformat(), case.facts["unit"], case.case_id)
    done = case.facts["completion"]
    visible = done is not None and S.day_of(done) <= as_of
    if visible and S.day_of(done) <= due:
        want = "fulfilled"
    elif visible:
        want = "fulfilled_late"
    else:
        want = "overdue" if as_of > due else "open"
    assert o.status == want
    supervision = [s for s in result.obligations if s.rule == "mechanism.task-supervision"]
    breached = want in ("fulfilled_late", "overdue")
    assert [(s.holder, s.status) for s in supervision] == ([("justice", "advisory")] if breached else [])


# ---- 二(三)3 成员调整 ------------------------------------------------------------------------------------


@settings(max_examples=S.examples(100))
@given(case=S.membership_cases())
def test_a_membership_change_needs_the_conveners_prior_approval(engine: Engine, case: S.AreaCase) -> None:
    """A request obliges the convener to decide; a change in force before (or without) approval is a violation.

    「联席会议成员需要调整的,由所在单位提出,按程序报联席会议召集人批准」（notice:2.3.3）
    """
    result = engine.evaluate(case.events, FAR)
    assert result.rejected == []
    acts = {e["type"]: e for e in case.events}
    req, appr, changed = (acts.get(t) for t in S.MEMBERSHIP_ACTS)
    mine = {o.rule: o for o in result.obligations if o.case_id == case.case_id}
    if req is None:
        assert "mechanism.membership-approve" not in mine
    else:
        o = mine["mechanism.membership-approve"]
        ok = appr is not None and S.day_of(appr) >= S.day_of(req)
        assert (o.status, o.holder, o.due) == ("fulfilled" if ok else "open", "convener", None)
    if changed is None:
        assert "mechanism.membership-prior-approval" not in mine
        return
    o = mine["mechanism.membership-prior-approval"]
    assert o.holder == case.facts["unit"] and o.modality == "prohibition"
    prior = appr is not None and S.day_of(appr) <= S.day_of(changed)
    assert o.status == ("fulfilled" if prior else "violated")


def test_an_approval_the_day_after_the_change_is_too_late(engine: Engine) -> None:
    """An approval dated the day after the change took effect is not prior approval.

    「联席会议成员需要调整的,由所在单位提出,按程序报联席会议召集人批准」（notice:2.3.3）
    """
    case = "membership:finance-2024-1"
    events = [{"id": "c", "type": "membership_changed", "case_id": case, "occurred_at": "2024-03-01",
               "data": {"unit": "finance"}},
              {"id": "a", "type": "membership_change_approved", "case_id": case, "occurred_at": "2024-03-02",
               "data": {"unit": "finance"}}]
    (o,) = of_rule(engine, events, FAR, "mechanism.membership-prior-approval")
    assert o.status == "violated"


# ---- backends and order -----------------------------------------------------------------------------------


@settings(max_examples=S.examples(25))
@given(meetings=S.joint_meetings(), tasks=st.lists(S.task_cases(), max_size=2),
       change=S.membership_cases(), seed=st.integers(0, 2**16), as_of=st.sampled_from(["2025-06-30", FAR]))
def test_both_backends_agree_whatever_the_order(engine: Engine, durable_engine: Engine,
                                                meetings: list[dict[str, Any]], tasks: list[S.AreaCase],
                                                change: S.AreaCase, seed: int, as_of: str) -> None:
    """Reference and durable_rules agree on the mechanism's yearly, standing and event-triggered duties.

    「联席会议每年至少召开一次全体会议,由召集人或召集人委托常务副召集人、副召集人主持」（notice:2.3.2）
    """
    events = list(meetings) + change.events
    for i, t in enumerate(tasks):
        events += [{**e, "id": f"{i}-{e['id']}", "case_id": f"task:{i}",
                    "data": {**e["data"], "task_id": str(i)}} for e in t.events]
    S.assert_order_free_and_backends_agree(engine, durable_engine, events, as_of, seed)
