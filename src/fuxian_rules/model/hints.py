"""Hints for the two input mistakes a newcomer makes first: a GBK file, and a unit's name for its code.

Both errors used to answer with what the parser saw ("not valid UTF-8 at byte 162", a regular
expression). The hints say what is probably wrong and how to fix it, and never repeat the value that
was sent (it may be personal data): the GBK check only decodes a bounded prefix of the line, and the
unit hint shows codes and names from the registry, not the input.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["GBK_HINT", "looks_like_gb18030", "unit_hint"]

#: Bytes of a line decoded to guess its encoding: enough for any line of Chinese, bounded in cost.
PREFIX_BYTES = 4096
GBK_HINT = "looks like GBK/GB18030; convert with: iconv -f GB18030 -t UTF-8 FILE > FILE.utf8.jsonl"
_HAN = re.compile(r"[\u4e00-\u9fff]")
_CODE_LIKE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def looks_like_gb18030(raw: bytes) -> bool:
    """Whether bytes that are not UTF-8 read as Chinese text in GB18030 (a superset of GBK and GB2312)."""
    head = raw[:PREFIX_BYTES]
    for cut in range(4):  # the prefix may end inside a two- or four-byte character
        try:
            text = head[: len(head) - cut].decode("gb18030")
        except UnicodeDecodeError:
            continue
        return bool(_HAN.search(text)) and not any(ord(c) < 32 and c not in "\t\r\n" for c in text)
    return False


def unit_hint(value: Any, units: Mapping[str, Any], limit: int = 3) -> str:
    """Explain what a unit code is and name the closest known codes (by name for Chinese input).

    Args:
        value: What the event gave; used only to rank the registry's codes, never shown.
        units: The registry, code -> unit (with a ``name``).
        limit: How many codes to suggest.
    """
    text = value if isinstance(value, str) else ""
    found: list[str] = []
    if text and not _CODE_LIKE.match(text):  # a name (Chinese): compare it with the registry's names
        by_name = {u.name: code for code, u in units.items()}
        scored = sorted(by_name, key=lambda n: (-difflib.SequenceMatcher(None, text, n).ratio(), n))
        found = [by_name[n] for n in scored[:limit]
                 if difflib.SequenceMatcher(None, text, n).ratio() > 0.3 or text in n or n in text]
    elif text:
        found = difflib.get_close_matches(text.lower(), list(units), n=limit, cutoff=0.5)
    where = "codes are listed in rules/units.yaml or the deployment's units file (--units)"
    say = where if text and _CODE_LIKE.match(text) else (
        "a unit field takes a unit code (lowercase letters, digits, '_', '.', '-'), such as urban_management "
        f"for 区城管局, not the unit's name; {where}")
    if found:
        say += "; closest known codes: " + ", ".join(f"{c} ({units[c].name})" for c in found)
    return say
