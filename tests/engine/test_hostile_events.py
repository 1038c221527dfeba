"""Hostile events: every malformed input is rejected with its place named, and nothing else is lost.

Events come from other systems and are untrusted (contract §1–§2). A bad line costs only itself: it is
rejected with its line number, its id (when it had one) and the field at fault, never with the value
of a personal field; the process never crashes; every good event of the batch is still evaluated.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine, Event, RunError, parse_as_of
from fuxian_rules.cli.commands import main
from fuxian_rules.model.events import read_jsonl

AS_OF = "2030-01-01"


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    e = Engine(backend="reference")
    yield e
    e.close()


def lines_of(events: list[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(e, ensure_ascii=False).encode("utf-8") for e in events]


def assert_names_place(rejection: Any, bad: S.Bad, line: int) -> None:
    assert rejection.line == line
    assert rejection.message.strip()
    if bad.field is not None:
        assert rejection.field == bad.field, (bad.kind, rejection)
        assert bad.field.split(".")[-1] in rejection.message, (bad.kind, rejection.message)
    if bad.id is not None:
        assert rejection.id == bad.id, (bad.kind, rejection)
    assert S.PII not in rejection.model_dump_json(), bad.kind
    assert len(rejection.message) < 400, bad.kind


@pytest.mark.parametrize("bad", S.bad_lines(), ids=lambda b: b.kind)
def test_each_kind_of_malformed_line_is_rejected_with_its_place(engine: Engine, bad: S.Bad) -> None:
    """One rejection per malformed line, naming the line, the id if any and the field — no value echoed."""
    result = engine.evaluate(read_jsonl([b"", bad.raw]), AS_OF)
    assert len(result.rejected) == 1, result.rejected
    assert_names_place(result.rejected[0], bad, 2)
    assert [o for o in result.obligations if o.case_id in ("BAD-1", "c", "n")] == []


@settings(max_examples=S.examples(60))
@given(h=S.histories(duplicates=False), bads=st.lists(S.malformed_lines(), min_size=1, max_size=6),
       data=st.data())
def test_bad_lines_cost_only_themselves(engine: Engine, h: S.History, bads: list[S.Bad],
                                        data: st.DataObject) -> None:
    """Malformed lines mixed into a batch are each rejected once; every good event is still evaluated."""
    good = lines_of(h.events)
    mixed: list[tuple[bytes, S.Bad | None]] = [(g, None) for g in good]
    for bad in bads:
        # a byte-order mark opening the input is stripped (issue 15); anywhere else it is a malformed line
        lo = 1 if bad.kind == "byte order mark" and mixed else 0
        mixed.insert(data.draw(st.integers(lo, len(mixed))), (bad.raw, bad))
    result = engine.evaluate(read_jsonl([raw for raw, _ in mixed]), AS_OF)
    expected = engine.evaluate(h.events, AS_OF)
    assert result.obligations == expected.obligations
    assert len(result.rejected) == len(bads)
    by_line = {r.line: r for r in result.rejected}
    for no, (_, bad) in enumerate(mixed, start=1):
        if bad is not None:
            assert_names_place(by_line[no], bad, no)


PERSONAL = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=60).map(
    lambda t: f"⟨{t}⟩")


@settings(max_examples=S.examples(100))
@given(secret=PERSONAL, where=st.sampled_from(["person_id", "reasons", "unknown", "has_record", "unit_kind",
                                               "nested", "type_of_value"]))
def test_rejections_never_echo_personal_data(engine: Engine, secret: str, where: str) -> None:
    """A personal value in a rejected event never appears in the rejection (contract §3: names, not values)."""
    events = {
        "person_id": {"type": "background_check_done",
                      "data": {"unit": "education", "person_id": secret + "\x00", "has_record": True}},
        "reasons": {"type": "judicial_aid_decided", "data": {"granted": "no", "reasons": secret}},
        "unknown": {"type": "staff_hired", "data": {"unit": "education", "person_id": "p1", "name": secret}},
        "has_record": {"type": "background_check_done",
                       "data": {"unit": "education", "person_id": "p1", "has_record": secret}},
        "unit_kind": {"type": "staff_hired",
                      "data": {"unit": "x" * 70, "person_id": secret, "unit_kind": secret}},
        "nested": {"type": "staff_dismissed", "data": {"unit": "education", "person_id": {"name": secret}}},
        "type_of_value": {"type": "transfer_decided",
                          "data": {"agency": "health", "approved": False, "reasons": [secret] * 3}},
    }[where]
    ev = {"id": "pii-1", "case_id": "PII-1", "occurred_at": "2024-05-06", **events}
    result = engine.evaluate([(1, ev)], AS_OF)
    assert len(result.rejected) == 1
    r = result.rejected[0]
    assert r.line == 1 and r.id == "pii-1" and r.field and r.field.startswith("data")
    assert secret not in r.model_dump_json()
    core = secret[1:-1]
    if len(core) >= 12:  # long enough not to occur in a message by chance
        assert core not in r.model_dump_json()


class Opaque:
    def __repr__(self) -> str:
        return S.PII


def _cyclic() -> dict[str, Any]:
    d: dict[str, Any] = {"id": "cyc", "type": "crime_suspected", "case_id": "c", "occurred_at": "2024-03-04"}
    d["data"] = {"agency": "health", "self": d}
    return d


def _deep_dict(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {}
    for _ in range(depth):
        inner = {"x": inner}
    return {"id": "deep", "type": "crime_suspected", "case_id": "c", "occurred_at": "2024-03-04",
            "data": {"agency": "health", "deep": inner}}


@pytest.mark.parametrize("raw", [
    None, 42, 3.5, float("nan"), "crime_suspected", b"{}", [], ["a"], set(), Opaque(), {1: 2}, {},
    {"id": "t", "type": "crime_suspected", "case_id": "c", "occurred_at": datetime(2024, 3, 4, tzinfo=UTC),
     "data": {"agency": "health"}},
    {"id": "t", "type": "crime_suspected", "case_id": "c", "occurred_at": "2024-03-04", "data": {"agency": Opaque()}},
    {"id": "t", "type": "crime_suspected", "case_id": "c", "occurred_at": "2024-03-04", "data": None},
    _cyclic(), _deep_dict(3000),
], ids=lambda r: type(r).__name__)
def test_python_objects_that_are_not_events_are_rejected(engine: Engine, raw: Any) -> None:
    """Whatever a Python caller passes instead of an event dict is rejected, never raised."""
    result = engine.evaluate([raw, {"id": "ok", "type": "crime_suspected", "case_id": "OK",
                                    "occurred_at": "2024-03-04", "data": {"agency": "health"}}], AS_OF)
    assert len(result.rejected) == 1
    assert result.rejected[0].message and S.PII not in result.rejected[0].message
    assert any(o.case_id == "OK" for o in result.obligations)


def test_validated_event_objects_are_accepted_as_they_are(engine: Engine) -> None:
    """An :class:`Event` returned by ``validate`` can be passed back in unchanged."""
    raw = {"id": "e1", "type": "crime_suspected", "case_id": "EV", "occurred_at": "2024-03-04T09:00:00+08:00",
           "data": {"agency": "health"}}
    good, rejected = engine.validate([raw])
    assert rejected == [] and isinstance(good[0], Event)
    assert S.dump(engine.evaluate(good, AS_OF)) == S.dump(engine.evaluate([raw], AS_OF))


@settings(max_examples=S.examples(80))
@given(at=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30),
                       timezones=st.sampled_from([timezone(timedelta(hours=h)) for h in (-12, -5, 0, 8, 14)])),
       date_only=st.booleans(), rule_type=st.sampled_from(["crime_suspected", "transfer_decided",
                                                           "procuratorial_opinion_received"]))
def test_no_instant_crashes_the_engine(engine: Engine, at: datetime, date_only: bool, rule_type: str) -> None:
    """Any instant, however far in the past or future, is evaluated or rejected — never a crash.

    Contract §1: 「A datetime must carry its UTC offset」; instants outside 1900–2999 are refused.
    """
    text = at.date().isoformat() if date_only else at.isoformat()
    data = {"crime_suspected": {"agency": "health"},
            "transfer_decided": {"agency": "health", "approved": True},
            "procuratorial_opinion_received": {"opinion_id": "o", "unit": "tax"}}[rule_type]
    ev = {"id": "t", "type": rule_type, "case_id": "T", "occurred_at": text, "data": data}
    issued = {"id": "o", "type": "procuratorial_opinion_issued", "case_id": "T", "occurred_at": text,
              "data": {"opinion_id": "o", "kind": "admin_penalty", "to": "tax"}}
    for as_of in ("2999-12-31", "1900-01-01", "2024-06-01"):
        result = engine.evaluate([ev, issued], as_of)
        assert all(r.field == "occurred_at" for r in result.rejected)
        in_range = 1900 <= at.year <= 2998
        if in_range and not date_only and at.utcoffset() == timedelta(hours=8):
            assert result.rejected == []


@settings(max_examples=S.examples(150))
@given(value=st.one_of(st.text(max_size=50), st.dates(), st.datetimes(),
                       st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14))])),
                       st.sampled_from(["9999-12-31", "0001-01-01", "2024-02-30", "2024-13-01", " ", "", "\x00",
                                        "2024-03-04T25:00:00+08:00", "2024-03-04T09:00:00+24:00", "now"])))
def test_a_hostile_as_of_is_a_clear_error(engine: Engine, value: Any) -> None:
    """``as_of`` is an instant or a date; anything else is a RunError naming the field, never a crash.

    Contract §2: 「as_of is an instant; a bare date means the end of that day in China Standard Time」.
    """
    try:
        at, error = parse_as_of(value), None
    except RunError as exc:
        at, error = None, exc
    if error is not None:
        assert error.field == "as_of" and error.hint
        return
    assert at is not None and at.tzinfo is not None
    assert engine.evaluate([], value).as_of == at.isoformat()


def test_the_command_line_reports_every_bad_line_and_keeps_going(tmp_path: Path) -> None:
    """``fuxian-rules check`` prints every rejected line with its number, evaluates the rest, exits 1."""
    good = {"id": "g1", "type": "crime_suspected", "case_id": "CLI-1", "occurred_at": "2024-03-04",
            "data": {"agency": "health"}}
    bads = S.bad_lines()
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([*(b.raw for b in bads), json.dumps(good).encode()]) + b"\n")
    out = io.StringIO()
    rc = main(["check", str(path), "--as-of", "2024-03-31", "--format", "json", "--backend", "reference"], out=out)
    assert rc == 1
    doc = json.loads(out.getvalue())
    assert sorted(r["line"] for r in doc["rejected"]) == list(range(1, len(bads) + 1))
    assert any(o["case_id"] == "CLI-1" and o["rule"] == "transfer.report" for o in doc["obligations"])
    assert S.PII not in out.getvalue()
    table = io.StringIO()
    assert main(["check", str(path), "--as-of", "2024-03-31", "--backend", "reference"], out=table) == 1
    assert all(f"第 {n} 行" in table.getvalue() for n in range(1, len(bads) + 1))


def test_an_as_of_out_of_range_on_the_command_line_is_a_usage_error(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``--as-of 9999-12-31`` is refused with a message, exit status 2, no traceback."""
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert main(["check", str(path), "--as-of", "9999-12-31", "--backend", "reference"], out=io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "as_of" in err and "Traceback" not in err


def test_the_boundaries_of_the_supported_range(engine: Engine) -> None:
    """The first and last supported days are accepted; the days beyond them are refused."""
    def at(text: str) -> Any:
        return engine.evaluate([{"id": "b", "type": "minor_harm_discovered", "case_id": "B", "occurred_at": text,
                                 "data": {"unit": "health"}}], "2999-12-31")

    assert at("1900-01-01").rejected == [] and at("2999-12-31T23:59:59+08:00").rejected == []
    assert at("1899-12-31").rejected[0].field == "occurred_at"
    assert at("2999-12-31T16:00:00+00:00").rejected[0].field == "occurred_at"
    last = at("2999-12-31")
    assert last.rejected == []
    assert [o.due for o in last.obligations if o.rule == "minors.report"] == ["3000-01-02T00:00:00+08:00"]
