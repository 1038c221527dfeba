"""三(十一) 强化行政执法与刑事司法衔接: the clause laws, one property per duty the clause relies on.

Each property restates one sentence of the notice or of the national article the rule cites, computes
what that sentence requires directly (periods by contract §4 on the official calendar), and checks the
engine's obligations against it on generated histories (``strategies`` flows of area ``transfer``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine
from fuxian_rules.model.results import Obligation
from fuxian_rules.safe_yaml import read_yaml
from helpers import of_rule

CLAUSES = ["notice:3.11", "notice:3.2", "notice:3.13", "transfer-reg:5", "transfer-reg:8", "transfer-reg:9",
           "transfer-reg:11", "transfer-reg:12", "spp-criminal-rules:557", "spp-criminal-rules:560",
           "spp-criminal-rules:563", "spp-criminal-rules:373", "cpl:177", "cpl-interp:202"]

FAR = "2031-12-31"
AGENCY = st.sampled_from(S.AGENCIES)


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


def one(engine: Engine, events: list[dict[str, Any]], as_of: Any, rule: str) -> Obligation:
    found = of_rule(engine, events, as_of, rule)
    assert len(found) == 1, (rule, found)
    return found[0]


def day_due(start: date, days: int) -> str:
    return S.official_due(start + timedelta(days=days)).text


def duties(h: S.History, rule: str) -> Iterator[tuple[S.CaseHistory, S.Duty]]:
    for c in h.cases:
        for d in c.duties:
            if d.rule == rule and S.day_of(d.trigger) >= S.VALID_FROM:
                yield c, d


# ---- transfer-reg:5 — report, decision, transfer --------------------------------------------------------


@settings(max_examples=S.examples(40))
@given(crime=S.timed_events("crime_suspected", {"agency": "health"}))
def test_the_written_report_has_no_time_limit_and_escalates_nowhere(engine: Engine, crime: dict[str, Any]) -> None:
    """立即 governs forming the 专案组; the written report comes 核实情况后, with no limit (issue 10, finding 2).

    「行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查」（notice:3.11）
    「应当立即指定２名或者２名以上行政执法人员组成专案组专门负责，核实情况后提出移送涉嫌犯罪案件的书面报告」（transfer-reg:5）
    """
    o = one(engine, [crime], FAR, "transfer.report")
    assert (o.due, o.status, o.holder, o.policy_terms) == (None, "open", "health", [])
    assert of_rule(engine, [crime], FAR, "transfer.procuratorial-opinion") == []
    assert of_rule(engine, [crime], FAR, "transfer.internal-supervision") == []


@settings(max_examples=S.examples(60))
@given(report=S.timed_events("transfer_report_submitted", {"agency": "ecology"}))
def test_the_head_decides_within_three_days_of_the_report(engine: Engine, report: dict[str, Any]) -> None:
    """The decision is due three days after the report's day, moved to the next working day if needed.

    「行政执法机关正职负责人或者主持工作的负责人应当自接到报告之日起３日内作出批准移送或者不批准移送的决定」（transfer-reg:5）
    """
    o = one(engine, [report], FAR, "transfer.decide")
    assert o.due == day_due(S.day_of(report), 3)
    assert o.holder == "ecology"
    decided = S.later(report, "transfer_decided", {"agency": "ecology", "approved": False, "reasons": "证据不足"},
                      minutes=0, fmt="date")
    assert one(engine, [report, decided], FAR, "transfer.decide").status == "fulfilled"


@settings(max_examples=S.examples(60))
@given(decided=S.timed_events("transfer_decided", {"agency": "transport", "approved": True}),
       slack=st.integers(-60, 60))
def test_an_approved_case_is_transferred_within_24_hours_exactly(engine: Engine, decided: dict[str, Any],
                                                                   slack: int) -> None:
    """The transfer is due 24 hours after the decision — an instant, never moved for a holiday.

    「决定批准的，应当在２４小时内向同级公安机关移送」（transfer-reg:5）
    """
    o = one(engine, [decided], FAR, "transfer.send")
    start = S.end_of_day(S.day_of(decided)) if S.is_date_only(decided) else S.instant(decided)
    due = start + timedelta(hours=24)
    assert datetime.fromisoformat(o.due or "") == due
    sent = {"id": "sent", "type": "case_transferred", "case_id": decided["case_id"],
            "occurred_at": (due + timedelta(minutes=slack)).isoformat(), "data": {"agency": "transport"}}
    status = one(engine, [decided, sent], FAR, "transfer.send").status
    assert status == ("fulfilled" if slack <= 0 else "fulfilled_late")


@settings(max_examples=S.examples(40))
@given(decided=S.timed_events("transfer_decided", {"agency": "housing", "approved": False}),
       reasons=st.sampled_from([None, "", "涉案金额未达追诉标准"]))
def test_a_refusal_must_record_its_reasons_at_once(engine: Engine, decided: dict[str, Any],
                                                   reasons: str | None) -> None:
    """A refusal without recorded reasons is overdue from the moment it is made; with reasons, no duty.

    「决定不批准的，应当将不予批准的理由记录在案。」（transfer-reg:5）
    """
    if reasons is not None:
        decided = {**decided, "data": {**decided["data"], "reasons": reasons}}
    found = of_rule(engine, [decided], FAR, "transfer.refusal-reasons")
    assert of_rule(engine, [decided], FAR, "transfer.send") == []
    if reasons:
        assert found == []
        return
    assert len(found) == 1 and found[0].status == "overdue" and found[0].holder == "housing"
    start = S.end_of_day(S.day_of(decided)) if S.is_date_only(decided) else S.instant(decided)
    assert datetime.fromisoformat(found[0].due or "") == start
    assert one(engine, [decided], start.isoformat(), "transfer.refusal-reasons").status == "open"


# ---- 以罚代刑 — transfer-reg:11, notice 三(十三) -------------------------------------------------------


CHAIN = ("transfer.send", "transfer.decide", "transfer.report")  # the report has no period of its own


def first_breach(c: S.CaseHistory, at: datetime) -> S.Expected | None:
    chain = [e for e in S.expect(c.duties, c.events, at) if e.rule in CHAIN and e.breach is not None]
    return min(chain, key=lambda e: (e.breach, e.triggered_by), default=None)


def in_time(act: dict[str, Any], due: str) -> bool:
    """Contract §2/§4: by the due instant (hour periods) or on or before the due day; a bare date is that day."""
    if "T" in due:
        at = datetime.fromisoformat(due)
        return S.day_of(act) <= at.astimezone(S.CST).date() if S.is_date_only(act) else S.instant(act) <= at
    return S.day_of(act) <= date.fromisoformat(due)


def transfer_deadline(c: S.CaseHistory, at: datetime) -> S.Expected:
    """The transfer's period: the first step that missed its own, else the last step raised."""
    breach = first_breach(c, at)
    if breach is not None:
        return breach
    steps = S.expect(c.duties, c.events, at)
    for rule in CHAIN:
        raised = [e for e in steps if e.rule == rule]
        if raised:
            return max(raised, key=lambda e: (e.triggered_by,))
    raise AssertionError("a penalty always follows a suspicion, which raises the report")


