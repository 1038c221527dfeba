"""Rules of notice 二、五 (rules/2-mechanism.yaml), and the calendar-triggered (schedule) paths they rely on.

Plenary meetings and the work plan are yearly duties of case ``joint-meeting``; liaisons are standing
duties per member unit; membership changes and tasks are one case each.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from fuxian_rules import CatalogError, Engine, Obligation, load_catalog
from helpers import run

RULES = Path(__file__).resolve().parents[2] / "rules"
J = "joint-meeting"


def ev(eid: str, etype: str, case: str, at: str, **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": etype, "case_id": case, "occurred_at": at, "data": data}


def by_due(found: list[Obligation]) -> dict[str | None, str]:
    return {o.due: o.status for o in found}


def meeting(at: str, chair: str = "convener", plenary: bool = True, entrusted: bool = False,
            eid: str = "j-1") -> dict[str, Any]:
    return ev(eid, "joint_meeting_held", J, at, plenary=plenary, chair=chair, entrusted=entrusted)


# ---- 二（三）2 全体会议 -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("held", "status_2024"), [
    (meeting("2024-03-28"), "fulfilled"),
    (meeting("2024-12-31", chair="executive_deputy", entrusted=True), "fulfilled"),
    (meeting("2024-06-01", chair="deputy", entrusted=True), "fulfilled"),
    (meeting("2024-06-01", chair="deputy", entrusted=False), "overdue"),
    (meeting("2024-06-01", plenary=False), "overdue"),
    (None, "overdue"),
])
def test_plenary_meeting_every_year(engine: Engine, held: dict[str, Any] | None, status_2024: str) -> None:
    found = run(engine, [held] if held else [], "mechanism.plenary-meeting")
    assert by_due(found) == {"2024-12-31": status_2024, "2025-12-31": "open"}
    assert {(o.case_id, o.holder, o.triggered_by == []) for o in found} == {(J, "convener", True)}


def test_plenary_meeting_in_january_counts_for_the_new_year(engine: Engine) -> None:
    found = run(engine, [meeting("2025-01-10")], "mechanism.plenary-meeting")
    assert by_due(found) == {"2024-12-31": "overdue", "2025-12-31": "fulfilled"}


def test_plenary_meeting_starts_with_the_notice(engine: Engine) -> None:
    assert run(engine, [], "mechanism.plenary-meeting", as_of="2024-01-18") == []
    (o,) = run(engine, [], "mechanism.plenary-meeting", as_of="2024-01-19")
    assert (o.status, o.due) == ("open", "2024-12-31")
    assert "2024 年度义务" in o.explanation


def test_no_duty_for_a_year_that_has_not_begun(engine: Engine) -> None:
    # as_of 2024-12-31 is the instant 2025-01-01T00:00+08:00: the 2025 duty does not exist yet
    assert by_due(run(engine, [], "mechanism.plenary-meeting", as_of="2024-12-31")) == {"2024-12-31": "open"}


def test_plenary_meeting_chaired_without_entrustment(engine: Engine) -> None:
    (o,) = run(engine, [meeting("2024-06-01", chair="deputy")], "mechanism.plenary-chair")
    assert (o.status, o.modality, o.holder) == ("violated", "prohibition", "convener")
    for fine in (meeting("2024-06-01", chair="deputy", entrusted=True), meeting("2024-06-01"),
                 meeting("2024-06-01", chair="deputy", plenary=False)):
        assert run(engine, [fine], "mechanism.plenary-chair") == []


# ---- 五（二） 年度工作要点 ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("issued", "expected"), [
    (ev("w-1", "work_plan_issued", J, "2024-04-10", year=2024), {"2024-12-31": "fulfilled", "2025-12-31": "open"}),
    (ev("w-1", "work_plan_issued", J, "2025-01-15", year=2024),
     {"2024-12-31": "fulfilled_late", "2025-12-31": "open"}),
    (ev("w-1", "work_plan_issued", J, "2025-01-15", year=2025),
     {"2024-12-31": "overdue", "2025-12-31": "fulfilled"}),
    (None, {"2024-12-31": "overdue", "2025-12-31": "open"}),
])
def test_yearly_work_plan(engine: Engine, issued: dict[str, Any] | None, expected: dict[str, str]) -> None:
    found = run(engine, [issued] if issued else [], "mechanism.work-plan")
    assert by_due(found) == expected
    assert {o.holder for o in found} == {"justice"}


# ---- 二（三）3 成员调整 -------------------------------------------------------------------------------------

M = "membership:petitions-2024-1"


def member(eid: str, etype: str, at: str, unit: str = "petitions") -> dict[str, Any]:
    return ev(eid, etype, M, at, unit=unit)


@pytest.mark.parametrize(("approved", "status"), [("2024-06-12", "fulfilled"), ("2025-03-01", "fulfilled"),
                                                  (None, "open")])
def test_convener_approves_membership_change(engine: Engine, approved: str | None, status: str) -> None:
    events = [member("g-1", "membership_change_requested", "2024-06-03")]
    events += [member("g-2", "membership_change_approved", approved)] if approved else []
    (o,) = run(engine, events, "mechanism.membership-approve")
    assert (o.status, o.holder, o.due) == (status, "convener", None)


@pytest.mark.parametrize(("approval", "status"), [
    (member("g-2", "membership_change_approved", "2024-06-12"), "fulfilled"),
    (member("g-2", "membership_change_approved", "2024-06-15"), "fulfilled"),  # the same day
    (member("g-2", "membership_change_approved", "2024-06-20"), "violated"),  # approved only afterwards
    (member("g-2", "membership_change_approved", "2024-06-12", unit="housing"), "violated"),
    (None, "violated"),
])
def test_membership_change_needs_prior_approval(engine: Engine, approval: dict[str, Any] | None, status: str) -> None:
    events = [member("g-3", "membership_changed", "2024-06-15")] + ([approval] if approval else [])
    (o,) = run(engine, events, "mechanism.membership-prior-approval")
    assert (o.status, o.modality, o.holder) == (status, "prohibition", "petitions")


def test_membership_rules_not_applicable_without_events(engine: Engine) -> None:
    events = [member("g-2", "membership_change_approved", "2024-06-12")]
    assert run(engine, events, "mechanism.membership-approve") == []
    assert run(engine, events, "mechanism.membership-prior-approval") == []


# ---- 二（三）1、五（一） 联络员 ------------------------------------------------------------------------------

def test_every_member_unit_names_a_liaison(engine: Engine) -> None:
    events = [ev("l-1", "liaison_designated", J, "2024-02-01", unit="education"),
              ev("l-2", "liaison_designated", J, "2024-02-01", unit="health", role="clue_sharing")]
    found = {o.holder: o for o in run(engine, events, "mechanism.liaison")}
    assert len(found) == 31 and {"procuratorate", "public_security", "justice", "river_affairs"} <= set(found)
    assert "convener" not in found and "hotline_12345" not in found
    assert (found["education"].status, found["education"].closed_by) == ("fulfilled", ["l-1"])
    assert found["health"].status == "open"  # a clue-sharing contact is not the joint-meeting liaison
    assert {o.due for o in found.values()} == {None}
    assert "常设义务" in found["transport"].explanation


def test_liaison_named_before_the_notice_still_counts(engine: Engine) -> None:
    events = [ev("l-1", "liaison_designated", J, "2023-12-01", unit="education")]
    found = {o.holder: o.status for o in run(engine, events, "mechanism.liaison")}
    assert found["education"] == "fulfilled"


# ---- 五（二）、五（三） 重点工作任务 ------------------------------------------------------------------------------

def task(at: str = "2024-04-10", due: str = "2024-09-30") -> dict[str, Any]:
    return ev("t-1", "task_assigned", "task:T-1", at, task_id="T-1", unit="education", due=due)


def done(at: str, task_id: str = "T-1") -> dict[str, Any]:
    return ev("t-2", "task_completed", "task:T-1", at, task_id=task_id)


@pytest.mark.parametrize(("completed", "status", "supervised"), [
    (done("2024-09-20"), "fulfilled", False),
    (done("2024-09-30"), "fulfilled", False),
    (done("2024-10-20"), "fulfilled_late", True),
    (done("2024-09-20", task_id="T-9"), "overdue", True),
    (None, "overdue", True),
])
def test_tasks_done_by_their_own_deadline(engine: Engine, completed: dict[str, Any] | None, status: str,
                                          supervised: bool) -> None:
    events = [task()] + ([completed] if completed else [])
    (o,) = run(engine, events, "mechanism.task")
    assert (o.status, o.holder, o.due) == (status, "education", "2024-09-30")
    supervision = run(engine, events, "mechanism.task-supervision")
    assert bool(supervision) == supervised
    if supervised:
        assert (supervision[0].holder, supervision[0].status) == ("justice", "advisory")


def test_task_open_before_its_deadline(engine: Engine) -> None:
    (o,) = run(engine, [task(due="2025-06-30")], "mechanism.task")
    assert (o.status, o.due) == ("open", "2025-06-30")
    assert run(engine, [task(due="2025-06-30")], "mechanism.task-supervision") == []


def test_task_rules_not_applicable_without_assignment(engine: Engine) -> None:
    assert run(engine, [done("2024-09-20")], "mechanism.task") == []


# ---- schema paths used above: schedule units/once, after_trigger, end_of_year with an event trigger ----------

def catalogue_with(tmp_path: Path, extra: str) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target, ignore=shutil.ignore_patterns("*.scenarios.yaml", "conftest.py", "__pycache__"))
    (target / "zz-extra.yaml").write_text(extra, encoding="utf-8")
    return target


EXTRA = """\
version: 1
area: extra
title: 测试
clauses: ["notice:5.2"]
rules:
  - id: extra.rule
    title: 测试规则（年度）
    modality: obligation
    basis: ["notice:5.2"]
    text: 明确责任单位和完成期限
    valid_from: 2024-01-19
{body}
"""


def test_end_of_year_with_an_event_trigger(tmp_path: Path) -> None:
    body = """\
    trigger: {event: task_assigned}
    holder: {field: unit}
    period: {end_of_year: true}
    closed_by:
      - {event: task_completed, match: {task_id: task_id}}
