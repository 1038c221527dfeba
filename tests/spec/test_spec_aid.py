"""三(六) 推动司法救助与社会救助有效衔接: eligibility item by item (细则第七条), exclusions (第八条), referral.

The law is restated here from 《人民检察院国家司法救助工作细则》第七条、第八条 as the rule file cites them:
an assessment that satisfies one item (一)–(六) and lists no exclusion obliges the procuratorate to grant
aid; item (七) and any exclusion leave it to the procuratorate's discretion (an advisory, never overdue).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine
from fuxian_rules.model.results import Obligation

CLAUSES = ["notice:3.6", "aid-rules-2021:7", "aid-rules-2021:8"]

FAR = "2031-12-31"
CRIMINAL_CAUSES = {"unsolved", "time_barred", "offender_dead", "offender_insolvent"}
#: 细则第七条 (一)–(六): the situation, and the causes the item requires (None: any cause or none).
ITEMS: dict[str, tuple[str, set[str] | None]] = {
    "aid.item1-serious-injury": ("serious_injury", CRIMINAL_CAUSES),
    "aid.item2-urgent-medical": ("urgent_medical", None),
    "aid.item3-dependants": ("death_or_incapacity_dependant", CRIMINAL_CAUSES),
    "aid.item4-property-loss": ("major_property_loss", CRIMINAL_CAUSES),
    "aid.item5-retaliation": ("retaliation", None),
    "aid.item6-civil-tort": ("civil_tort_injury", {"no_compensation_by_litigation"}),
}


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


def aid_obligations(engine: Engine, events: list[dict[str, Any]], as_of: str = FAR) -> list[Obligation]:
    result = engine.evaluate(events, as_of)
    assert result.rejected == []
    return [o for o in result.obligations if o.rule.startswith("aid.")]


def eligible_item(a: dict[str, Any]) -> str | None:
    """The item of 细则第七条 (一)–(六) the assessment satisfies, if any, before exclusions."""
    if not a["living_hardship"]:
        return None
    for rule, (situation, causes) in ITEMS.items():
        if a["situation"] == situation and (causes is None or a.get("cause") in causes):
            return rule
    return None


@settings(max_examples=S.examples(150))
@given(case=S.aid_cases())
def test_an_eligible_party_obliges_the_procuratorate_and_an_excluded_one_never_does(engine: Engine,
                                                                                    case: S.AreaCase) -> None:
    """Eligible under an item of 第七条 and no exclusion: the procuratorate must grant aid; otherwise only advice.

    「检察院在办理案件中,对符合司法救助条件的困难当事人,按照相关规定给予国家司法救助」（notice:3.6）
    「救助申请人符合下列情形之一的,人民检察院应当予以救助」（aid-rules-2021:7）
    「具有下列情形之一的,一般不予救助」（aid-rules-2021:8）
    The decision has no period in the notice or the 细则, so the duty has no due date: it is fulfilled by a
    decision to grant aid, and stays open (never overdue) otherwise.
    """
    a = case.facts["assessment"]
    excluded = bool(a.get("exclusions"))
    item = eligible_item(a)
    found = {o.rule: o for o in aid_obligations(engine, case.events) if o.rule != "aid.social-referral"}
    decision = case.facts["decision"]
    if excluded:
        assert set(found) == {"aid.exclusion"}
        assert found["aid.exclusion"].status == "advisory" and found["aid.exclusion"].modality == "permission"
        return
    if item is not None:
        assert set(found) == {item}
        o = found[item]
        assert (o.modality, o.holder, o.due) == ("obligation", "procuratorate", None)
        assert o.status == ("fulfilled" if decision is True else "open")
        assert "aid-rules-2021:7" in o.basis and "notice:3.6" in o.basis
        return
    if a["situation"] == "other":
        assert set(found) == {"aid.item7-other"} and found["aid.item7-other"].status == "advisory"
        return
    assert found == {}


@settings(max_examples=S.examples(60))
@given(case=S.aid_cases())
def test_a_party_needing_social_aid_is_referred(engine: Engine, case: S.AreaCase) -> None:
    """A party in hardship who needs social aid is referred to the departments, aid granted or not.

    「结合困难当事人的具体情况,提出社会综合救助建议,有针对性联系教育局、民政局、人社局等政府相关部门,将调查核实情况及综合救助建议移送有关社会救助部门」（notice:3.6）
    """
    a = case.facts["assessment"]
    found = [o for o in aid_obligations(engine, case.events) if o.rule == "aid.social-referral"]
    if not (a["living_hardship"] and a.get("social_aid_needs")):
        assert found == []
        return
    # one duty per department the assessment names, each closed only by a referral naming it (issue 10)
    needs = sorted(set(a["social_aid_needs"]))
    assert len(found) == len(needs)
    ref = case.facts["referral"]
    names = {engine.catalog.units[u].name if u in engine.catalog.units else u: u for u in needs}
    by_unit = {names[o.explanation.split("所涉单位：")[1].split("（")[0]]: o for o in found}
    assert sorted(by_unit) == needs
    for unit, o in by_unit.items():
        assert (o.holder, o.due, o.modality) == ("procuratorate", None, "obligation")
        named = ref is not None and unit in ref["data"]["to"]
        assert (o.status, o.closed_by) == (("fulfilled", [ref["id"]]) if named else ("open", []))


@settings(max_examples=S.examples(25))
@given(cases=st.lists(S.aid_cases(), min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_both_backends_agree_whatever_the_order(engine: Engine, durable_engine: Engine, cases: list[S.AreaCase],
                                                seed: int) -> None:
    """Reference and durable_rules agree, and the order in which assessments and decisions arrive is irrelevant.

    「检察院在办理案件中,对符合司法救助条件的困难当事人,按照相关规定给予国家司法救助」（notice:3.6）
    """
    events = []
    for i, c in enumerate(cases):
        events += [{**e, "id": f"{i}-{e['id']}", "case_id": f"aid:{i}"} for e in c.events]
    S.assert_order_free_and_backends_agree(engine, durable_engine, events, "2026-06-30", seed)