@settings(max_examples=S.examples(60))
@given(h=S.histories(["penalty", "refusal"], max_cases=1, duplicates=False))
def test_a_penalty_without_transfer_is_a_violation_once_the_transfer_is_overdue(engine: Engine,
                                                                                 h: S.History) -> None:
    """A penalty imposed while the case is not transferred in time is 以罚代刑: violated, for good.

    「杜绝有案不立、有案不移和以罚代刑等乱象」（notice:3.13）
    「行政执法机关对应当向公安机关移送的涉嫌犯罪案件，不得以行政处罚代替移送。」（transfer-reg:11）
    The transfer's period is that of the first step (report, decision, transfer) to miss its own, or
    else of the last step raised; once it has run out with no transfer, the penalty is a violation at
    that instant and at every later ``as_of``.
    """
    for c, d in duties(h, "transfer.no-penalty-instead"):
        if d.closing_act(c.events) is not None or d.cancelling_act(c.events) is not None:
            continue
        after_all = S.History([c], c.events).span()[1] + timedelta(days=400)
        deadline = transfer_deadline(c, after_all)
        if deadline.due_end is None:  # only the report was raised: no limit, so never a violation (issue 10)
            o = one(engine, c.events, after_all.isoformat(), "transfer.no-penalty-instead")
            assert (o.status, o.due) == ("open", None), o.explanation
            continue
        for at in (max(deadline.due_end, S.instant(d.trigger)) + timedelta(minutes=1), after_all):
            o = one(engine, c.events, at.isoformat(), "transfer.no-penalty-instead")
            assert o.status == "violated", (at, o.due, o.explanation)
            assert o.due == deadline.due


