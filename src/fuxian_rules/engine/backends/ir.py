"""The compiled form of the catalogue that both matching backends execute.

The compiler turns each rule's event patterns into :class:`Matcher` objects. A matcher is a conjunction
of *patterns* over *facts*; every fact is one event flattened to a dict of strings (see :func:`flatten`).
Both backends — durable_rules and the pure-Python reference evaluator — receive exactly these matchers
and the facts of exactly one case, and must return exactly the same set of :class:`Activation`.

Why strings only: durable_rules coerces types when comparing (``"9"`` matched ``> 10``, int 5 joined
``"5"``), so every value a backend compares is normalised to one type first. Why equality only: the
out-of-bounds read in durable_rules' ``reduceExpressionSequence`` needs an ordering comparison, and we
never emit one. All time logic lives in Python, in event time, after matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple

__all__ = [
    "Activation",
    "Cond",
    "Fact",
    "Join",
    "Matcher",
    "Pattern",
    "Probe",
    "flatten_value",
]

#: A flattened event: every key and value is a string. Reserved keys: ``id``, ``t`` (event type),
#: ``case_id``, ``actor``, ``_k`` (always ``"1"``; see the durable backend). Data fields appear as
#: ``d_<field>`` (normalised scalar), ``p_<field>`` (``"1"`` present / ``"0"`` absent, for every field
#: the vocabulary declares for the type) and, for list fields, ``n_<field>`` (``"0"`` empty,
#: ``"1"`` non-empty).
Fact = dict[str, str]


class Probe(Enum):
    """What a data key of a fact tells about its field: the value, whether it is present, whether non-empty.

    The key itself is ``<prefix>_<field>`` (:meth:`key`), short because durable_rules hashes every key
    of every fact; conditions carry their probe and field (:class:`Cond`), so nothing decodes the key.
    """

    VALUE = "d"
    PRESENT = "p"
    NONEMPTY = "n"

    def key(self, field: str) -> str:
        """The fact key of ``field`` for this probe (``d_decision``)."""
        return f"{self.value}_{field}"


def flatten_value(value: Any) -> str:
    """Normalise one scalar to the string both backends compare.

    Booleans become ``"true"``/``"false"`` (not ``"True"``), dates ISO strings, numbers their decimal
    form. The mapping is injective within each declared field type, which is all matching needs.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True, slots=True)
class Cond:
    """One test on a fact: ``fact[key]`` equals one of ``values`` (a one-element tuple is plain equality).

    ``probe`` and ``field`` say which data field the key tests and how (set by the compiler; a matcher
    built by hand for the backends alone may leave them out).
    """

    key: str
    values: tuple[str, ...]
    probe: Probe | None = None
    field: str = ""

    def holds(self, fact: Fact) -> bool:
        """Return whether the fact passes this test (a missing key never passes)."""
        got = fact.get(self.key)
        return got is not None and got in self.values


@dataclass(frozen=True, slots=True)
class Join:
    """Equality of ``fact[key]`` with ``anchor[anchor_key]`` (the anchor is pattern 0 of the matcher)."""

    key: str
    anchor_key: str


@dataclass(frozen=True, slots=True)
class Pattern:
    """Tests on one fact. Patterns after the first are also joined to the first on ``case_id``."""

    event_type: str
    conds: tuple[Cond, ...] = ()
    joins: tuple[Join, ...] = ()

    def holds(self, fact: Fact) -> bool:
        """Return whether a fact passes this pattern's own tests (joins are checked by the matcher)."""
        return fact.get("t") == self.event_type and all(c.holds(fact) for c in self.conds)


@dataclass(frozen=True, slots=True)
class Matcher:
    """A conjunction of patterns, each bound to a distinct fact of one case.

    Attributes:
        id: Unique within the catalogue, ``<rule id>#<role>`` (role: ``trigger``, ``close0``, …).
        area: The rule file's area (for reading and error messages; the durable backend groups rulesets by
            related event types instead).
        patterns: ``patterns[0]`` is the anchor; every later pattern is joined to it on ``case_id`` and
            on its own ``joins``.
    """

    id: str
    area: str
    patterns: tuple[Pattern, ...]


class Activation(NamedTuple):
    """One way a matcher matched: its id and the fact ids bound to its patterns, in pattern order.

    A named tuple rather than a dataclass: a case yields dozens of these, and tuples are built,
    hashed and sorted in C.
    """

    matcher_id: str
    fact_ids: tuple[str, ...]
