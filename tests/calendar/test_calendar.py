"""Tests for fuxian_rules.calendar.legal: statutory period arithmetic on the official calendar."""

from __future__ import annotations

import calendar as stdcal
import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuxian_rules.calendar.legal import DueDate, LegalCalendar
from fuxian_rules.errors import CalendarError, LoadError
from fuxian_rules.model.time import CST

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> LegalCalendar:
    return LegalCalendar()


def write(tmp_path: Path, text: str, name: str = "cal.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


YEAR_2031 = """\
year: 2031
source: 国务院办公厅关于2031年部分节假日安排的通知（测试数据）
holidays:
  - {date: 2031-01-01, name: 元旦}
  - {from: 2031-10-01, to: 2031-10-07, name: 国庆节}
workdays:
  - {date: 2031-09-28, name: 国庆节调休}
  - {date: 2031-10-11}
"""


# --- day periods and holiday extension ------------------------------------------------------------


def test_national_day_2024_extension(cal: LegalCalendar) -> None:
    # The official 2024 schedule: 1–7 October off, 29 September and 12 October worked.
    assert not chinese_calendar.is_workday(D("2024-10-01"))
    assert chinese_calendar.is_workday(D("2024-10-08"))
    r = cal.add_days(D("2024-09-28"), 3)
    assert r.nominal == D("2024-10-01")
    assert r.due == D("2024-10-08")
    assert r.extended
    assert r.due_at is None
    assert [d for d, _ in r.skipped] == [D("2024-10-01") + timedelta(days=i) for i in range(7)]
    assert {why for _, why in r.skipped} == {"国庆节"}
    assert not r.provisional
    assert r.missing_years == ()
    assert r.steps[0] == "起算日 2024-09-28 不计入（cpl:105、civil-code:201）"
    assert r.steps[1] == "3日期间名义届满日为 2024-10-01"
    assert r.steps[2] == (
        "2024-10-01 为法定节假日（国庆节），顺延至下一个工作日 2024-10-08（cpl:105、civil-code:203）"
    )
    assert r.end_instant() == datetime(2024, 10, 9, tzinfo=CST)


def test_adjusted_working_saturday_is_not_moved(cal: LegalCalendar) -> None:
    assert D("2024-10-12").weekday() == 5
    assert cal.is_workday(D("2024-10-12"))
    assert cal.day_label(D("2024-10-12")) == "调休工作日"
    r = cal.add_days(D("2024-10-09"), 3)
    assert r.nominal == r.due == D("2024-10-12")
    assert not r.extended
    assert r.skipped == ()
    assert "2024-10-12 为调休工作日，不顺延" in r.steps


def test_plain_weekend_rolls_to_monday(cal: LegalCalendar) -> None:
    r = cal.add_days(D("2024-06-27"), 2)  # Saturday 2024-06-29
    assert r.nominal == D("2024-06-29")
    assert r.due == D("2024-07-01")
    assert r.skipped == ((D("2024-06-29"), "周六"), (D("2024-06-30"), "周日"))
    assert (
        "2024-06-29 为周六（非工作日），顺延至下一个工作日 2024-07-01（cpl:105、civil-code:203）" in r.steps
    )


def test_zero_days(cal: LegalCalendar) -> None:
    r = cal.add_days(D("2024-10-09"), 0)
    assert (r.nominal, r.due, r.extended) == (D("2024-10-09"), D("2024-10-09"), False)
    r = cal.add_days(D("2024-10-01"), 0)
    assert (r.nominal, r.due, r.extended) == (D("2024-10-01"), D("2024-10-08"), True)


@pytest.mark.parametrize("method", ["add_days", "add_working_days", "add_months", "add_years"])
def test_negative_counts_rejected(cal: LegalCalendar, method: str) -> None:
    with pytest.raises(ValueError, match=">= 0"):
        getattr(cal, method)(D("2024-01-01"), -1)


def test_non_int_counts_rejected(cal: LegalCalendar) -> None:
    with pytest.raises(TypeError):
        cal.add_days(D("2024-01-01"), True)


def test_overflow_is_value_error(cal: LegalCalendar) -> None:
    with pytest.raises(ValueError, match="date range"):
        cal.add_days(D("9999-12-01"), 100)
    with pytest.raises(ValueError, match="date range"):
        cal.add_months(D("9999-12-01"), 1)


# --- month and year periods (cpl-interp:202) --------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "nominal", "due"),
    [
        ("2024-01-31", 1, "2024-02-29", "2024-02-29"),
        ("2023-01-31", 1, "2023-02-28", "2023-02-28"),
        ("2024-02-29", 2, "2024-04-30", "2024-04-30"),  # last day of Feb -> last day of April
        ("2024-04-30", 2, "2024-06-30", "2024-07-01"),  # 2024-06-30 is a Sunday
        ("2024-03-15", 2, "2024-05-15", "2024-05-15"),
        ("2024-01-30", 1, "2024-02-29", "2024-02-29"),  # no 30 Feb -> last day of Feb
        ("2024-08-01", 2, "2024-10-01", "2024-10-08"),  # National Day
        ("2024-11-30", 2, "2025-01-31", "2025-02-05"),  # last day; Spring Festival 2025
        ("2024-05-15", 0, "2024-05-15", "2024-05-15"),
    ],
)
def test_month_periods(cal: LegalCalendar, start: str, months: int, nominal: str, due: str) -> None:
    r = cal.add_months(D(start), months)
    assert r.nominal == D(nominal)
    assert r.due == D(due)
    assert r.extended == (nominal != due)
    assert r.steps[0] == f"起算日 {start} 不计入（cpl:105、civil-code:201）"
    assert any("cpl-interp:202" in s for s in r.steps)


