"""Legal period arithmetic on the official PRC working-day calendar (contract §4).

Every deadline the rules check is a statutory *period*, and the law fixes how periods are counted:

* The starting day of a day, month or year period is not counted (cpl:105, civil-code:201), so an
  N-day period ends N calendar days after the start day.
* A month period ends on the same day of the target month; if the start day is the last day of its
  month the period ends on the last day of the target month, and if the same day does not exist it
  ends on the target month's last day (cpl-interp:202; civil-code:202 for the missing-day case).
* If the last day is not a working day the period ends on the next working day (cpl:105,
  civil-code:203), and it ends at 24:00 of that day (civil-code:203 截止时间为二十四时).
* Hour periods run from the triggering instant exactly (civil-code:201) and are never extended.

"Working day" follows the State Council's yearly holiday schedule, including adjusted working
weekends (调休). That data comes from the ``chinese_calendar`` package, and a deployment may add or
override whole years with YAML files (see :class:`LegalCalendar`). For a year with no official data
the calendar never guesses silently: it treats only Saturday and Sunday as non-working and flags the
result ``provisional`` so a reviewer knows the deadline must be re-checked once the schedule is out.
"""

from __future__ import annotations

import calendar as _stdcal
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar

from fuxian_rules.calendar.files import Year, parse_calendar_file
from fuxian_rules.errors import CalendarError
from fuxian_rules.model.time import CST, end_of_day
from fuxian_rules.safe_yaml import MAX_BYTES

__all__ = ["DueDate", "LegalCalendar"]

#: Chinese names for the holiday names the ``chinese_calendar`` package uses, so that explanations
#: read the way the official notices do.
_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_WEEKEND = {5: "周六", 6: "周日"}
_NOT_COUNTED = "（cpl:105、civil-code:201）"

Skipped = tuple[tuple[date, str], ...]


@dataclass(frozen=True)
class DueDate:
    """The end of one period, with everything a reviewer needs to check it by hand.

    Attributes:
        due: Last day of a day/month/year/working-day period; ``None`` for hour periods.
        due_at: The exact end instant of an hour period (tz-aware, CST); ``None`` otherwise.
        nominal: The last day before holiday extension; ``None`` for hour periods.
        extended: Whether the end moved because the nominal last day was not a working day.
        skipped: Non-working days skipped, each with its reason in Chinese (``"国庆节"``, ``"周六"``).
        provisional: Some day examined lies in a year without official holiday data.
        missing_years: The years examined that lacked official data.
        steps: The computation explained in Chinese, one step per string, citing the sources.
    """

    due: date | None
    due_at: datetime | None
    nominal: date | None
    extended: bool
    skipped: Skipped
    provisional: bool
    missing_years: tuple[int, ...]
    steps: tuple[str, ...]

    def end_instant(self) -> datetime:
        """Return the instant the period expires.

        A day period lasts until 24:00 CST of its last day (civil-code:203), i.e. 00:00 +08:00 of the
        following day; an hour period ends exactly at ``due_at``.
        """
        if self.due_at is not None:
            return self.due_at
        if self.due is None:
            raise ValueError("DueDate has neither due nor due_at")
        return end_of_day(self.due)


def _package_schedule() -> tuple[dict[int, Year], str]:
    """Read ``chinese_calendar``'s tables into typed per-year schedules, with the package version.

    The package's own ``is_workday`` raises for years it lacks; reading the tables lets the calendar
    decide per year whether data exists instead of relying on an exception.
    """
    years: dict[int, Year] = {}
    tables: tuple[tuple[Any, bool], ...] = (
        (chinese_calendar.holidays, True),
        (chinese_calendar.workdays, False),
    )
    for table, is_holiday in tables:
        for day, raw_name in table.items():
            if not isinstance(day, date):
                continue
            year = years.setdefault(day.year, Year({}, {}))
            name = _PACKAGE_NAMES.get(str(raw_name), str(raw_name))
            (year.holidays if is_holiday else year.workdays)[day] = name
    return years, str(getattr(chinese_calendar, "__version__", "unknown"))


