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
import contextlib
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from fuxian_rules._yamlsrc import MAX_BYTES
from fuxian_rules.errors import CalendarError

__all__ = ["CST", "DueDate", "LegalCalendar"]

#: China Standard Time. All periods are computed on calendar dates in CST.
CST = timezone(timedelta(hours=8))

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
_TOP_KEYS = ("year", "source", "holidays", "workdays")
_ITEM_KEYS = ("date", "from", "to", "name")
_NOT_COUNTED = "（cpl:105、civil-code:201）"

Skipped = tuple[tuple[date, str], ...]
#: date -> (name, item node, field path) while a calendar file is being checked.
_Entries = dict[date, tuple[str, yaml.Node, str]]


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
        return datetime.combine(self.due + timedelta(days=1), time(0), tzinfo=CST)


@dataclass(frozen=True)
class _Year:
    """One year's official schedule: statutory days off and adjusted working days, by date."""

    holidays: dict[date, str]
    workdays: dict[date, str]


def _package_schedule() -> tuple[dict[int, _Year], str]:
    """Read ``chinese_calendar``'s tables into typed per-year schedules, with the package version.

    The package's own ``is_workday`` raises for years it lacks; reading the tables lets the calendar
    decide per year whether data exists instead of relying on an exception.
    """
    years: dict[int, _Year] = {}
    tables: tuple[tuple[Any, bool], ...] = (
        (chinese_calendar.holidays, True),
        (chinese_calendar.workdays, False),
    )
    for table, is_holiday in tables:
        for day, raw_name in table.items():
            if not isinstance(day, date):
                continue
            year = years.setdefault(day.year, _Year({}, {}))
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