def test_month_step_texts(cal: LegalCalendar) -> None:
    assert (
        "起算日为当月最后一日，2个月期间至 2024年4月最后一日（cpl-interp:202）"
        in cal.add_months(D("2024-02-29"), 2).steps
    )
    assert any("2024年2月无30日" in s for s in cal.add_months(D("2024-01-30"), 1).steps)


@pytest.mark.parametrize(
    ("start", "years", "nominal", "due"),
    [
        ("2024-02-29", 1, "2025-02-28", "2025-02-28"),
        ("2023-10-01", 1, "2024-10-01", "2024-10-08"),
        ("2020-03-10", 3, "2023-03-10", "2023-03-10"),
    ],
)
def test_year_periods(cal: LegalCalendar, start: str, years: int, nominal: str, due: str) -> None:
    r = cal.add_years(D(start), years)
    assert (r.nominal, r.due) == (D(nominal), D(due))


def test_year_period_into_leap_year_keeps_feb_29(cal: LegalCalendar) -> None:
    r = cal.add_years(D("2024-02-29"), 4)
    assert r.nominal == D("2028-02-29")
    assert r.provisional
    assert r.missing_years == (2028,)


# --- working-day and hour periods ------------------------------------------------------------------


def test_working_days_across_national_day(cal: LegalCalendar) -> None:
    # 29 Sep 2024 (a Sunday) was a working day; then 30 Sep; then 8 Oct.
    r = cal.add_working_days(D("2024-09-28"), 3)
    assert r.due == r.nominal == D("2024-10-08")
    assert not r.extended
    assert len(r.skipped) == 7
    assert any("第3个工作日为 2024-10-08" in s for s in r.steps)


def test_working_days_plain_week(cal: LegalCalendar) -> None:
    r = cal.add_working_days(D("2024-06-27"), 5)  # Thursday: Fri, (Sat, Sun), Mon..Thu
    assert r.due == D("2024-07-04")
    assert [why for _, why in r.skipped] == ["周六", "周日"]


def test_working_days_zero_rolls_forward(cal: LegalCalendar) -> None:
    r = cal.add_working_days(D("2024-10-05"), 0)
    assert r.due == D("2024-10-08")
    assert r.extended


