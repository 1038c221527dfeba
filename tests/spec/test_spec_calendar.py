"""Periods on the official calendar (contract §4): checked against ``chinese_calendar`` day by day.

``tests/calendar/test_calendar.py`` tests :class:`LegalCalendar` by examples; this module states the period rules
as properties and checks them exhaustively over every year with official data (2004–2026), at every
month end, on every adjusted working day, in years without data, and through the engine.
"""

from __future__ import annotations

import calendar as stdcal
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine, LegalCalendar

CLAUSES = ["cpl:105", "cpl-interp:202", "civil-code:201", "civil-code:202", "civil-code:203", "notice:3.11"]

FIRST, LAST = date(2004, 1, 1), date(2026, 12, 31)
ALL_DAYS = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
ADJUSTED = sorted(d for d in chinese_calendar.workdays if isinstance(d, date) and d.weekday() >= 5)


@pytest.fixture(scope="module")
def cal() -> LegalCalendar:
    return LegalCalendar()


def test_the_calendar_is_the_official_schedule_on_every_day(cal: LegalCalendar) -> None:
    """Every day 2004–2026 is a working day exactly when the State Council's schedule says so.

    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    Adjusted weekend working days (调休) are working days; statutory holidays and other weekend days are not.
    """
    for d in ALL_DAYS:
        official = chinese_calendar.is_workday(d)
        assert cal.is_workday(d) is official, d
        label = cal.day_label(d)
        if official and d.weekday() >= 5:
            assert label == "调休工作日", d
        elif not official and d.weekday() < 5:
            assert label not in ("工作日", "周六", "周日"), (d, label)
    assert cal.known_years() == tuple(sorted(S.official_years()))


@pytest.mark.parametrize("days", [0, 1, 2, 3, 7, 15, 30])
def test_a_period_ending_on_a_working_day_is_never_moved(cal: LegalCalendar, days: int) -> None:
    """A period whose last day is a working day ends on that day; otherwise on the very next working day.

    「期间开始的时和日不算在期间以内。」（cpl:105）
    「期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。」（civil-code:203）
    Checked for every start day 2004–2026: no extension past the first working day, none at all when
    the nominal last day is worked, and every skipped day named.
    """
    for start in ALL_DAYS[: len(ALL_DAYS) - 40]:
        r = cal.add_days(start, days)
        nominal = start + timedelta(days=days)
        assert r.nominal == nominal
        assert r.due is not None and chinese_calendar.is_workday(r.due)
        if chinese_calendar.is_workday(nominal):
            assert (r.due, r.extended, r.skipped) == (nominal, False, ()), start
        else:
            gap = [nominal + timedelta(days=i) for i in range((r.due - nominal).days)]
            assert gap and not any(chinese_calendar.is_workday(d) for d in gap), start
            assert [d for d, _ in r.skipped] == gap
            assert r.extended
        assert not r.provisional


def test_month_periods_follow_cpl_interp_202_at_every_month_end(cal: LegalCalendar) -> None:
    """A month period ends on the same day of the target month; from a month's last day, on its last day.

    「以月计算的期间，自本月某日至下月同日为一个月;期限起算日为本月最后一日的，至下月最后一日为一个月;下月同日不存在的，自本月某日至下月最后一日为一个月」（cpl-interp:202）
    「按照年、月计算期间的，到期月的对应日为期间的最后一日；没有对应日的，月末日为期间的最后一日。」（civil-code:202）
    Checked from the 28th to the last day of every month 2004–2030, for 1 to 24 months.
    """
    for year in range(2004, 2031):
        for month in range(1, 13):
            last = stdcal.monthrange(year, month)[1]
            for day in range(28, last + 1):
                start = date(year, month, day)
                for months in range(1, 25):
                    r = cal.add_months(start, months)
                    target_y, target_m = divmod(month - 1 + months, 12)
                    target_last = stdcal.monthrange(year + target_y, target_m + 1)[1]
                    if day == last or day > target_last:
                        want = date(year + target_y, target_m + 1, target_last)
                    else:
                        want = date(year + target_y, target_m + 1, day)
                    assert r.nominal == want == S.month_nominal(start, months), (start, months)
                    assert r.due == S.official_due(want).day, (start, months)


