"""三(二)(四)(八)(九)(十)(十三): enterprise 挂案, early intervention in safety-production cases, supported
prosecution and public-interest clues.

These clauses set no period except the deployment's 挂案 threshold (rules/policy.yaml); the properties
check which duty a fact raises, for whom, and what discharges it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

import strategies as S
from fuxian_rules import Engine
from fuxian_rules.model.results import Obligation

CLAUSES = ["notice:3.2", "notice:3.4", "notice:3.8", "notice:3.9", "notice:3.10", "notice:3.13"]

FAR = "2031-12-31"


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


def evaluate(engine: Engine, events: list[dict[str, Any]], as_of: str = FAR) -> dict[str, Obligation]:
    result = engine.evaluate(events, as_of)
    assert result.rejected == []
    out: dict[str, Obligation] = {}
    for o in result.obligations:
        if o.triggered_by:
            assert o.rule not in out, o.rule
            out[o.rule] = o
    return out


@settings(max_examples=S.examples(80))
@given(case=S.criminal_cases())
def test_the_procuratorate_intervenes_in_safety_cases_before_they_reach_it(engine: Engine, case: S.AreaCase) -> None:
    """Only safety-production cases oblige early intervention; it is timely if made by the first submission.

    「检察机关应提前介入涉安全生产领域刑事案件」（notice:3.4）
    """
    found = evaluate(engine, case.events)
    filed, end, iv = case.facts["filed"], case.facts["end"], case.facts["intervention"]
    safety = filed["data"]["domain"] == "safety_production"
    submitted = end is not None and end["type"] == "criminal_case_submitted"
    if not safety:
        assert not {"safety.early-intervention", "safety.intervention-before-review"} & set(found)
        return
    o = found["safety.early-intervention"]
    assert (o.holder, o.due) == ("procuratorate", None)
    if iv is not None and submitted and S.day_of(iv) == S.day_of(end):
        # both bare dates of one day: which came first is unknown (the engine orders them by id)
        assert o.status in {"fulfilled", "cancelled"}
    elif iv is not None and (end is None or S.day_of(iv) < S.day_of(end) or not submitted):
        assert o.status == "fulfilled"
    elif submitted:
        assert o.status == "cancelled"
    else:
        assert o.status == "open"
    if not submitted:
        assert "safety.intervention-before-review" not in found
        return
    review = found["safety.intervention-before-review"]
    if iv is None:
        assert review.status == "overdue"
    else:
        assert review.status == ("fulfilled" if S.day_of(iv) <= S.day_of(end) else "fulfilled_late")


@settings(max_examples=S.examples(60))
@given(case=S.criminal_cases())
def test_an_enterprise_case_left_hanging_past_the_threshold_is_flagged_for_clearing(engine: Engine,
                                                                                    case: S.AreaCase) -> None:
    """An enterprise case neither prosecuted nor closed within the policy's 挂案 threshold is flagged (advice).

    「持续推进涉企案件“挂案”清理」（notice:3.2）
    """
    found = evaluate(engine, case.events)
    filed, end = case.facts["filed"], case.facts["end"]
    if not filed["data"]["enterprise"]:
        assert "enterprise.hanging-case" not in found
        return
    o = found["enterprise.hanging-case"]
    months = S.policy_period("hanging_case_threshold").months
    assert months is not None
    due = S.official_due(S.month_nominal(S.day_of(filed), months))
    assert o.due == due.text and o.modality == "permission" and o.holder == "procuratorate"
    concludes = end is not None and (end["type"] == "criminal_case_closed" or end["data"].get("kind") == "prosecution")
    assert o.status == ("cancelled" if concludes and S.day_of(end) <= due.last_day else "advisory")


FIELD_RULE = {"ecology": "ecology.share-clue", "natural_resources": "ecology.share-clue", "farmland": "agri.share-clue"}


@settings(max_examples=S.examples(60))
@given(case=S.public_interest_cases())
def test_a_public_interest_clue_is_shared_and_handled(engine: Engine, case: S.AreaCase) -> None:
    """The department that finds a clue shares it with the procuratorate, which must handle what it is given.

    「建立公益诉讼检察与行政执法信息共享机制」（notice:3.13）
    「深化落实环境保护和自然资源行政执法与行政检察衔接机制」（notice:3.9）
    「加强检察院与自然资源主管部门、法院的沟通协作」（notice:3.10）
    「充分发挥公益诉讼检察职能」（notice:3.9）
    「定期组织信息共享,筛查支持起诉案件线索」（notice:3.8）
    """
    found = evaluate(engine, case.events)
    types = {e["type"]: e for e in case.events}
    if case.facts["kind"] == "support":
        o = found.pop("support.screen-clue")
        screened = types.get("support_prosecution_clue_screened")
        assert (o.holder, o.due, o.status) == ("procuratorate", None, "fulfilled" if screened else "open")
        assert found == {}
        return
    clue = types["public_interest_clue_found"]
    share_rule = FIELD_RULE.get(clue["data"]["field"], "public-interest.share")
    shared = types.get("public_interest_clue_shared")
    o = found.pop(share_rule)
    assert (o.holder, o.due, o.status) == (case.facts["unit"], None, "fulfilled" if shared else "open")
    if shared is None:
        assert found == {}
        return
    h = found.pop("public-interest.handle")
    assert (h.holder, h.status) == ("procuratorate", "fulfilled" if "public_interest_clue_handled" in types else "open")
    assert found == {}
