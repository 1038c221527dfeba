"""Deployment calendar files: one year's official holiday schedule, checked line by line.

A deployment adds a year the ``chinese_calendar`` package does not know yet (or corrects one) with a
YAML file — ``year``, ``source``, ``holidays``, ``workdays`` — transcribed from the State Council's
notice. Such a file is untrusted input like every other: it is read by the project's one safe YAML
reader (:mod:`fuxian_rules.safe_yaml`: no aliases or anchors, no duplicate keys, every value's line
kept), and each error names the file, the line and the field.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from typing import Any

from fuxian_rules.errors import CalendarError
from fuxian_rules.safe_yaml import Located, indexed, read_yaml

__all__ = ["Year", "parse_calendar_file"]

_TOP_KEYS = ("year", "source", "holidays", "workdays")
_ITEM_KEYS = ("date", "from", "to", "name")
Path_ = tuple[str | int, ...]
#: date -> (name, path of its item) while a calendar file is being checked.
_Entries = dict[date, tuple[str, Path_]]


@dataclass(frozen=True)
class Year:
    """One year's official schedule: statutory days off and adjusted working days, by date."""

    holidays: dict[date, str]
    workdays: dict[date, str]


class _FileParser:
    """Validates one calendar file, read by the safe reader, so every error carries its line and field."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.src: Located = read_yaml(text, path, CalendarError, indexed)

    def fail(self, message: str, at: Path_, hint: str, field: Path_ | None = None) -> CalendarError:
        """An error at the line of ``at``, naming ``field`` (default: ``at`` itself)."""
        return CalendarError(message, file=self.path, line=self.src.line_of(at),
                             field=indexed(at if field is None else field), hint=hint)

    def parse(self) -> tuple[int, int, Year]:
        """Return ``(year, line of the year key, schedule)`` or raise :class:`CalendarError`."""
        root = self.src.data
        if root is None:
            raise CalendarError("file is empty", file=self.path, line=1, hint="start with 'year: <YYYY>'")
        if not isinstance(root, dict):
            raise self.fail("top level must be a mapping", (), "start with 'year: <YYYY>'")
        self.keys(root, (), _TOP_KEYS)
        if "year" not in root:
            raise self.fail("missing 'year'", (), "add 'year: <YYYY>' naming the year scheduled", ("year",))
        year = root["year"]
        if isinstance(year, bool) or not isinstance(year, int) or not MINYEAR < year < MAXYEAR:
            raise self.fail("'year' must be an integer year", ("year",), "write e.g. 'year: 2027'")
        if "source" in root:
            source = root["source"]
            if not isinstance(source, str) or not source.strip():
                raise self.fail("'source' must be non-empty text", ("source",), "cite the official notice")
        holidays = self.entries(root.get("holidays"), "holidays", year)
        workdays = self.entries(root.get("workdays"), "workdays", year)
        for day, (_, at) in workdays.items():
            if day in holidays:
                raise self.fail(
                    f"{day} is both a holiday (line {self.src.line_of(holidays[day][1])}) and a workday", at,
                    "a day is either a statutory day off or an adjusted working day, not both")
            if day.weekday() < 5:
                raise self.fail(f"{day} is a weekday; 'workdays' lists only weekend days made working days", at,
                                "check the date against the official notice")
        schedule = Year({d: v[0] for d, v in holidays.items()}, {d: v[0] or "调休工作日" for d, v in workdays.items()})
        return year, self.src.line_of(("year",)) or 1, schedule

    def keys(self, mapping: dict[str, Any], at: Path_, allowed: tuple[str, ...]) -> None:
        """Refuse keys this format does not know (duplicates were refused by the reader)."""
        for key in mapping:
            if key not in allowed:
                raise self.fail(f"unknown key {key!r}", (*at, key), f"allowed keys here: {', '.join(allowed)}")

    def day(self, value: Any, at: Path_, year: int) -> date:
        """A date of the declared year (a quoted ISO date is accepted too)."""
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = date.fromisoformat(value)
        if isinstance(value, datetime) or not isinstance(value, date):
            raise self.fail("not a date", at, "write dates as YYYY-MM-DD")
        if value.year != year:
            raise self.fail(f"{value} is outside the declared year {year}", at, "one file per year")
        return value

    def entries(self, items: Any, what: str, year: int) -> _Entries:
        """Return date -> (name, item path) for one list, expanding ``from``/``to`` ranges."""
        out: _Entries = {}
        if items is None:
            return out
        if not isinstance(items, list):
            raise self.fail(f"'{what}' must be a list", (what,), "write '- {date: YYYY-MM-DD, name: …}'")
        for index, item in enumerate(items):
            at: Path_ = (what, index)
            if not isinstance(item, dict):
                raise self.fail("each entry must be a mapping", at, "{date: …, name: …}")
            self.keys(item, at, _ITEM_KEYS)
            name = item.get("name", "")
            if not isinstance(name, str) or (what == "holidays" and not name.strip()):
                raise self.fail("'name' must be non-empty text", at, "e.g. name: 国庆节", (*at, "name"))
            if "date" in item and not ({"from", "to"} & item.keys()):
                days = [self.day(item["date"], (*at, "date"), year)]
            elif "from" in item and "to" in item and "date" not in item:
                first = self.day(item["from"], (*at, "from"), year)
                last = self.day(item["to"], (*at, "to"), year)
                if first > last:
                    raise self.fail(f"from {first} is after to {last}", (*at, "to"), "swap them")
                days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            else:
                raise self.fail("give either 'date' or both 'from' and 'to'", at, "see the file format")
            for day in days:
                if day in out:
                    seen = self.src.line_of(out[day][1])
                    raise self.fail(f"{day} is listed twice (also at line {seen})", at, "list it once")
                out[day] = (name.strip(), at)
        return out


def parse_calendar_file(path: str, text: str) -> tuple[int, int, Year]:
    """Check one calendar file and return its year, the line of its ``year`` key and its schedule.

    Raises:
        CalendarError: the file is invalid (with ``file``, ``line`` and ``field``).
    """
    return _FileParser(path, text).parse()
