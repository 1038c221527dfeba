"""Issue 10, one property per finding that needs more than a worked example, on both backends.

Each test states what the law says (the notice, or the verified article it cites) and checks the engine
on generated histories; the worked examples beside the rules (``rules/*.scenarios.yaml``) cover the rest.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuxian_rules import Engine, RunError

DAYS = st.integers(min_value=0, max_value=600).map(lambda n: date(2024, 2, 1) + timedelta(days=n))
AGENCY = st.sampled_from(["health", "market_regulation", "ecology", "hj-school-07"])


def ev(i: str, typ: str, case: str, at: Any, **data: Any) -> dict[str, Any]:
    return {"id": i, "type": typ, "case_id": case, "occurred_at": str(at), "data": data}


def of(engine: Engine, events: list[dict[str, Any]], as_of: str, rule: str) -> list[Any]:
    result = engine.evaluate(events, as_of)
    assert result.rejected == [], result.rejected
    return [o for o in result.obligations if o.rule == rule]


@settings(max_examples=25)
@given(day=DAYS, lag=st.integers(0, 40), gap=st.integers(0, 40), agency=AGENCY, reasons=st.booleans())
def test_a_refusal_is_never_turned_into_yifadaixing(engine: Engine, day: date, lag: int, gap: int, agency: str,
                                                    reasons: bool) -> None:
    """Finding 1: after the head refused the transfer (transfer-reg:5 permits it), a later penalty is a
    review item for the procuratorate (spp-criminal-rules:557), never a violation — even a late refusal."""
    refusal = {"agency": agency, "approved": False, **({"reasons": "未达追诉标准"} if reasons else {})}
    events = [ev("c", "crime_suspected", "K", day, agency=agency),
              ev("r", "transfer_report_submitted", "K", day, agency=agency),
              ev("d", "transfer_decided", "K", day + timedelta(days=lag), **refusal),
              ev("p", "admin_penalty_imposed", "K", day + timedelta(days=lag + gap), agency=agency)]
    result = engine.evaluate(events, "2031-12-31")
    statuses = {o.rule: o.status for o in result.obligations}
    assert statuses["transfer.no-penalty-instead"] == "cancelled"
    assert statuses["transfer.penalty-after-refusal-review"] == "advisory"
    assert statuses["transfer.refusal-review"] == "advisory"
    assert not [o for o in result.obligations if o.holder == agency and o.status == "violated"]


@settings(max_examples=25)
@given(day=DAYS, agency=AGENCY)
def test_no_report_deadline_and_no_escalation_from_it(engine: Engine, day: date, agency: str) -> None:
    """Finding 2: transfer-reg:5's 立即 governs the task force; the report comes 核实情况后 with no limit."""
    [o] = of(engine, [ev("c", "crime_suspected", "K", day, agency=agency)], "2031-12-31", "transfer.report")
    assert (o.status, o.due) == ("open", None)
    assert of(engine, [ev("c", "crime_suspected", "K", day, agency=agency)], "2031-12-31",
              "transfer.procuratorial-opinion") == []


@settings(max_examples=25)
@given(issued=DAYS, delay=st.integers(0, 30))
def test_two_month_reply_runs_from_receipt_and_never_disappears(engine: Engine, issued: date, delay: int) -> None:
    """Findings 5 and 7, contract §4: the notice's two months run from 收到检察意见书; without a recorded
    receipt the duty still shows, with no due date, and is never overdue."""
    opinion = ev("o", "procuratorial_opinion_issued", "N", issued, opinion_id="Y1", kind="admin_penalty", to="tax")
    [waiting] = of(engine, [opinion], "2031-12-31", "reverse.reply-awaiting-receipt")
    assert (waiting.status, waiting.due) == ("open", None)
    received = issued + timedelta(days=delay)
    got = ev("g", "procuratorial_opinion_received", "N", received, opinion_id="Y1", unit="tax")
    [reply] = of(engine, [opinion, got], "2031-12-31", "reverse.reply")
    assert reply.status == "overdue" and reply.due is not None
    assert date.fromisoformat(reply.due) >= received + timedelta(days=59)  # counted from receipt, not issue


