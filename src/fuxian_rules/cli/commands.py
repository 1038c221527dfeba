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
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from fuxian_rules.catalog.schema import event_json_schema
from fuxian_rules.cli.coverage import add_coverage_command
from fuxian_rules.cli.table import print_table
from fuxian_rules.engine.engine import Engine
from fuxian_rules.errors import FuxianRulesError
from fuxian_rules.model.citation import Citation
from fuxian_rules.model.events import read_jsonl
from fuxian_rules.model.labels import STATUS_ZH
from fuxian_rules.model.results import Result

__all__ = ["main"]



def _engine(args: argparse.Namespace) -> Engine:
    return Engine(args.rules, policy=args.policy, calendars=args.calendar or (), backend=args.backend)


def _print_result(result: Result, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        data = result.model_dump(mode="json")
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    rows = [["case_id", "rule", "holder", "status", "due", "basis"]]
    for o in result.obligations:
        rows.append([o.case_id, o.rule, o.holder_name, f"{STATUS_ZH[o.status].short} {o.status}",
                     (o.due or "—") + (" (provisional)" if o.due_provisional else ""), ", ".join(o.basis)])
    out.write(f"as of {result.as_of}: {len(result.obligations)} obligations, {len(result.rejected)} rejected\n\n")
    if len(rows) > 1:
        print_table(rows, out)
    counts: dict[str, int] = {}
    for o in result.obligations:
        counts[o.status] = counts.get(o.status, 0) + 1
    if counts:
        out.write("\n" + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) + "\n")
    if result.rejected:
        out.write("\nrejected events:\n")
        for r in result.rejected:
            where = f"line {r.line}" if r.line is not None else "event"
            out.write(f"  {where}" + (f" id {r.id!r}" if r.id else "") + f": {r.message}\n")
    rc = result.receipt
    out.write(f"\nreceipt: fuxian_rules {rc.library_version}, backend {rc.backend}, "
              f"catalogue {rc.catalog_sha256[:12]}, "
              f"policy {rc.policy_sha256[:12]} ({rc.policy_source}), calendar years "
              f"{rc.calendar_years[0]}–{rc.calendar_years[-1]}, areas {', '.join(rc.active_areas)}\n")
    if rc.backend_note:
        out.write(f"note: {rc.backend_note}\n")


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    if args.stream:
        try:
            return _check_stream(engine, args, out)
        finally:
            engine.close()
    try:
        result = engine.evaluate_file(args.events, args.as_of)
    finally:
        engine.close()
    _print_result(result, args.format, out)
    return 1 if result.rejected else 0


def _check_stream(engine: Engine, args: argparse.Namespace, out: TextIO) -> int:
    """JSON Lines out as each case ends: ``{"obligation": …}``, ``{"rejected": …}``, then ``{"receipt": …}``."""
    rejected = 0
    with open(args.events, "rb") as fh:
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
    rows = [["id", "modality", "period", "basis", "title"]]
    for r in cat.rules.values():
        p = r.spec.period
        period = "—" if p is None else ", ".join(f"{k}={v}" for k, v in p.model_dump(exclude_none=True).items())
        rows.append([r.spec.id, r.spec.modality, period, ", ".join(r.spec.basis), r.spec.title])
    print_table(rows, out)
    out.write(f"\n{len(cat.rules)} rules in {len(cat.areas)} areas; catalogue {cat.sha256[:12]} ({cat.directory})\n")
    return 0


def _cmd_explain(args: argparse.Namespace, out: TextIO) -> int:
    engine = _engine(args)
    with open(args.events, "rb") as fh:
        obligations, why = engine.explain(args.case_id, read_jsonl(fh), args.as_of, args.rule)
    if args.rule is not None:
        out.write("\n".join(why) + "\n")
        return 0
    if not obligations:
        out.write(f"案件 {args.case_id} 没有产生任何义务（检查 case_id，或用 --rule 询问某条规则为何未触发）\n")
        return 0
    for o in obligations:
        out.write(f"== {o.rule} · {STATUS_ZH[o.status].short} ({o.status}) · due {o.due or '—'}\n")
        out.write(o.explanation + "\n")
        for cid in o.basis:
            text = _clause_text(engine, cid)
            if text:
                out.write(f"  〔{cid}〕{text}\n")
        out.write("\n")
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
    common.add_argument("--backend", default="auto", choices=["auto", "durable_rules", "reference"])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", parents=[common], help="evaluate a JSON Lines file of events")
    p.add_argument("events", help="JSON Lines file, one event per line")
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
    p.add_argument("events")
    p.add_argument("--as-of", required=True)
    p.add_argument("--rule", help="explain why this rule did (or did not) fire")
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("schema", parents=[common], help="print the JSON Schema of events")
    p.set_defaults(func=_cmd_schema)
    add_coverage_command(sub, common)
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
