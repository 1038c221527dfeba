"""Small builders shared by the example-based tests (hypothesis strategies live in strategies.py)."""

from __future__ import annotations

from typing import Any


def ev(eid: str, etype: str, case: str, at: str, **data: Any) -> dict[str, Any]:
    """One contract §1 event."""
    out: dict[str, Any] = {"id": eid, "type": etype, "case_id": case, "occurred_at": at}
    if data:
        out["data"] = data
    return out


def by_rule(result: Any, case: str | None = None) -> dict[str, Any]:
    """Map rule id -> the single obligation of that rule (in ``case`` if given).

    Without ``case``, duties the calendar raises with no triggering event (the joint meeting's yearly and
    standing duties, which appear in every result) are left out.
    """
    out: dict[str, Any] = {}
    for ob in result.obligations:
        if case is None and not ob.triggered_by:
            continue
        if case is None or ob.case_id == case:
            assert ob.rule not in out, f"{ob.rule} raised twice"
            out[ob.rule] = ob
    return out


def run(engine: Any, events: list[dict[str, Any]], rule: str, as_of: Any = "2025-03-31") -> list[Any]:
    """Evaluate (no rejection allowed) and return the obligations of one rule."""
    result = engine.evaluate(events, as_of)
    assert result.rejected == []
    return [o for o in result.obligations if o.rule == rule]


def one(engine: Any, events: list[dict[str, Any]], rule: str, as_of: str = "2025-03-31") -> Any:
    """The single obligation of one rule."""
    found = run(engine, events, rule, as_of)
    assert len(found) == 1, found
    return found[0]


def of_rule(engine: Any, events: list[dict[str, Any]], as_of: Any, rule: str) -> list[Any]:
    """Evaluate (no rejection allowed) and return the obligations of one rule (``run`` with as_of first)."""
    return run(engine, events, rule, as_of)
