"""The ``fuxian-rules`` command line.

``check`` evaluates a JSON Lines file; ``rules`` lists the catalogue; ``explain`` shows why each
obligation of one case arose (and, with ``--rule``, why a rule did not fire); ``schema`` prints the
JSON Schema of events for callers in other languages; ``coverage`` shows how each clause of the notice
is handled.

Exit status: 0 when everything was evaluated, 1 when at least one event was rejected (the rest are
still evaluated and printed), 2 on a usage error or a bad rule/policy/calendar file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import Any, BinaryIO, TextIO

from fuxian_rules import __version__
from fuxian_rules.catalog.schema import event_json_schema
from fuxian_rules.cli.coverage import add_coverage_command
from fuxian_rules.cli.table import console_for, print_text
from fuxian_rules.cli.views import print_check, print_explain, print_rules
from fuxian_rules.engine.engine import Engine
from fuxian_rules.errors import FuxianRulesError, RunError
from fuxian_rules.model.citation import Citation
from fuxian_rules.model.events import read_jsonl
from fuxian_rules.model.results import Result
from fuxian_rules.reports.cli import register as add_report_commands
from fuxian_rules.settings import settings_from_args

__all__ = ["main"]

def _events_input(path: str) -> contextlib.AbstractContextManager[BinaryIO]:
    """The events file opened for reading bytes; ``-`` is standard input (left open afterwards)."""
    if path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    return open(path, "rb")


def _engine(args: argparse.Namespace) -> Engine:
    return Engine(**settings_from_args(args).engine_kwargs())


def _basis_label(engine: Engine) -> Callable[[str], str]:
    """A citation as legal staff name it in a table: ``通知三（十一）`` for the notice, else its id."""
    def label(cid: str) -> str:
        cited = Citation.parse(cid)
        clause = engine.catalog.notice.get(cited.article) if cited.is_notice else None
        return f"通知{clause.label}" if clause is not None else cid
    return label


def _print_result(result: Result, fmt: str, out: TextIO, engine: Engine | None = None) -> None:
    if fmt == "json":
        data = result.model_dump(mode="json")
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    print_check(result, out, _basis_label(engine) if engine is not None else str)


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    if args.stream:
        try:
            return _check_stream(engine, args, out)
        finally:
            engine.close()
    try:
        with _events_input(args.events) as fh:
            result = engine.evaluate(read_jsonl(fh), args.as_of)
    finally:
        engine.close()
    _print_result(result, args.format, out, engine)
    return 1 if result.rejected else 0


def _check_stream(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    """JSON Lines out as each case ends: ``{"obligation": …}``, ``{"rejected": …}``, then ``{"receipt": …}``."""
    rejected = 0
    with _events_input(args.events) as fh:
        for _, obligations, rejections in engine.evaluate_stream(read_jsonl(fh), args.as_of):
            for o in obligations:
                out.write(json.dumps({"obligation": o.model_dump(mode="json")}, ensure_ascii=False) + "\n")
            for r in rejections:
                rejected += 1
                out.write(json.dumps({"rejected": r.model_dump(mode="json")}, ensure_ascii=False) + "\n")
    out.write(json.dumps({"receipt": engine.receipt().model_dump(mode="json")}, ensure_ascii=False) + "\n")
    return 1 if rejected else 0


def _cmd_rules(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    cat = engine.catalog
    if args.format == "json":
        data = [{"id": r.spec.id, "area": r.area, "title": r.spec.title, "modality": r.spec.modality,
                 "basis": r.spec.basis, "file": f"{r.file}:{r.line}"} for r in cat.rules.values()]
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0
    print_rules(cat.rules.values(), f"共 {len(cat.rules)} 条规则，{len(cat.areas)} 个条款区；规则目录 {cat.sha256[:12]}"
                f"（{cat.directory}）", out, _basis_label(engine))
    return 0


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    if args.rule is not None and args.rule not in engine.catalog.rules:
        close = get_close_matches(args.rule, engine.catalog.rules, 1)
        raise RunError(f"no rule {args.rule!r} in the catalogue", field="--rule",
                       hint="`fuxian-rules rules` lists the rule ids" + "".join(f"; did you mean {m}?" for m in close))
    with _events_input(args.events) as fh:
        obligations, why = engine.explain(args.case_id, read_jsonl(fh), args.as_of, args.rule)
    console = console_for(out)
    if args.rule is not None:
        print_text(console, "\n".join(why))
        return 0
    if not obligations:
        print_text(console, f"案件 {args.case_id} 没有产生任何义务（检查案件编号，或用 --rule 询问某条规则为何未触发）")
        return 0
    print_explain(args.case_id, obligations, lambda cid: _clause_text(engine, cid), out)
    return 0


def _clause_text(engine: Engine, cid: str) -> str | None:
    cat = engine.catalog
    cited = Citation.parse(cid)
    if cited.is_notice:
        clause = cat.notice.get(cited.article)
        return clause.text.replace("\n", " ") if clause else None
    art = cat.citations.get(cid)
    return str(art["text"]).replace("\n", " ") if art else None


def _cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    out.write(json.dumps(event_json_schema(engine.catalog), ensure_ascii=False, indent=2) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs generator)."""
    parser = argparse.ArgumentParser(
        prog="fuxian-rules",
        description="Check events against notice 惠政文〔2024〕22号 (Huiji District 府检联动).",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--rules", help="rule catalogue folder (default: the bundled rules/)")
    common.add_argument("--policy", help="deployment policy file overriding rules/policy.yaml")
    common.add_argument("--calendar", action="append", metavar="FILE",
                        help="official holiday schedule for a year the calendar lacks (repeatable)")
    common.add_argument("--backend", choices=["auto", "durable_rules", "reference"],
                        help="rule evaluator (default: auto, or FUXIAN_BACKEND / the settings file)")
    common.add_argument("--units", metavar="FILE",
                        help="the district's own units (schools, kindergartens …), merged with rules/units.yaml")
    common.add_argument("--areas", metavar="A,B",
                        help="only these clause areas (comma-separated; default: all)")
    common.add_argument("--settings", metavar="FILE",
                        help="deployment settings file (TOML or YAML); FUXIAN_* variables and flags override it")
    parser.add_argument("--version", action="version", version=f"fuxian-rules {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", parents=[common], help="evaluate a JSON Lines file of events")
    p.add_argument("events", help="JSON Lines file, one event per line; - for standard input")
    p.add_argument("--as-of", required=True, help="ISO date (end of that day, CST) or datetime with offset")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.add_argument("--stream", action="store_true",
                   help="input grouped by case: evaluate case by case in flat memory, JSON Lines out")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("rules", parents=[common], help="list the rule catalogue")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_cmd_rules)

    p = sub.add_parser("explain", parents=[common], help="explain one case's obligations in Chinese")
    p.add_argument("case_id")
    p.add_argument("events", help="JSON Lines file; - for standard input")
    p.add_argument("--as-of", required=True)
    p.add_argument("--rule", help="explain why this rule did (or did not) fire")
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("schema", parents=[common], help="print the JSON Schema of events")
    p.set_defaults(func=_cmd_schema)
    add_coverage_command(sub, common)
    add_report_commands(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Any = args.func
    try:
        return int(func(args, out))
    except FuxianRulesError as exc:
        sys.stderr.write(f"fuxian-rules: error: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader stopped early (`... | head`): nothing went wrong here. Python would complain again
        # when it flushes stdout at exit, so stdout is pointed at /dev/null first.
        if out is sys.stdout:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell tool stopped by the closed pipe would exit
    except OSError as exc:
        sys.stderr.write(f"fuxian-rules: error: {exc.filename}: {exc.strerror}\n")
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