def _check_count(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return value


def _shift(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError as exc:
        raise ValueError(f"period runs past the supported date range ({day} + {days} days)") from exc


class LegalCalendar:
    """The official working-day calendar and the period rules of contract §4.

    Args:
        extra_files: YAML schedules (``year``, ``source``, ``holidays``, ``workdays``) each replacing the
            package's data for its year, so a deployment can apply a newly published State Council notice
            without a library upgrade.
        use_package: Whether to use ``chinese_calendar``'s data (2004–2026) at all.

    Raises:
        CalendarError: A file is unreadable or invalid (always with ``file``, and ``line`` when known).
    """

    def __init__(self, extra_files: Sequence[str | Path] = (), *, use_package: bool = True) -> None:
        self._years: dict[int, Year] = {}
        self._package = "chinese_calendar:off"
        if use_package:
            self._years, version = _package_schedule()
            self._package = f"chinese_calendar=={version}"
        digest = hashlib.sha256()
        from_files: dict[int, str] = {}
        for entry in extra_files:
            path = str(entry)
            try:
                raw = Path(entry).read_bytes()
                if len(raw) > MAX_BYTES:  # like every other file a deployment supplies (_yamlsrc)
                    raise CalendarError(f"file is larger than {MAX_BYTES} bytes", file=path,
                                        hint="a year's schedule is a few dozen lines")
                text = raw.decode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CalendarError(
                    f"cannot read calendar file: {exc}", file=path, hint="check path/UTF-8"
                ) from exc
            year, year_line, schedule = parse_calendar_file(path, text)
            if year in from_files:
                raise CalendarError(
                    f"year {year} is already given by {from_files[year]}",
                    file=path,
                    line=year_line,
                    field="year",
                    hint="give each year in exactly one file",
                )
            from_files[year] = path
            self._years[year] = schedule
            digest.update(len(raw).to_bytes(8, "big") + raw)
        self._digest = digest.hexdigest()

    def has_data(self, year: int) -> bool:
        """Return whether an official schedule (package or file) exists for ``year``."""
        return year in self._years

    def known_years(self) -> tuple[int, ...]:
        """Return the years with official data, sorted."""
        return tuple(sorted(self._years))

    def is_workday(self, d: date) -> bool:
        """Return whether ``d`` is a working day; years without data use the weekday-only rule."""
        year = self._years.get(d.year)
        if year is not None:
            if d in year.workdays:
                return True
            if d in year.holidays:
                return False
        return d.weekday() < 5

    def day_label(self, d: date) -> str:
        """Return why ``d`` is (not) a working day.

        One of: the holiday name (e.g. "国庆节"), "周六", "周日", "调休工作日" or "工作日".
        """
        year = self._years.get(d.year)
        if year is not None:
            if d in year.workdays:
                return "调休工作日"
            if d in year.holidays:
                return year.holidays[d]
        return _WEEKEND.get(d.weekday(), "工作日")

    def roll_forward(self, d: date) -> tuple[date, Skipped]:
        """Return the first working day on or after ``d`` and the non-working days passed over."""
        skipped: list[tuple[date, str]] = []
        while not self.is_workday(d):
            skipped.append((d, self.day_label(d)))
            d = _shift(d, 1)
        return d, tuple(skipped)

    def add_days(self, start: date, days: int) -> DueDate:
        """End of a period of ``days`` days starting on ``start`` (cpl:105, civil-code:201/203)."""
        nominal = _shift(start, _check_count(days, "days"))
        steps = [f"起算日 {start} 不计入{_NOT_COUNTED}", f"{days}日期间名义届满日为 {nominal}"]
        return self._extend(nominal, steps)

    def add_months(self, start: date, months: int) -> DueDate:
        """End of a period of ``months`` months starting on ``start`` (cpl-interp:202)."""
        index = start.year * 12 + start.month - 1 + _check_count(months, "months")
        year, month = divmod(index, 12)
        if year > MAXYEAR:
            raise ValueError(f"period runs past the supported date range ({start} + {months} months)")
        last = _stdcal.monthrange(year, month + 1)[1]
        steps = [f"起算日 {start} 不计入{_NOT_COUNTED}"]
        if start.day == _stdcal.monthrange(start.year, start.month)[1]:
            nominal = date(year, month + 1, last)
            steps.append(
                f"起算日为当月最后一日，{months}个月期间至 {year}年{month + 1}月最后一日（cpl-interp:202）"
            )
        elif start.day > last:
            nominal = date(year, month + 1, last)
            steps.append(
                f"{year}年{month + 1}月无{start.day}日，{months}个月期间至该月最后一日"
                "（cpl-interp:202、civil-code:202）"
            )
        else:
            nominal = date(year, month + 1, start.day)
            steps.append(f"{months}个月期间至 {year}年{month + 1}月同日（cpl-interp:202、civil-code:202）")
        steps.append(f"{months}个月期间名义届满日为 {nominal}")
        return self._extend(nominal, steps)

    def add_years(self, start: date, years: int) -> DueDate:
        """End of a period of ``years`` years: the same month and day, Feb 29 -> Feb 28 (civil-code:202)."""
        year = start.year + _check_count(years, "years")
        if year > MAXYEAR:
            raise ValueError(f"period runs past the supported date range ({start} + {years} years)")
        steps = [f"起算日 {start} 不计入{_NOT_COUNTED}"]
        if (start.month, start.day) == (2, 29) and not _stdcal.isleap(year):
            nominal = date(year, 2, 28)
            steps.append(f"{year}年无2月29日，{years}年期间至该月最后一日 2月28日（civil-code:202）")
        else:
            nominal = start.replace(year=year)
        steps.append(f"{years}年期间名义届满日为 {nominal}")
        return self._extend(nominal, steps)

    def add_working_days(self, start: date, days: int) -> DueDate:
        """End of a period of ``days`` working days: only working days after ``start`` are counted.

        The day reached is a working day by construction, so such a period is never extended; the
        non-working days passed over while counting are reported in ``skipped``. A zero-day period
        ends on ``start`` itself, moved to the next working day if needed, like :meth:`add_days`.
        """
        if _check_count(days, "days") == 0:
            return self.add_days(start, 0)
        day, counted, skipped, examined = start, 0, [], []
        while counted < days:
            day = _shift(day, 1)
            examined.append(day)
            if self.is_workday(day):
                counted += 1
            else:
                skipped.append((day, self.day_label(day)))
        steps = [
            f"起算日 {start} 不计入{_NOT_COUNTED}",
            f"自起算日次日起只计工作日，第{days}个工作日为 {day}",
        ]
        if skipped:
            steps.append("计算中未计入的非工作日：" + "、".join(f"{d}（{why}）" for d, why in skipped))
        return self._result(day, day, tuple(skipped), examined, steps)

    def add_hours(self, start: datetime, hours: int) -> DueDate:
        """End instant of a period of ``hours`` hours: ``start`` plus exactly that many hours.

        The arithmetic is done in UTC so that a caller's zone with daylight saving cannot shift the
        result, and no holiday extension applies: the period is counted from the instant (civil-code:201).

        Raises:
            ValueError: ``start`` is naive or ``hours`` is negative.
        """
        _check_count(hours, "hours")
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be timezone-aware")
        begin = start if start.tzinfo is CST else start.astimezone(CST)
        try:
            # CST has no daylight saving, so adding in CST is adding in UTC; other zones go through UTC.
            end = begin + timedelta(hours=hours) if start.tzinfo is CST else \
                (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(CST)
        except OverflowError as exc:
            raise ValueError(f"period runs past the supported date range ({start} + {hours} hours)") from exc
        steps = (
            f"自 {begin.isoformat()} 起算，按小时计算的期间自该时刻开始计算（civil-code:201）",
            f"{hours}小时期间届满于 {end.isoformat()}，按时刻精确计算，不作节假日顺延",
        )
        return DueDate(None, end, None, False, (), False, (), steps)

    def fingerprint(self) -> str:
        """Identify the calendar data used, for the result receipt.

        Returns:
            ``"<sha256 hex of the override files>+<package>"``, e.g. ``"e3b0…b855+chinese_calendar==1.11.0"``.
            The hash covers each file's bytes (length-prefixed, in the order given) and is the hash of
            the empty string when there are no files; ``<package>`` is ``chinese_calendar:off`` when the
            package data is not used.
        """
        return f"{self._digest}+{self._package}"

    def _extend(self, nominal: date, steps: list[str]) -> DueDate:
        """Move a nominal last day to the next working day if needed (cpl:105, civil-code:203)."""
        due, skipped = self.roll_forward(nominal)
        if skipped:
            label = skipped[0][1]
            kind = f"{label}（非工作日）" if label in _WEEKEND.values() else f"法定节假日（{label}）"
            steps.append(f"{nominal} 为{kind}，顺延至下一个工作日 {due}（cpl:105、civil-code:203）")
            if len(skipped) > 1:
                steps.append("顺延跳过的非工作日：" + "、".join(f"{d}（{why}）" for d, why in skipped))
        else:
            steps.append(f"{nominal} 为{self.day_label(nominal)}，不顺延")
        examined = [nominal, *(d for d, _ in skipped), due]
        return self._result(nominal, due, skipped, examined, steps)

    def _result(
        self, nominal: date, due: date, skipped: Skipped, examined: list[date], steps: list[str]
    ) -> DueDate:
        missing = tuple(sorted({d.year for d in examined if not self.has_data(d.year)}))
        if missing:
            years = "、".join(str(y) for y in missing)
            steps.append(f"注意：{years}年无官方节假日安排数据，仅将周六、周日视为非工作日，结果为暂定")
        steps.append(f"期间届满日为 {due}，截止时间为该日二十四时（civil-code:203）")
        return DueDate(due, None, nominal, due != nominal, skipped, bool(missing), missing, tuple(steps))
