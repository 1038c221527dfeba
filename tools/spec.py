"""The compliance specification: which property checks which clause, read from the test suite.

The property-based tests in ``tests/spec/test_spec_*.py`` *are* the specification: each test function is
one property, its docstring says what it checks in plain words and quotes the clause it checks
verbatim (``「…」（notice:3.11）``), and each module lists the clauses it covers in a module-level
``CLAUSES = ["notice:3.11", …]``. This module reads those files by parsing them (the tests are never
imported, and they are not installed with the package), so ``python -m tools.spec`` can print the
specification for legal review and the documentation can be generated from it.

The tests are found in ``tests/`` of a source checkout (``src/fuxian_rules/../../tests``); an
installed package has no tests, and the command says so.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from fuxian_rules.errors import FuxianRulesError, RunError

__all__ = [
    "Property",
    "Quote",
    "SpecModule",
    "default_tests_dir",
    "load_spec",
    "main",
    "render_json",
    "render_markdown",
]

#: A verbatim quotation in a docstring: 「text」（citation）, the citation as in contract §3.
QUOTE = re.compile(r"「(?P<text>[^」]+)」（(?P<cite>[a-z][a-z0-9-]*:\d+(?:\.\d+){0,2})）")
PATTERN = "test_spec_*.py"


@dataclass(frozen=True)
class Quote:
    """A clause quoted by a property: its citation id and the quoted words."""

    cite: str
    text: str


@dataclass(frozen=True)
class Property:
    """One property (a test function) of the specification.

    Attributes:
        name: The test function's name.
        line: Its line in the module.
        summary: The first line of its docstring.
        doc: The whole docstring.
        quotes: The clause texts it quotes.
        examples: Generated examples per run on the ``ci`` profile, when the test states a budget.
    """

    name: str
    line: int
    summary: str
    doc: str
    quotes: tuple[Quote, ...]
    examples: int | None


@dataclass(frozen=True)
class SpecModule:
    """One ``test_spec_*.py`` module: a clause area and its properties."""

    module: str
    file: str
    title: str
    doc: str
    clauses: tuple[str, ...]
    properties: tuple[Property, ...]


def default_tests_dir() -> Path:
    """``tests/spec/`` of the source checkout this tool belongs to."""
    return Path(__file__).resolve().parents[1] / "tests" / "spec"


def load_spec(tests_dir: str | Path | None = None) -> list[SpecModule]:
    """Read every ``test_spec_*.py`` in ``tests_dir`` (default :func:`default_tests_dir`).

    Raises:
        RunError: there is no such folder (an installed package has no tests), it has no spec
            modules, or one of them cannot be parsed or has a malformed ``CLAUSES``.
    """
    root = Path(tests_dir) if tests_dir is not None else default_tests_dir()
    if not root.is_dir():
        raise RunError(
            "the compliance specification is read from the test suite, and there is no tests/ folder here",
            file=str(root),
            hint="run from a source checkout of fuxian_rules (the tests are not installed), or pass --tests DIR",
        )
    files = sorted(root.glob(PATTERN))
    if not files:
        raise RunError(f"no {PATTERN} files in this folder", file=str(root), hint="pass --tests DIR")
    return [_read_module(path) for path in files]


def _read_module(path: Path) -> SpecModule:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(f"cannot read: {exc}", file=str(path)) from None
    except SyntaxError as exc:
        raise RunError(f"not valid Python: {exc.msg}", file=str(path), line=exc.lineno) from None
    doc = ast.get_docstring(tree) or ""
    clauses: tuple[str, ...] = ()
    properties: list[Property] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "CLAUSES" for t in node.targets):
            clauses = _clauses(node.value, path)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "CLAUSES":
            if node.value is not None:
                clauses = _clauses(node.value, path)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
            text = ast.get_docstring(node) or ""
            properties.append(Property(
                name=node.name,
                line=node.lineno,
                summary=text.strip().splitlines()[0] if text.strip() else "",
                doc=text,
                quotes=tuple(Quote(m["cite"], m["text"]) for m in QUOTE.finditer(text)),
                examples=_examples(node),
            ))
    return SpecModule(
        module=path.stem,
        file=str(path),
        title=doc.strip().splitlines()[0] if doc.strip() else path.stem,
        doc=doc,
        clauses=clauses,
        properties=tuple(properties),
    )


def _clauses(value: ast.expr, path: Path) -> tuple[str, ...]:
    try:
        items = ast.literal_eval(value)
    except ValueError:
        items = None
    if not isinstance(items, list | tuple) or not all(isinstance(c, str) for c in items):
        raise RunError("CLAUSES must be a literal list of citation strings", file=str(path), line=value.lineno,
                       field="CLAUSES", hint='e.g. CLAUSES = ["notice:3.11", "transfer-reg:5"]')
    return tuple(items)


def _examples(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int | None:
    """The budget in ``@settings(max_examples=N)`` or ``@settings(max_examples=examples(N))``."""
    for deco in node.decorator_list:
        if not (isinstance(deco, ast.Call) and getattr(deco.func, "id", getattr(deco.func, "attr", "")) == "settings"):
            continue
        for kw in deco.keywords:
            if kw.arg != "max_examples":
                continue
            value = kw.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            if isinstance(value, ast.Constant) and isinstance(value.value, int):
                return value.value
    return None


def render_markdown(modules: list[SpecModule]) -> str:
    """The specification as Markdown: one section per clause area, one subsection per property."""
    total = sum(len(m.properties) for m in modules)
    out = [
        "# 合规规格 · Compliance specification",
        "",
        f"{total} properties in {len(modules)} modules, read from `{PATTERN}`. Each property is a test run on "
        "generated event histories (or exhaustively); the quotations are the clause words it checks.",
        "",
    ]
    for m in modules:
        out += [f"## {m.title}", "", f"`{m.module}` · clauses: " + (", ".join(f"`{c}`" for c in m.clauses) or "—"), ""]
        rest = m.doc.strip().split("\n", 1)[1].strip() if "\n" in m.doc.strip() else ""
        if rest:
            out += [rest, ""]
        for p in m.properties:
            out += [f"### {p.summary or p.name}", "", f"`{p.name}` ({m.module}.py:{p.line})"
                    + (f" · {p.examples} examples per run (ci)" if p.examples is not None else ""), ""]
            body = p.doc.strip().split("\n", 1)[1].strip() if "\n" in p.doc.strip() else ""
            quoting = False
            for line in body.splitlines():
                is_quote = bool(QUOTE.search(line))
                if out[-1] and is_quote != quoting:
                    out.append("")  # a blank line between a quotation block and prose
                out.append(f"> {line.strip()}" if is_quote else line.strip())
                quoting = is_quote
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def properties_by_clause(modules: list[SpecModule]) -> dict[str, list[str]]:
    """Map each clause the properties cite (``notice:3.11``) to one line per property checking it.

    Used by the docs generator so each rule page lists the properties of the clauses it cites; clauses
    come from each module's ``CLAUSES``.
    """
    out: dict[str, list[str]] = {}
    for m in modules:
        for clause in m.clauses:
            out.setdefault(clause, []).extend(
                f"{p.summary or p.name}（`{m.module}.py::{p.name}`）" for p in m.properties)
    return out


def render_json(modules: list[SpecModule]) -> str:
    """The specification as JSON: ``{"modules": [{module, file, title, clauses, properties: […]}]}``."""
    data: dict[str, Any] = {"modules": [asdict(m) for m in modules]}
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run ``python -m tools.spec [--tests DIR] [--format md|json]``; returns the exit status (2 on an error)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.spec", description="print the compliance specification: the properties per clause")
    parser.add_argument("--format", choices=["md", "json"], default="md")
    parser.add_argument("--tests", metavar="DIR",
                        help="folder of test_spec_*.py (default: tests/spec/ of this checkout)")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    try:
        modules = load_spec(args.tests)
    except FuxianRulesError as exc:
        sys.stderr.write(f"spec: error: {exc}\n")
        return 2
    out.write(render_json(modules) if args.format == "json" else render_markdown(modules))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