@settings(max_examples=S.examples(60))
@given(h=S.histories(["penalty"], max_cases=1, duplicates=False))
def test_a_penalty_followed_by_a_timely_transfer_is_no_violation(engine: Engine, h: S.History) -> None:
    """A penalty before a transfer that meets every period of the transfer, and the transfer's own, is lawful.

    「行政执法机关向公安机关移送涉嫌犯罪案件前已经作出的警告，责令停产停业，暂扣或者吊销许可证、暂扣或者吊销执照的行政处罚决定，不停止执行。」（transfer-reg:11）
    """
    for c, d in duties(h, "transfer.no-penalty-instead"):
        after_all = S.History([c], c.events).span()[1] + timedelta(days=400)
        act = d.closing_act(c.events)
        if act is None or first_breach(c, after_all) is not None:
            continue
        limit = transfer_deadline(c, after_all).due
        if limit is not None and not in_time(act, limit):  # no limit (report only): any transfer is in time
            continue
        o = one(engine, c.events, after_all.isoformat(), "transfer.no-penalty-instead")
        assert o.status == "fulfilled" and o.closed_by == [act["id"]], o.explanation


def test_a_late_step_fixes_the_penalty_deadline_for_good(engine: Engine) -> None:
    """Regression (found by the as_of property): a late decision is not undone by a later, timely transfer step.

    「杜绝有案不立、有案不移和以罚代刑等乱象」（notice:3.13）
    Report at once, penalty, decision approved four days late, no transfer: at every instant after the
    decision's period ran out the penalty stays a violation, with the decision's due date.
    """
    a = "market_regulation"
    h = [
        {"id": "1", "type": "crime_suspected", "case_id": "C", "occurred_at": "2024-03-04T09:00:00+08:00",
         "data": {"agency": a}},
        {"id": "2", "type": "transfer_report_submitted", "case_id": "C",
         "occurred_at": "2024-03-04T10:00:00+08:00", "data": {"agency": a}},
        {"id": "3", "type": "admin_penalty_imposed", "case_id": "C", "occurred_at": "2024-03-04T11:00:00+08:00",
         "data": {"agency": a}},
        {"id": "4", "type": "transfer_decided", "case_id": "C", "occurred_at": "2024-03-11T11:00:00+08:00",
         "data": {"agency": a, "approved": True}},
    ]
    for at in ("2024-03-08T00:01:00+08:00", "2024-03-11T12:00:00+08:00", "2024-03-20"):
        o = one(engine, h, at, "transfer.no-penalty-instead")
        assert (o.status, o.due) == ("violated", "2024-03-07"), at


