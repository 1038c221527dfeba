"""The durable_rules matching backend: compiled matchers that join events run on the Rete engine's C core.

:class:`DurableBackend` must return exactly what :class:`~fuxian_rules.engine.backends.reference.ReferenceBackend`
returns. Matchers of one pattern are only alpha tests, so by default they run as plain filters in Python
(:mod:`fuxian_rules.engine.backends.filters`; a round trip through the C core cost four times the tests);
everything below concerns the matchers that reach the C core. durable_rules 2.0.28 is unmaintained and its
C core has sharp edges, so this module drives the low-level ``durable_rules_engine`` calls itself (no
``durable.lang``, no ``Host`` and its threads) and every design choice below is a defence against a
measured failure:

* Facts, not events: ``assert_fact`` fires every matching rule; ``post`` lets one rule consume a message.
* One fixed sid, one case at a time, state deleted after each case: at most 1024 sids ever exist per
  process and sid hashes collide (``case-478212`` / ``case-1221200``), so a case id never becomes a sid
  and no condition mentions ``sid``.
* A sentinel fact opens every case and its action is started at once. The C core never initialises a
  new session's action context, and ``delete_state`` frees it: deleting a session in which no action
  was ever started frees a garbage pointer (observed: ``free(): invalid pointer``, segfaults).
* Facts are sent with positional ids drawn from a pool whose FNV-1 hashes are pairwise distinct, because
  the engine identifies a fact by the 32-bit hash of its ``id``; the caller's ids are mapped back after.
* Every later pattern lists its joins first — ``case_id``, the matcher's joins, then the always-true
  constant ``_k`` — and any ``$or`` after them: the C core stops evaluating a pattern's joins at the end
  of the first nested ``$or`` (joins placed after one were silently ignored), and after a failing join
  it looks for the end of the sequence two expressions on (events.c:614, an out-of-bounds read when the
  failing join was the last expression), which the trailing ``_k`` join prevents.
* JSON is written with ``ensure_ascii=False``: the C parser does not decode escaped non-ASCII text.
* Compile-time limits of the C core are checked by :meth:`DurableBackend.load` on a model of the alpha
  network it will build (:mod:`fuxian_rules.engine.backends.durable_net`); runtime failures become
  :class:`~fuxian_rules.errors.BackendError` so that the engine can evaluate that case with the
  reference backend instead.
"""

from __future__ import annotations

import contextlib
import functools
import json
import json.encoder
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from fuxian_rules.engine.backends.durable_net import (
    MAX_KEYS,
    MAX_VALUE_BYTES,
    RESERVED_KEYS,
    SENTINEL_KEY,
    SENTINEL_RULE,
    compile_group,
    key_hashes,
    type_groups,
    value_bytes,
)
from fuxian_rules.engine.backends.filters import FilterIndex
from fuxian_rules.engine.backends.ir import Activation, Fact, Matcher, Pattern
from fuxian_rules.errors import BackendError

__all__ = ["DurableBackend", "durable_available"]

try:
    import durable_rules_engine as _engine_module

    _engine: Any = _engine_module
    _IMPORT_ERROR = ""
except ImportError as exc:  # e.g. Python 3.13: undefined symbol PyEval_CallObject
    _engine = None
    _IMPORT_ERROR = f"{type(exc).__name__}: {exc}"

_VERIFIED_VERSION = "2.0.28"
_SID = "0"
_SENTINEL_ID = "sentinel"
_STATE_FACT_ID = f"sid-{_SID}"
_SENTINEL_FACT = json.dumps({"sid": _SID, "id": _SENTINEL_ID, SENTINEL_KEY: "1"})
_quote = json.encoder.encode_basestring  # JSON string literal, non-ASCII kept (the C parser needs that)
_FRAME = re.compile(r'"m(\d+)":\{"id": "([0-9a-f]+)"')
_ALIASES = [[str(j) for j in range(n)] for n in range(17)]  # frame names m0 … m<n-1>, by width (at most 16)

def _version_problem() -> str:
    """Return why durable_rules cannot be used at all here, or an empty string."""
    if _engine is None:
        return f"durable_rules cannot be imported ({_IMPORT_ERROR})"
    try:
        version = metadata.version("durable_rules")
    except metadata.PackageNotFoundError:
        version = "unknown"
    if version != _VERIFIED_VERSION:
        return f"durable_rules {version} found; this backend is verified against {_VERIFIED_VERSION} only"
    return ""


