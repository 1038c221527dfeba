"""Load the rule catalogue (``rules/``) and check it, file by file and as a whole.

Checks done here, each failing with file:line and the field:

* every rule file matches :mod:`fuxian_rules.model.rules` (no unknown keys, valid periods …);
* rule ids are unique across files;
* every event type and data field a rule names exists in the vocabulary, with a value of its kind;
* every fixed holder is a registered unit; every citation exists (notice clauses from the notice text,
  national articles from ``citations.yaml``); ``text`` is verbatim notice text of a cited clause and
  each quote is verbatim text of its article;
* escalations point at rules that exist and are escalation targets, and do not form cycles; ``follows``
  periods point at existing rules and do not form cycles; policy terms exist.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from fuxian_rules.catalog.notice import NoticeIndex, normalise_text, parse_notice
from fuxian_rules.catalog.policy import Policy, load_policy
from fuxian_rules.catalog.vocabulary import parse_units, parse_vocabulary
from fuxian_rules.errors import CatalogError
from fuxian_rules.model.citation import Citation, notice_clauses
from fuxian_rules.model.rules import EventPattern, RuleFile, RuleSpec
from fuxian_rules.model.vocabulary import LIST_KINDS, TypeSpec, Unit
from fuxian_rules.safe_yaml import Located, located_validation_error, read_yaml

__all__ = ["RULE_FILE_VERSION", "Catalog", "LoadedRule", "check_schema_version", "default_rules_dir", "load_catalog"]

SPECIAL_FILES = frozenset({"vocabulary.yaml", "units.yaml", "citations.yaml", "policy.yaml", "coverage.yaml"})


def default_rules_dir() -> Path:
    """Return the bundled catalogue: ``rules/`` of a source checkout, or the installed copy."""
    here = Path(__file__).resolve()
    checkout = here.parents[3] / "rules"
    if (checkout / "vocabulary.yaml").is_file():
        return checkout
    return Path(str(resources.files("fuxian_rules").joinpath("rules")))


#: The rule-file format this library reads (the ``version`` key at the top of every rule file).
RULE_FILE_VERSION = 1
#: Error codes of the schema-version check (docs/errors.md).
NO_VERSION = "FR-CAT-010"
UNSUPPORTED_VERSION = "FR-CAT-011"


def check_schema_version(src: Located) -> None:
    """Refuse a rule file that does not say it is written in the format this library reads.

    Checked before anything else in the file, so a file written for another format version is named as
    such instead of failing on whichever field changed.
    """
    if not isinstance(src.data, dict):
        return  # not a mapping at all: the schema says so, as for every other file
    data = src.data
    if "version" not in data:
        raise CatalogError("the rule file does not declare its schema version", file=src.file,
                           line=src.line_of(()), field="version", code=NO_VERSION,
                           hint=f"add 'version: {RULE_FILE_VERSION}' at the top of the file")
    version = data["version"]
    if isinstance(version, bool) or version != RULE_FILE_VERSION:
        raise CatalogError(f"rule-file schema version {version!r} is not supported", file=src.file,
                           line=src.line_of(("version",)), field="version", code=UNSUPPORTED_VERSION,
                           hint=f"this library reads version {RULE_FILE_VERSION}; see docs/errors.md")


@dataclass(frozen=True)
class LoadedRule:
    """A validated rule with where it came from."""

    spec: RuleSpec
    area: str
    file: str
    line: int


@dataclass(frozen=True)
class Catalog:
    """The whole catalogue, checked."""

    rules: dict[str, LoadedRule]
    areas: dict[str, RuleFile]
    types: dict[str, TypeSpec]
    units: dict[str, Unit]
    citations: dict[str, dict[str, Any]]
    instruments: dict[str, dict[str, Any]]
    notice: NoticeIndex
    policy: Policy
    sha256: str
    directory: str

    def escalation_sources(self, rule_id: str) -> list[str]:
        """Return the ids of the rules whose breach raises ``rule_id``."""
        return sorted(r for r, lr in self.rules.items() if rule_id in lr.spec.escalates_to)


def _read(path: Path, root: Path) -> tuple[Located, bytes]:
    raw = path.read_bytes()
    return read_yaml(raw, str(path.relative_to(root.parent)) if path.is_relative_to(root.parent)
                     else str(path), CatalogError), raw


def load_catalog(directory: str | Path | None = None, policy: str | Path | None = None) -> Catalog:
    """Load and check the catalogue in ``directory`` (default: the bundled one).

    Args:
        directory: A folder laid out like ``rules/``.
        policy: A deployment policy file overriding terms of the catalogue's ``policy.yaml``.

    Raises:
        CatalogError: any rule file, the vocabulary, units or citations is invalid.
        PolicyError: the policy file is invalid.
    """
    root = Path(directory) if directory is not None else default_rules_dir()
    if not (root / "vocabulary.yaml").is_file():
        raise CatalogError("no vocabulary.yaml here: not a rule catalogue", file=str(root),
                           hint="point at a folder laid out like rules/")
    digest = hashlib.sha256()
    vocab_src, raw = _read(root / "vocabulary.yaml", root)
    digest.update(raw)
    types = parse_vocabulary(vocab_src)
    units_src, raw = _read(root / "units.yaml", root)
    digest.update(raw)
    units = parse_units(units_src)
    cit_src, raw = _read(root / "citations.yaml", root)
    digest.update(raw)
    instruments, citations = _parse_citations(cit_src)
    notice_files = sorted((root / "notice").glob("*.txt"))
    if len(notice_files) != 1:
        raise CatalogError("expected exactly one notice text in notice/", file=str(root / "notice"))
    notice_raw = notice_files[0].read_bytes()
    digest.update(notice_raw)
    notice = parse_notice(notice_raw.decode("utf-8"))
    base_policy = load_policy(root / "policy.yaml", is_default=True)
    the_policy = base_policy if policy is None else load_policy(policy, base=base_policy)

    rules: dict[str, LoadedRule] = {}
    areas: dict[str, RuleFile] = {}
    checker = _Checker(types, units, citations, notice, the_policy)
    for path in sorted(root.glob("*.yaml")):
        if path.name in SPECIAL_FILES or path.name.endswith(".scenarios.yaml"):
            continue
        src, raw = _read(path, root)
        digest.update(path.name.encode() + b"\0" + raw)
        check_schema_version(src)
        try:
            rf = RuleFile.model_validate(src.data)
        except ValidationError as exc:
            raise located_validation_error(exc, src) from None
        if rf.area in areas:
            raise CatalogError(f"area {rf.area!r} is defined in two files", file=src.file,
                               line=src.line_of(("area",)), field="area")
        areas[rf.area] = rf
        for i, spec in enumerate(rf.rules):
            line = src.line_of(("rules", i)) or 0
            if spec.id in rules:
                other = rules[spec.id]
                raise CatalogError(f"duplicate rule id {spec.id!r} (first defined at {other.file}:{other.line})",
                                   file=src.file, line=line, field=f"rules.{i}.id")
            checker.check_rule(spec, src, ("rules", i))
            rules[spec.id] = LoadedRule(spec, rf.area, src.file, line)
    if not rules:
        raise CatalogError("the catalogue has no rules", file=str(root))
    _check_graph(rules)
    digest.update(the_policy.sha256.encode())
    return Catalog(rules=rules, areas=areas, types=types, units=units, citations=citations,
                   instruments=instruments, notice=notice, policy=the_policy,
                   sha256=digest.hexdigest(), directory=str(root))


def _parse_citations(src: Located) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    data = src.data
    if not isinstance(data, dict) or set(data) != {"version", "instruments", "articles"}:
        raise CatalogError("citations.yaml must have exactly: version, instruments, articles", file=src.file, line=1)
    instruments, articles = data["instruments"], data["articles"]
    for cid, art in articles.items():
        prefix = cid.split(":")[0]
        if prefix not in instruments or not isinstance(art, dict) or not isinstance(art.get("text"), str):
            raise CatalogError(f"citation {cid!r} has no known instrument or no text", file=src.file,
                               line=src.line_of(("articles", cid)), field=f"articles.{cid}")
    return instruments, articles


def _suggest(word: str, options: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"did you mean {close[0]!r}?" if close else None


class _Checker:
    """Cross-file checks of one rule against the vocabulary, units, citations and notice."""

    def __init__(self, types: dict[str, TypeSpec], units: dict[str, Unit],
                 citations: dict[str, dict[str, Any]], notice: NoticeIndex, policy: Policy) -> None:
        self.types, self.units, self.citations, self.notice, self.policy = types, units, citations, notice, policy

    def fail(self, msg: str, src: Located, path: tuple[str | int, ...], hint: str | None = None) -> CatalogError:
        return CatalogError(msg, file=src.file, line=src.line_of(path),
                            field=".".join(str(p) for p in path), hint=hint)

    def check_rule(self, spec: RuleSpec, src: Located, at: tuple[str | int, ...]) -> None:
        for i, cit in enumerate(spec.basis):
            cited = Citation.parse(cit)
            if cited.is_notice:
                if cited.article not in self.notice:
                    raise self.fail(f"the notice has no clause {cit}", src, (*at, "basis", i),
                                    _suggest(cited.article, self.notice.ids()))
            elif cit not in self.citations:
                raise self.fail(f"unknown citation {cit!r}", src, (*at, "basis", i),
                                _suggest(cit, self.citations) or "add it to citations.yaml with its verbatim text")
        clauses = [self.notice.clauses[c] for c in notice_clauses(spec.basis)]
        if not any(c.contains(spec.text) for c in clauses):
            raise self.fail("`text` is not verbatim text of any notice clause the rule cites", src, (*at, "text"),
                            "copy the words from the notice (punctuation width and spaces are ignored)")
        for cit, quote in spec.quotes.items():
            cited = Citation.parse(cit)
            if cited.is_notice:
                ok = self.notice.clauses[cited.article].contains(quote)
            else:
                ok = normalise_text(quote) in normalise_text(self.citations[cit]["text"])
            if not ok:
                raise self.fail(f"quote of {cit} is not verbatim text of that article", src, (*at, "quotes", cit))
        trig = spec.trigger
        trigger_fields: set[str] = set()
        if trig.event is not None:
            self.check_pattern(EventPattern(event=trig.event, where=trig.where), src, (*at, "trigger"), None)
            trigger_fields |= set(self.types[trig.event].fields)
            for j, req in enumerate(trig.requires):
                self.check_pattern(req, src, (*at, "trigger", "requires", j), set(self.types[trig.event].fields))
                if not req.after_trigger:
                    raise self.fail("`after_trigger` applies only to closing and cancelling events", src,
                                    (*at, "trigger", "requires", j, "after_trigger"))
                trigger_fields |= set(self.types[req.event].fields)
        elif trig.schedule is not None and trig.schedule.units_from is not None:
            self.check_pattern(trig.schedule.units_from, src, (*at, "trigger", "schedule", "units_from"), None)
            if not trig.schedule.units_from.after_trigger:
                raise self.fail("`after_trigger` applies only to closing and cancelling events", src,
                                (*at, "trigger", "schedule", "units_from", "after_trigger"))
            if "unit" not in self.types[trig.schedule.units_from.event].fields:
                raise self.fail("`units_from` must be an event type with a `unit` field", src,
                                (*at, "trigger", "schedule", "units_from", "event"))
            trigger_fields = {"unit"}
        elif trig.schedule is not None and trig.schedule.units is not None:
            for j, code in enumerate(trig.schedule.units):
                if code not in self.units:
                    raise self.fail(f"unknown unit {code!r}", src, (*at, "trigger", "schedule", "units", j),
                                    _suggest(code, self.units))
            trigger_fields = {"unit"}
        known = None if trig.escalated else trigger_fields  # escalated: fields come from the source
        h = spec.holder
        if h.unit is not None and h.unit not in self.units:
            raise self.fail(f"unknown unit {h.unit!r}", src, (*at, "holder", "unit"), _suggest(h.unit, self.units))
        if h.default is not None and h.default not in self.units:
            raise self.fail(f"unknown unit {h.default!r}", src, (*at, "holder", "default"))
        for kind, code in (h.map or {}).items():
            if code not in self.units:
                raise self.fail(f"unknown unit {code!r}", src, (*at, "holder", "map", kind), _suggest(code, self.units))
        if h.field is not None and known is not None and h.field not in known:
            raise self.fail(f"the trigger has no field {h.field!r} to take the holder from", src,
                            (*at, "holder", "field"), _suggest(h.field, known))
        for key in ("closed_by", "cancelled_by"):
            for j, pat in enumerate(getattr(spec, key)):
                self.check_pattern(pat, src, (*at, key, j), known)
                _check_placement(self, pat, key, src, (*at, key, j))
        for j, req in enumerate(trig.requires):
            _check_placement(self, req, "requires", src, (*at, "trigger", "requires", j))
        if h.each is not None and trig.event is not None and (
                self.types[trig.event].fields.get(h.each) is None
                or self.types[trig.event].fields[h.each].kind != "units"):
            raise self.fail("`each` needs a list-of-units field of the trigger", src, (*at, "holder", "each"))
        p = spec.period
        if p is not None and p.policy is not None and p.policy not in self.policy.terms:
            raise self.fail(f"unknown policy term {p.policy!r}", src, (*at, "period", "policy"),
                            _suggest(p.policy, self.policy.terms))
        if p is not None and p.date_field is not None and trig.event is not None:
            f = self.types[trig.event].fields.get(p.date_field)
            if f is None or f.kind != "date":
                raise self.fail(f"the trigger has no date field {p.date_field!r}", src, (*at, "period", "date_field"))

    def check_pattern(self, pat: EventPattern, src: Located, at: tuple[str | int, ...],
                      match_against: set[str] | None) -> None:
        if pat.event not in self.types:
            raise self.fail(f"unknown event type {pat.event!r}", src, (*at, "event"), _suggest(pat.event, self.types))
        fields = self.types[pat.event].fields
        for name, cond in pat.where.items():
            if name not in fields:
                raise self.fail(f"event type {pat.event!r} has no field {name!r}", src, (*at, "where", name),
                                _suggest(name, fields))
            fs = fields[name]
            if isinstance(cond, dict):
                if len(cond) != 1 or next(iter(cond)) not in ("in", "present", "empty"):
                    raise self.fail("a condition is a value or one of {in: [...]}, {present: bool}, {empty: bool}",
                                    src, (*at, "where", name))
                op, arg = next(iter(cond.items()))
                if op == "in":
                    if not isinstance(arg, list) or not arg or not all(fs.accepts(v) for v in arg):
                        raise self.fail(f"`in` needs a non-empty list of {fs.kind} values", src, (*at, "where", name))
                elif not isinstance(arg, bool):
                    raise self.fail(f"`{op}` needs true or false", src, (*at, "where", name))
                elif op == "empty" and fs.kind not in LIST_KINDS:
                    raise self.fail(f"`empty` applies to list fields; {name!r} is {fs.kind}", src, (*at, "where", name))
            elif fs.kind in LIST_KINDS or not fs.accepts(cond):
                raise self.fail(f"value does not fit field {name!r} of kind {fs.kind}", src, (*at, "where", name),
                                f"allowed: {fs.values}" if fs.values else None)
        for mine, theirs in pat.match.items():
            if mine not in fields:
                raise self.fail(f"event type {pat.event!r} has no field {mine!r}", src, (*at, "match", mine),
                                _suggest(mine, fields))
            if match_against is not None and theirs not in match_against:
                raise self.fail(f"the trigger has no field {theirs!r} to match", src, (*at, "match", mine),
                                _suggest(theirs, match_against))


def _check_placement(checker: _Checker, pat: EventPattern, key: str, src: Located,
                     at: tuple[str | int, ...]) -> None:
    """``order`` belongs to ``requires``, ``late_too`` to ``cancelled_by``, ``first_year_only`` to ``closed_by``."""
    for name, allowed in (("order", "requires"), ("late_too", "cancelled_by"), ("first_year_only", "closed_by")):
        if name in pat.model_fields_set and key != allowed:
            raise checker.fail(f"`{name}` applies only to `{allowed}`", src, (*at, name))


def _check_graph(rules: dict[str, LoadedRule]) -> None:
    # Edges point from a rule to the rules that must be decided after it: its escalation targets, and
    # the rules whose period follows it. (A ``follows`` edge runs against the direction it is written in.)
    edges: dict[str, list[tuple[str, str]]] = {rid: [] for rid in rules}
    for rid, lr in rules.items():
        spec = lr.spec
        for target in spec.escalates_to:
            if target not in rules:
                raise CatalogError(f"escalates to unknown rule {target!r}", file=lr.file, line=lr.line,
                                   field=f"{rid}.escalates_to", hint=_suggest(target, rules))
            if not rules[target].spec.trigger.escalated:
                raise CatalogError(f"escalation target {target!r} does not have `trigger: {{escalated: true}}`",
                                   file=lr.file, line=lr.line, field=f"{rid}.escalates_to")
        if spec.period is not None and spec.period.follows:
            for target in spec.period.follows:
                if target not in rules:
                    raise CatalogError(f"period follows unknown rule {target!r}", file=lr.file, line=lr.line,
                                       field=f"{rid}.period.follows", hint=_suggest(target, rules))
        edges[rid].extend((target, f"{rid}.escalates_to") for target in spec.escalates_to)
        for target in (spec.period.follows or []) if spec.period else []:
            edges[target].append((rid, f"{rid}.period.follows"))
    for rid, lr in rules.items():
        if lr.spec.trigger.escalated and not any(rid in r.spec.escalates_to for r in rules.values()):
            raise CatalogError(f"rule {rid!r} is an escalation target but nothing escalates to it",
                               file=lr.file, line=lr.line, field=f"{rid}.trigger")
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt, field in edges[node]:
            if state.get(nxt) == 1:
                cycle = " → ".join([*trail[trail.index(nxt):], nxt]) if nxt in trail else f"{node} → {nxt}"
                lr = rules[field.rsplit(".escalates_to", 1)[0].rsplit(".period.follows", 1)[0]]
                raise CatalogError(f"cyclic escalation or period reference (each must be decided after the one "
                                   f"before it): {cycle}", file=lr.file, line=lr.line, field=field)
            if state.get(nxt, 0) == 0:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for rid in sorted(edges):
        if state.get(rid, 0) == 0:
            visit(rid, [rid])
