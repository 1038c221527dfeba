"""pytest plugin: run the worked examples legal staff write beside the rules (``rules/*.scenarios.yaml``).

A scenario file needs no Python. Each scenario gives a name, an ``as_of``, the events (contract §1,
written as YAML) and what must come out::

    area: transfer                      # optional: which rule file the examples illustrate
    scenarios:
      - name: 国庆节前提交报告，决定期限顺延至节后
        as_of: 2024-10-31
        events:
          - {id: a1, type: transfer_report_submitted, case_id: X1, occurred_at: 2024-09-28,
             data: {agency: ecology}}
        expect:
          - {rule: transfer.decide, case_id: X1, status: overdue, due: 2024-10-08, holder: ecology}
        expect_absent: [transfer.send]  # rule ids (or {rule, case_id}) that must not fire

``expect`` entries: ``rule`` and ``status`` are required; ``case_id``, ``due`` (a date, a datetime with
offset, or null for "no due date"), ``holder`` and ``triggered_by`` (an event id) narrow it down. An
entry passes when some obligation of that rule (and case) has every field given. Every event must be
accepted: a rejected event fails the scenario with its line. Failures name ``file:line`` and the
scenario. Files are read with the project's safe, line-aware YAML reader; rule ids and statuses are
checked against the catalogue when the file is collected, so a misspelt id fails instead of passing.

Loaded by pytest through ``-p fuxian_rules.testing.plugin`` in ``pyproject.toml`` (``tests/`` is on the
``pythonpath``), so ``rules/`` stays pure data; ``pytest``, ``pytest rules`` and
``pytest rules/3.11-transfer.scenarios.yaml`` all run the scenarios. One reference engine is built per
catalogue folder for the whole session.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from fuxian_rules import Engine
from fuxian_rules.errors import LoadError
from fuxian_rules.model.results import Obligation
from fuxian_rules.safe_yaml import Located, read_yaml

__all__ = ["Scenario", "ScenarioFailure", "ScenarioFileError", "load_scenarios", "pytest_collect_file"]

SUFFIX = ".scenarios.yaml"
STATUSES = ("open", "fulfilled", "fulfilled_late", "overdue", "violated", "advisory", "cancelled")
_TOP = {"area", "title", "description", "scenarios"}
_SCENARIO = {"name", "description", "as_of", "events", "expect", "expect_absent"}
_EXPECT = {"rule", "case_id", "status", "due", "holder", "triggered_by"}
_ABSENT = {"rule", "case_id"}


class ScenarioFileError(LoadError):
    """A scenario file is malformed (always with file and line)."""


class ScenarioFailure(Exception):
    """A scenario did not produce what it expects."""


@dataclass
class Expectation:
    """One ``expect`` entry."""

    line: int
    rule: str
    status: str
    case_id: str | None = None
    holder: str | None = None
    triggered_by: str | None = None
    due: Any = field(default=None)
    has_due: bool = False

    def describe(self) -> str:
        """The entry as the author wrote it."""
        parts = [f"rule={self.rule}", f"status={self.status}"]
        parts += [f"{k}={v}" for k, v in (("case_id", self.case_id), ("holder", self.holder),
                                          ("triggered_by", self.triggered_by)) if v is not None]
        if self.has_due:
            parts.append(f"due={_iso(self.due)}")
        return ", ".join(parts)

    def matches(self, o: Obligation) -> list[str]:
        """The fields in which ``o`` differs from this entry (empty: it matches)."""
        wrong = []
        if o.status != self.status:
            wrong.append(f"status {o.status}")
        if self.holder is not None and o.holder != self.holder:
            wrong.append(f"holder {o.holder}")
        if self.has_due and not _same_due(self.due, o.due):
            wrong.append(f"due {o.due}")
        return wrong


@dataclass
class Scenario:
    """One worked example."""

    name: str
    line: int
    as_of: str
    events: list[tuple[int, Any]]
    expect: list[Expectation]
    absent: list[tuple[int, str, str | None]]


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _same_due(want: Any, got: str | None) -> bool:
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, datetime) or (isinstance(want, str) and "T" in want):
        try:
            w = want if isinstance(want, datetime) else datetime.fromisoformat(want)
            return bool("T" in got and w.utcoffset() is not None and datetime.fromisoformat(got) == w)
        except ValueError:
            return False
    return bool(_iso(want) == got)


def _plain(value: Any) -> Any:
    """Turn YAML dates and timestamps back into the ISO strings contract §1 events carry."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return _iso(value)