def test_a_late_refusal_still_takes_the_case_out_of_yifadaixing(engine: Engine) -> None:
    """Issue 10, finding 1: whether a refused case 应当移送 is the procuratorate's review, even when the head
    refused after the three days; the late decision is its own breach (transfer.decide), not 以罚代刑.

    「决定不批准的，应当将不予批准的理由记录在案。」（transfer-reg:5）
    """
    a = "market_regulation"
    h = [
        {"id": "1", "type": "crime_suspected", "case_id": "C", "occurred_at": "2024-03-04T09:00:00+08:00",
         "data": {"agency": a}},
        {"id": "2", "type": "transfer_report_submitted", "case_id": "C",
         "occurred_at": "2024-03-04T10:00:00+08:00", "data": {"agency": a}},
        {"id": "3", "type": "admin_penalty_imposed", "case_id": "C", "occurred_at": "2024-03-04T11:00:00+08:00",
         "data": {"agency": a}},
        {"id": "4", "type": "transfer_decided", "case_id": "C", "occurred_at": "2024-03-11T11:00:00+08:00",
         "data": {"agency": a, "approved": False, "reasons": "未达追诉标准"}},
    ]
    statuses = {o.rule: o.status for o in engine.evaluate(h, "2024-06-30").obligations}
    assert statuses["transfer.no-penalty-instead"] == "cancelled"
    assert statuses["transfer.decide"] == "fulfilled_late"
    assert statuses["transfer.refusal-review"] == "advisory"


def test_a_penalty_after_the_police_declined_the_case_is_lawful(engine: Engine) -> None:
    """A penalty imposed after public security declined a transferred case is what the law requires.

    「行政执法机关对公安机关决定不予立案的案件，应当依法作出处理；其中，依照有关法律、法规或者规章的规定应当给予行政处罚的，应当依法实施行政处罚。」（transfer-reg:10）
    「行政执法机关对应当向公安机关移送的涉嫌犯罪案件，不得以行政处罚代替移送。」（transfer-reg:11）
    """
    a = "market_regulation"
    h = [
        {"id": "1", "type": "crime_suspected", "case_id": "C", "occurred_at": "2024-03-04T09:00:00+08:00",
         "data": {"agency": a}},
        {"id": "2", "type": "transfer_report_submitted", "case_id": "C",
         "occurred_at": "2024-03-04T10:00:00+08:00", "data": {"agency": a}},
        {"id": "3", "type": "transfer_decided", "case_id": "C", "occurred_at": "2024-03-04T11:00:00+08:00",
         "data": {"agency": a, "approved": True}},
        {"id": "4", "type": "case_transferred", "case_id": "C", "occurred_at": "2024-03-04T15:00:00+08:00",
         "data": {"agency": a}},
        {"id": "5", "type": "filing_decided", "case_id": "C", "occurred_at": "2024-03-06T15:00:00+08:00",
         "data": {"opened": False, "reasons": "情节显著轻微"}},
        {"id": "6", "type": "admin_penalty_imposed", "case_id": "C", "occurred_at": "2024-03-15T10:00:00+08:00",
         "data": {"agency": a}},
    ]
    result = engine.evaluate(h, "2024-04-30")
    statuses = {o.rule: o.status for o in result.obligations}
    assert statuses.get("transfer.no-penalty-instead") in (None, "fulfilled", "cancelled")
    assert "transfer.procuratorial-opinion" not in statuses


@settings(max_examples=S.examples(100))
@given(h=S.histories(["penalty"], max_cases=2, duplicates=False))
def test_a_penalty_after_the_case_was_transferred_or_declined_is_never_a_violation(engine: Engine,
                                                                                   h: S.History) -> None:
    """A penalty imposed once the case is transferred — even late — or declined by the police replaces nothing.

    「行政执法机关对公安机关决定不予立案的案件，应当依法作出处理；其中，依照有关法律、法规或者规章的规定应当给予行政处罚的，应当依法实施行政处罚。」（transfer-reg:10）
    「行政执法机关对应当向公安机关移送的涉嫌犯罪案件，不得以行政处罚代替移送。」（transfer-reg:11）
    A transfer that was itself late is reported on the step that was late, not as 以罚代刑.
    """
    for c, d in duties(h, "transfer.no-penalty-instead"):
        # before the penalty: an earlier instant, or an earlier day when the act gives only a date (a bare
        # date on the penalty's own day says nothing about which came first)
        done = [a for a in (d.closing_act(c.events), d.cancelling_act(c.events))
                if a is not None and (S.day_of(a) < S.day_of(d.trigger) if S.is_date_only(a)
                                      else S.instant(a) <= S.instant(d.trigger))]
        if not done:
            continue
        after_all = S.History([c], c.events).span()[1] + timedelta(days=400)
        event("penalty after the transfer or the police's refusal")
        o = one(engine, c.events, after_all.isoformat(), "transfer.no-penalty-instead")
        assert o.status in ("fulfilled", "cancelled"), (o.status, o.explanation)
        assert o.closed_by and S.instant(next(e for e in c.events if e["id"] == o.closed_by[0])) <= S.instant(
            d.trigger)


