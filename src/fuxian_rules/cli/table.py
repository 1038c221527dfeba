"""Tables and text for people at a terminal: fit the window, Chinese headers, names instead of codes.

The command line used to print tables as wide as their longest cell (241 to 366 columns), so every row
wrapped two or three times in an ordinary window. Here each table knows its window width; ``rich`` lays
the columns out in terminal cells (a Chinese character takes two), wraps the long text columns, and when
even the narrowest layout does not fit, the columns a reader can most easily do without are dropped
first (their data stays in ``--format json``). Machine output never passes through this module.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from fuxian_rules.model.zhtime import as_of_text

__all__ = ["Column", "console_for", "due_text", "print_table", "print_text"]

#: Width used when the output is not a terminal and ``COLUMNS`` is not set (a file, a pipe).
DEFAULT_WIDTH = 100
_MIN_WIDTH = 40
_GAP = 3  # between two columns: the right padding, the (blank) rule, the left padding


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        header: The Chinese header.
        keep: How much the column matters: when the table cannot fit, the lowest ``keep`` goes first.
        min_width: Cells the column needs to stay readable; columns are dropped until these fit.
        wrap: Whether the column's text may wrap over several lines (else it is cut with "…").
    """

    header: str
    keep: int
    min_width: int
    wrap: bool = True


def console_for(out: TextIO, width: int | None = None) -> Console:
    """A console writing to ``out`` as wide as the terminal (``COLUMNS`` wins; 100 when unknown)."""
    if width is None:
        env = os.environ.get("COLUMNS", "")
        if env.isdigit() and int(env) > 0:
            width = int(env)
        elif out.isatty() if hasattr(out, "isatty") else False:
            width = shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns
        else:
            width = DEFAULT_WIDTH
    return Console(file=out, width=max(_MIN_WIDTH, width), highlight=False, markup=False, emoji=False,
                   soft_wrap=False, no_color=not (out.isatty() if hasattr(out, "isatty") else False))


def _layout(columns: Sequence[Column], rows: list[Sequence[str]], width: int) -> tuple[list[int], dict[int, int]]:
    """Which columns to show and how wide.

    Natural widths when they fit. Otherwise wrappable columns first shrink to what nine rows in ten need
    (one long case id should not take a column's width from every row), then, least important first, to
    their minimum; when even that does not fit, the least important column is dropped and all is redone.
    """
    cells = [[max((cell_len(x) for x in r[i].splitlines()), default=0) for r in rows] for i in range(len(columns))]
    natural = [max([cell_len(c.header), *cells[i]]) for i, c in enumerate(columns)]
    usual = [max(cell_len(c.header), sorted(cells[i])[(len(cells[i]) * 9) // 10] if cells[i] else 0)
             for i, c in enumerate(columns)]
    shown = list(range(len(columns)))
    while True:
        widths = {i: natural[i] for i in shown}
        excess = sum(widths.values()) + _GAP * (len(shown) - 1) - width
        by_keep = sorted(shown, key=lambda i: (columns[i].keep, -i))
        for first_pass in (True, False):
            for i in by_keep:
                if excess <= 0 or not columns[i].wrap:
                    continue
                floor = max(usual[i], columns[i].min_width) if first_pass else columns[i].min_width
                cut = max(0, min(excess, widths[i] - min(natural[i], floor)))
                widths[i] -= cut
                excess -= cut
        if excess <= 0 or len(shown) == 1:
            return shown, widths
        shown.remove(by_keep[0])


def clean(text: str) -> str:
    """Text safe to print on a terminal or in a log: control and format characters become escapes.

    Case ids, rejection messages and unit names come from callers; an ESC sequence or a newline inside
    one must not forge a line of output (``line 999 id 'forged': …``) or restyle the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def print_table(console: Console, columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> list[str]:
    """Print the rows under Chinese headers, fitted to the console; return the headers of dropped columns."""
    rows = [[clean(cell) for cell in row] for row in rows]
    shown, widths = _layout(columns, rows, console.width)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1), show_edge=False, expand=False,
                  header_style="bold")
    for i in shown:
        c = columns[i]
        table.add_column(c.header, width=widths[i], no_wrap=not c.wrap, overflow="fold" if c.wrap else "ellipsis")
    for row in rows:
        table.add_row(*(Text(row[i]) for i in shown))
    console.print(table)
    return [c.header for i, c in enumerate(columns) if i not in shown]


def print_text(console: Console, text: str, indent: int = 0) -> None:
    """Print plain text (never read as markup), wrapped to the console, each line indented by ``indent``."""
    for line in text.splitlines() or [""]:
        console.print(Text(" " * indent + clean(line)), overflow="fold", crop=True)


def due_text(due: str | None, provisional: bool) -> str:
    """A due date as people read it: ``2024-07-08``, or ``2024-05-07 24:00`` for an instant at midnight."""
    if not due:
        return "—"
    shown = due if "T" not in due else as_of_text(datetime.fromisoformat(due))
    return shown + ("（暂定）" if provisional else "")
