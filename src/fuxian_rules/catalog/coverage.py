"""Clause-by-clause coverage of the notice: what the catalogue encodes, and why the rest is not checkable.

``rules/coverage.yaml`` classifies every clause of the notice (sections, items, sub-items) and every
obligation-bearing sentence as ``encoded`` (rules raise obligations or prohibitions from it),
``advisory`` (rules only raise permissions or recommendations) or ``not machine-checkable`` (with the
reason). Rule ids are derived from the catalogue — a clause is covered by the rules citing it or one of
its sub-clauses, a sentence by the rules citing its clause whose ``text`` lies inside it — and may be
added by hand. Every claim is checked: a fragment must be verbatim text of exactly one sentence of its
clause, listed rules must exist, and a clause some rule cites cannot be called not machine-checkable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fuxian_rules.catalog.loader import Catalog, LoadedRule
from fuxian_rules.catalog.notice import Clause, NoticeIndex, normalise_text
from fuxian_rules.errors import CatalogError
from fuxian_rules.model.citation import Citation, notice_clauses
from fuxian_rules.safe_yaml import Located, VersionedFile, located_validation_error, read_yaml

__all__ = ["CoverageRow", "coverage_report", "is_obligation_bearing", "sentence_units"]

#: Words that make a sentence obligation-bearing (matched literally, so 需要 and 应急局 count as well).
OBLIGATION_WORDS = ("应", "应当", "要", "须", "不得", "可", "至少", "每年", "及时", "同步")
_TIME_LIMIT = re.compile(r"(?:\d+|[一二三四五六七八九十两]+)个?(?:小时|日|天|周|月|年)(?:内|以内)")
Status = Literal["encoded", "advisory", "not machine-checkable", "unclassified"]


@dataclass(frozen=True)
class CoverageRow:
    """How one clause, or one sentence of a clause, is handled.

    Attributes:
        clause: The clause id (``3.7``).
        label: Its Chinese label (``三（七）``).
        kind: ``clause`` or ``sentence``.
        text: The clause's heading, or the sentence itself.
        obligation_bearing: For sentences: whether it contains an obligation word or a time limit.
        status: ``encoded``, ``advisory``, ``not machine-checkable`` or ``unclassified`` (a gap).
        rules: Ids of the rules that encode it, derived and listed.
        reason: Why it is not machine-checkable, or a note on how it is encoded.
    """

    clause: str
    label: str
    kind: Literal["clause", "sentence"]
    text: str
    obligation_bearing: bool
    status: Status
    rules: tuple[str, ...]
    reason: str


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    status: Literal["encoded", "advisory", "not machine-checkable"]
    rules: list[str] = Field(default_factory=list)
    reason: str = ""


class _SentenceEntry(_Entry):
    clause: str
    fragment: str = Field(min_length=2)


class _CoverageFile(VersionedFile):
    clauses: dict[str, _Entry]
    sentences: list[_SentenceEntry] = Field(default_factory=list)


def is_obligation_bearing(sentence: str) -> bool:
    """Return whether a sentence contains an obligation word (应, 要, 可, 及时 …) or a time limit."""
    return any(w in sentence for w in OBLIGATION_WORDS) or _TIME_LIMIT.search(sentence) is not None


def sentence_units(notice: NoticeIndex) -> list[tuple[Clause, str]]:
    """Return every sentence of the notice with the most specific clause it belongs to, in order.

    An item with sub-items repeats their sentences in its own text; they are given to the sub-items.
    """
    out: list[tuple[Clause, str]] = []
    for clause in notice.clauses.values():
        subs = [c for c in notice.clauses.values() if c.id.startswith(clause.id + ".")]
        owned = {normalise_text(s) for c in subs for s in c.sentences}
        out.extend((clause, s) for s in clause.sentences if normalise_text(s) not in owned)
    return out


def _related(cited: str, clause_id: str) -> bool:
    return cited == clause_id or cited.startswith(clause_id + ".") or clause_id.startswith(cited + ".")


def _clause_rules(rules: Iterable[LoadedRule], clause_id: str) -> set[str]:
    return {lr.spec.id for lr in rules
            if any(c == clause_id or c.startswith(f"{clause_id}.") for c in notice_clauses(lr.spec.basis))}


def _sentence_rules(rules: Iterable[LoadedRule], clause_id: str, sentence: str) -> set[str]:
    norm = normalise_text(sentence)
    out = set()
    for lr in rules:
        cited = notice_clauses(lr.spec.basis)
        if not any(_related(c, clause_id) for c in cited):
            continue
        texts = [lr.spec.text, *(q for cid, q in lr.spec.quotes.items() if Citation.parse(cid).is_notice)]
        if any(normalise_text(t) in norm for t in texts):
            out.add(lr.spec.id)
    return out


def _resolve(entry: _Entry, derived: set[str], catalog: Catalog, src: Located,
             at: tuple[str | int, ...]) -> tuple[Status, tuple[str, ...], str]:
    """Check one entry against the catalogue and return its status, rules and reason."""

    def fail(msg: str, *more: str | int, hint: str | None = None) -> CatalogError:
        return CatalogError(msg, file=src.file, line=src.line_of((*at, *more)),
                            field=".".join(str(p) for p in (*at, *more)), hint=hint)

    for i, rid in enumerate(entry.rules):
        if rid not in catalog.rules:
            raise fail(f"unknown rule {rid!r}", "rules", i, hint="see `fuxian-rules rules`")
    rules = tuple(sorted(derived | set(entry.rules)))
    if entry.status == "not machine-checkable":
        if not entry.reason:
            raise fail("a `not machine-checkable` entry needs a `reason`", "reason")
        if rules:
            raise fail(f"rules {', '.join(rules)} encode this; classify it as encoded or advisory", "status")
        return entry.status, (), entry.reason
    if not rules:
        raise fail(f"`{entry.status}` but no rule cites this (list the rule ids under `rules`)", "status")
    permissions = [r for r in rules if catalog.rules[r].spec.modality == "permission"]
    if entry.status == "advisory" and len(permissions) != len(rules):
        others = sorted(set(rules) - set(permissions))
        raise fail(f"rules {', '.join(others)} are not permissions; classify it as encoded", "status")
    if entry.status == "encoded" and len(permissions) == len(rules):
        raise fail("every rule here is a permission; classify it as advisory", "status")
    return entry.status, rules, entry.reason


def coverage_report(catalog: Catalog, path: str | Path | None = None) -> list[CoverageRow]:
    """Classify every clause and every obligation-bearing sentence of the notice.

    Args:
        catalog: The loaded catalogue (its rules and the notice's clause index).
        path: The coverage file (default: ``coverage.yaml`` in the catalogue's folder).

    Returns:
        One row per clause, each followed by the rows of its obligation-bearing (or classified)
        sentences, in document order. A row with status ``unclassified`` is a gap in the file.

    Raises:
        CatalogError: the coverage file is invalid or claims something the catalogue contradicts.
    """
    file = Path(path) if path is not None else Path(catalog.directory) / "coverage.yaml"
    src = read_yaml(file.read_bytes(), file.name if path is None else str(file), CatalogError)
    try:
        spec = _CoverageFile.model_validate(src.data)
    except ValidationError as exc:
        raise located_validation_error(exc, src) from None
    notice, rules = catalog.notice, list(catalog.rules.values())
    for cid in spec.clauses:
        if cid not in notice:
            raise CatalogError(f"the notice has no clause {cid!r}", file=src.file, line=src.line_of(("clauses", cid)),
                               field=f"clauses.{cid}")
    units = sentence_units(notice)
    by_sentence: dict[tuple[str, str], tuple[int, _SentenceEntry]] = {}
    for i, ent in enumerate(spec.sentences):
        hits = [s for c, s in units if c.id == ent.clause and normalise_text(ent.fragment) in normalise_text(s)]
        if len(hits) != 1:
            what = "no sentence" if not hits else f"{len(hits)} sentences"
            raise CatalogError(f"the fragment matches {what} of clause {ent.clause!r} (sub-item sentences belong "
                               "to the sub-item)", file=src.file, line=src.line_of(("sentences", i)),
                               field=f"sentences.{i}.fragment")
        if (ent.clause, hits[0]) in by_sentence:
            raise CatalogError("this sentence is classified twice", file=src.file,
                               line=src.line_of(("sentences", i)), field=f"sentences.{i}")
        by_sentence[(ent.clause, hits[0])] = (i, ent)
    out: list[CoverageRow] = []
    for clause in notice.clauses.values():
        derived = _clause_rules(rules, clause.id)
        entry = spec.clauses.get(clause.id)
        if entry is None:
            status: Status = "unclassified"
            found, reason = tuple(sorted(derived)), ""
        else:
            status, found, reason = _resolve(entry, derived, catalog, src, ("clauses", clause.id))
        out.append(CoverageRow(clause.id, clause.label, "clause", clause.heading, False, status, found, reason))
        for c, sentence in units:
            if c.id != clause.id:
                continue
            bearing = is_obligation_bearing(sentence)
            located = by_sentence.get((clause.id, sentence))
            derived = _sentence_rules(rules, clause.id, sentence)
            if located is None and not bearing:
                continue
            if located is None:
                status, found, reason = "unclassified", tuple(sorted(derived)), ""
            else:
                status, found, reason = _resolve(located[1], derived, catalog, src, ("sentences", located[0]))
            out.append(CoverageRow(clause.id, clause.label, "sentence", " ".join(sentence.split()), bearing,
                                   status, found, reason))
    return out