# ---- spp-criminal-rules:557 — 应移不移 → 检察意见 --------------------------------------------------------


@settings(max_examples=S.examples(60))
@given(data=st.data())
def test_a_case_not_transferred_in_time_raises_a_procuratorial_opinion(engine: Engine,
                                                                        data: st.DataObject) -> None:
    """When a step of the transfer misses its period, the procuratorate must issue a 检察意见 — not before.

    「对于行政执法机关应依法移送涉嫌犯罪案件而不移送的,区检察院应当向区行政执法机关提出检察意见」（notice:3.11）
    「发现行政执法机关不移送涉嫌犯罪案件的，经检察长批准，应当向行政执法机关提出检察意见，要求其按照管辖规定向公安机关移送涉嫌犯罪案件。」（spp-criminal-rules:557）
    """
    h = data.draw(S.histories(["transfer", "penalty"], max_cases=1, duplicates=False))
    _, at = data.draw(S.as_of_for(h))
    c = h.cases[0]
    found = of_rule(engine, c.events, at.isoformat(), "transfer.procuratorial-opinion")
    breached = [e for e in S.expect(c.duties, c.events, at)
                if e.rule in (*CHAIN, "transfer.no-penalty-instead") and e.breach is not None and e.breach < at]
    note(f"breached: {[(e.rule, e.status) for e in breached]}")
    if not breached:
        assert found == []
        return
    assert len(found) == 1
    o = found[0]
    assert o.holder == "procuratorate" and o.due is None and o.modality == "obligation"
    assert o.status in {"open", "fulfilled", "cancelled"}
    kinds = {S.data_of(e).get("kind") for e in c.events if e["id"] in o.closed_by}
    if o.status == "fulfilled":
        assert kinds == {"require_transfer"}


@settings(max_examples=S.examples(60))
@given(received=S.timed_events("procuratorial_opinion_received", {"opinion_id": "JY-1", "unit": "urban_management"}),
       copied=st.booleans(), days=st.integers(0, 20), lag=st.integers(0, 6))
def test_an_opinion_requires_a_prompt_transfer_and_a_copy_to_the_procuratorate(
        engine: Engine, received: dict[str, Any], copied: bool, days: int, lag: int) -> None:
    """After RECEIVING a 检察意见, the agency must transfer promptly and, as a second act, copy the materials.

    「要求行政执法机关及时向公安机关移送案件并将有关材料抄送检察院」（notice:3.11）
    """
    opinion = S.later(received, "procuratorial_opinion_issued",
                      {"opinion_id": "JY-1", "kind": "require_transfer", "to": "urban_management"},
                      minutes=-lag * 24 * 60, event_id="op")
    term = S.policy_period("promptly")
    assert term.days is not None
    for rule in ("transfer.transfer-on-opinion", "transfer.copy-on-opinion"):
        o = one(engine, [opinion, received], FAR, rule)
        assert o.due == day_due(S.day_of(received), term.days)  # from receipt, not from issue
        assert o.holder == "urban_management" and o.policy_terms == ["promptly"]
    sent = S.later(received, "case_transferred", {"agency": "urban_management", "copied_to_procuratorate": copied},
                   minutes=days * 24 * 60, fmt="date")
    due = date.fromisoformat(one(engine, [opinion, received], FAR, "transfer.copy-on-opinion").due or "")
    timely = "fulfilled" if S.day_of(sent) <= due else "fulfilled_late"
    assert one(engine, [opinion, received, sent], FAR, "transfer.transfer-on-opinion").status == timely
    assert one(engine, [opinion, received, sent], FAR, "transfer.copy-on-opinion").status == \
        (timely if copied else "overdue")
    waiting = one(engine, [opinion], FAR, "transfer.transfer-on-opinion-awaiting-receipt")
    assert (waiting.status, waiting.due) == ("open", None)