def test_adjusted_working_days_are_never_skipped(cal: LegalCalendar) -> None:
    """A weekend day worked by official adjustment (调休) ends a period and is never passed over.

    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    e.g. Saturday 2024-10-12 was a working day: a 3-day period from 2024-10-09 ends on it.
    """
    assert date(2024, 10, 12) in ADJUSTED and date(2024, 9, 29) in ADJUSTED
    for d in ADJUSTED:
        for days in range(0, 11):
            r = cal.add_days(d - timedelta(days=days), days)
            assert (r.due, r.extended) == (d, False), (d, days)
        for days in (1, 3, 7):
            for back in range(1, 12):
                r = cal.add_days(d - timedelta(days=days + back), days)
                assert d not in {x for x, _ in r.skipped}


starts = st.dates(date(2004, 1, 1), date(2030, 12, 31))


@settings(max_examples=S.examples(300))
@given(start=starts, kind=st.sampled_from(["days", "months", "years", "working_days"]), n=st.integers(0, 400))
def test_a_due_date_is_never_a_non_working_day(cal: LegalCalendar, start: date, kind: str, n: int) -> None:
    """Whatever the period, its last day is a working day — by the official schedule where there is one.

    「期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。」（civil-code:203）
    In a year without official data only Saturday and Sunday are known to be off, and the result says
    it is provisional (contract §4).
    """
    n = {"days": n, "months": n % 25, "years": n % 4, "working_days": n % 61}[kind]
    r = getattr(cal, f"add_{kind}")(start, n)
    assert r.due is not None
    assert S.is_official_workday(r.due), (start, kind, n, r.due)
    assert r.due >= (r.nominal or r.due)
    examined = {r.due.year, (r.nominal or r.due).year} | {d.year for d, _ in r.skipped}
    if examined - S.official_years():
        assert r.provisional and set(r.missing_years) >= (examined - S.official_years())
    if kind != "working_days" and r.nominal is not None:
        assert r.due == S.official_due(r.nominal).day


@settings(max_examples=S.examples(200))
@given(start=S.start_instants(), hours=st.integers(0, 24 * 30),
       offset=st.sampled_from([8, 0, -5, 14, -12]))
def test_hour_periods_are_exact_and_ignore_holidays(cal: LegalCalendar, start: datetime, hours: int,
                                                    offset: int) -> None:
    """An hour period ends exactly that many hours after its start instant, holiday or not.

    「按照小时计算期间的，自法律规定或者当事人约定的时间开始计算。」（civil-code:201）
    「决定批准的，应当在２４小时内向同级公安机关移送」（transfer-reg:5）
    """
    local = start.astimezone(timezone(timedelta(hours=offset)))
    r = cal.add_hours(local, hours)
    assert r.due_at is not None and r.due is None
    assert r.due_at - start == timedelta(hours=hours)
    assert r.due_at.utcoffset() == timedelta(hours=8)
    assert (r.extended, r.skipped, r.provisional) == (False, (), False)


@settings(max_examples=S.examples(200))
@given(start=st.dates(date(2027, 1, 1), date(2040, 12, 1)), days=st.integers(0, 30))
def test_years_without_data_extend_over_weekends_only_and_say_so(cal: LegalCalendar, start: date,
                                                                 days: int) -> None:
    """Without an official schedule, only weekends extend a period, and the result is marked provisional.

    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    Contract §4: 「Years for which the calendar has no official data: say so in the result (never silently guess)」.
    """
    r = cal.add_days(start, days)
    nominal = start + timedelta(days=days)
    assert r.due is not None
    assert r.due.weekday() < 5 and r.due - nominal < timedelta(days=3)
    assert all(d.weekday() >= 5 for d, _ in r.skipped)
    assert r.provisional and nominal.year in r.missing_years
    assert any("暂定" in s for s in r.steps)


@settings(max_examples=S.examples(200))
@given(start=starts, n=st.integers(0, 60))
def test_a_later_start_or_a_longer_period_never_ends_earlier(cal: LegalCalendar, start: date, n: int) -> None:
    """Due dates are monotone: one more day of period, or a day later start, never gives an earlier end.

    「按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。」（civil-code:201）
    """
    due = cal.add_days(start, n).due
    assert due is not None
    assert due <= (cal.add_days(start, n + 1).due or date.max)
    assert due <= (cal.add_days(start + timedelta(days=1), n).due or date.max)
    m = n % 13
    mdue = cal.add_months(start, m).due
    assert mdue is not None and mdue <= (cal.add_months(start + timedelta(days=1), m).due or date.max)


# ---- through the engine -----------------------------------------------------------------------------------