def test_hours_are_exact_across_holiday(cal: LegalCalendar) -> None:
    start = datetime(2024, 9, 30, 20, 0, tzinfo=CST)
    r = cal.add_hours(start, 72)
    assert r.due_at == datetime(2024, 10, 3, 20, 0, tzinfo=CST)
    assert r.due is None
    assert r.nominal is None
    assert not r.extended
    assert r.skipped == ()
    assert not r.provisional
    assert r.end_instant() == r.due_at
    assert r.due_at.utcoffset() == timedelta(hours=8)


def test_hours_from_other_zone_are_exact_elapsed_time(cal: LegalCalendar) -> None:
    start = datetime(2024, 9, 30, 12, 0, tzinfo=UTC)
    r = cal.add_hours(start, 24)
    assert r.due_at == datetime(2024, 10, 1, 20, 0, tzinfo=CST)
    try:
        new_york = ZoneInfo("America/New_York")
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the system tz database
        return
    # Daylight saving began on 2024-03-10: 24 elapsed hours, not 24 wall-clock hours.
    start = datetime(2024, 3, 9, 12, 0, tzinfo=new_york)
    r = cal.add_hours(start, 24)
    assert r.due_at is not None
    assert r.due_at - start == timedelta(hours=24)
    assert r.due_at == datetime(2024, 3, 11, 1, 0, tzinfo=CST)


def test_hours_need_aware_start(cal: LegalCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_hours(datetime(2024, 9, 30, 20, 0), 1)
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_hours(datetime(2024, 9, 30, 20, 0, tzinfo=CST), -1)


def test_end_instant_needs_a_date() -> None:
    with pytest.raises(ValueError, match="neither"):
        DueDate(None, None, None, False, (), False, (), ()).end_instant()


# --- labels, roll_forward, data coverage ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "label", "workday"),
    [
        ("2024-10-01", "国庆节", False),
        ("2024-10-05", "国庆节", False),
        ("2024-09-28", "周六", False),
        ("2024-06-30", "周日", False),
        ("2024-09-29", "调休工作日", True),
        ("2024-10-09", "工作日", True),
        ("2024-02-10", "春节", False),
        ("2031-01-04", "周六", False),
        ("2031-01-06", "工作日", True),
    ],
)
def test_day_label(cal: LegalCalendar, day: str, label: str, workday: bool) -> None:
    assert cal.day_label(D(day)) == label
    assert cal.is_workday(D(day)) is workday


def test_roll_forward(cal: LegalCalendar) -> None:
    assert cal.roll_forward(D("2024-10-09")) == (D("2024-10-09"), ())
    due, skipped = cal.roll_forward(D("2024-10-06"))
    assert due == D("2024-10-08")
    assert skipped == ((D("2024-10-06"), "国庆节"), (D("2024-10-07"), "国庆节"))


def test_known_years(cal: LegalCalendar) -> None:
    assert cal.known_years() == tuple(range(2004, 2027))
    assert cal.has_data(2024)
    assert not cal.has_data(2031)
    assert not cal.has_data(2003)


def test_unknown_year_is_provisional(cal: LegalCalendar) -> None:
    r = cal.add_days(D("2031-01-01"), 3)  # 2031-01-04 is a Saturday
    assert r.nominal == D("2031-01-04")
    assert r.due == D("2031-01-06")
    assert r.provisional
    assert r.missing_years == (2031,)
    assert any("2031年无官方节假日安排数据" in s for s in r.steps)
    # 2031-01-01 would be New Year's Day, but with no data the calendar does not guess it.
    assert cal.is_workday(D("2031-01-01"))


def test_provisional_across_years(cal: LegalCalendar) -> None:
    r = cal.add_days(D("2026-12-01"), 40)
    assert r.provisional
    assert r.missing_years == (2027,)
    assert not cal.add_days(D("2026-12-01"), 10).provisional


