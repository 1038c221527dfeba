"""``fuxian-rules coverage``: how each clause and obligation-bearing sentence of the notice is handled."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any, TextIO

from fuxian_rules.catalog.coverage import CoverageRow, coverage_report
from fuxian_rules.catalog.loader import load_catalog
from fuxian_rules.cli.views import COVERAGE_ZH, print_coverage

__all__ = ["add_coverage_command"]


def _cmd_coverage(args: argparse.Namespace, out: TextIO) -> int:
    catalog = load_catalog(args.rules, args.policy)
    rows = coverage_report(catalog)
    if args.format == "json":
        out.write(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2) + "\n")
    else:
        print_coverage(rows, _summary(rows), out)
    return 1 if any(r.status == "unclassified" for r in rows) else 0


def _summary(rows: list[CoverageRow]) -> str:
    parts = []
    for kind in ("clause", "sentence"):
        counts: dict[str, int] = {}
        for r in rows:
            if r.kind == kind:
                counts[r.status] = counts.get(r.status, 0) + 1
        order = ("encoded", "advisory", "not machine-checkable", "unclassified")
        parts.append(("条款：" if kind == "clause" else "句子：")
                     + "，".join(f"{COVERAGE_ZH[s]} {counts[s]}" for s in order if counts.get(s)))
    return "；".join(parts)


def add_coverage_command(subparsers: Any, common_parent: argparse.ArgumentParser) -> None:
    """Register the ``coverage`` subcommand (a table, or ``--format json``) on the CLI's subparsers.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
        common_parent: The parser holding the options every subcommand shares (``--rules`` …).
    """
    p = subparsers.add_parser("coverage", parents=[common_parent],
                              help="show how each clause and obligation-bearing sentence of the notice is handled")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(func=_cmd_coverage)
