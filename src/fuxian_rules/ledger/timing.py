"""When a cached case result stops being true, stable obligation ids, and the engine's fingerprint.

A case's obligations depend on ``as_of`` only through a few instants, all of which the ledger can see:

* an obligation that is ``open`` (or an ``advisory`` not yet acted on) changes once ``as_of`` passes
  the end of its due day (24:00 CST) or its due instant (hour periods), and a breach escalates then;
* an event of the case that lies after ``as_of`` starts to count once ``as_of`` reaches it (a bare-date
  event once its day has begun);
* yearly duties arise when a year begins (CST) — in the cases that can hold them — and a rule takes
  effect or lapses on its ``valid_from`` / ``valid_to`` day.

The earliest of those instants after the evaluation is the end of the cached result's validity
window (inclusive): a read whose ``as_of`` lies in ``[evaluated at, valid until]`` needs no
re-evaluation. One text does follow ``as_of`` inside the window: an ``overdue`` obligation's
explanation says "截至 <as_of, to the minute> 已过届满时间"; :func:`restamp` rewrites that minute, and the
differential tests check the whole answer against a fresh evaluation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from fuxian_rules import Engine, Event, Obligation
from fuxian_rules.model.zhtime import zh_instant

__all__ = ["CST", "due_day", "due_end", "dumps", "engine_hash", "from_us", "obligation_id", "restamp",
           "rule_boundaries", "stamp", "to_us", "valid_until", "yearly_rules"]

CST = timezone(timedelta(hours=8))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: The largest instant the ledger stores as "valid until": the end of the supported years.
FOREVER = datetime(3000, 1, 1, tzinfo=CST)


def to_us(at: datetime) -> int:
    """An aware instant as integer microseconds since the epoch (exact, sortable, database-neutral)."""
    delta = at - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> datetime:
    """The inverse of :func:`to_us`, in CST."""
    return (_EPOCH + timedelta(microseconds=us)).astimezone(CST)


def _end_of_day(d: date) -> datetime:
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=CST)


def due_end(due: str) -> datetime:
    """The instant a period ends: 24:00 CST of a due day, or the due instant of an hour period."""
    if len(due) == 10:
        return _end_of_day(date.fromisoformat(due))
    return datetime.fromisoformat(due)


def due_day(due: str | None) -> str | None:
    """The CST calendar day of a due date or instant, for the ``due_before`` / ``due_after`` filters."""
    if due is None:
        return None
    return due if len(due) == 10 else datetime.fromisoformat(due).astimezone(CST).date().isoformat()


def engine_hash(engine: Engine) -> str:
    """What a cached result depends on besides events: library, catalogue, policy and calendar data."""
    r = engine.receipt()
    parts = [r.library_version, r.catalog_sha256, r.policy_sha256, r.calendar]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def obligation_id(engine: Engine, ob: Obligation | dict[str, Any]) -> str:
    """The stable id of an obligation: the same obligation keeps it across re-evaluations and replays.

    Recipe: the first 32 hex digits of SHA-256 over the UTF-8 of
    ``rule ␟ case_id ␟ holder ␟ triggered_by (comma-joined) ␟ period`` (␟ = U+001F), where ``period``
    is the due date for a rule raised by the calendar (a yearly duty: one obligation per year, all with
    the same trigger) and empty for every other rule (its triggering events identify it; its due date
    may move when a step it follows is corrected, and its id must not).
    """
    data = ob if isinstance(ob, dict) else ob.model_dump(mode="json")
    rule = str(data["rule"])
    loaded = engine.catalog.rules.get(rule)
    scheduled = loaded is not None and loaded.spec.trigger.schedule is not None
    period = str(data.get("due") or "") if scheduled else ""
    text = "\x1f".join([rule, str(data["case_id"]), str(data["holder"]), ",".join(data["triggered_by"]), period])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def obligation_ids(engine: Engine, obs: Sequence[Obligation]) -> list[str]:
    """The stable ids of one case's obligations, in the engine's (deterministic) order.

    Two obligations can share every part of the :func:`obligation_id` recipe: a rule that raises one duty
    per department an assessment names (``aid.social-referral``) has one trigger and one holder for all of
    them. The second and later of such a group take the group's id with their ordinal appended
    (``…␟1``, ``…␟2``), in the engine's order, which depends only on the case's events.
    """
    ids: list[str] = []
    seen: dict[str, int] = {}
    for ob in obs:
        base = obligation_id(engine, ob)
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.append(base if n == 0 else hashlib.sha256(f"{base}\x1f{n}".encode()).hexdigest()[:32])
    return ids


def rule_boundaries(engine: Engine) -> list[datetime]:
    """The instants at which some rule takes effect (00:00 of ``valid_from``) or lapses (24:00 of ``valid_to``)."""
    out: set[datetime] = set()
    for loaded in engine.catalog.rules.values():
        out.add(datetime.combine(loaded.spec.valid_from, time(0), tzinfo=CST))
        if loaded.spec.valid_to is not None:
            out.add(_end_of_day(loaded.spec.valid_to))
    return sorted(out)


def yearly_rules(engine: Engine) -> frozenset[str]:
    """The rules the calendar raises (yearly duties): only they make a new year change a case."""
    return frozenset(rid for rid, lr in engine.catalog.rules.items() if lr.spec.trigger.schedule is not None)


def valid_until(bounds: Sequence[datetime], at: datetime, events: Sequence[Event],
                obligations: Sequence[Obligation], *, yearly: bool) -> datetime:
    """The last ``as_of`` (inclusive) at which a case evaluated at ``at`` still has the same result.

    Args:
        bounds: :func:`rule_boundaries` of the engine.
        at: The instant the case was evaluated at.
        events: All the case's stored events (including those after ``at``).
        obligations: Its obligations at ``at``.
        yearly: The case can raise yearly duties: it is one of the engine's scheduled cases, or already
            holds an obligation of a rule the calendar raises (such a rule raises one for the current
            year as soon as it applies to a case, so a case without one gets none at the new year; a
            rule that takes effect later is covered by ``bounds``).
    """
    candidates = [FOREVER]
    if yearly:
        # Yearly duties of year Y arise once ``as_of`` is past 00:00 CST of January 1 of Y (a bare
        # "12-31" is exactly that instant, and still has none).
        new_year = datetime(at.astimezone(CST).year, 1, 1, tzinfo=CST)
        if new_year < at:
            new_year = datetime(new_year.year + 1, 1, 1, tzinfo=CST)
        candidates.append(new_year)
    candidates.extend(b for b in bounds if b >= at)
    for ob in obligations:
        if ob.due is None:
            continue
        if ob.status == "open" or (ob.status == "advisory" and not ob.closed_by):
            end = due_end(ob.due)
            if end >= at:
                candidates.append(end)
    for ev in events:
        if ev.occurred_at >= at:
            # A timed event counts from its instant; a bare-date one once its day has begun (after 00:00).
            candidates.append(ev.occurred_at if ev.date_only else max(at, ev.occurred_at - timedelta(microseconds=1)))
    return min(candidates)


def stamp(at: datetime) -> str:
    """``as_of`` as the engine writes it in an overdue explanation (the engine's own formatter, so no drift)."""
    return zh_instant(at)


def restamp(body: dict[str, Any], evaluated: datetime, at: datetime) -> dict[str, Any]:
    """An obligation evaluated at ``evaluated`` as it reads at ``at`` (same window: only the stamp moves)."""
    if body.get("status") != "overdue":
        return body
    old, new = stamp(evaluated), stamp(at)
    if old == new:
        return body
    out = dict(body)
    out["explanation"] = str(body["explanation"]).replace(f"截至 {old} 已过届满时间", f"截至 {new} 已过届满时间", 1)
    return out


def dumps(value: Any) -> str:
    """Compact JSON, UTF-8 kept readable (Chinese explanations), keys in their given order."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