# ---- cpl:177, spp-criminal-rules:373 — 不起诉 → 检察意见 → 两个月内回复 ---------------------------------------


@settings(max_examples=S.examples(100))
@given(received=S.timed_events("procuratorial_opinion_received", {"opinion_id": "YJ-1", "unit": "tax"},
                               start=st.one_of(S.month_ends(2024, 2028), S.start_days()).map(
                                   lambda d: datetime.combine(d, time(9), tzinfo=S.CST))))
def test_a_reply_to_a_penalty_opinion_is_due_two_months_after_receipt(engine: Engine,
                                                                       received: dict[str, Any]) -> None:
    """The reply is due two calendar months after the day of receipt, by the month rule, then extended.

    「主管机关自收到检察意见书之日起两个月内将处理结果或者办理情况书面回复检察院」（notice:3.11）
    「以月计算的期间，自本月某日至下月同日为一个月;期限起算日为本月最后一日的，至下月最后一日为一个月;下月同日不存在的，自本月某日至下月最后一日为一个月」（cpl-interp:202）
    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    """
    issued = {"id": "op", "type": "procuratorial_opinion_issued", "case_id": received["case_id"],
              "occurred_at": S.day_of(received).isoformat(),
              "data": {"opinion_id": "YJ-1", "kind": "admin_penalty", "to": "tax"}}
    o = one(engine, [issued, received], FAR, "reverse.reply")
    start = S.day_of(received)
    nominal = S.month_nominal(start, 2)
    assert o.due == S.official_due(nominal).text
    assert o.holder == "tax" and o.status == "overdue"
    assert "cpl-interp:202" in o.explanation
    if (start + timedelta(days=1)).day == 1:  # 起算日为本月最后一日 → 至两个月后的最后一日
        assert (nominal + timedelta(days=1)).day == 1


@settings(max_examples=S.examples(40))
@given(received=S.timed_events("procuratorial_opinion_received", {"opinion_id": "YJ-7", "unit": "health"}),
       wrong=st.sampled_from([{"opinion_id": "YJ-8", "unit": "health"}, {"opinion_id": "YJ-7", "unit": "ecology"}]))
def test_only_a_reply_to_the_same_opinion_by_the_same_unit_answers_it(engine: Engine, received: dict[str, Any],
                                                                       wrong: dict[str, str]) -> None:
    """A reply to another opinion, or by another unit, does not answer this opinion.

    「主管机关自收到检察意见书之日起两个月内将处理结果或者办理情况书面回复检察院」（notice:3.11）
    """
    issued = S.later(received, "procuratorial_opinion_issued",
                     {"opinion_id": "YJ-7", "kind": "admin_penalty", "to": "health"}, minutes=-60, event_id="op")
    other = S.later(received, "opinion_reply_sent", wrong, minutes=60, event_id="wrong")
    right = S.later(received, "opinion_reply_sent", {"opinion_id": "YJ-7", "unit": "health"}, minutes=120,
                    event_id="right")
    assert one(engine, [issued, received, other], FAR, "reverse.reply").status == "overdue"
    o = one(engine, [issued, received, other, right], FAR, "reverse.reply")
    assert (o.status, o.closed_by) == ("fulfilled", ["right"])
    kind_wrong = {**issued, "data": {**issued["data"], "kind": "require_transfer"}}
    assert of_rule(engine, [kind_wrong, received], FAR, "reverse.reply") == []


@settings(max_examples=S.examples(40))
@given(decided=S.timed_events("non_prosecution_decided", {"needs_admin_penalty": True}),
       needs=st.booleans(), enterprise=st.sampled_from([None, False, True]))
