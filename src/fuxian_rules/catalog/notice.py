"""The clause index of notice 惠政文〔2024〕22号, derived from the notice text itself.

Legal staff must be able to trust that a citation such as ``notice:3.11`` points at the clause they
think it does, so the index is parsed from the bundled copy of the notice (``rules/notice/``) rather
than typed from memory. Sections are ``一、`` … ``五、`` (1–5), items ``(一)`` … (1–15) and sub-items
``1.`` … (1–3): ``notice:2.3.2`` is 二(三)2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

__all__ = ["Clause", "NoticeIndex", "normalise_text", "parse_notice"]

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_SECTION = re.compile(r"^([一二三四五六七八九十]+)、(.*)$")
_ITEM = re.compile(r"^[(（]([一二三四五六七八九十]+)[)）](.*)$")
_SUB = re.compile(r"^(\d+)[.．](.*)$")
_SENTENCE_END = re.compile(r"(?<=[。；;])")
_PUNCT = str.maketrans({",": "，", ";": "；", "(": "（", ")": "）", ":": "：", " ": "", "\u3000": ""})


def _numeral(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _NUMERALS[text[1:]]
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _NUMERALS[tens] * 10 + (_NUMERALS[ones] if ones else 0)
    return _NUMERALS[text]


def normalise_text(text: str) -> str:
    """Fold half-width punctuation to full width and drop spaces and line breaks.

    The official notice mixes half- and full-width commas; rule files may use either. Quotations are
    compared after this folding, so a quotation is verbatim up to punctuation width and whitespace.
    """
    return "".join(text.split()).translate(_PUNCT)


@dataclass(frozen=True)
class Clause:
    """One clause of the notice.

    Attributes:
        id: ``S``, ``S.I`` or ``S.I.N`` (``3.11``).
        label: The clause's Chinese label, e.g. ``三（十一）``.
        heading: Its heading (``强化行政执法与刑事司法衔接``), empty when it has none.
        text: Its full text as printed (sub-items included for items that have them).
        line: The line of the notice file where it starts.
    """

    id: str
    label: str
    heading: str
    text: str
    line: int

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        """The clause's sentences, split after 。 and ；, without empty ones."""
        return tuple(s.strip() for s in _SENTENCE_END.split(self.text) if s.strip())

    def contains(self, quotation: str) -> bool:
        """Return whether ``quotation`` is verbatim text of this clause (see :func:`normalise_text`)."""
        return normalise_text(quotation) in normalise_text(self.text)


class NoticeIndex:
    """All clauses of the notice, by id, in document order."""

    def __init__(self, clauses: list[Clause], title: str, source_text: str) -> None:
        self.clauses = {c.id: c for c in clauses}
        self.title = title
        self.source_text = source_text

    def __contains__(self, clause_id: object) -> bool:
        return clause_id in self.clauses

    def get(self, clause_id: str) -> Clause | None:
        """Return the clause, or None if the notice has no such clause."""
        return self.clauses.get(clause_id)

    def ids(self) -> list[str]:
        """Return every clause id in document order."""
        return list(self.clauses)


def parse_notice(text: str) -> NoticeIndex:
    """Parse the notice text into its clauses.

    Only the body between ``一、`` and the signature is indexed; each section, item and sub-item
    becomes one clause. Lines that belong to no heading are appended to the clause above them.
    """
    clauses: list[Clause] = []
    title = next((ln.strip() for ln in text.splitlines() if "关于建立" in ln), "")
    section = item = 0
    current: dict[str, object] | None = None

    def flush() -> None:
        if current is not None:
            clauses.append(
                Clause(
                    id=str(current["id"]),
                    label=str(current["label"]),
                    heading=str(current["heading"]),
                    text="\n".join(str(x) for x in current["lines"]),  # type: ignore[attr-defined]
                    line=int(current["line"]),  # type: ignore[call-overload]
                )
            )

    labels = "零一二三四五六七八九十"
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("主办单位") or re.match(r"^\d{4}年\d+月\d+日$", line):
            continue
        if line.startswith("郑州市惠济区人民政府") and "检察院" in line and section:
            continue
        if m := _SECTION.match(line):
            flush()
            section, item = _numeral(m.group(1)), 0
            current = {"id": str(section), "label": f"{m.group(1)}、", "heading": m.group(2),
                       "lines": [], "line": lineno}
            continue
        if not section:
            continue
        if m := _ITEM.match(line):
            flush()
            item = _numeral(m.group(1))
            head, _, _rest = m.group(2).partition("。")
            current = {"id": f"{section}.{item}", "label": f"{labels[section]}（{m.group(1)}）",
                       "heading": head if _rest or m.group(2).endswith("。") else m.group(2),
                       "lines": [m.group(2)] if _rest else [], "line": lineno}
            continue
        if (m := _SUB.match(line)) and item:
            # The sub-item is its own clause; it is also part of its item's text.
            if current is not None and str(current["id"]).count(".") == 1:
                parent = current
                flush()
                current = None
                parent_id = str(parent["id"])
            else:
                flush()
                parent_id = f"{section}.{item}"
            current = {"id": f"{parent_id}.{m.group(1)}",
                       "label": f"{labels[section]}（{_label_item(item)}）{m.group(1)}",
                       "heading": "", "lines": [m.group(2)], "line": lineno}
            continue
        if current is not None:
            lines = current["lines"]
            assert isinstance(lines, list)
            lines.append(line)
    flush()
    # Items with sub-items: their text is the union of their own lines and their sub-items.
    by_id = {c.id: c for c in clauses}
    for c in list(clauses):
        subs = [s for s in clauses if s.id.startswith(c.id + ".") and s.id.count(".") == 2]
        if c.id.count(".") == 1 and subs:
            joined = "\n".join([c.text, *(s.text for s in subs)]).strip()
            by_id[c.id] = Clause(c.id, c.label, c.heading, joined, c.line)
    ordered = sorted(by_id.values(), key=lambda c: c.line)
    return NoticeIndex(ordered, title, text)


def _label_item(item: int) -> str:
    numerals = "零一二三四五六七八九十"
    if item <= 10:
        return numerals[item]
    return "十" + numerals[item - 10]