YEAR_2027 = """\
year: 2027
source: 测试数据（非官方）：假定的2027年国庆节安排
holidays:
  - {from: 2027-10-01, to: 2027-10-07, name: 国庆节}
workdays:
  - {date: 2027-09-26, name: 国庆节调休}
  - {date: 2027-10-09, name: 国庆节调休}
"""
HOLIDAYS_2027 = {date(2027, 10, 1) + timedelta(days=i) for i in range(7)}
WORKDAYS_2027 = {date(2027, 9, 26), date(2027, 10, 9)}


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


@pytest.fixture(scope="module")
def engine_2027(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("calendar") / "2027.yaml"
    path.write_text(YEAR_2027, encoding="utf-8")
    e = Engine(backend="reference", calendars=[path])
    yield e
    e.close()


def report_event(day: date) -> dict[str, object]:
    return {"id": "r", "type": "transfer_report_submitted", "case_id": "CAL",
            "occurred_at": day.isoformat(), "data": {"agency": "audit"}}


@settings(max_examples=S.examples(100))
@given(day=S.start_days().map(lambda d: max(d, S.VALID_FROM)))
def test_engine_due_dates_are_the_official_ones_and_name_the_holiday(engine: Engine, day: date) -> None:
    """The engine's due date is the official one, and its explanation names why it was moved.

    「行政执法机关正职负责人或者主持工作的负责人应当自接到报告之日起３日内作出批准移送或者不批准移送的决定」（transfer-reg:5）
    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    """
    result = engine.evaluate([report_event(day)], "2041-01-01")
    o = next(o for o in result.obligations if o.rule == "transfer.decide")
    want = S.official_due(day + timedelta(days=3))
    assert (o.due, o.due_provisional) == (want.text, want.provisional)
    nominal = day + timedelta(days=3)
    if want.day != nominal:
        weekend = nominal.weekday() >= 5 and (nominal.year not in S.official_years()
                                             or not chinese_calendar.is_holiday(nominal)
                                             or chinese_calendar.get_holiday_detail(nominal)[1] is None)
        assert ("周六（非工作日）" in o.explanation or "周日（非工作日）" in o.explanation) if weekend \
            else "法定节假日（" in o.explanation
        assert f"顺延至下一个工作日 {want.day.year}年{want.day.month}月{want.day.day}日" in o.explanation
    else:
        assert "不顺延" in o.explanation


@settings(max_examples=S.examples(60))
@given(day=st.dates(date(2027, 9, 1), date(2027, 12, 20)))
def test_a_deployment_calendar_file_replaces_the_provisional_guess(engine_2027: Engine, day: date) -> None:
    """A deployment that supplies the year's official schedule gets final, not provisional, due dates.

    「期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。」（civil-code:203）
    Contract §4: 「let a deployment supply the official schedule」.
    """
    result = engine_2027.evaluate([report_event(day)], "2028-06-30")
    o = next(o for o in result.obligations if o.rule == "transfer.decide")

    def worked(d: date) -> bool:
        return d in WORKDAYS_2027 or (d not in HOLIDAYS_2027 and d.weekday() < 5)

    due = day + timedelta(days=3)
    while not worked(due):
        due += timedelta(days=1)
    assert o.due == due.isoformat()
    assert o.due_provisional is (due.year != 2027)
    assert 2027 in result.receipt.calendar_years
    if not o.due_provisional:
        assert "暂定" not in o.explanation


def test_the_2024_national_day_and_the_adjusted_saturday() -> None:
    """The two dates the worked examples rely on are what the official 2024 schedule says.

    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    国务院办公厅关于2024年部分节假日安排的通知: 10月1日至7日放假调休，共7天；9月29日（周日）、10月12日（周六）上班。
    """
    assert [chinese_calendar.is_workday(date(2024, 10, d)) for d in range(1, 9)] == [False] * 7 + [True]
    assert chinese_calendar.is_workday(date(2024, 9, 29)) and date(2024, 9, 29).weekday() == 6
    assert chinese_calendar.is_workday(date(2024, 10, 12)) and date(2024, 10, 12).weekday() == 5
    assert [chinese_calendar.is_workday(date(2025, 1, 28) + timedelta(days=i)) for i in range(9)] == [False] * 8 + [
        True]
    assert S.official_due(datetime.combine(date(2024, 9, 28), time()).date() + timedelta(days=3)).text == "2024-10-08"