@functools.cache
def durable_available() -> tuple[bool, str]:
    """Say whether this backend can run here, and if not why, for the engine's receipt.

    Only the version whose behaviour was measured is accepted, and one tiny case is run through the
    low-level calls, because a build that imports can still be broken.
    """
    problem = _version_problem()
    if problem:
        return False, problem
    name = f"durable_rules {_VERIFIED_VERSION}"
    try:
        probe = DurableBackend(plain_filters=False)
        try:
            probe.load([Matcher("probe", "probe", (Pattern("x"),))])
            got = probe.match([{"id": "f", "t": "x", "case_id": "c"}], ["probe"])
        finally:
            probe.close()
    except (BackendError, _engine.error, MemoryError) as exc:
        return False, f"{name} failed its self-test: {exc}"
    if got != {Activation("probe", ("f",))}:
        return False, f"{name} failed its self-test: got {sorted(got)}"
    return True, name


class _IdPool:
    """Positional fact ids whose FNV-1 hashes differ from each other and from the engine's own ids.

    The engine keys a session's facts by the 32-bit hash of ``id`` and rejects a second fact with an
    equal hash as "already observed"; ids drawn from this pool can never collide.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self._taken = set(key_hashes(_STATE_FACT_ID) | key_hashes(_SENTINEL_ID))
        self._next = 0

    def ensure(self, n: int) -> list[str]:
        """Grow the pool to at least ``n`` ids and return it."""
        while len(self.ids) < n:
            candidate = format(self._next, "x")
            self._next += 1
            hashes = key_hashes(candidate)
            if hashes & self._taken:
                continue
            self._taken |= hashes
            self.index[candidate] = len(self.ids)
            self.ids.append(candidate)
        return self.ids


@dataclass(frozen=True, slots=True)
class _Ruleset:
    """One registered durable_rules ruleset, for one group of related event types.

    Rule ``r<i>`` is ``matcher_ids[i]``; groups come from :func:`type_groups`.
    """

    group: str
    name: str
    handle: int
    matcher_ids: tuple[str, ...]
    widths: tuple[int, ...]
    types: frozenset[str]
    definition: dict[str, Any]


class DurableBackend:
    """Match compiled matchers against the facts of one case on durable_rules' C core.

    Args:
        plain_filters: Run matchers of one pattern as plain tests in Python
            (:class:`~fuxian_rules.engine.backends.filters.FilterIndex`, the alpha tests a Rete network
            would run, without the round trip through the C core) and only matchers that join several
            facts on the Rete network. False sends every matcher to the C core (tests of the core).
    """

    name = "durable_rules"

    def __init__(self, *, plain_filters: bool = True) -> None:
        problem = _version_problem()
        if problem:
            raise BackendError(problem)
        self._plain_filters = plain_filters
        self._filters = FilterIndex(())
        self._lock = threading.Lock()
        self._prefix = f"fuxian_rules_{uuid.uuid4().hex}"  # ruleset names stay unique per process
        self._generation = 0
        self._rulesets: list[_Ruleset] = []
        self._where: dict[str, _Ruleset | None] = {}  # None: loaded, but it can never match
        self._targets: dict[frozenset[str], list[_Ruleset]] = {}  # matcher ids -> the rulesets to run
        self._ids = _IdPool()
        self._key_owner: dict[int, str] = {}
        self._checked_keys: set[str] = set()
        self._broken = ""

    def load(self, matchers: Sequence[Matcher]) -> None:
        """Compile the matchers to one ruleset per group of related event types, replacing earlier ones.

        Raises:
            BackendError: if matcher ids repeat, a matcher exceeds a limit of the C core, tested keys
                collide under the engine's 32-bit name hash, or the engine refuses a ruleset.
        """
        where: dict[str, _Ruleset | None] = {}
        by_group: dict[str, list[Matcher]] = {}
        kept: list[Matcher] = []
        filters: list[Matcher] = []
        owner: dict[int, str] = {}
        for key in ("id", "sid", "$s", "t", "case_id", "_k", SENTINEL_KEY):
            owner.update(dict.fromkeys(key_hashes(key), key))
        for m in matchers:
            if m.id in where:
                raise BackendError(f"matcher id {m.id!r} occurs twice", hint="matcher ids must be unique")
            where[m.id] = None
            if self._plain_filters and len(m.patterns) == 1:
                filters.append(m)
                continue
            if all(c.values for p in m.patterns for c in p.conds):  # an empty value set never holds
                kept.append(m)
            keys = {c.key for p in m.patterns for c in p.conds}
            keys |= {k for p in m.patterns[1:] for j in p.joins for k in (j.key, j.anchor_key)}
            for key in sorted(keys):
                for h in key_hashes(key):
                    if owner.setdefault(h, key) != key:
                        raise BackendError(
                            f"keys {key!r} and {owner[h]!r} have the same durable_rules name hash",
                            hint="rename one of the fields",
                        )
        groups = type_groups(kept)
        for m in kept:
            by_group.setdefault(groups[m.patterns[0].event_type], []).append(m)
        definitions = {group: compile_group(group, ms) for group, ms in sorted(by_group.items())}
        with self._lock:
            self._generation += 1
            created: list[_Ruleset] = []
            try:
                for group, rules in definitions.items():
                    name = f"{self._prefix}_{self._generation}_{len(created)}"
                    handle = _engine.create_ruleset(name, json.dumps(rules, ensure_ascii=False))
                    ms = by_group[group]
                    created.append(
                        _Ruleset(
                            group=group,
                            name=name,
                            handle=handle,
                            matcher_ids=tuple(m.id for m in ms),
                            widths=tuple(len(m.patterns) for m in ms),
                            types=frozenset(p.event_type for m in ms for p in m.patterns),
                            definition=rules,
                        )
                    )
            except (_engine.error, MemoryError) as exc:
                _delete_rulesets(created)  # the rulesets loaded before stay in use
                raise BackendError(f"durable_rules refused a ruleset: {exc}") from exc
            _delete_rulesets(self._rulesets)
            self._rulesets = created
            self._filters = FilterIndex(filters)
            self._where = where | {mid: rs for rs in created for mid in rs.matcher_ids}
            self._targets = {}
            self._key_owner = owner
            self._checked_keys = set()
            self._broken = ""

    def _definitions(self) -> dict[str, dict[str, Any]]:
        """Return a deep copy of each group's ruleset definition, keyed by group name, for inspection and tests."""
        with self._lock:
            return {rs.group: json.loads(json.dumps(rs.definition)) for rs in self._rulesets}

    def match(self, facts: Sequence[Fact], matcher_ids: Iterable[str]) -> set[Activation]:
        """Return every activation of the given matchers over the facts of one case.

        Raises:
            KeyError: for a matcher id that was not loaded (as the reference backend does).
            BackendError: if durable_rules fails or reports anything but a match or no match; the
                caller should evaluate this case with the reference backend.
        """
        wanted = frozenset(matcher_ids)
        with self._lock:
            targets = self._targets.get(wanted)
            if targets is None:  # cases of one flow ask for the same matchers: remember which rulesets
                by_name = {rs.name: rs for rs in map(self._where.__getitem__, wanted) if rs}
                targets = [by_name[name] for name in sorted(by_name)]
                if len(self._targets) > 10_000:  # bounded: the sets follow from untrusted input
                    self._targets.clear()
                self._targets[wanted] = targets
            out = self._filters.match(facts, wanted)
            if not targets:
                return out
            if self._broken:
                raise BackendError(f"durable_rules backend unusable: {self._broken}")
            messages = self._encode(facts)
            distinct_ids = len({f.get("id") for f in facts}) == len(facts)
            for rs in targets:
                payload = [text for t, text in messages if t in rs.types]
                if not payload:
                    continue
                for rule, positions in self._run_case(rs, payload):
                    mid = rs.matcher_ids[rule]
                    ids = tuple([facts[p]["id"] for p in positions])
                    if mid in wanted and (distinct_ids or len(set(ids)) == len(ids)):
                        out.add(Activation(mid, ids))
            return out

    def _encode(self, facts: Sequence[Fact]) -> list[tuple[str | None, str]]:
        """Validate the case's facts and serialise them as the engine must see them."""
        ids = self._ids.ensure(len(facts))
        checked = self._checked_keys
        out: list[tuple[str | None, str]] = []
        skip = RESERVED_KEYS  # set by this backend, whatever a fact says
        for i, fact in enumerate(facts):
            if not checked.issuperset(fact):
                self._check_keys(fact.keys() - checked)
            size = len(fact) - len(skip.intersection(fact)) + 3  # with the engine's id, sid and _k
            if size > MAX_KEYS:
                raise BackendError(f"a fact has {size} fields (at most {MAX_KEYS})", event_id=fact.get("id"))
            try:  # json.dumps' own layout, written directly; _quote refuses anything but a string
                body = "".join([", " + _quote(k) + ": " + _quote(v) for k, v in fact.items() if k not in skip])
            except TypeError:
                raise BackendError("a fact has a value that is not a string", event_id=fact.get("id")) from None
            # id first, where _run_case looks for it in actions; the caller's id, sid and _k are replaced
            text = f'{{"id": "{ids[i]}"{body}, "sid": "{_SID}", "_k": "1"}}'
            if len(text) * 4 > MAX_VALUE_BYTES and any(
                value_bytes(v) > MAX_VALUE_BYTES for k, v in fact.items() if k not in skip
            ):
                raise BackendError(f"a fact has a value longer than {MAX_VALUE_BYTES} bytes", event_id=fact.get("id"))
            out.append((fact.get("t"), text))
        return out

    def _check_keys(self, keys: Iterable[str]) -> None:
        """Refuse fact keys the engine would confuse with a tested or internal key."""
        if len(self._checked_keys) > 100_000:  # keys come from a vocabulary; bound memory anyway
            self._checked_keys.clear()
        for key in keys:
            if not isinstance(key, str) or key.startswith("$"):
                raise BackendError(f"fact field name {key!r} cannot be sent to durable_rules")
            for h in key_hashes(key):
                if self._key_owner.get(h, key) != key:
                    raise BackendError(
                        f"fact field {key!r} has the same durable_rules name hash as {self._key_owner[h]!r}",
                        field=key,
                    )
            self._checked_keys.add(key)

    def _run_case(self, rs: _Ruleset, payload: list[str]) -> list[tuple[int, list[int]]]:
        """Assert one case's facts into the fixed session, collect every action, delete the session.

        Each action is ``{"r<i>":{"m0":<fact text>,"m1":<fact text>}}`` with each fact's text exactly as
        sent, ``id`` first, so a regular expression finds the positional ids at a fraction of
        ``json.loads``' cost. ``":{"`` cannot occur inside the facts (they are written with ``": "`` and
        quotes escaped); an action that does not look exactly as expected is parsed properly instead.
        """
        e = _engine
        h = rs.handle
        try:
            code, state = e.assert_fact(h, _SENTINEL_FACT)
            started = e.start_action_for_state(h, state) if code == 0 else None
        except (e.error, MemoryError) as exc:
            started, code = None, str(exc)
        if started is None:
            # The session's action context may hold garbage; deleting it could free a wild pointer.
            self._broken = f"the sentinel fact of ruleset {rs.name} did not fire (result {code})"
            raise BackendError(f"durable_rules backend unusable: {self._broken}")
        fired: list[tuple[int, list[int]]] = []
        index = self._ids.index
        widths = rs.widths
        assert_fact, complete, findall = e.assert_fact, e.complete_and_start_action, _FRAME.findall
        try:
            for text in payload:
                code = assert_fact(h, text)[0]
                if code == 2:
                    raise BackendError("durable_rules took a distinct fact for one already asserted")
                if code not in (0, 1):
                    raise BackendError(f"durable_rules returned code {code} for a fact")
            while (action := complete(h, state)) is not None:
                rule = action[2 : action.index('"', 2)]
                if rule == SENTINEL_RULE:
                    continue
                i = int(rule[1:])
                found = findall(action)
                width = widths[i]
                if len(found) == width and (found[0][0] == "0" if width == 1 else
                                            [a for a, _ in found] == _ALIASES[width]):
                    fired.append((i, [index[pos] for _, pos in found]))
                else:
                    frames = next(iter(json.loads(action).values()))
                    fired.append((i, [index[frames[f"m{j}"]["id"]] for j in range(widths[i])]))
        except (e.error, MemoryError) as exc:
            raise BackendError(f"durable_rules failed on this case: {exc}") from exc
        except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
            raise BackendError(f"durable_rules returned an action this backend cannot read: {exc!r}") from exc
        finally:
            try:
                e.delete_state(h, _SID)
            except (e.error, MemoryError) as exc:
                self._broken = f"deleting the session of ruleset {rs.name} failed: {exc}"
        return fired

    def close(self) -> None:
        """Delete every ruleset; the backend can be loaded again afterwards."""
        with self._lock:
            _delete_rulesets(self._rulesets)
            self._rulesets = []
            self._filters = FilterIndex(())
            self._where = {}
            self._targets = {}


def _delete_rulesets(rulesets: Iterable[_Ruleset]) -> None:
    """Free rulesets (their one session is deleted after every case, so nothing else is left)."""
    for rs in rulesets:
        # A failure leaves nothing to do: the handle is gone or its memory is leaked.
        with contextlib.suppress(_engine.error, MemoryError):
            _engine.delete_ruleset(rs.handle)
