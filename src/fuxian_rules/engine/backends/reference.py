"""The pure-Python reference evaluator of compiled matchers: the oracle and the fallback.

It implements the matcher semantics of :mod:`fuxian_rules.engine.backends.ir` in the most direct way — nested loops
over the facts of one case — so that it can be read and trusted. The test suite runs it beside the
durable_rules backend on the same histories and requires identical activations. Where durable_rules
cannot be installed, the engine uses it instead and says so in every result's receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import product

from fuxian_rules.engine.backends.ir import Activation, Fact, Matcher

__all__ = ["ReferenceBackend"]


class ReferenceBackend:
    """Match compiled matchers against the facts of one case, by enumeration."""

    name = "reference"

    def __init__(self) -> None:
        self._matchers: dict[str, Matcher] = {}

    def load(self, matchers: Sequence[Matcher]) -> None:
        """Register the matchers that later calls to :meth:`match` may use."""
        self._matchers = {m.id: m for m in matchers}

    def match(self, facts: Sequence[Fact], matcher_ids: Iterable[str]) -> set[Activation]:
        """Return every activation of the given matchers over the facts of one case.

        A pattern binds a fact that passes its own conditions; every pattern after the anchor must
        also share the anchor's ``case_id`` and satisfy its joins; the facts bound to one activation
        are pairwise distinct.
        """
        out: set[Activation] = set()
        by_type: dict[str, list[Fact]] = {}
        for f in facts:
            by_type.setdefault(f["t"], []).append(f)
        for mid in matcher_ids:
            matcher = self._matchers[mid]
            anchor_pat, *rest = matcher.patterns
            for anchor in by_type.get(anchor_pat.event_type, ()):
                if not anchor_pat.holds(anchor):
                    continue
                candidates = [
                    [
                        f
                        for f in by_type.get(pat.event_type, ())
                        if pat.holds(f)
                        and f["case_id"] == anchor["case_id"]
                        and all(
                            j.key in f and f[j.key] == anchor.get(j.anchor_key) for j in pat.joins
                        )
                        and f["id"] != anchor["id"]
                    ]
                    for pat in rest
                ]
                for combo in product(*candidates):
                    ids = (anchor["id"], *(f["id"] for f in combo))
                    if len(set(ids)) == len(ids):
                        out.add(Activation(mid, ids))
        return out

    def close(self) -> None:
        """Release resources (none for this backend)."""
