"""Rules of notice 三（二）、三（四）、三（八）、三（九）、三（十）、三（十三).

rules/3.4-safety.yaml (early intervention, accident investigations), rules/3.2-enterprise.yaml (hanging
enterprise cases) and rules/3.x-public-interest.yaml (supported-prosecution and public-interest clues).
"""

from __future__ import annotations

from typing import Any

import pytest

from fuxian_rules import Engine
from helpers import one, run


def ev(eid: str, etype: str, at: str, case: str = "XS-1", **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": etype, "case_id": case, "occurred_at": at, "data": data}


# ---- 三（四） 安全生产：提前介入 -----------------------------------------------------------------------------

FILED = ev("s-1", "criminal_case_filed", "2025-01-15", domain="safety_production")
INTERVENED = ev("s-2", "early_intervention_done", "2025-02-01")


def submitted(at: str, kind: str = "arrest_approval", eid: str = "s-3") -> dict[str, Any]:
    return ev(eid, "criminal_case_submitted", at, kind=kind)


@pytest.mark.parametrize(("events", "before", "review"), [
    ([FILED, INTERVENED, submitted("2025-03-01")], "fulfilled", "fulfilled"),
    ([FILED, submitted("2025-03-01"), ev("s-2", "early_intervention_done", "2025-03-01")], "fulfilled", "fulfilled"),
    ([FILED, submitted("2025-03-01"), ev("s-2", "early_intervention_done", "2025-03-10")], "cancelled",
     "fulfilled_late"),
    ([FILED, submitted("2025-03-01")], "cancelled", "overdue"),
    ([FILED, INTERVENED], "fulfilled", None),
    ([FILED], "open", None),
], ids=["early", "same-day", "late", "never", "no-submission-yet", "pending"])
def test_early_intervention(engine: Engine, events: list[dict[str, Any]], before: str, review: str | None) -> None:
    o = one(engine, events, "safety.early-intervention")
    assert (o.status, o.holder, o.due) == (before, "procuratorate", None)
    reviews = run(engine, events, "safety.intervention-before-review")
    assert [r.status for r in reviews] == ([review] if review else [])


def test_later_submissions_are_not_judged_again(engine: Engine) -> None:
    events = [FILED, submitted("2025-02-10"), ev("s-2", "early_intervention_done", "2025-02-20"),
              submitted("2025-03-20", kind="prosecution", eid="s-4")]
    found = {o.triggered_by[0]: o.status for o in run(engine, events, "safety.intervention-before-review")}
    assert found == {"s-3": "fulfilled_late", "s-4": "cancelled"}


def test_early_intervention_not_applicable_outside_safety(engine: Engine) -> None:
    events = [ev("s-1", "criminal_case_filed", "2025-01-15"), submitted("2025-03-01")]
    assert run(engine, events, "safety.early-intervention") == []
    assert run(engine, events, "safety.intervention-before-review") == []


@pytest.mark.parametrize(("invited", "closed"), [(True, ["q-2"]), (False, [])])
def test_accident_investigation_invitation_is_advisory(engine: Engine, invited: bool, closed: list[str]) -> None:
    events = [ev("q-1", "accident_investigation_started", "2024-07-02", case="AQ-1", unit="emergency")]
    if invited:
        events.append(ev("q-2", "investigation_invitation_sent", "2024-07-03", case="AQ-1", unit="emergency"))
    o = one(engine, events, "safety.accident-invite")
    assert (o.status, o.modality, o.holder, o.closed_by) == ("advisory", "permission", "emergency", closed)


def test_accident_invitation_not_applicable_without_investigation(engine: Engine) -> None:
    events = [ev("q-2", "investigation_invitation_sent", "2024-07-03", case="AQ-1", unit="emergency")]
    assert run(engine, events, "safety.accident-invite") == []


# ---- 三（二） 涉企“挂案” ----------------------------------------------------------------------------------

ENTERPRISE = ev("e-1", "criminal_case_filed", "2024-02-01", enterprise=True)


@pytest.mark.parametrize(("concluded", "status", "note"), [
    (ev("e-2", "criminal_case_submitted", "2024-11-20", kind="prosecution"), "cancelled", "不再适用"),
    (ev("e-2", "criminal_case_closed", "2024-08-01", outcome="withdrawn"), "cancelled", "不再适用"),
    (ev("e-2", "criminal_case_submitted", "2025-03-01", kind="prosecution"), "advisory", "已由事件 e-2"),
    (ev("e-2", "criminal_case_submitted", "2024-06-01", kind="arrest_approval"), "advisory", "已过提示期限"),
    (None, "advisory", "已过提示期限"),
], ids=["prosecuted-in-time", "withdrawn", "prosecuted-after-threshold", "arrest-is-no-conclusion", "hanging"])
def test_hanging_enterprise_case(engine: Engine, concluded: dict[str, Any] | None, status: str, note: str) -> None:
    o = one(engine, [ENTERPRISE] + ([concluded] if concluded else []), "enterprise.hanging-case")
    assert (o.status, o.holder, o.modality) == (status, "procuratorate", "permission")
    assert o.due == "2025-02-05"  # 12 months (policy), 2025-02-01 a Saturday before the Spring Festival workdays
    assert o.policy_terms == ["hanging_case_threshold"]
    assert note in o.explanation


def test_young_enterprise_case_is_only_a_reminder(engine: Engine) -> None:
    o = one(engine, [ENTERPRISE], "enterprise.hanging-case", as_of="2024-06-30")
    assert o.status == "advisory" and "已过提示期限" not in o.explanation


def test_hanging_case_not_applicable_to_other_cases(engine: Engine) -> None:
    assert run(engine, [ev("e-1", "criminal_case_filed", "2024-02-01")], "enterprise.hanging-case") == []


# ---- 三（八） 支持起诉线索 ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("screened", "status"), [("2024-12-10", "fulfilled"), ("2025-03-01", "fulfilled"),
                                                  (None, "open")])
