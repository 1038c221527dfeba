"""三(十一) flows end to end through the public API, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fuxian_rules import Engine, RunError
from helpers import by_rule, ev

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

A = "market_regulation"


def test_full_transfer_on_time(engine: Engine) -> None:
    events = [
        ev("1", "crime_suspected", "c", "2024-03-04T09:30:00+08:00", agency=A),
        ev("2", "transfer_report_submitted", "c", "2024-03-04T17:00:00+08:00", agency=A),
        ev("3", "transfer_decided", "c", "2024-03-07T10:00:00+08:00", agency=A, approved=True),
        ev("4", "case_transferred", "c", "2024-03-07T16:00:00+08:00", agency=A),
        ev("5", "filing_decided", "c", "2024-03-09T15:00:00+08:00", opened=True, reasons="达到立案标准"),
        ev("5r", "document_received", "c", "2024-03-09T17:00:00+08:00", document="filing_notice", unit=A),
        ev("6", "materials_handed_over", "c", "2024-03-11", agency=A),
    ]
    obs = by_rule(engine.evaluate(events, as_of="2024-12-31"))
    assert {r: o.status for r, o in obs.items()} == {
        "transfer.report": "fulfilled",
        "transfer.decide": "fulfilled",
        "transfer.send": "fulfilled",
        "transfer.filing-review": "fulfilled",
        "transfer.handover": "fulfilled",
        "transfer.handover-awaiting-receipt": "cancelled",
    }
    assert obs["transfer.decide"].due == "2024-03-07"
    assert obs["transfer.send"].due == "2024-03-08T10:00:00+08:00"
    assert obs["transfer.send"].holder == A
    assert obs["transfer.filing-review"].holder == "public_security"
    # transfer-reg:5: 立即 governs the task force; the report comes 核实情况后, with no limit (issue 10)
    assert obs["transfer.report"].due is None and obs["transfer.report"].policy_terms == []
    assert "核实情况后" in obs["transfer.report"].explanation


def test_national_day_extends_the_head_decision(engine: Engine) -> None:
    events = [ev("r", "transfer_report_submitted", "c", "2024-09-28T09:00:00+08:00", agency=A)]
    ob = by_rule(engine.evaluate(events, as_of="2024-10-07"))["transfer.decide"]
    assert ob.due == "2024-10-08"  # nominal 2024-10-01 falls in the National Day holiday
    assert ob.status == "open"
    assert "国庆节" in ob.explanation and "顺延" in ob.explanation
    assert by_rule(engine.evaluate(events, as_of="2024-10-09"))["transfer.decide"].status == "overdue"


def test_adjusted_working_saturday_is_not_moved(engine: Engine) -> None:
    events = [ev("t", "case_transferred", "c", "2024-10-09T09:00:00+08:00", agency=A)]
    ob = by_rule(engine.evaluate(events, as_of="2024-10-12"))["transfer.filing-review"]
    assert ob.due == "2024-10-12"  # a Saturday, but an official working day in 2024


def test_month_end_reply_period(engine: Engine) -> None:
    events = [
        ev("i", "procuratorial_opinion_issued", "n", "2024-12-27", opinion_id="op", kind="admin_penalty", to="emergency"),
        ev("r", "procuratorial_opinion_received", "n", "2024-12-31", opinion_id="op", unit="emergency"),
    ]
    ob = by_rule(engine.evaluate(events, as_of="2025-02-28"))["reverse.reply"]
    assert ob.due == "2025-02-28"  # 12-31 is a month's last day: two months later is February's last day
    assert ob.status == "open"
    late = by_rule(engine.evaluate(events, as_of="2025-03-03"))
    assert late["reverse.reply"].status == "overdue"
    assert late["reverse.internal-supervision"].status == "advisory"
    answered = [*events, ev("a", "opinion_reply_sent", "n", "2025-02-28", opinion_id="op", unit="emergency")]
    assert by_rule(engine.evaluate(answered, as_of="2025-06-01"))["reverse.reply"].status == "fulfilled"


def test_reply_only_for_penalty_opinions(engine: Engine) -> None:
    events = [
        ev("i", "procuratorial_opinion_issued", "n", "2024-12-27", opinion_id="op", kind="require_transfer", to=A),
        ev("r", "procuratorial_opinion_received", "n", "2024-12-31", opinion_id="op", unit=A),
    ]
    assert "reverse.reply" not in by_rule(engine.evaluate(events, as_of="2025-06-01"))


def test_penalty_instead_of_transfer_is_violated(engine: Engine) -> None:
    events = [
        ev("s", "crime_suspected", "c", "2024-05-06", agency="urban_management"),
        ev("r", "transfer_report_submitted", "c", "2024-05-06", agency="urban_management"),
        ev("p", "admin_penalty_imposed", "c", "2024-05-20", agency="urban_management"),
    ]
    obs = by_rule(engine.evaluate(events, as_of="2024-06-30"))
    assert obs["transfer.no-penalty-instead"].status == "violated"
    assert obs["transfer.no-penalty-instead"].modality == "prohibition"
    assert obs["transfer.procuratorial-opinion"].status == "open"
    assert obs["transfer.procuratorial-opinion"].holder == "procuratorate"
    assert obs["transfer.procuratorial-opinion"].due is None


def test_penalty_plus_transfer_is_lawful(engine: Engine) -> None:
    events = [
        ev("s", "crime_suspected", "c", "2024-05-06T09:00:00+08:00", agency=A),
        ev("p", "admin_penalty_imposed", "c", "2024-05-06T10:00:00+08:00", agency=A),
        ev("t", "case_transferred", "c", "2024-05-06T16:00:00+08:00", agency=A),
    ]
    obs = by_rule(engine.evaluate(events, as_of="2024-06-30"))
    assert obs["transfer.no-penalty-instead"].status == "fulfilled"
    assert "transfer.procuratorial-opinion" not in obs


def test_opinion_requires_transfer_with_copy(engine: Engine) -> None:
    base = [ev("o", "procuratorial_opinion_issued", "c", "2024-07-01", opinion_id="x", kind="require_transfer", to=A),
            ev("g", "procuratorial_opinion_received", "c", "2024-07-02", opinion_id="x", unit=A)]
    plain = by_rule(engine.evaluate([*base, ev("t", "case_transferred", "c", "2024-07-03", agency=A)], "2024-09-01"))
    copied = by_rule(engine.evaluate([*base, ev("t", "case_transferred", "c", "2024-07-03", agency=A,
                                                copied_to_procuratorate=True)], as_of="2024-09-01"))
    # two acts, two duties (issue 10): the transfer is made either way, the copy only in the second case
    assert (plain["transfer.transfer-on-opinion"].status, plain["transfer.copy-on-opinion"].status) == \
        ("fulfilled", "overdue")
    assert (copied["transfer.transfer-on-opinion"].status, copied["transfer.copy-on-opinion"].status) == \
        ("fulfilled", "fulfilled")
    assert plain["transfer.copy-on-opinion"].due == "2024-07-09"  # counted from receipt (07-02), not issue


def test_refusal_without_reasons_and_with(engine: Engine) -> None:
    bare = [ev("d", "transfer_decided", "c", "2024-06-06T09:00:00+08:00", agency=A, approved=False)]
    assert by_rule(engine.evaluate(bare, as_of="2024-06-07"))["transfer.refusal-reasons"].status == "overdue"
    blank = [ev("d", "transfer_decided", "c", "2024-06-06T09:00:00+08:00", agency=A, approved=False, reasons="  ")]
    assert by_rule(engine.evaluate(blank, as_of="2024-06-07"))["transfer.refusal-reasons"].status == "overdue"
    reasoned = [ev("d", "transfer_decided", "c", "2024-06-06T09:00:00+08:00", agency=A, approved=False,
                   reasons="情节显著轻微")]
    assert "transfer.refusal-reasons" not in by_rule(engine.evaluate(reasoned, as_of="2024-06-07"))


def test_reconsideration_flow(engine: Engine) -> None:
    events = [
        ev("t", "case_transferred", "c", "2024-04-01", agency=A),
        ev("f", "filing_decided", "c", "2024-04-03", opened=False, reasons="证据不足"),
        ev("q", "reconsideration_requested", "c", "2024-04-05", agency=A),
        ev("d", "reconsideration_decided", "c", "2024-04-12", opened=True),
    ]
    obs = by_rule(engine.evaluate(events, as_of="2024-05-31"))
    # no receipt recorded: the duties show without a due date and are never overdue (contract §4)
    assert obs["transfer.reconsideration-awaiting-receipt"].status == "advisory"
    assert obs["transfer.reconsideration-awaiting-receipt"].modality == "permission"
    assert obs["transfer.reconsideration-decide-awaiting-receipt"].status == "fulfilled"
    assert (obs["transfer.handover-after-reconsideration"].status, obs["transfer.handover-after-reconsideration"].due) \
        == ("open", None)
    assert obs["transfer.handover-after-reconsideration"].holder == A
    received = [*events, ev("qr", "document_received", "c", "2024-04-08", document="reconsideration_request",
                            unit="public_security"),
                ev("dr", "document_received", "c", "2024-04-12", document="filing_notice", unit=A)]
    obs = by_rule(engine.evaluate(received, as_of="2024-05-31"))
    assert obs["transfer.reconsideration-decide"].status == "fulfilled_late"
    assert obs["transfer.handover"].status == "overdue"
    assert obs["transfer.handover"].holder == A


def test_filing_supervision(engine: Engine) -> None:
    events = [
        ev("a", "non_filing_explanation_requested", "s", "2024-08-01"),
        ev("ar", "document_received", "s", "2024-08-01", document="explanation_request", unit="public_security"),
        ev("b", "non_filing_explained", "s", "2024-08-08"),
        ev("c", "filing_notice_issued", "s", "2024-08-20"),
        ev("cr", "document_received", "s", "2024-08-20", document="filing_order", unit="public_security"),
    ]
    obs = by_rule(engine.evaluate(events, as_of="2024-09-30"))
    assert obs["filing.explain"].status == "fulfilled"
    assert obs["filing.explain"].due == "2024-08-08"
    assert obs["filing.open-on-notice"].status == "overdue"
    assert obs["filing.open-on-notice"].due == "2024-09-04"


def test_non_prosecution_enterprise_cites_3_2(engine: Engine) -> None:
    events = [ev("n", "non_prosecution_decided", "b", "2024-10-31", needs_admin_penalty=True,
                 competent_authority=A, enterprise=True)]
    obs = by_rule(engine.evaluate(events, as_of="2024-11-01"))
    assert "reverse.opinion" not in obs
    assert "notice:3.2" in obs["reverse.opinion-enterprise"].basis


def test_events_after_as_of_are_ignored(engine: Engine) -> None:
    events = [
        ev("r", "transfer_report_submitted", "c", "2024-03-01", agency=A),
        ev("d", "transfer_decided", "c", "2024-03-03", agency=A, approved=True),
    ]
    assert by_rule(engine.evaluate(events, as_of="2024-03-02"))["transfer.decide"].status == "open"


def test_rule_validity_dates(engine: Engine) -> None:
    before = [ev("r", "transfer_report_submitted", "c", "2023-12-01", agency=A)]
    assert [o for o in engine.evaluate(before, as_of="2024-12-31").obligations if o.triggered_by] == []
    _, why = engine.explain("c", before, "2024-12-31", rule="transfer.decide")
    assert any("有效期间" in line for line in why)


def test_why_not(engine: Engine) -> None:
    events = [ev("d", "transfer_decided", "c", "2024-06-06", agency=A, approved=False, reasons="x")]
    _, why = engine.explain("c", events, "2024-12-31", rule="transfer.send")
    assert any("approved" in line for line in why)
    _, why = engine.explain("c", events, "2024-12-31", rule="transfer.procuratorial-opinion")
    assert any("逾期" in line for line in why)


def test_unknown_year_is_provisional(engine: Engine) -> None:
    events = [ev("r", "transfer_report_submitted", "c", "2027-09-28", agency=A)]
    ob = by_rule(engine.evaluate(events, as_of="2027-09-29"))["transfer.decide"]
    assert ob.due_provisional
    assert "2027" in ob.explanation


def test_receipt(engine: Engine) -> None:
    rc = engine.evaluate([], as_of="2024-01-01").receipt
    assert len(rc.catalog_sha256) == 64 and len(rc.policy_sha256) == 64
    assert rc.calendar_years[0] == 2004 and 2024 in rc.calendar_years
    assert rc.backend == engine.backend_name


def test_bad_as_of() -> None:
    with pytest.raises(RunError, match="as_of"):
        Engine(backend="reference").evaluate([], as_of="yesterday")


def test_per_case_contract_equals_batch(engine: Engine) -> None:
    """evaluate_case over each case (and each scheduled case) gives exactly what evaluate gives."""
    lines = (EXAMPLES / "history.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(x) for x in lines]
    batch = engine.evaluate(events, as_of="2025-03-31")
    good, _ = engine.validate(events)
    by_case: dict[str, list] = {}
    for e in good:
        by_case.setdefault(e.case_id, []).append(e)
    ids = sorted(set(by_case) | set(engine.scheduled_case_ids("2025-03-31")))
    per_case = [o for cid in ids for o in engine.evaluate_case(by_case.get(cid, []), "2025-03-31", case_id=cid).obligations]
    assert per_case == batch.obligations and len(per_case) > 50
    assert engine.scheduled_case_ids("2025-03-31") == sorted(engine.scheduled_case_ids("2025-03-31"))