def test_without_package_everything_is_provisional() -> None:
    bare = LegalCalendar(use_package=False)
    assert bare.known_years() == ()
    r = bare.add_days(D("2024-09-28"), 3)
    assert r.due == D("2024-10-01")
    assert r.provisional
    assert r.missing_years == (2024,)
    assert bare.fingerprint().endswith("+chinese_calendar:off")


# --- override files -------------------------------------------------------------------------------


def test_override_file_for_unknown_year(tmp_path: Path) -> None:
    cal = LegalCalendar([write(tmp_path, YEAR_2031)])
    assert cal.has_data(2031)
    assert 2031 in cal.known_years()
    r = cal.add_days(D("2031-09-28"), 3)
    assert r.nominal == D("2031-10-01")
    assert r.due == D("2031-10-08")
    assert not r.provisional
    assert r.missing_years == ()
    assert r.skipped[0] == (D("2031-10-01"), "国庆节")
    assert cal.day_label(D("2031-09-28")) == "调休工作日"
    assert cal.is_workday(D("2031-09-28"))
    assert cal.is_workday(D("2031-10-11"))
    assert not cal.is_workday(D("2031-01-01"))
    assert cal.day_label(D("2031-01-01")) == "元旦"


def test_override_file_replaces_package_year(tmp_path: Path) -> None:
    text = "year: 2024\nsource: test\nholidays:\n  - {date: 2024-10-08, name: 测试假日}\n"
    cal = LegalCalendar([write(tmp_path, text)])
    assert cal.is_workday(D("2024-10-01"))  # the file, not the package, now defines 2024
    assert not cal.is_workday(D("2024-10-08"))
    assert cal.add_days(D("2024-10-07"), 1).due == D("2024-10-09")
    assert cal.is_workday(D("2025-10-01")) is False  # other years still come from the package


def test_fingerprint(tmp_path: Path) -> None:
    version = getattr(chinese_calendar, "__version__", "unknown")
    empty = hashlib.sha256(b"").hexdigest()
    assert LegalCalendar().fingerprint() == f"{empty}+chinese_calendar=={version}"
    path = write(tmp_path, YEAR_2031)
    first = LegalCalendar([path]).fingerprint()
    assert first == LegalCalendar([str(path)]).fingerprint()
    assert not first.startswith(empty)
    path.write_text(YEAR_2031.replace("2031-10-11", "2031-10-12"), encoding="utf-8")
    assert LegalCalendar([path]).fingerprint() != first


def test_string_dates_and_empty_lists_accepted(tmp_path: Path) -> None:
    text = "year: 2031\nholidays:\n  - {date: '2031-05-01', name: 劳动节}\nworkdays:\n"
    cal = LegalCalendar([write(tmp_path, text)])
    assert not cal.is_workday(D("2031-05-01"))


def err(tmp_path: Path, text: str) -> CalendarError:
    path = write(tmp_path, text)
    with pytest.raises(CalendarError) as info:
        LegalCalendar([path])
    assert isinstance(info.value, LoadError)
    assert info.value.file == str(path)
    return info.value


