"""Rules of notice 三（六） (rules/3.6-aid.yaml): judicial aid eligibility item by item, and social-aid referral.

The sources set no period for the aid decision or the referral, so these obligations have no due date: a
late act is still fulfilled and a missing one stays open, never overdue.
"""

from __future__ import annotations

from typing import Any

import pytest

from fuxian_rules import Engine, Obligation


def ev(eid: str, etype: str, at: str, **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": etype, "case_id": "aid:1", "occurred_at": at, "data": data}


def assessed(**data: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"living_hardship": True}
    return ev("a-1", "aid_case_assessed", "2024-06-10", **{**base, **data})


def decided(at: str = "2024-07-01", granted: bool = True) -> dict[str, Any]:
    return ev("a-2", "judicial_aid_decided", at, granted=granted, reasons="审查意见")


def aid_rules(engine: Engine, events: list[dict[str, Any]]) -> dict[str, Obligation]:
    result = engine.evaluate(events, "2025-03-31")
    assert result.rejected == []
    return {o.rule: o for o in result.obligations if o.rule.startswith("aid.")}


# item → an assessment that satisfies exactly that item of 细则第七条
ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("aid.item1-serious-injury", {"situation": "serious_injury", "cause": "offender_insolvent"}),
    ("aid.item2-urgent-medical", {"situation": "urgent_medical"}),
    ("aid.item3-dependants", {"situation": "death_or_incapacity_dependant", "cause": "unsolved"}),
    ("aid.item4-property-loss", {"situation": "major_property_loss", "cause": "time_barred"}),
    ("aid.item5-retaliation", {"situation": "retaliation"}),
    ("aid.item6-civil-tort", {"situation": "civil_tort_injury", "cause": "no_compensation_by_litigation"}),
]


@pytest.mark.parametrize(("rule", "data"), ITEMS, ids=[r for r, _ in ITEMS])
def test_each_item_obliges_aid(engine: Engine, rule: str, data: dict[str, Any]) -> None:
    never = aid_rules(engine, [assessed(**data)])
    assert set(never) == {rule}, "exactly one item applies"
    o = never[rule]
    assert (o.status, o.due, o.holder, o.modality) == ("open", None, "procuratorate", "obligation")
    assert "aid-rules-2021:7" in o.basis and "不设届满日" in o.explanation
    on_time = aid_rules(engine, [assessed(**data), decided("2024-06-20")])[rule]
    assert (on_time.status, on_time.closed_by) == ("fulfilled", ["a-2"])
    # no source sets a period, so a decision a year later is not late
    assert aid_rules(engine, [assessed(**data), decided("2025-06-01")])[rule].status == "open"  # after as_of
    assert aid_rules(engine, [assessed(**data), decided("2025-03-01")])[rule].status == "fulfilled"


@pytest.mark.parametrize(("rule", "data"), ITEMS, ids=[r for r, _ in ITEMS])
def test_refusal_leaves_the_item_duty_open(engine: Engine, rule: str, data: dict[str, Any]) -> None:
    o = aid_rules(engine, [assessed(**data), decided(granted=False)])[rule]
    assert o.status == "open"


@pytest.mark.parametrize(("rule", "data"), ITEMS, ids=[r for r, _ in ITEMS])
def test_item_not_applicable_without_hardship(engine: Engine, rule: str, data: dict[str, Any]) -> None:
    assert rule not in aid_rules(engine, [assessed(**{**data, "living_hardship": False})])


@pytest.mark.parametrize(("rule", "data"), ITEMS, ids=[r for r, _ in ITEMS])
def test_item_excluded_becomes_discretion(engine: Engine, rule: str, data: dict[str, Any]) -> None:
    found = aid_rules(engine, [assessed(**data, exclusions=["major_fault"])])
    assert rule not in found
    assert found["aid.exclusion"].status == "advisory"
    assert found["aid.exclusion"].modality == "permission"


@pytest.mark.parametrize(("situation", "cause"), [
    ("serious_injury", None),
    ("serious_injury", "no_compensation_by_litigation"),
    ("death_or_incapacity_dependant", None),
    ("major_property_loss", "no_compensation_by_litigation"),
    ("civil_tort_injury", "offender_dead"),
    ("civil_tort_injury", None),
])
def test_items_need_their_cause(engine: Engine, situation: str, cause: str | None) -> None:
    data: dict[str, Any] = {"situation": situation}
    if cause:
        data["cause"] = cause
    assert aid_rules(engine, [assessed(**data)]) == {}


def test_exclusion_advisory_closed_by_any_decision(engine: Engine) -> None:
    data = {"situation": "serious_injury", "cause": "unsolved", "exclusions": ["false_statement", "waived_compensation"]}
    o = aid_rules(engine, [assessed(**data), decided(granted=False)])["aid.exclusion"]
    assert (o.status, o.closed_by) == ("advisory", ["a-2"])
    assert "一般不予救助" in o.explanation


def test_item7_other_is_discretionary(engine: Engine) -> None:
    found = aid_rules(engine, [assessed(situation="other", living_hardship=False)])
    assert set(found) == {"aid.item7-other"}
    assert (found["aid.item7-other"].status, found["aid.item7-other"].modality) == ("advisory", "permission")


@pytest.mark.parametrize(("referral_at", "status"), [
    ("2024-07-05", "fulfilled"),
    ("2025-01-05", "fulfilled"),  # no period in the notice: not late
    (None, "open"),
])
def test_social_aid_referral(engine: Engine, referral_at: str | None, status: str) -> None:
    events = [assessed(situation="serious_injury", cause="unsolved", social_aid_needs=["education", "civil_affairs"])]
    if referral_at:
        events.append(ev("a-3", "social_aid_referral_sent", referral_at, to=["education", "civil_affairs"]))
    o = aid_rules(engine, events)["aid.social-referral"]
    assert (o.status, o.due, o.basis) == (status, None, ["notice:3.6"])


@pytest.mark.parametrize("data", [
    {"situation": "serious_injury", "cause": "unsolved"},
    {"situation": "serious_injury", "cause": "unsolved", "social_aid_needs": ["education"], "living_hardship": False},
], ids=["no-needs", "no-hardship"])
def test_social_aid_referral_not_applicable(engine: Engine, data: dict[str, Any]) -> None:
    assert "aid.social-referral" not in aid_rules(engine, [assessed(**data)])


def test_referral_applies_even_when_aid_is_excluded(engine: Engine) -> None:
    data = {"situation": "urgent_medical", "exclusions": ["already_compensated"], "social_aid_needs": ["civil_affairs"]}
    assert set(aid_rules(engine, [assessed(**data)])) == {"aid.exclusion", "aid.social-referral"}