"""
    eng = Engine(catalogue_with(tmp_path, EXTRA.format(body=body)), backend="reference")
    (o,) = [o for o in eng.evaluate([task()], "2025-03-31").obligations if o.rule == "extra.rule"]
    assert (o.due, o.status) == ("2024-12-31", "overdue")


@pytest.mark.parametrize(("body", "message"), [
    ("    trigger: {schedule: {every: once, case_id: x, per: unit, units: [no_such_unit]}}\n"
     "    holder: {field: unit}\n", "unknown unit 'no_such_unit'"),
    ("    trigger: {schedule: {every: once, per: unit, units: [justice]}}\n    holder: {field: unit}\n",
     "fixed `units` need the `case_id`"),
    ("    trigger: {schedule: {every: year, per: unit}}\n    holder: {unit: justice}\n",
     "exactly one of `units_from` or `units`"),
    ("    trigger: {schedule: {every: year, case_id: x, per: unit, units_from: {event: staff_hired}}}\n"
     "    holder: {unit: justice}\n", "takes no `case_id`"),
    ("    trigger:\n      event: task_completed\n      requires:\n"
     "        - {event: task_assigned, match: {task_id: task_id}, after_trigger: false}\n"
     "    holder: {unit: justice}\n", "`after_trigger` applies only to closing and cancelling events"),
])
def test_schedule_and_after_trigger_are_checked(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace("`", ".")):
        load_catalog(catalogue_with(tmp_path, EXTRA.format(body=body)))
