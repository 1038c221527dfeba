"""Plain-text tables for the terminal, with Chinese characters counted as two columns wide."""

from __future__ import annotations

import unicodedata
from typing import TextIO

__all__ = ["print_table"]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def print_table(rows: list[list[str]], out: TextIO) -> None:
    """Write ``rows`` (the first is the header) as aligned columns, a rule under the header."""
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        out.write("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")