class _Reader:
    def __init__(self, src: Located, rules: set[str] | None) -> None:
        self.src, self.rules = src, rules

    def fail(self, message: str, path: tuple[str | int, ...], hint: str | None = None) -> ScenarioFileError:
        return ScenarioFileError(message, file=self.src.file, line=self.src.line_of(path),
                                 field=".".join(str(p) for p in path) or None, hint=hint)

    def mapping(self, value: Any, path: tuple[str | int, ...], allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail("must be a mapping", path, f"keys: {', '.join(sorted(allowed))}")
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                raise self.fail(f"unknown key {key!r}", (*path, key),
                                f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(sorted(allowed))}")
        for key in sorted(required - set(value)):
            raise self.fail(f"missing {key!r}", path, f"add '{key}:'")
        return value

    def text(self, value: Any, path: tuple[str | int, ...]) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be non-empty text", path)
        return value

    def rule(self, value: Any, path: tuple[str | int, ...]) -> str:
        rule = self.text(value, path)
        if self.rules is not None and rule not in self.rules:
            close = difflib.get_close_matches(rule, self.rules, n=1)
            raise self.fail(f"no rule {rule!r} in the catalogue", path,
                            f"did you mean {close[0]!r}?" if close else "see `fuxian-rules rules`")
        return rule

    def scenarios(self) -> list[Scenario]:
        top = self.mapping(self.src.data, (), _TOP, {"scenarios"})
        items = top["scenarios"]
        if not isinstance(items, list) or not items:
            raise self.fail("'scenarios' must be a non-empty list", ("scenarios",))
        out: list[Scenario] = []
        names: dict[str, int] = {}
        for i, raw in enumerate(items):
            at: tuple[str | int, ...] = ("scenarios", i)
            sc = self.mapping(raw, at, _SCENARIO, {"name", "as_of", "events"})
            name = self.text(sc["name"], (*at, "name"))
            if name in names:
                raise self.fail(f"scenario name {name!r} is used twice (first at line {names[name]})", (*at, "name"))
            names[name] = self.src.line_of(at) or 0
            out.append(self.scenario(sc, at, name))
        return out

    def scenario(self, sc: dict[str, Any], at: tuple[str | int, ...], name: str) -> Scenario:
        as_of = sc["as_of"]
        if isinstance(as_of, datetime) and as_of.utcoffset() is None:
            raise self.fail("as_of must carry a UTC offset", (*at, "as_of"), "e.g. 2024-10-31T18:00:00+08:00")
        if not isinstance(as_of, date | str):
            raise self.fail("as_of must be a date or a datetime with offset", (*at, "as_of"))
        events = sc["events"]
        if not isinstance(events, list):
            raise self.fail("'events' must be a list of events", (*at, "events"))
        evs = [(self.src.line_of((*at, "events", j)) or 0, _plain(ev)) for j, ev in enumerate(events)]
        expects: list[Expectation] = []
        for j, raw in enumerate(sc.get("expect") or []):
            p = (*at, "expect", j)
            ex = self.mapping(raw, p, _EXPECT, {"rule", "status"})
            status = self.text(ex["status"], (*p, "status"))
            if status not in STATUSES:
                raise self.fail(f"unknown status {status!r}", (*p, "status"), f"one of {', '.join(STATUSES)}")
            due = ex.get("due")
            if isinstance(due, datetime) and due.utcoffset() is None:
                raise self.fail("a due datetime must carry a UTC offset", (*p, "due"))
            if due is not None and not isinstance(due, date | str):
                raise self.fail("due must be a date, a datetime with offset, or null", (*p, "due"))
            opt = {k: self.text(ex[k], (*p, k)) for k in ("case_id", "holder", "triggered_by") if k in ex}
            expects.append(Expectation(self.src.line_of(p) or 0, self.rule(ex["rule"], (*p, "rule")), status,
                                       due=due, has_due="due" in ex, **opt))
        absent: list[tuple[int, str, str | None]] = []
        raw_absent = sc.get("expect_absent") or []
        if not isinstance(raw_absent, list):
            raise self.fail("'expect_absent' must be a list of rule ids", (*at, "expect_absent"))
        for j, raw in enumerate(raw_absent):
            p = (*at, "expect_absent", j)
            if isinstance(raw, dict):
                ab = self.mapping(raw, p, _ABSENT, {"rule"})
                case = self.text(ab["case_id"], (*p, "case_id")) if "case_id" in ab else None
                absent.append((self.src.line_of(p) or 0, self.rule(ab["rule"], (*p, "rule")), case))
            else:
                absent.append((self.src.line_of(p) or 0, self.rule(raw, p), None))
        if not expects and not absent:
            raise self.fail("a scenario must expect something", at, "add 'expect:' or 'expect_absent:'")
        return Scenario(name, self.src.line_of(at) or 0, str(_iso(as_of)), evs, expects, absent)


def load_scenarios(path: Path, rules: set[str] | None = None) -> list[Scenario]:
    """Read and check a scenario file; ``rules`` (the catalogue's rule ids) catches misspelt ids.

    Raises:
        ScenarioFileError: the file is not valid YAML or not a valid scenario file (file:line, field).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioFileError(f"cannot read: {exc.strerror}", file=str(path)) from None
    src = read_yaml(raw, str(path), ScenarioFileError)
    return _Reader(src, rules).scenarios()


def run_scenario(engine: Engine, sc: Scenario, file: str) -> list[str]:
    """Evaluate one scenario; return the problems (empty: it passes)."""
    result = engine.evaluate(sc.events, sc.as_of)
    problems = [f"{file}:{r.line}: event {r.id or ''} rejected: {r.message}" for r in result.rejected]
    for ex in sc.expect:
        pool = [o for o in result.obligations if o.rule == ex.rule
                and (ex.case_id is None or o.case_id == ex.case_id)
                and (ex.triggered_by is None or (o.triggered_by[:1] == [ex.triggered_by]))]
        if any(not ex.matches(o) for o in pool):
            continue
        if not pool:
            problems.append(f"{file}:{ex.line}: expected {ex.describe()}; the rule raised nothing here")
        else:
            got = "; ".join(f"{o.case_id} triggered by {o.triggered_by[0] if o.triggered_by else '—'}: "
                            + ", ".join(ex.matches(o)) for o in pool)
            problems.append(f"{file}:{ex.line}: expected {ex.describe()}; got {got}")
    for line, rule, case in sc.absent:
        fired = [o for o in result.obligations if o.rule == rule and (case is None or o.case_id == case)]
        if fired:
            what = ", ".join(f"{o.case_id} {o.status}" for o in fired)
            problems.append(f"{file}:{line}: expected no {rule}" + (f" in {case}" if case else "") + f"; got {what}")
    return problems


_ENGINES: dict[str, Engine] = {}


def engine_for(directory: Path) -> Engine:
    """One reference engine per catalogue directory, for the whole session."""
    key = str(directory.resolve())
    if key not in _ENGINES:
        _ENGINES[key] = Engine(directory, backend="reference")
    return _ENGINES[key]


class ScenarioFile(pytest.File):
    """A ``*.scenarios.yaml`` file: one test per scenario."""

    def collect(self) -> Iterator[ScenarioItem]:
        """Check the file and yield its scenarios."""
        engine = engine_for(self.path.parent)
        for sc in load_scenarios(self.path, set(engine.catalog.rules)):
            yield ScenarioItem.from_parent(self, name=sc.name, scenario=sc)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        """A malformed file is reported as file:line, field and hint — no traceback."""
        if isinstance(excinfo.value, LoadError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # a collector's report takes no style


class ScenarioItem(pytest.Item):
    """One scenario."""

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        """Evaluate and compare."""
        engine = engine_for(self.path.parent)
        problems = run_scenario(engine, self.scenario, self._file())
        if problems:
            raise ScenarioFailure("\n".join(problems))

    def _file(self) -> str:
        try:
            return str(self.path.relative_to(self.config.rootpath))
        except ValueError:
            return str(self.path)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str | Any:
        """``file:line: scenario 'name'`` and one line per unmet expectation."""
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{self._file()}:{self.scenario.line}: scenario {self.scenario.name!r} failed:\n{excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the scenario is written."""
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ScenarioFile | None:
    """Collect ``*.scenarios.yaml`` files."""
    if file_path.name.endswith(SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None