def test_support_prosecution_clues_screened(engine: Engine, screened: str | None, status: str) -> None:
    events = [ev("p-1", "support_prosecution_clue_shared", "2024-12-02", case="support:1", clue_id="SP-1",
                 group="migrant_workers", **{"from": "human_resources"})]
    if screened:
        events.append(ev("p-2", "support_prosecution_clue_screened", screened, case="support:1", clue_id="SP-1",
                         accepted=True))
    o = one(engine, events, "support.screen-clue")
    assert (o.status, o.holder, o.due) == (status, "procuratorate", None)


def test_screening_of_another_clue_does_not_count(engine: Engine) -> None:
    events = [ev("p-1", "support_prosecution_clue_shared", "2024-12-02", clue_id="SP-1", **{"from": "civil_affairs"}),
              ev("p-2", "support_prosecution_clue_screened", "2024-12-03", clue_id="SP-2", accepted=False)]
    assert one(engine, events, "support.screen-clue").status == "open"
    assert run(engine, events[1:], "support.screen-clue") == []


# ---- 三（九）、三（十）、三（十三） 公益诉讼线索 --------------------------------------------------------------------

@pytest.mark.parametrize(("field", "rule", "clause"), [
    ("food_drug", "public-interest.share", "notice:3.13"),
    ("state_assets", "public-interest.share", "notice:3.13"),
    ("other", "public-interest.share", "notice:3.13"),
    ("ecology", "ecology.share-clue", "notice:3.9"),
    ("natural_resources", "ecology.share-clue", "notice:3.9"),
    ("farmland", "agri.share-clue", "notice:3.10"),
])
@pytest.mark.parametrize(("shared", "status"), [("2025-01-22", "fulfilled"), ("2025-03-30", "fulfilled"),
                                                (None, "open")])
def test_public_interest_clues_shared(engine: Engine, field: str, rule: str, clause: str, shared: str | None,
                                      status: str) -> None:
    events = [ev("c-1", "public_interest_clue_found", "2025-01-20", case="pi:1", clue_id="PI-1",
                 unit="market_regulation", field=field)]
    if shared:
        events.append(ev("c-2", "public_interest_clue_shared", shared, case="pi:1", clue_id="PI-1",
                         **{"from": "market_regulation"}))
    o = one(engine, events, rule)
    assert (o.status, o.holder, o.due, o.basis[0]) == (status, "market_regulation", None, clause)
    others = {"public-interest.share", "ecology.share-clue", "agri.share-clue"} - {rule}
    assert all(run(engine, events, r) == [] for r in others)


@pytest.mark.parametrize(("handled", "status"), [("2025-02-10", "fulfilled"), (None, "open")])
def test_procuratorate_handles_shared_clues(engine: Engine, handled: str | None, status: str) -> None:
    events = [ev("c-2", "public_interest_clue_shared", "2025-01-22", case="pi:1", clue_id="PI-1",
                 **{"from": "ecology"})]
    if handled:
        events.append(ev("c-3", "public_interest_clue_handled", handled, case="pi:1", clue_id="PI-1",
                         outcome="case_filed"))
    o = one(engine, events, "public-interest.handle")
    assert (o.status, o.holder, o.due) == (status, "procuratorate", None)


def test_public_interest_rules_not_applicable_without_clues(engine: Engine) -> None:
    events = [ev("c-3", "public_interest_clue_handled", "2025-02-10", case="pi:1", clue_id="PI-1", outcome="no_case")]
    for rule in ("public-interest.share", "public-interest.handle", "ecology.share-clue", "agri.share-clue"):
        assert run(engine, events, rule) == []