class _FileParser:
    """Validates one calendar YAML file node by node so every error carries its line number.

    The file is composed with ``yaml.SafeLoader`` (never an unsafe loader) and scalars are built with
    the safe constructor node by node, so a bad value such as ``2027-02-30`` is reported at its line.
    """

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.ctor = yaml.constructor.SafeConstructor()

    def fail(self, message: str, node: yaml.Node | None, field: str | None, hint: str) -> CalendarError:
        line = node.start_mark.line + 1 if node is not None else None
        return CalendarError(message, file=self.path, line=line, field=field, hint=hint)

    def parse(self) -> tuple[int, int, _Year]:
        """Return ``(year, line of the year key, schedule)`` or raise :class:`CalendarError`."""
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            context = exc.context or ""
            if context and exc.context_mark is not None and exc.context_mark is not mark:
                context += f" (line {exc.context_mark.line + 1})"
            raise CalendarError(
                "YAML syntax error: " + ", ".join(p for p in (context, exc.problem) if p),
                file=self.path,
                line=mark.line + 1 if mark is not None else None,
                hint="fix the YAML syntax; the file must be one YAML document",
            ) from exc
        except yaml.YAMLError as exc:
            raise CalendarError(
                f"cannot read YAML: {exc}", file=self.path, hint="save as UTF-8 YAML"
            ) from exc
        if root is None:
            raise CalendarError("file is empty", file=self.path, line=1, hint="start with 'year: <YYYY>'")
        if not isinstance(root, yaml.MappingNode):
            raise self.fail("top level must be a mapping", root, None, "start with 'year: <YYYY>'")
        top = self.mapping(root, "", _TOP_KEYS)
        if "year" not in top:
            raise self.fail("missing 'year'", root, "year", "add 'year: <YYYY>' naming the year scheduled")
        key_node, year_node = top["year"]
        year = self.value(year_node, "year")
        if isinstance(year, bool) or not isinstance(year, int) or not MINYEAR < year < MAXYEAR:
            raise self.fail("'year' must be an integer year", year_node, "year", "write e.g. 'year: 2027'")
        if "source" in top:
            source = self.value(top["source"][1], "source")
            if not isinstance(source, str) or not source.strip():
                raise self.fail(
                    "'source' must be non-empty text", top["source"][1], "source", "cite the official notice"
                )
        holidays = self.entries(top.get("holidays"), "holidays", year)
        workdays = self.entries(top.get("workdays"), "workdays", year)
        for day, (_, node, field) in workdays.items():
            if day in holidays:
                raise self.fail(
                    f"{day} is both a holiday (line {holidays[day][1].start_mark.line + 1}) and a workday",
                    node,
                    field,
                    "a day is either a statutory day off or an adjusted working day, not both",
                )
            if day.weekday() < 5:
                raise self.fail(
                    f"{day} is a weekday; 'workdays' lists only weekend days made working days",
                    node,
                    field,
                    "check the date against the official notice",
                )
        schedule = _Year(
            {d: v[0] for d, v in holidays.items()}, {d: v[0] or "调休工作日" for d, v in workdays.items()}
        )
        return year, key_node.start_mark.line + 1, schedule

    def mapping(
        self, node: yaml.MappingNode, path: str, allowed: tuple[str, ...]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Return key -> (key node, value node), rejecting duplicate, unknown and non-text keys."""
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            field = f"{path}.{key}" if path and key is not None else key
            if not isinstance(key, str) or key_node.tag == "tag:yaml.org,2002:merge":
                raise self.fail("keys must be plain names", key_node, path or None, f"allowed: {allowed}")
            if key in out:
                first = out[key][0].start_mark.line + 1
                raise self.fail(f"duplicate key {key!r} (first at line {first})", key_node, field, "keep one")
            if key not in allowed:
                raise self.fail(
                    f"unknown key {key!r}", key_node, field, f"allowed keys here: {', '.join(allowed)}"
                )
            out[key] = (key_node, value_node)
        return out

    def value(self, node: yaml.Node, field: str) -> Any:
        """Build one scalar with the safe constructor; collections are left to the caller's type check."""
        if not isinstance(node, yaml.ScalarNode):
            return node
        try:
            return self.ctor.construct_object(node)
        except (ValueError, yaml.YAMLError) as exc:
            raise self.fail(f"invalid value: {exc}", node, field, "dates are written YYYY-MM-DD") from exc

    def day(self, node: yaml.Node, field: str, year: int) -> date:
        raw = self.value(node, field)
        if isinstance(raw, str):
            with contextlib.suppress(ValueError):
                raw = date.fromisoformat(raw)
        if isinstance(raw, datetime) or not isinstance(raw, date):
            raise self.fail("not a date", node, field, "write dates as YYYY-MM-DD")
        if raw.year != year:
            raise self.fail(f"{raw} is outside the declared year {year}", node, field, "one file per year")
        return raw

    def entries(self, pair: tuple[yaml.Node, yaml.Node] | None, what: str, year: int) -> _Entries:
        """Return date -> (name, item node, field) for one list, expanding ``from``/``to`` ranges."""
        out: _Entries = {}
        if pair is None or (isinstance(pair[1], yaml.ScalarNode) and self.value(pair[1], what) is None):
            return out
        if not isinstance(pair[1], yaml.SequenceNode):
            raise self.fail(
                f"'{what}' must be a list", pair[1], what, "write '- {date: YYYY-MM-DD, name: …}'"
            )
        for index, item in enumerate(pair[1].value):
            field = f"{what}[{index}]"
            if not isinstance(item, yaml.MappingNode):
                raise self.fail("each entry must be a mapping", item, field, "{date: …, name: …}")
            keys = self.mapping(item, field, _ITEM_KEYS)
            name: Any = ""
            if "name" in keys:
                name = self.value(keys["name"][1], f"{field}.name")
            if not isinstance(name, str) or (what == "holidays" and not name.strip()):
                raise self.fail("'name' must be non-empty text", item, f"{field}.name", "e.g. name: 国庆节")
            if "date" in keys and not ({"from", "to"} & keys.keys()):
                days = [self.day(keys["date"][1], f"{field}.date", year)]
            elif "from" in keys and "to" in keys and "date" not in keys:
                first = self.day(keys["from"][1], f"{field}.from", year)
                last = self.day(keys["to"][1], f"{field}.to", year)
                if first > last:
                    raise self.fail(
                        f"from {first} is after to {last}", keys["to"][1], f"{field}.to", "swap them"
                    )
                days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            else:
                raise self.fail(
                    "give either 'date' or both 'from' and 'to'", item, field, "see the file format"
                )
            for day in days:
                if day in out:
                    seen = out[day][1].start_mark.line + 1
                    raise self.fail(
                        f"{day} is listed twice (also at line {seen})", item, field, "list it once"
                    )
                out[day] = (name.strip(), item, field)
        return out


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
        self._years: dict[int, _Year] = {}
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
            year, year_line, schedule = _FileParser(path, text).parse()
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
