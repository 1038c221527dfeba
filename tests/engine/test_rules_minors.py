"""Rules of notice 三（七） (rules/3.7-minors.yaml): mandatory reporting, record checks, employment bans.

Every rule is exercised through the public API on time, late, never and where it does not apply, with the
reference backend and (when it can be imported) durable_rules.
"""

from __future__ import annotations

from typing import Any

import pytest

from fuxian_rules import Engine, Obligation
from helpers import one, run


def ev(eid: str, etype: str, case: str, at: str, **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": etype, "case_id": case, "occurred_at": at, "data": data}


KG = {"unit": "hj-kg-01", "unit_kind": "kindergarten"}
STAFF = "staff:hj-kg-01"


# ---- 强制报告 -----------------------------------------------------------------------------------------

def discovered(at: str = "2024-05-13T10:00:00+08:00") -> dict[str, Any]:
    return ev("m-1", "minor_harm_discovered", "minor:1", at, situation="injury", **KG)


def reported(at: str, unit: str = "hj-kg-01", to: str = "public_security", eid: str = "m-2") -> dict[str, Any]:
    return ev(eid, "harm_reported", "minor:1", at, unit=unit, to=to, unit_kind="kindergarten")


@pytest.mark.parametrize(("report_at", "status"), [
    ("2024-05-13T15:00:00+08:00", "fulfilled"),
    ("2024-05-14T10:00:00+08:00", "fulfilled"),  # exactly 24 hours: the default for 立即
    ("2024-05-14T16:00:00+08:00", "fulfilled_late"),
    (None, "overdue"),
])
def test_report_immediately(engine: Engine, report_at: str | None, status: str) -> None:
    events = [discovered()] + ([reported(report_at)] if report_at else [])
    o = one(engine, events, "minors.report")
    assert o.status == status
    assert o.holder == "hj-kg-01"
    assert o.due == "2024-05-14T10:00:00+08:00"
    assert o.policy_terms == ["immediately"]
    assert "立即" in o.explanation


def test_report_by_another_unit_does_not_discharge(engine: Engine) -> None:
    events = [discovered(), reported("2024-05-13T12:00:00+08:00", unit="hj-school-9")]
    assert one(engine, events, "minors.report").status == "overdue"


def test_report_not_applicable_without_discovery(engine: Engine) -> None:
    assert run(engine, [reported("2024-05-13T12:00:00+08:00")], "minors.report") == []


def test_report_open_before_due(engine: Engine) -> None:
    o = one(engine, [discovered()], "minors.report", as_of="2024-05-14T09:00:00+08:00")
    assert o.status == "open"


@pytest.mark.parametrize(("accept_at", "status"), [
    ("2024-05-13T18:00:00+08:00", "fulfilled"),
    ("2024-05-15T09:00:00+08:00", "fulfilled_late"),
    (None, "overdue"),
])
def test_police_accept_immediately(engine: Engine, accept_at: str | None, status: str) -> None:
    events = [reported("2024-05-13T15:00:00+08:00")]
    if accept_at:
        events.append(ev("m-3", "harm_report_accepted", "minor:1", accept_at, unit="public_security"))
    o = one(engine, events, "minors.report-accept-police")
    assert (o.status, o.holder) == (status, "public_security")


@pytest.mark.parametrize(("accept_at", "status"), [
    ("2024-05-17", "fulfilled"),
    ("2024-05-24", "fulfilled_late"),
    (None, "overdue"),
])
def test_education_accepts_promptly(engine: Engine, accept_at: str | None, status: str) -> None:
    events = [reported("2024-05-13T15:00:00+08:00", to="education")]
    if accept_at:
        events.append(ev("m-3", "harm_report_accepted", "minor:1", accept_at, unit="education"))
    o = one(engine, events, "minors.report-accept")
    assert (o.status, o.holder, o.due) == (status, "education", "2024-05-20")
    assert run(engine, events, "minors.report-accept-police") == []


def test_report_to_other_department_raises_no_acceptance_rule(engine: Engine) -> None:
    events = [reported("2024-05-13T15:00:00+08:00", to="health")]
    assert run(engine, events, "minors.report-accept") == []
    assert run(engine, events, "minors.report-accept-police") == []


# ---- 入职查询、不得录用、解聘 ------------------------------------------------------------------------------

def hired(at: str, person: str = "p-1", eid: str = "h-1") -> dict[str, Any]:
    return ev(eid, "staff_hired", STAFF, at, person_id=person, **KG)


def checked(at: str, record: bool = False, person: str = "p-1", eid: str = "c-1") -> dict[str, Any]:
    return ev(eid, "background_check_done", STAFF, at, person_id=person, has_record=record, **KG)


def dismissed(at: str, person: str = "p-1") -> dict[str, Any]:
    return ev("d-1", "staff_dismissed", STAFF, at, person_id=person, **KG)


@pytest.mark.parametrize(("check_at", "status"), [
    ("2024-08-20", "fulfilled"),  # before the hire
    ("2024-09-01", "fulfilled"),  # the same day
    ("2024-09-05", "fulfilled_late"),
    (None, "overdue"),
])
def test_hire_check_precedes_or_accompanies_hire(engine: Engine, check_at: str | None, status: str) -> None:
    events = [hired("2024-09-01")] + ([checked(check_at)] if check_at else [])
    o = one(engine, events, "minors.hire-check")
    assert (o.status, o.holder) == (status, "hj-kg-01")


def test_hire_check_of_another_person_does_not_count(engine: Engine) -> None:
    events = [hired("2024-09-01"), checked("2024-08-20", person="p-2")]
    assert one(engine, events, "minors.hire-check").status == "overdue"


def test_hire_check_not_applicable_without_hire(engine: Engine) -> None:
    assert run(engine, [checked("2024-08-20")], "minors.hire-check") == []


def test_hiring_a_person_with_a_record_is_violated(engine: Engine) -> None:
    events = [checked("2024-08-25", record=True), hired("2024-09-02")]
    o = one(engine, events, "minors.no-hire-with-record")
    assert (o.status, o.modality, o.holder) == ("violated", "prohibition", "hj-kg-01")
    assert o.triggered_by == ["h-1", "c-1"]


@pytest.mark.parametrize("events", [
    [checked("2024-08-25", record=False), hired("2024-09-02")],
    [checked("2024-08-25", record=True, person="p-2"), hired("2024-09-02")],
    [hired("2024-09-02"), checked("2024-10-25", record=True)],  # found later: the dismissal rule applies
], ids=["no-record", "other-person", "record-found-after-hire"])
def test_no_hire_with_record_not_applicable(engine: Engine, events: list[dict[str, Any]]) -> None:
    assert run(engine, events, "minors.no-hire-with-record") == []


@pytest.mark.parametrize(("dismiss_at", "status"), [
    ("2024-09-05", "fulfilled"),
    ("2024-09-20", "fulfilled_late"),
    (None, "overdue"),
])
def test_unlawful_hire_must_be_undone_promptly(engine: Engine, dismiss_at: str | None, status: str) -> None:
    events = [checked("2024-08-25", record=True), hired("2024-09-02")]
    events += [dismissed(dismiss_at)] if dismiss_at else []
    o = one(engine, events, "minors.dismiss-unlawful-hire")
    assert (o.status, o.due) == (status, "2024-09-09")


@pytest.mark.parametrize(("dismiss_at", "status"), [
    ("2025-03-05", "fulfilled"),
    ("2025-03-20", "fulfilled_late"),
    (None, "overdue"),
])
def test_staff_found_with_record_dismissed_promptly(engine: Engine, dismiss_at: str | None, status: str) -> None:
    events = [checked("2024-08-20"), hired("2024-09-01"), checked("2025-03-03", record=True, eid="c-2")]
    events += [dismissed(dismiss_at)] if dismiss_at else []
    o = one(engine, events, "minors.dismiss-on-record")
    assert (o.status, o.due, o.triggered_by) == (status, "2025-03-10", ["c-2", "h-1"])
    assert run(engine, events, "minors.dismiss-unlawful-hire") == []


def test_dismissal_of_another_person_does_not_count(engine: Engine) -> None:
    events = [hired("2024-09-01"), checked("2025-03-03", record=True), dismissed("2025-03-04", person="p-9")]
    assert one(engine, events, "minors.dismiss-on-record").status == "overdue"


def test_record_of_someone_never_hired_raises_no_dismissal(engine: Engine) -> None:
    events = [hired("2024-09-01"), checked("2025-03-03", record=True, person="p-9")]
    assert run(engine, events, "minors.dismiss-on-record") == []


# ---- 年度查询（按单位的年度义务） --------------------------------------------------------------------------

def annual(at: str, year: int, unit: str = "hj-kg-01", eid: str = "y-1") -> dict[str, Any]:
    return ev(eid, "annual_staff_check_done", STAFF, at, unit=unit, year=year, unit_kind="kindergarten")


def by_year(found: list[Obligation]) -> dict[str, str]:
    return {str(o.due): o.status for o in found}


@pytest.mark.parametrize(("check", "status_2024"), [
    (annual("2024-12-20", 2024), "fulfilled"),
    (annual("2025-01-10", 2024), "fulfilled_late"),  # data.year names the year it is for
    (None, "overdue"),
])
def test_annual_check_each_year(engine: Engine, check: dict[str, Any] | None, status_2024: str) -> None:
    events = [hired("2024-09-01")] + ([check] if check else [])
    found = run(engine, events, "minors.annual-check")
    assert by_year(found) == {"2024-12-31": status_2024, "2025-12-31": "open"}
    assert {o.holder for o in found} == {"hj-kg-01"}
    assert all(o.triggered_by == ["h-1"] for o in found)


def test_annual_check_for_the_new_year_does_not_close_the_old(engine: Engine) -> None:
    events = [hired("2024-09-01"), annual("2025-01-10", 2025)]
    found = run(engine, events, "minors.annual-check")
    assert by_year(found) == {"2024-12-31": "overdue", "2025-12-31": "fulfilled"}


def test_annual_check_of_another_unit_does_not_count(engine: Engine) -> None:
    events = [hired("2024-09-01"), annual("2024-12-20", 2024, unit="hj-kg-02")]
    assert by_year(run(engine, events, "minors.annual-check"))["2024-12-31"] == "overdue"


def test_annual_check_starts_with_the_units_first_hire(engine: Engine) -> None:
    found = run(engine, [hired("2025-02-01")], "minors.annual-check")
    assert by_year(found) == {"2025-12-31": "open"}
    assert "2025年2月1日" in found[0].explanation  # dates as a person writes them


def test_annual_check_one_duty_per_unit_and_year(engine: Engine) -> None:
    events = [hired("2024-09-01"), hired("2024-10-01", person="p-2", eid="h-2")]
    assert len(run(engine, events, "minors.annual-check", as_of="2024-12-31")) == 1


def test_annual_check_not_applicable_without_hires(engine: Engine) -> None:
    assert run(engine, [annual("2024-12-20", 2024)], "minors.annual-check") == []
    _, why = engine.explain(STAFF, [annual("2024-12-20", 2024)], "2025-03-31", rule="minors.annual-check")
    assert "staff_hired" in why[-1]


# ---- 自由格式单位：有无 unit_kind 均接收（契约第3节修订） ---------------------------------------------------------------------------

@pytest.mark.parametrize("etype", ["harm_reported", "background_check_done", "staff_hired", "staff_dismissed",
                                   "annual_staff_check_done", "minor_harm_discovered"])
def test_free_form_units_are_accepted(engine: Engine, etype: str) -> None:
    data: dict[str, Any] = {"unit": "hj-school-7", "person_id": "p-1", "has_record": False, "to": "education",
                            "year": 2024}
    fields = engine.catalog.types[etype].fields
    data = {k: v for k, v in data.items() if k in fields}
    good, bad = engine.validate([ev("x", etype, "c", "2024-05-01", unit_kind="school", **data)])
    assert bad == [] and len(good) == 1
    good, bad = engine.validate([ev("x", etype, "c", "2024-05-01", **data)])
    assert bad == [] and len(good) == 1  # contract §3 as amended: accepted without unit_kind too