def test_a_non_prosecution_needing_a_penalty_raises_exactly_one_opinion_duty(
        engine: Engine, decided: dict[str, Any], needs: bool, enterprise: bool | None) -> None:
    """A non-prosecution that needs an administrative penalty obliges the procuratorate to issue a 检察意见.

    「对不起诉人需要给予行政处罚的,区检察院向有关主管机关提出检察意见」（notice:3.11）
    「对涉企轻罪案件适用刑事政策后,仍需要给予行政处罚的,应及时移交行政执法部门进行处理」（notice:3.2）
    「对被不起诉人需要给予行政处罚、处分或者需要没收其违法所得的，人民检察院应当提出检察意见，移送有关主管机关处理。」（cpl:177）
    An enterprise case (三(二)) raises the enterprise variant instead, never both.
    """
    data: dict[str, Any] = {"needs_admin_penalty": needs, "competent_authority": "market_regulation"}
    if enterprise is not None:
        data["enterprise"] = enterprise
    ev = {**decided, "data": data}
    result = engine.evaluate([ev], FAR)
    rules = sorted(o.rule for o in result.obligations if o.rule.startswith("reverse."))
    if not needs:
        assert rules == []
        return
    want = "reverse.opinion-enterprise" if enterprise else "reverse.opinion"
    assert rules == [want]
    o = next(o for o in result.obligations if o.rule == want)
    assert o.holder == "procuratorate" and o.policy_terms == ["reverse_promptly"]
    assert ("notice:3.2" in o.basis) == bool(enterprise)
    assert o.due == S.policy_period("reverse_promptly").due(S.instant(ev), S.day_of(ev), S.is_date_only(ev)).text


# ---- transfer-reg:8, 9, 12 — public security's review, reconsideration, handover -------------------------


@settings(max_examples=S.examples(60))
@given(h=S.histories(["transfer", "penalty", "refusal"], max_cases=2, duplicates=False))
def test_police_review_handover_and_reconsideration_each_take_three_days(engine: Engine, h: S.History) -> None:
    """Public security reviews within 3 days; the agency hands over within 3 days; reconsideration 3 + 3.

    「公安机关应当自接受行政执法机关移送的涉嫌犯罪案件之日起３日内」（transfer-reg:8）
    「应当自接到立案通知书之日起３日内将涉案物品以及与案件有关的其他材料移交公安机关」（transfer-reg:12）
    「可以自接到不予立案通知书之日起３日内，提请作出不予立案决定的公安机关复议」（transfer-reg:9）
    「应当自收到行政执法机关提请复议的文件之日起３日内作出立案或者不予立案的决定」（transfer-reg:9）
    """
    holders = {"transfer.filing-review": None, "transfer.handover": "agency",
               "transfer.reconsideration-decide": "police", "transfer.reconsideration-may-request": "agency"}
    result = engine.evaluate(h.events, FAR)
    events = {e["id"]: e for e in h.events}
    for o in result.obligations:
        if o.rule not in holders:
            continue
        trigger = events[o.triggered_by[0]]
        if o.rule != "transfer.filing-review":  # periods 自接到/收到 run from the receipt (contract §4)
            assert trigger["type"] == "document_received", (o.rule, trigger)
        assert o.due == day_due(S.day_of(trigger), 3), (o.rule, trigger)
        transferred = next(e for e in h.events if e["type"] == "case_transferred" and e["case_id"] == o.case_id)
        want = {None: S.data_of(transferred)["to"], "agency": S.data_of(transferred)["agency"],
                "police": "public_security"}[holders[o.rule]]
        assert o.holder == want
        assert o.modality == ("permission" if o.rule.endswith("may-request") else "obligation")
        if o.modality == "permission":
            assert o.status == "advisory"


# ---- spp-criminal-rules:560, 563 — 立案监督 ------------------------------------------------------------


