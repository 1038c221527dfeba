"""What durable_rules' C core will build from our matchers, checked before it builds it.

:func:`compile_group` turns the matchers of one group of related event types into a ruleset definition
(JSON for ``create_ruleset``, never the decorator DSL) in the only condition shapes the C core handles
safely, and models the alpha network it will build so that every compile-time limit of the C core is
checked here, with a message naming the matcher, instead of failing (or hanging) inside it. The name
hashes the engine gives keys are computed here too, because two keys with one hash would be confused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from fuxian_rules.engine.backends.ir import Matcher
from fuxian_rules.errors import BackendError

__all__ = ["compile_group", "key_hashes", "matcher_problem", "type_groups", "value_bytes"]

SENTINEL_RULE = "s"
SENTINEL_KEY = "_sentinel"
RESERVED_KEYS = frozenset({"id", "sid", "_k", SENTINEL_KEY})

MAX_PATTERNS = 16  # MAX_MESSAGE_FRAMES; 17 patterns compile, then fail at run time with 304
MAX_RULES = 400  # matching slows linearly and hung at ~600 rules; upstream reports 303 at ~483
MAX_ALPHA_CHILDREN = 500  # NEXT_BUCKET_LENGTH 512: 512 children gave 303, 513 loops forever
MAX_OR_CHILDREN = 127  # NEXT_LIST_LENGTH 128, keeping the zero terminator
MAX_RULES_PER_ALPHA = 255  # BETA_LIST_LENGTH 256: a 256th entry overwrites the zero terminator
MAX_ALPHA_STACK = 64  # MAX_STACK_SIZE in handleAlpha: 65 simultaneous alpha matches give 303
MAX_EXPRESSIONS = 31  # MAX_SEQUENCE_EXPRESSIONS 32 per pattern (113 at 32)
MAX_KEYS = 250  # MAX_OBJECT_PROPERTIES 255, including the engine's own id and sid
MAX_VALUE_BYTES = 65535  # string lengths are unsigned short: longer values compare truncated


def _fnv1_32(raw: bytes, *, signed: bool) -> int:
    """Hash like the C core's ``fnv1Hash32``, which XORs each ``char`` (signed on x86-64)."""
    h = 0x811C9DC5
    for b in raw:
        h = ((h ^ ((b - 256) & 0xFFFFFFFF if signed and b > 127 else b)) * 16777619) & 0xFFFFFFFF
    return h


def key_hashes(key: str) -> frozenset[int]:
    """Return the hashes the engine may give a key, as it hashes the raw JSON text of the name."""
    raw = json.dumps(key, ensure_ascii=False)[1:-1].encode()
    return frozenset({_fnv1_32(raw, signed=True), _fnv1_32(raw, signed=False)})


class _Alpha:
    """A node of the alpha network durable_rules will build, to check its limits before it does.

    Constant tests (``("c", key, value)``) under one parent are shared, as ``findAlpha`` shares them;
    a join test (``("j", key, anchor key, serial)``) never is, because identifiers are compared by their
    offsets in a string pool that does not intern; each ``$or`` gets a fresh forward node that hangs
    under every alternative; ``betas`` counts the rule patterns that end here.
    """

    __slots__ = ("betas", "children", "forwards")

    def __init__(self) -> None:
        self.children: dict[tuple[str, ...], _Alpha] = {}
        self.forwards: list[_Alpha] = []
        self.betas = 0

    def max_stack(self, memo: dict[int, int]) -> int:
        """Bound the depth of handleAlpha's explicit stack below this node, for the worst fact.

        Children testing one key against different constants exclude each other; join tests and
        forward nodes are all pushed when present.
        """
        if id(self) in memo:
            return memo[id(self)]
        const_keys = {tok[1] for tok in self.children if tok[0] == "c"}
        pushed = len(self.forwards) + len(const_keys) + sum(tok[0] == "j" for tok in self.children)
        below = [c.max_stack(memo) for c in (*self.children.values(), *self.forwards)]
        memo[id(self)] = max(pushed, pushed - 1 + max(below)) if pushed else 0
        return memo[id(self)]

    def walk(self) -> Iterable[_Alpha]:
        """Yield every node once."""
        seen: set[int] = set()
        todo: list[_Alpha] = [self]
        while todo:
            node = todo.pop()
            if id(node) not in seen:
                seen.add(id(node))
                yield node
                todo.extend((*node.children.values(), *node.forwards))


def value_bytes(value: str) -> int:
    """Return the length of a string as the C core sees it: its JSON text, escapes included."""
    return len(json.dumps(value, ensure_ascii=False).encode()) - 2


def matcher_problem(m: Matcher) -> str:
    """Return why a matcher cannot be compiled for durable_rules, or an empty string."""
    if not 1 <= len(m.patterns) <= MAX_PATTERNS:
        return f"{len(m.patterns)} patterns (1 to {MAX_PATTERNS} allowed)"
    for p_index, pat in enumerate(m.patterns):
        keys = [c.key for c in pat.conds]
        if p_index:  # the reference backend ignores joins on the anchor
            keys += [k for j in pat.joins for k in (j.key, j.anchor_key)]
        for key in keys:
            if not isinstance(key, str) or key in RESERVED_KEYS or key.startswith("$"):
                return f"a test on the key {key!r} (reserved by this backend, or an operator name)"
        values = [pat.event_type, *(v for c in pat.conds for v in c.values)]
        for value in values:
            if not isinstance(value, str):
                return f"the test value {value!r} is not a string"
            if value_bytes(value) > MAX_VALUE_BYTES:
                return f"a test value longer than {MAX_VALUE_BYTES} bytes"
        n_or = sum(len(set(c.values)) > 1 for c in pat.conds)
        n_expr = 2 + (len(pat.joins) + 2 if p_index else 0) + 2 * n_or
        if n_expr > MAX_EXPRESSIONS:
            return f"pattern {p_index} needs {n_expr} engine expressions (at most {MAX_EXPRESSIONS})"
    return ""


