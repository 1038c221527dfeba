"""Deployment calendar files: one year's official holiday schedule, checked line by line.

A deployment adds a year the ``chinese_calendar`` package does not know yet (or corrects one) with a
YAML file — ``year``, ``source``, ``holidays``, ``workdays`` — transcribed from the State Council's
notice. Such a file is untrusted input like every other: it is composed with the safe loader, every
scalar is built node by node, and each error names the file, the line and the field.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, date, datetime, timedelta
from typing import Any

import yaml

from fuxian_rules.errors import CalendarError
from fuxian_rules.safe_yaml import MAX_DEPTH, flow_too_deep

__all__ = ["Year", "parse_calendar_file"]

_TOP_KEYS = ("year", "source", "holidays", "workdays")
_ITEM_KEYS = ("date", "from", "to", "name")
#: date -> (name, item node, field path) while a calendar file is being checked.
_Entries = dict[date, tuple[str, yaml.Node, str]]


@dataclass(frozen=True)
class Year:
    """One year's official schedule: statutory days off and adjusted working days, by date."""

    holidays: dict[date, str]
    workdays: dict[date, str]


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

    def parse(self) -> tuple[int, int, Year]:
        """Return ``(year, line of the year key, schedule)`` or raise :class:`CalendarError`."""
        deep = flow_too_deep(self.text)
        if deep is not None:
            raise CalendarError(f"nesting deeper than {MAX_DEPTH} levels", file=self.path, line=deep,
                                hint="a calendar file is a mapping of short lists")
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except RecursionError:
            raise CalendarError(f"nesting deeper than {MAX_DEPTH} levels", file=self.path,
                                hint="a calendar file is a mapping of short lists") from None
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
        schedule = Year(
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




def parse_calendar_file(path: str, text: str) -> tuple[int, int, Year]:
    """Check one calendar file and return its year, the line of its ``year`` key and its schedule.

    Raises:
        CalendarError: the file is invalid (with ``file``, ``line`` and ``field``).
    """
    return _FileParser(path, text).parse()