@pytest.mark.parametrize(
    ("text", "line", "field", "match"),
    [
        pytest.param("year: '2027'\n", 1, "year", "integer year", id="year-string"),
        pytest.param("source: x\nyear: 2027.5\n", 2, "year", "integer year", id="year-float"),
        pytest.param("source: x\nyear: true\n", 2, "year", "integer year", id="year-bool"),
        pytest.param("year: [2027]\n", 1, "year", "integer year", id="year-list"),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-01-01, name: 元旦}\n  - {date: 2028-01-01, name: 元旦}\n",
            4,
            "holidays[1].date",
            "outside the declared year 2027",
            id="date-outside-year",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - from: 2027-10-07\n    to: 2027-10-01\n    name: 国庆节\n",
            4,
            "holidays[0].to",
            "after",
            id="from-after-to",
        ),
        pytest.param(
            "year: 2027\nholiday: []\n", 2, "holiday", "unknown key 'holiday'", id="unknown-top-key"
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - date: 2027-01-01\n    nmae: 元旦\n",
            4,
            "holidays[0].nmae",
            "unknown key 'nmae'",
            id="unknown-item-key",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-01-01, name: 元旦}\n  - {date: 2027-01-01, name: 元旦}\n",
            4,
            "holidays[1]",
            "listed twice",
            id="duplicate-date",
        ),
        pytest.param(
            "year: 2027\nholidays:\n"
            "  - {from: 2027-10-01, to: 2027-10-07, name: 国庆节}\n"
            "  - {from: 2027-10-07, to: 2027-10-08, name: 国庆节}\n",
            4,
            "holidays[1]",
            "2027-10-07 is listed twice",
            id="overlapping-ranges",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-10-02, name: 国庆节}\n"
            "workdays:\n  - {date: 2027-10-02, name: 调休}\n",
            5,
            "workdays[0]",
            "both a holiday",
            id="holiday-and-workday",
        ),
        pytest.param("source: x\nholidays: []\n", 1, "year", "missing 'year'", id="missing-year"),
        pytest.param("- year: 2027\n", 1, None, "top level must be a mapping", id="top-level-list"),
        pytest.param("\n\n2027\n", 3, None, "top level must be a mapping", id="top-level-scalar"),
        pytest.param("year: 2027\nyear: 2028\n", 2, "year", "duplicate key 'year'", id="duplicate-top-key"),
        pytest.param(
            "year: 2027\nholidays:\n  - date: 2027-01-01\n    name: 元旦\n    date: 2027-01-02\n",
            5,
            "holidays[0].date",
            "duplicate key 'date'",
            id="duplicate-item-key",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-02-30, name: 春节}\n",
            3,
            "holidays[0].date",
            "invalid value",
            id="impossible-date",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: tomorrow, name: 春节}\n",
            3,
            "holidays[0].date",
            "not a date",
            id="not-a-date",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-01-01T09:00:00, name: 元旦}\n",
            3,
            "holidays[0].date",
            "not a date",
            id="datetime-not-date",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-01-01}\n",
            3,
            "holidays[0].name",
            "name",
            id="holiday-no-name",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-01-01, from: 2027-01-01, to: 2027-01-02, name: x}\n",
            3,
            "holidays[0]",
            "either 'date' or both",
            id="date-and-range",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {from: 2027-01-01, name: x}\n",
            3,
            "holidays[0]",
            "both",
            id="from-only",
        ),
        pytest.param(
            "year: 2027\nholidays: {date: 2027-01-01}\n", 2, "holidays", "must be a list", id="not-list"
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - 2027-01-01\n", 3, "holidays[0]", "mapping", id="item-scalar"
        ),
        pytest.param(
            "year: 2027\nworkdays:\n  - {date: 2027-09-27, name: 调休}\n",
            3,
            "workdays[0]",
            "weekday",
            id="workday-on-weekday",
        ),
        pytest.param("year: 2027\nsource: ''\n", 2, "source", "source", id="empty-source"),
        pytest.param(
            # An anchor is refused before anything else, as in every file the project reads (issue 9: one safe
            # reader); this case used to report the unknown key the anchor sat under.
            "base: &b {name: x}\nyear: 2027\n", 1, None, "anchors and aliases are not allowed",
            id="anchor-under-unknown-key"
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {<<: {name: x}, date: 2027-01-01}\n",
            3,
            "holidays[0]",
            "plain names",
            id="merge-key",
        ),
        pytest.param(
            "year: 2027\nholidays:\n  - {date: 2027-01-01, name: 元旦\n", 4, None, "YAML", id="unclosed"
        ),
        pytest.param("year: 2027\nholidays: [\n  x: : y\n", 3, None, "YAML", id="bad-syntax"),
        pytest.param("year: 2027\n\tsource: x\n", 2, None, "YAML", id="tab-indent"),
        pytest.param("year: 2027\n---\nyear: 2028\n", 2, None, "YAML", id="two-documents"),
        pytest.param("", 1, None, "empty", id="empty-file"),
    ],
)
def test_file_errors(tmp_path: Path, text: str, line: int, field: str | None, match: str) -> None:
    error = err(tmp_path, text)
    assert error.line == line, str(error)
    assert error.field == field, str(error)
    assert match in error.message, str(error)
    assert error.hint
    assert f"{error.file}:{line}" in str(error)