def type_groups(matchers: Sequence[Matcher]) -> dict[str, str]:
    """Partition event types so that every matcher's types fall in one group; name each group.

    durable_rules' cost per asserted fact grows with the number of rules in the ruleset, whatever
    their types (measured: ~11 µs/fact with 1 rule, ~45 µs with 60). One ruleset per group of event
    types that occur together in some matcher keeps each ruleset small, and each fact is still asserted
    exactly once, into the one ruleset that can use it.
    """
    parent: dict[str, str] = {}

    def find(t: str) -> str:
        parent.setdefault(t, t)
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    for m in matchers:
        first = find(m.patterns[0].event_type)
        for p in m.patterns[1:]:
            other = find(p.event_type)
            if other != first:
                parent[max(first, other)] = min(first, other)
                first = min(first, other)
    members: dict[str, list[str]] = {}
    for t in list(parent):
        members.setdefault(find(t), []).append(t)
    return {t: "+".join(sorted(ms)) for ms in members.values() for t in ms}


def compile_group(group: str, matchers: Sequence[Matcher]) -> dict[str, Any]:
    """Build one group's ruleset definition and check it against the C core's compile-time limits.

    A pattern's terms are, in order: the type test, its single-valued conditions (sorted, so that
    patterns share alpha nodes), then — for later patterns — the joins on ``case_id``, the matcher's
    joins and the constant ``_k``, and last one ``$or`` per multi-valued condition. Joins must precede
    every ``$or`` because the C core stops evaluating a pattern's joins at the end of the first nested
    ``$or``. After a failing join the C core resumes its search for the end of the sequence two
    expressions further on (events.c:614), so a failing join must never be the last expression: the
    always-true ``_k`` join guarantees that, and ``$or`` groups of constants add no expression that can
    fail.
    """

    def fail(what: str, mid: str | None = None) -> BackendError:
        where = f"matcher {mid!r} in ruleset {group!r}" if mid else f"ruleset {group!r}"
        return BackendError(
            f"durable_rules cannot run {where}: {what}",
            hint="split the rules sharing these event types or evaluate them with the reference backend",
        )

    if len(matchers) > MAX_RULES:
        raise fail(f"{len(matchers)} matchers in one ruleset (at most {MAX_RULES})")
    root = _Alpha()
    serial = 0
    rules: dict[str, Any] = {SENTINEL_RULE: {"all": [{"m0": {SENTINEL_KEY: "1"}}]}}
    for i, m in enumerate(matchers):
        problem = matcher_problem(m)
        if problem:
            raise fail(problem, m.id)
        frames = []
        for p_index, pat in enumerate(m.patterns):
            conds = sorted((c.key, tuple(sorted(set(c.values)))) for c in pat.conds)
            tests: list[tuple[str, ...]] = [("c", "t", pat.event_type)]
            tests += [("c", key, values[0]) for key, values in conds if len(values) == 1]
            if p_index:
                joins = [("case_id", "case_id"), *((j.key, j.anchor_key) for j in pat.joins), ("_k", "_k")]
                for key, anchor_key in joins:
                    serial += 1  # the C core never shares a join's alpha node (strings are not interned)
                    tests.append(("j", key, anchor_key, str(serial)))
            ors = [(key, values) for key, values in conds if len(values) > 1]
            node = root
            for tok in tests:
                node = node.children.setdefault(tok, _Alpha())
            for key, values in ors:
                forward = _Alpha()
                for v in values:
                    node.children.setdefault(("c", key, v), _Alpha()).forwards.append(forward)
                node = forward
            node.betas += 1
            terms: list[dict[str, Any]] = [
                {tok[1]: tok[2]} if tok[0] == "c" else {tok[1]: {"m0": tok[2]}} for tok in tests
            ]
            terms += [{"$or": [{key: v} for v in values]} for key, values in ors]
            frames.append({f"m{p_index}": {"$and": terms}})
        rules[f"r{i}"] = {"all": frames}
    for node in root.walk():
        if len(node.children) > MAX_ALPHA_CHILDREN:
            raise fail(f"{len(node.children)} distinct tests under one node (at most {MAX_ALPHA_CHILDREN})")
        if len(node.forwards) > MAX_OR_CHILDREN:
            raise fail(f"{len(node.forwards)} $or groups under one test (at most {MAX_OR_CHILDREN})")
        if node.betas > MAX_RULES_PER_ALPHA:
            raise fail(f"{node.betas} patterns with identical tests (at most {MAX_RULES_PER_ALPHA})")
    depth = root.max_stack({})
    if depth > MAX_ALPHA_STACK:
        raise fail(
            f"one fact could reach {depth} alpha nodes at once (at most {MAX_ALPHA_STACK}); every later "
            "pattern adds one for each fact of its event type that passes its single-valued conditions"
        )
    return rules