@settings(max_examples=20)
@given(day=DAYS)
def test_a_check_after_the_hire_is_late_not_knowing(engine: Engine, day: date) -> None:
    """Finding 12: 不得录用 presupposes the record was known when hiring (minors-law:62)."""
    events = [ev("h", "staff_hired", "staff:s", f"{day}T09:00:00+08:00", unit="hj-school-07", person_id="p"),
              ev("b", "background_check_done", "staff:s", f"{day}T15:00:00+08:00", unit="hj-school-07",
                 person_id="p", has_record=True)]
    result = engine.evaluate(events, "2031-12-31")
    rules = {o.rule: o.status for o in result.obligations}
    assert "minors.no-hire-with-record" not in rules
    assert rules["minors.hire-check"] == "fulfilled_late"
    same_day = [dict(e, occurred_at=str(day)) for e in events]
    rules = {o.rule: o.status for o in engine.evaluate(same_day, "2031-12-31").obligations}
    assert "minors.no-hire-with-record" not in rules and rules["minors.hire-record-review"] == "advisory"


@pytest.mark.parametrize(("typ", "data"), [
    ("background_check_done", {"unit": "hj-kg-3", "person_id": "p", "has_record": False}),
    ("harm_reported", {"unit": "hj-kg-3", "to": "public_security"}),
    ("case_transferred", {"agency": "hj-street-office-2"}),
    ("clue_pushed", {"clue_id": "c", "from": "service_12309", "to": "hj-town-9"}),
])
def test_free_form_units_are_accepted_in_every_unit_field(engine: Engine, typ: str, data: dict[str, Any]) -> None:
    """Contract §3 as amended: no event valid by the contract is rejected for a registry technicality."""
    assert engine.evaluate([ev("x", typ, "F", "2024-05-06", **data)], "2024-12-31").rejected == []


def test_each_listed_department_is_its_own_duty(engine: Engine) -> None:
    """Finding 10: a referral closes the duty only for the departments it names (notice 三（六）)."""
    events = [ev("a", "aid_case_assessed", "aid:1", "2024-03-01", situation="other", living_hardship=True,
                 social_aid_needs=["education", "civil_affairs", "human_resources"]),
              ev("s", "social_aid_referral_sent", "aid:1", "2024-03-05", to=["civil_affairs", "education"])]
    found = of(engine, events, "2024-12-31", "aid.social-referral")
    by_unit = {o.explanation.split("所涉单位：")[1].split("（")[0]: o.status for o in found}
    name = {c: engine.catalog.units[c].name for c in ("civil_affairs", "education", "human_resources")}
    assert by_unit == {name["civil_affairs"]: "fulfilled", name["education"]: "fulfilled",
                       name["human_resources"]: "open"}


def test_a_task_due_before_its_assignment_is_not_the_units_breach(engine: Engine) -> None:
    """Finding 14: the office set an impossible deadline; the unit is not overdue (notice 五（二）)."""
    [o] = of(engine, [ev("t", "task_assigned", "task:1", "2024-05-10", task_id="1", unit="health",
                         due="2024-05-01")], "2024-12-31", "mechanism.task")
    assert (o.status, o.due) == ("open", None)


def test_inactive_areas_raise_nothing_and_the_receipt_says_which_were_active() -> None:
    """An empty input must not flag domains the deployment has not connected (deployment ``areas``)."""
    e = Engine(backend="reference", areas=["transfer", "minors"])
    try:
        result = e.evaluate([], "2026-12-31")
        assert result.obligations == []
        assert result.receipt.areas == ["transfer", "minors"]
    finally:
        e.close()


def test_ungrouped_stream_stops(engine: Engine) -> None:
    """`check --stream`: a case reappearing after another would be evaluated without its later events."""
    events = [ev("a1", "crime_suspected", "A", "2024-03-04", agency="health"),
              ev("b1", "crime_suspected", "B", "2024-03-04", agency="health"),
              ev("a2", "transfer_report_submitted", "A", "2024-03-05", agency="health")]
    with pytest.raises(RunError, match="not grouped by case"):
        list(engine.evaluate_stream(events, "2024-12-31"))
