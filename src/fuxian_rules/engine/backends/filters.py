"""Single-pattern matchers as plain tests on one fact: the alpha tests of a Rete network, without the network.

A matcher of one pattern binds one fact and joins nothing, so a Rete network only runs its alpha tests on
each fact and fires once per fact that passes; sending the fact through durable_rules' C core for that
(serialising it to JSON, asserting it into a session, reading the action back and deleting the session)
cost about four times what the tests themselves cost. :class:`FilterIndex` runs exactly those tests in
Python, indexed by event type, and the durable backend keeps its Rete network for the matchers that join
several facts. The semantics are those of :mod:`fuxian_rules.engine.backends.ir` (the reference backend
is the oracle; the differential tests run all three on the same histories).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from fuxian_rules.engine.backends.ir import Activation, Fact, Matcher

__all__ = ["FilterIndex"]

#: One filter: the matcher id and its tests, each ``(fact key, accepted values)``.
_Filter = tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]


class FilterIndex:
    """The single-pattern matchers of a catalogue, by the event type each tests.

    Args:
        matchers: Matchers of exactly one pattern each (others are refused with ``ValueError``).
    """

    def __init__(self, matchers: Sequence[Matcher]) -> None:
        by_type: dict[str, list[_Filter]] = {}
        for m in matchers:
            if len(m.patterns) != 1:
                raise ValueError(f"matcher {m.id!r} has {len(m.patterns)} patterns; a filter tests one fact")
            pattern = m.patterns[0]
            by_type.setdefault(pattern.event_type, []).append((m.id, tuple((c.key, c.values) for c in pattern.conds)))
        self._by_type = {t: tuple(fs) for t, fs in by_type.items()}
        self._pruned: dict[frozenset[str], dict[str, tuple[_Filter, ...]]] = {}

    def _for(self, wanted: frozenset[str]) -> dict[str, tuple[_Filter, ...]]:
        """The filters among ``wanted``, by event type (remembered: cases of one flow ask for the same set)."""
        found = self._pruned.get(wanted)
        if found is None:
            found = {t: kept for t, fs in self._by_type.items() if (kept := tuple(f for f in fs if f[0] in wanted))}
            if len(self._pruned) > 10_000:  # bounded: the sets follow from untrusted input
                self._pruned.clear()
            self._pruned[wanted] = found
        return found

    def match(self, facts: Iterable[Fact], wanted: frozenset[str]) -> set[Activation]:
        """Return an activation ``(matcher id, (fact id,))`` for each wanted filter and each fact it passes.

        A test passes when the fact has the key and its value is one of the accepted values (values are
        strings, so a missing key, read as None, never passes).
        """
        out: set[Activation] = set()
        by_type = self._for(wanted)
        if not by_type:
            return out
        for fact in facts:
            filters = by_type.get(fact.get("t", ""))
            if filters is None:
                continue
            get = fact.get
            for mid, tests in filters:
                for key, values in tests:
                    if get(key) not in values:
                        break
                else:
                    out.add(Activation(mid, (fact["id"],)))
        return out