def test_same_year_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path, YEAR_2031, "a.yaml")
    second = write(tmp_path, "# again\nyear: 2031\n", "b.yaml")
    with pytest.raises(CalendarError) as info:
        LegalCalendar([first, second])
    assert info.value.file == str(second)
    assert info.value.line == 2
    assert info.value.field == "year"
    assert str(first) in info.value.message


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(CalendarError) as info:
        LegalCalendar([missing])
    assert info.value.file == str(missing)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("year: 2027\nsource: é\n".encode("latin-1"))
    with pytest.raises(CalendarError, match="cannot read"):
        LegalCalendar([latin])


def test_no_unsafe_yaml_tags(tmp_path: Path) -> None:
    error = err(tmp_path, "year: !!python/object/apply:os.getcwd []\n")
    assert error.line == 1
    assert error.field == "year"


# --- properties -----------------------------------------------------------------------------------

starts = st.dates(min_value=D("2004-01-01"), max_value=D("2026-12-31"))


@settings(max_examples=200, deadline=None)
@given(start=starts, days=st.integers(min_value=0, max_value=400))
def test_day_period_properties(cal: LegalCalendar, start: date, days: int) -> None:
    r = cal.add_days(start, days)
    assert r.due is not None
    assert r.nominal == start + timedelta(days=days)
    assert cal.is_workday(r.due)
    assert r.due >= r.nominal
    if cal.is_workday(r.nominal):
        assert r.due == r.nominal
        assert not r.extended
        assert r.skipped == ()
    else:
        assert r.extended
        assert [d for d, _ in r.skipped] == [
            r.nominal + timedelta(days=i) for i in range((r.due - r.nominal).days)
        ]
    if not r.provisional:
        # Cross-check against the package's own answer, day by day.
        assert chinese_calendar.is_workday(r.due)
        assert not any(chinese_calendar.is_workday(d) for d, _ in r.skipped)
    else:
        assert set(r.missing_years) <= {2027, 2028}


def month_end_per_interp_202(start: date, months: int) -> date:
    """自本月某日至下月同日为一个月；起算日为本月最后一日的，至下月最后一日；下月同日不存在的，至下月最后一日。"""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    target_last = stdcal.monthrange(year, month)[1]
    start_is_last = (start + timedelta(days=1)).day == 1
    if start_is_last or start.day > target_last:
        return date(year, month, target_last)
    return date(year, month, start.day)


@settings(max_examples=200, deadline=None)
@given(start=starts, months=st.integers(min_value=1, max_value=24))
def test_month_period_properties(cal: LegalCalendar, start: date, months: int) -> None:
    r = cal.add_months(start, months)
    assert r.nominal == month_end_per_interp_202(start, months)
    assert r.due is not None
    assert cal.is_workday(r.due)
    assert r.due == cal.roll_forward(r.nominal)[0]


@settings(max_examples=100, deadline=None)
@given(start=starts, days=st.integers(min_value=0, max_value=60))
def test_working_day_properties(cal: LegalCalendar, start: date, days: int) -> None:
    r = cal.add_working_days(start, days)
    assert r.due is not None
    assert cal.is_workday(r.due)
    if days:
        span = [start + timedelta(days=i) for i in range(1, (r.due - start).days + 1)]
        assert sum(cal.is_workday(d) for d in span) == days
        assert [d for d, _ in r.skipped] == [d for d in span if not cal.is_workday(d)]
