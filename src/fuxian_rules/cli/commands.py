"""The ``fuxian-rules`` command line.

``check`` evaluates a JSON Lines file; ``rules`` lists the catalogue; ``explain`` shows why each
obligation of one case arose (and, with ``--rule``, why a rule did not fire); ``schema`` prints the
JSON Schema of events for callers in other languages; ``coverage`` shows how each clause of the notice
is handled.

Exit status: 0 when everything was evaluated, 1 when at least one event was rejected (the rest are
still evaluated and printed), 2 on a usage error or a bad rule/policy/calendar file, 3 on an internal
error (a bug: no input should cause one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from difflib import get_close_matches
from typing import Any, TextIO

from fuxian_rules import __version__
from fuxian_rules.catalog.schema import event_json_schema
from fuxian_rules.cli.check import events_input, run_check
from fuxian_rules.cli.coverage import add_coverage_command
from fuxian_rules.cli.table import console_for, print_text
from fuxian_rules.cli.views import print_check, print_explain, print_rules
from fuxian_rules.engine.engine import Engine
from fuxian_rules.engine.limits import freeze_long_lived
from fuxian_rules.errors import FuxianRulesError, RunError
from fuxian_rules.model.citation import Citation
from fuxian_rules.model.events import read_jsonl
from fuxian_rules.model.results import Result
from fuxian_rules.parallel.cli import add_workers_option, maybe_check_partitioned
from fuxian_rules.reports.cli import register as add_report_commands
from fuxian_rules.service.cli import register as add_service_commands
from fuxian_rules.settings import settings_from_args

__all__ = ["main"]

def _engine(args: argparse.Namespace) -> Engine:
    engine = Engine(**settings_from_args(args).engine_kwargs())
    if getattr(args, "own_process", False):
        freeze_long_lived()
    return engine


def _basis_label(engine: Engine) -> Callable[[str], str]:
    """A citation as legal staff name it in a table: ``通知三（十一）`` for the notice, else its id."""
    def label(cid: str) -> str:
        cited = Citation.parse(cid)
        clause = engine.catalog.notice.get(cited.article) if cited.is_notice else None
        return f"通知{clause.label}" if clause is not None else cid
    return label


def _print_result(result: Result, fmt: str, out: TextIO, engine: Engine | None = None) -> None:
    """Print a result computed elsewhere (the partitioned check) exactly as the one-process check does."""
    if fmt == "json":
        data = result.model_dump(mode="json")
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    print_check(result, out, _basis_label(engine) if engine is not None else str)


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    def print_partitioned(result: Result, fmt: str, to: TextIO) -> None:
        # Tables name clauses from the catalogue, so they need an engine; JSON does not.
        _print_result(result, fmt, to, _engine(args) if fmt != "json" else None)

    if (code := maybe_check_partitioned(args, out, print_partitioned)) is not None:
        return code
    with _engine(args) as engine:
        return run_check(engine, args.events, args.as_of, args.format, args.stream, out, _basis_label(engine))


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
    with events_input(args.events) as fh:
        obligations, why = engine.explain(args.case_id, read_jsonl(fh, engine.reader.known_word), args.as_of,
                                         args.rule)
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
    add_workers_option(p)
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
    add_service_commands(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    # Run as the `fuxian-rules` program (not called from Python with arguments): the process is ours.
    args.own_process = argv is None
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
    except Exception as exc:  # a bug: its own status, and nothing of the input (the message may hold it)
        sys.stderr.write(f"fuxian-rules: internal error ({type(exc).__name__}); this is a bug, please report it "
                         "with the command that caused it (set FUXIAN_RULES_TRACEBACK=1 for the traceback)\n")
        if os.environ.get("FUXIAN_RULES_TRACEBACK"):
            import traceback

            traceback.print_exc()
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