@settings(max_examples=S.examples(60))
@given(h=S.histories(["filing-supervision"], max_cases=2, duplicates=False))
def test_the_police_explain_in_7_days_and_open_a_notified_case_in_15(engine: Engine, h: S.History) -> None:
    """A written explanation of non-filing is due in 7 days; a case the procuratorate notifies, opened in 15.

    「告知公安机关在收到通知后七日以内，书面说明不立案或者立案的情况、依据和理由，连同有关证据材料回复人民检察院。」（spp-criminal-rules:560）
    「告知公安机关应当在收到通知立案书后十五日以内立案」（spp-criminal-rules:563）
    A refusal to open the case does not discharge the duty to open it.
    """
    result = engine.evaluate(h.events, FAR)
    events = {e["id"]: e for e in h.events}
    periods = {"filing.explain": 7, "filing.open-on-notice": 15}
    seen = 0
    for o in result.obligations:
        if o.rule not in periods:
            continue
        seen += 1
        trigger = events[o.triggered_by[0]]
        assert o.due == day_due(S.day_of(trigger), periods[o.rule])
        assert o.holder == "public_security"
        for cid in o.closed_by:
            closing = events[cid]
            assert S.data_of(closing).get("opened", True) is True
    triggers = [e for e in h.events if e["type"] == "document_received"
                and S.data_of(e)["document"] in ("explanation_request", "filing_order") and S.day_of(e) >= S.VALID_FROM]
    assert seen == len(triggers)  # from the police's receipt of the notice, never from its issue
    waiting = [o for o in result.obligations if o.rule.endswith("-awaiting-receipt")]
    assert all(o.due is None and o.status in ("open", "fulfilled", "cancelled") for o in waiting)


# ---- 内部执法监督 — advisory only ------------------------------------------------------------------------------


@settings(max_examples=S.examples(60))
@given(data=st.data())
def test_internal_supervision_is_advisory_and_follows_a_breach(engine: Engine, data: st.DataObject) -> None:
    """The internal supervision department's reminder is advice, raised only by a breach, never overdue.

    「行政执法机关内部执法监督部门应认真履行执法监督职责,发现未严格落实行刑衔接工作规定的,及时提醒纠正,推动案件移送和对不起诉案件的行政处罚」（notice:3.11）
    """
    h = data.draw(S.histories(["transfer", "reverse", "penalty"], max_cases=2, duplicates=False))
    _, at = data.draw(S.as_of_for(h))
    result = engine.evaluate(h.events, at.isoformat())
    for c in h.cases:
        mine = [o for o in result.obligations if o.case_id == c.case_id and o.rule.endswith("internal-supervision")]
        expected = S.expect(c.duties, c.events, at)
        sources = {"transfer.internal-supervision": ("transfer.decide", "transfer.send"),
                   "reverse.internal-supervision": ("reverse.reply",)}
        for rule, src in sources.items():
            breached = [e for e in expected if e.rule in src and e.breach is not None and e.breach < at]
            raised = [o for o in mine if o.rule == rule]
            assert bool(raised) == bool(breached), (rule, breached, raised)
            for o in raised:
                assert o.modality == "permission" and o.status == "advisory"
                first = min(breached, key=lambda e: (e.breach, e.rule, e.triggered_by))
                assert first.breach is not None
                assert o.due == day_due(first.breach.astimezone(S.CST).date(), S.policy_period("promptly").days or 0)


# ---- the worked examples ----------------------------------------------------------------------------------


def test_every_transfer_rule_has_a_worked_scenario(engine: Engine) -> None:
    """Every rule of the clause has at least one worked example legal staff can read and run.

    「行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查」（notice:3.11）
    """
    path = S.RULES_DIR / "3.11-transfer.scenarios.yaml"
    doc = read_yaml(path.read_bytes(), str(path)).data
    expected = {x["rule"] for s in doc["scenarios"] for x in s.get("expect", [])}
    rules = {r for r, lr in engine.catalog.rules.items() if lr.area == "transfer"}
    assert rules - expected == set()
    assert len(doc["scenarios"]) >= 12
