"""``fuxian-rules report`` and ``fuxian-rules digest``: the office's assessment and a unit's reminder.

Both evaluate the events exactly as ``check`` does (``Engine.evaluate_file``), so every number they
print is a count over what ``check --format json`` prints for the same file and ``--as-of``. The
writers' libraries (openpyxl, Jinja2) are imported only when a format needs them, so a missing extra
is a clear error rather than a broken command line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TextIO

from fuxian_rules import Engine, Event, parse_as_of
from fuxian_rules.settings import settings_from_args

from .compute import CST, ReportError, build_report, check_period
from .reminders import digest

__all__ = ["register"]

_MAX_LINE = 1 << 20
#: Unit codes as contract §3 writes them (the same syntax events use).
_UNIT_CODE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")


def _unit(value: str | None) -> str | None:
    if value is not None and not _UNIT_CODE.match(value):
        raise ReportError("report.bad-unit", "not a unit code (lower-case letters, digits, _ . -)", field="unit",
                          hint="for example urban_management; see rules/units.yaml")
    return value


def _engine(args: argparse.Namespace) -> Engine:
    return Engine(**settings_from_args(args).engine_kwargs())


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReportError("report.bad-date", f"{value[:40]!r} is not an ISO date (YYYY-MM-DD)", field=name,
                          hint="for example 2024-01-01") from None


def _accepted_events(engine: Engine, path: str) -> list[Event]:
    """The events ``check`` accepts from this file, to date each obligation's trigger.

    Lines that are not JSON objects are skipped here: ``evaluate_file`` has already rejected them, and
    the report counts those rejections.
    """
    pairs: list[tuple[int, object]] = []
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if len(raw) > _MAX_LINE or not raw.strip():
                continue
            try:
                pairs.append((n, json.loads(raw)))
            except ValueError:
                continue
    return engine.validate(pairs)[0]


def _ledger_events(engine: Engine, url: str) -> list[dict[str, object]]:
    """Every event the ledger stores, as ``ledger export`` writes them: the report then equals one on that file."""
    try:
        from fuxian_rules.ledger import Ledger

        from .ledger_source import ledger_events
    except ModuleNotFoundError as exc:
        raise ReportError("report.needs-ledger", f"reading the ledger needs the optional extra ({exc.name} is "
                          "missing)", field="db", hint="pip install 'fuxian-rules[ledger]'") from None
    from sqlalchemy.exc import SQLAlchemyError

    try:
        ledger = Ledger(url, engine)
    except (SQLAlchemyError, ValueError) as exc:  # the URL may hold a password: it is not repeated here
        raise ReportError("report.bad-db", f"cannot open the ledger: {type(exc).__name__}", field="db",
                          hint="sqlite:///PATH or postgresql://user@host:port/db") from None
    try:
        return list(ledger_events(ledger))
    finally:
        ledger.close()


def _cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    if args.db is not None and args.events is not None:
        raise ReportError("report.events-and-db", "give the events file or --db, not both", field="db")
    if args.events is None and args.db is None:
        raise ReportError("report.no-events", "give the events file (or --db URL for the ledger)", field="events")
    period_from, period_to = _day(args.period_from, "from"), _day(args.period_to, "to")
    unit = _unit(args.unit)
    check_period(period_from, period_to)
    if args.format == "xlsx" and args.output is None:
        raise ReportError("report.output-required", "an Excel workbook needs a file name", field="output",
                          hint="add -o report.xlsx")
    engine = _engine(args)
    try:
        if args.db is not None:
            raw = _ledger_events(engine, args.db)
            result = engine.evaluate([(n, ev) for n, ev in enumerate(raw, 1)], args.as_of or period_to.isoformat())
            events = engine.validate(raw)[0]
        else:
            result = engine.evaluate_file(args.events, args.as_of or period_to.isoformat())
            events = _accepted_events(engine, args.events)
    finally:
        engine.close()
    report = build_report(result, events, engine.catalog, period_from=period_from, period_to=period_to,
                          unit=unit)
    if args.format == "xlsx":
        from .xlsx import write_xlsx

        write_xlsx(report, args.output, engine.catalog)
    else:
        if args.format == "html":
            from .html import render_report

            text = render_report(report, engine.catalog, docs_base_url=args.docs_url)
        else:
            from .markdown import render_markdown

            text = render_markdown(report, engine.catalog)
        if args.output is None:
            out.write(text)
        else:
            Path(args.output).write_text(text, encoding="utf-8")
    if args.output is not None:
        sys.stderr.write(f"fuxian-rules: wrote {args.output}\n")
    return 1 if result.rejected else 0


def _cmd_digest(args: argparse.Namespace, out: TextIO) -> int:
    unit = _unit(args.unit)
    assert unit is not None  # --unit is required
    as_of = args.as_of or datetime.now(CST).isoformat()
    parse_as_of(as_of)  # a bad --as-of fails here with the library's own message
    engine = _engine(args)
    try:
        result = engine.evaluate_file(args.events, as_of)
    finally:
        engine.close()
    got = digest(result, unit, args.days, engine.calendar, catalog=engine.catalog)
    if args.format == "json":
        out.write(json.dumps(got.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(got.text + "\n")
    return 1 if result.rejected else 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
             parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``report`` and ``digest`` to the ``fuxian-rules`` command line."""
    p = subparsers.add_parser("report", parents=list(parents),
                              help="the joint-meeting office's assessment of every unit (xlsx, html, md)")
    p.add_argument("events", nargs="?", help="JSON Lines file of events (as for check)")
    p.add_argument("--from", dest="period_from", required=True, help="first day of the period (ISO date)")
    p.add_argument("--to", dest="period_to", required=True, help="last day of the period (ISO date)")
    p.add_argument("--as-of", help="when statuses are taken (default: the end of --to)")
    p.add_argument("--format", choices=["xlsx", "html", "md"], default="md")
    p.add_argument("--unit", help="only the obligations this unit holds")
    p.add_argument("-o", "--output", help="file to write (required for xlsx; default stdout)")
    p.add_argument("--docs-url", help="base URL of the documentation site, to link each rule to its page")
    p.add_argument("--db", metavar="URL", help="read the events the ledger stores instead of a file "
                                               "(sqlite:///PATH or postgresql://…), as `ledger export` writes them")
    p.set_defaults(func=_cmd_report)

    p = subparsers.add_parser("digest", parents=list(parents),
                              help="what one unit has overdue and what falls due within N working days")
    p.add_argument("events", help="JSON Lines file of events")
    p.add_argument("--unit", required=True, help="unit code of the holder")
    p.add_argument("--days", type=int, default=5, help="working days to look ahead (default 5)")
    p.add_argument("--as-of", help="ISO date or datetime (default: now)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=_cmd_digest)
