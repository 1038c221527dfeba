"""Event validation, rejection reporting, duplicates and order independence."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fuxian_rules import Engine, Event
from fuxian_rules.model.events import read_jsonl
from fuxian_rules.model.time import CST
from helpers import ev

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(backend="reference")


def test_bad_file_rejects_each_bad_line_and_keeps_the_rest(engine: Engine) -> None:
    result = engine.evaluate_file(EXAMPLES / "bad-events.jsonl", as_of="2024-12-31")
    lines = {r.line: r for r in result.rejected}
    assert sorted(lines) == [1, 2, 3, 4, 5, 6, 7]
    assert lines[1].field == "occurred_at" and lines[1].id == "b1"
    assert lines[3].field == "data.approved"
    assert lines[4].field == "type"
    assert lines[5].field == "data.agency"
    assert lines[6].field == "data.agency" and "missing" in lines[6].message
    assert lines[7].id is None
    assert {o.case_id for o in result.obligations if o.triggered_by} == {"B-1"}  # the good lines 8 and 9 still count


def test_duplicates_identical_ignored_conflicting_rejected(engine: Engine) -> None:
    a = ev("x", "crime_suspected", "c", "2024-03-04", agency="health")
    b = ev("x", "crime_suspected", "c", "2024-03-04", agency="transport")
    once = engine.evaluate([a], as_of="2024-12-31")
    twice = engine.evaluate([a, dict(a)], as_of="2024-12-31")
    assert once.obligations == twice.obligations and twice.rejected == []
    clash = engine.evaluate([(1, a), (2, b), (3, dict(a))], as_of="2024-12-31")
    assert clash.obligations == once.obligations  # the first version is the event; the resend is a duplicate
    assert [(r.line, r.id, r.field) for r in clash.rejected] == [(2, "x", "id")]


def test_order_independence_on_the_example(engine: Engine) -> None:
    lines = (EXAMPLES / "history.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    base = engine.evaluate(events, as_of="2025-03-31")
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(events)
        assert engine.evaluate(events, as_of="2025-03-31").obligations == base.obligations


def test_event_models_are_accepted(engine: Engine) -> None:
    raw = ev("m", "crime_suspected", "c", "2024-03-04", agency="health")
    model = engine.reader.validate(raw)
    assert isinstance(model, Event) and model.date_only
    assert engine.evaluate([model], as_of="2024-12-31").obligations == engine.evaluate([raw], "2024-12-31").obligations


def test_free_form_units_are_accepted_with_or_without_unit_kind(engine: Engine) -> None:
    """Contract §3 as amended: a free-form code is accepted in every unit field; only its syntax is checked."""
    school = ev("h", "staff_hired", "staff:school-3", "2024-03-04", unit="school-3", person_id="p1")
    assert engine.evaluate([school], as_of="2024-12-31").rejected == []
    school["data"]["unit_kind"] = "school"
    assert engine.evaluate([school], as_of="2024-12-31").rejected == []
    school["data"]["unit"] = "School 3"
    rejected = engine.evaluate([school], as_of="2024-12-31").rejected
    assert rejected and rejected[0].field == "data.unit"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (b'{"id": "1", "type": "crime_suspected", "case_id": "c", "occurred_at": NaN}', "NaN"),
        (b'{"id": "1", "id": "2"}', "duplicate key"),
        (b"\xff\xfe{}", "UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b"[" * 100000 + b"]" * 100000, "JSON"),
    ],
)
def test_hostile_lines(engine: Engine, line: bytes, needle: str) -> None:
    result = engine.evaluate(read_jsonl([line]), as_of="2024-12-31")
    assert len(result.rejected) == 1 and result.rejected[0].line == 1
    assert needle in result.rejected[0].message


def test_personal_values_not_echoed(engine: Engine) -> None:
    secret = "张三身份证410100200001011234"
    bad = ev("p", "background_check_done", "c", "2024-03-04", unit="education", person_id=secret, has_record="no")
    rejected = engine.evaluate([bad], as_of="2024-12-31").rejected
    assert rejected and secret not in rejected[0].message and "no" not in rejected[0].message.split()


# ---- restore: the spill files' way back -------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import strategies as S  # noqa: E402

AREA_EVENTS = st.one_of(
    S.histories(max_cases=2).map(lambda h: list(h.events)),
    *(strategy().map(lambda c: list(c.events)) for strategy in (S.task_cases, S.harm_cases, S.hire_cases,
                                                                 S.aid_cases, S.clue_cases, S.criminal_cases,
                                                                 S.public_interest_cases)),
    S.joint_meetings(),
)


@settings(max_examples=S.examples(60), deadline=None)
@given(AREA_EVENTS)
def test_restore_gives_back_the_validated_event(engine: Engine, events: list[dict[str, object]]) -> None:
    """An accepted event dumped to JSON and restored without validation is the same event: equal, the same
    digest, dates as dates and the instant in the reader's one CST zone (partitioned runs rely on it)."""
    good, rejected = engine.validate(events)
    assert not rejected
    for event in good:
        back = engine.reader.restore(json.loads(json.dumps(event.model_dump(mode="json"))))
        assert back == event and back.canonical() == event.canonical()
        assert {k: type(v) for k, v in back.data.items()} == {k: type(v) for k, v in event.data.items()}
        assert back.occurred_at.tzinfo is event.occurred_at.tzinfo


def test_restore_covers_every_date_field_of_the_vocabulary(engine: Engine) -> None:
    """Dates are the one kind of data field JSON does not keep: restore turns each of them back."""
    dated = {t: [f for f, s in ts.fields.items() if s.kind == "date"] for t, ts in engine.catalog.types.items()}
    assert any(dated.values())
    assert engine.reader._date_fields == {t: tuple(fs) for t, fs in dated.items()}


def test_the_id_rule_keeps_a_short_fingerprint_and_still_tells_versions_apart() -> None:
    """Ingestion keeps 128 bits of each id's first digest (memory grows with ids in every mode): a resend is
    still a duplicate, another version still a conflict, and a caller's own non-hex fingerprint still works."""
    from fuxian_rules import Ingestion

    ing = Ingestion()
    a = "a" * 64
    assert ing.settle("e1", a) is True and ing.settle("e1", a) is False
    assert ing.settle("e2", "c" * 64) is True
    conflict = ing.settle("e2", "d" * 64, line=7)
    assert not isinstance(conflict, bool) and conflict.code == "id_conflict" and conflict.line == 7
    assert ing.settle("e3", "fingerprint-1") is True and ing.settle("e3", "fingerprint-1") is False
    assert not isinstance(ing.settle("e3", "fingerprint-2"), bool)


@given(at=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30),
                       timezones=st.sampled_from([UTC, CST])))
def test_day_is_the_cst_day_whatever_the_offset(at: datetime) -> None:
    """``Event.day`` is the CST calendar day (contract §4), for events built by callers with another offset too."""
    e = Event(id="a", type="crime_suspected", case_id="c", occurred_at=at)
    assert e.day == at.astimezone(CST).date()
