"""Rules of notice 三（十二）、四（三） (rules/3.12-clues.yaml): 12345/12309 clue push and feedback, data requests.

同步 and 及时 take the deployment policy defaults (1 day and 7 days); 积极配合 uses 及时 as a reminder.
"""

from __future__ import annotations

from typing import Any

import pytest

from fuxian_rules import Engine
from helpers import one, run

CASE = "clue:C-1"


def ev(eid: str, etype: str, at: str, case: str = CASE, **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": etype, "case_id": case, "occurred_at": at, "data": data}


def push(eid: str, at: str, frm: str, to: str, clue: str = "C-1") -> dict[str, Any]:
    return ev(eid, "clue_pushed", at, clue_id=clue, **{"from": frm, "to": to})


def feedback(eid: str, at: str, frm: str, to: str, clue: str = "C-1") -> dict[str, Any]:
    return ev(eid, "clue_feedback_sent", at, clue_id=clue, **{"from": frm, "to": to})


HOTLINE = ev("h-1", "hotline_clue_received", "2025-03-03T09:00:00+08:00", clue_id="C-1", harms_public_interest=True)
FROM_12309 = ev("p-1", "procuratorate_clue_received", "2025-02-10T09:00:00+08:00", clue_id="C-1",
                concerns_unit="housing")


@pytest.mark.parametrize(("pushed", "status"), [
    (push("h-2", "2025-03-03T16:00:00+08:00", "hotline_12345", "service_12309"), "fulfilled"),
    (push("h-2", "2025-03-04", "hotline_12345", "procuratorate"), "fulfilled"),
    (push("h-2", "2025-03-06", "hotline_12345", "service_12309"), "fulfilled_late"),
    (push("h-2", "2025-03-03", "hotline_12345", "housing"), "overdue"),  # not pushed to the procuratorate
    (None, "overdue"),
])
def test_hotline_pushes_synchronously(engine: Engine, pushed: dict[str, Any] | None, status: str) -> None:
    o = one(engine, [HOTLINE] + ([pushed] if pushed else []), "clues.hotline-push")
    # 同步 for the 24/7 hotline: 24 hours from the instant of receipt, never extended (policy synchronously_hotline)
    assert (o.status, o.holder, o.due, o.policy_terms) == (status, "hotline_12345", "2025-03-04T09:00:00+08:00",
                                                           ["synchronously_hotline"])


def test_hotline_clue_not_harming_public_interest(engine: Engine) -> None:
    clue = ev("h-1", "hotline_clue_received", "2025-03-03", clue_id="C-1", harms_public_interest=False)
    assert run(engine, [clue], "clues.hotline-push") == []


@pytest.mark.parametrize(("fed_back", "status"), [
    (feedback("h-3", "2025-03-07", "service_12309", "hotline_12345"), "fulfilled"),
    (feedback("h-3", "2025-03-14", "service_12309", "hotline_12345"), "fulfilled_late"),
    (feedback("h-3", "2025-03-07", "service_12309", "housing"), "overdue"),  # not fed back to 12345
    (None, "overdue"),
])
def test_12309_handles_and_feeds_back_promptly(engine: Engine, fed_back: dict[str, Any] | None, status: str) -> None:
    events = [HOTLINE, push("h-2", "2025-03-04", "hotline_12345", "service_12309")]
    o = one(engine, events + ([fed_back] if fed_back else []), "clues.procuratorate-handle")
    assert (o.status, o.holder, o.due) == (status, "service_12309", "2025-03-11")


def test_12309_handling_not_applicable_to_its_own_pushes(engine: Engine) -> None:
    assert run(engine, [push("x", "2025-03-04", "service_12309", "housing")], "clues.procuratorate-handle") == []


@pytest.mark.parametrize(("pushed", "status"), [
    (push("p-2", "2025-02-10T17:00:00+08:00", "service_12309", "housing"), "fulfilled"),
    (push("p-2", "2025-02-14", "service_12309", "housing"), "fulfilled_late"),
    (push("p-2", "2025-02-10", "service_12309", "transport"), "overdue"),  # the wrong department
    (None, "overdue"),
])
def test_12309_pushes_to_the_department_concerned(engine: Engine, pushed: dict[str, Any] | None, status: str) -> None:
    o = one(engine, [FROM_12309] + ([pushed] if pushed else []), "clues.procuratorate-push")
    assert (o.status, o.holder, o.due) == (status, "service_12309", "2025-02-11")


@pytest.mark.parametrize(("fed_back", "status"), [
    (feedback("p-3", "2025-02-14", "housing", "service_12309"), "fulfilled"),
    (feedback("p-3", "2025-02-25", "housing", "service_12309"), "fulfilled_late"),
    (feedback("p-3", "2025-02-14", "transport", "service_12309"), "overdue"),  # not the department pushed to
    (None, "overdue"),
])
def test_department_feeds_back(engine: Engine, fed_back: dict[str, Any] | None, status: str) -> None:
    events = [FROM_12309, push("p-2", "2025-02-10", "service_12309", "housing")]
    o = one(engine, events + ([fed_back] if fed_back else []), "clues.department-feedback")
    assert (o.status, o.holder, o.due) == (status, "housing", "2025-02-17")


def test_department_feedback_not_applicable_to_hotline_pushes(engine: Engine) -> None:
    events = [HOTLINE, push("h-2", "2025-03-03", "hotline_12345", "service_12309")]
    assert run(engine, events, "clues.department-feedback") == []


def test_feedback_for_another_clue_does_not_count(engine: Engine) -> None:
    events = [FROM_12309, push("p-2", "2025-02-10", "service_12309", "housing"),
              feedback("p-3", "2025-02-12", "housing", "service_12309", clue="C-2")]
    assert one(engine, events, "clues.department-feedback").status == "overdue"


@pytest.mark.parametrize(("rule", "kind", "to"), [
    ("clues.data-request", "data", "big_data"),
    ("clues.case-file-request", "case_file", "natural_resources"),
])
@pytest.mark.parametrize(("answered", "status"), [("2025-03-14", "fulfilled"), ("2025-03-24", "fulfilled"),
                                                  (None, "open")])
def test_data_and_case_file_requests(engine: Engine, rule: str, kind: str, to: str, answered: str | None,
                                     status: str) -> None:
    events = [ev("d-1", "data_request_made", "2025-03-10", case="XS-1", request_id="R-1", to=to, kind=kind)]
    if answered:
        events.append(ev("d-2", "data_request_fulfilled", answered, case="XS-1", request_id="R-1"))
    o = one(engine, events, rule)
    # 积极配合 has no limit: never overdue; a reminder (advisory) after the policy period instead (issue 10)
    assert (o.status, o.holder, o.due, o.policy_terms) == (status, to, None, [])
    reminder = one(engine, events, "clues.data-request-reminder")
    assert (reminder.status, reminder.holder, reminder.due, reminder.policy_terms) == \
        ("advisory", to, "2025-03-17", ["cooperation_reminder"])
    other = "clues.case-file-request" if rule == "clues.data-request" else "clues.data-request"
    assert run(engine, events, other) == []


def test_answer_to_another_request_does_not_count(engine: Engine) -> None:
    events = [ev("d-1", "data_request_made", "2025-03-10", case="XS-1", request_id="R-1", to="big_data", kind="data"),
              ev("d-2", "data_request_fulfilled", "2025-03-11", case="XS-1", request_id="R-2")]
    assert one(engine, events, "clues.data-request").status == "open"


def liaison(unit: str, role: str) -> dict[str, Any]:
    return ev(f"l-{unit}", "liaison_designated", "2024-02-05", case="joint-meeting", unit=unit, role=role)


def test_clue_sharing_liaisons(engine: Engine) -> None:
    found = {o.holder: o for o in run(engine, [liaison("hotline_12345", "clue_sharing"),
                                               liaison("service_12309", "joint_meeting")], "clues.liaison")}
    assert set(found) == {"hotline_12345", "service_12309"}
    assert (found["hotline_12345"].status, found["hotline_12345"].due) == ("fulfilled", None)
    assert found["service_12309"].status == "open"  # a joint-meeting liaison is not the clue-sharing contact
    assert all(o.case_id == "joint-meeting" for o in found.values())


def test_clue_sharing_liaisons_not_before_the_notice(engine: Engine) -> None:
    assert run(engine, [], "clues.liaison", as_of="2024-01-18") == []
