"""``fuxian_rules.spark.evaluate`` in Spark local mode ≡ ``Engine.evaluate`` on the same events.

Generated histories (interleaved cases, duplicate deliveries, the same id sent again with other content
in another case, rows that fail validation, the joint meeting's yearly duties) go through Spark
(``local[2]``, four shuffle partitions, so cases and ids really are spread out) and through one
process; obligations (in ``orderBy("case_id", "position")`` order) and rejections must be equal.
Examples are few: each one is a Spark job of several seconds on this machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuxian_rules import Engine, Obligation, Rejection
from strategies import as_of_for, histories, joint_meetings

pytestmark = pytest.mark.spark
spark_mod = pytest.importorskip("fuxian_rules.spark", reason="the spark extra is not installed")

BAD_ROWS = [  # valid as strings, invalid as events: each must be rejected by line, as check does
    {"id": "bad-type", "type": "no_such_type", "case_id": "X-1", "occurred_at": "2024-03-04"},
    {"id": "bad-time", "type": "crime_suspected", "case_id": "X-1", "occurred_at": "yesterday",
     "data": {"agency": "market_regulation"}},
    {"id": "bad-data", "type": "crime_suspected", "case_id": "X-1", "occurred_at": "2024-03-04", "data": {}},
]


@pytest.fixture(scope="module")
def one() -> Any:
    engine = Engine()
    yield engine
    engine.close()


def _rows(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(n, e["id"], e["type"], e["case_id"], e["occurred_at"], e.get("actor"),
             json.dumps(e["data"], ensure_ascii=False) if "data" in e else None) for n, e in enumerate(events, 1)]


def _collect(obligations: Any, rejections: Any) -> tuple[list[Obligation], list[Rejection]]:
    rows = sorted(obligations.collect(), key=lambda r: (r["case_id"], r["position"]))
    got = [Obligation(**{k: v for k, v in r.asDict().items() if k not in ("position", "note")}) for r in rows]
    rej = [Rejection(line=r["line"], id=r["id"], field=r["field"], message=r["message"], code=r["code"])
           for r in rejections.collect()]
    rej.sort(key=lambda r: (r.line is None, r.line or 0, r.id or "", r.message))
    return got, rej


@st.composite
def inputs(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str]:
    history = draw(histories(max_cases=3))
    events = list(history.events) + draw(joint_meetings(first_year=2024, last_year=2025))
    if draw(st.booleans()):
        clash = dict(draw(st.sampled_from(events)))
        clash["case_id"] = "clash-" + str(clash["case_id"])
        events.append(clash)
    events += draw(st.lists(st.sampled_from(BAD_ROWS), max_size=2, unique_by=lambda r: r["id"]))
    events = draw(st.permutations(events))
    return events, draw(as_of_for(history))[0]


@settings(max_examples=3, phases=(Phase.explicit, Phase.generate), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=inputs())
def test_spark_equals_engine(spark: Any, one: Engine, data: tuple[list[dict[str, Any]], str]) -> None:
    events, as_of = data
    df = spark.createDataFrame(_rows(events), "line long, id string, type string, case_id string, "
                                              "occurred_at string, actor string, data string").repartition(3)
    obligations, rejections = spark_mod.evaluate(df, as_of=as_of)
    expected = one.evaluate(list(enumerate(events, 1)), as_of)
    got, rej = _collect(obligations, rejections)
    assert got == expected.obligations
    assert rej == expected.rejected


EVENT_COLUMNS = "id string, type string, case_id string, occurred_at string, actor string, data string"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "history.jsonl"


def test_json_file_read_by_spark(spark: Any, one: Engine) -> None:
    """Events read by Spark itself, ``data`` declared a string (Spark keeps each object's JSON text):
    the same result as ``check`` on the file, the yearly duties once."""
    df = spark.read.schema(EVENT_COLUMNS).json(str(EXAMPLE))
    obligations, rejections = spark_mod.evaluate(df, as_of="2026-12-31")
    expected = one.evaluate_file(EXAMPLE, "2026-12-31")
    got, rej = _collect(obligations, rejections)
    assert rej == [] == expected.rejected
    assert got == expected.obligations
    assert sum(o.rule.startswith("mechanism.") or o.case_id == "joint-meeting" for o in got) == sum(
        o.rule.startswith("mechanism.") or o.case_id == "joint-meeting" for o in expected.obligations) > 0


def test_struct_data(spark: Any, one: Engine) -> None:
    """``data`` as a struct (as Parquet or Hive columns give it): converted with to_json, null fields absent."""
    from pyspark.sql import functions as F

    types = ("crime_suspected", "transfer_report_submitted", "transfer_decided", "filing_decided",
             "materials_handed_over", "admin_penalty_imposed")
    df = (spark.read.schema(EVENT_COLUMNS).json(str(EXAMPLE)).where(F.col("type").isin(*types))
          .withColumn("data", F.from_json("data", "agency string, approved boolean, opened boolean, reasons string")))
    assert df.schema["data"].dataType.typeName() == "struct"
    events = [e for e in map(json.loads, EXAMPLE.read_text(encoding="utf-8").splitlines()) if e["type"] in types]
    obligations, rejections = spark_mod.evaluate(df, as_of="2025-03-31")
    expected = one.evaluate(events, "2025-03-31")
    got, rej = _collect(obligations, rejections)
    assert rej == []
    assert got == expected.obligations
    assert any(o.case_id != "joint-meeting" for o in got)


def test_line_numbers_need_not_be_unique(spark: Any, one: Engine) -> None:
    """Two files loaded into one table, each numbered from line 1, every event delivered in both: each
    event counts once (the second copy is a duplicate, contract §1), none is lost with its twin."""
    events = [json.loads(x) for x in EXAMPLE.read_text(encoding="utf-8").splitlines()]
    rows = _rows(events) + _rows(events)
    df = spark.createDataFrame(rows, "line long, id string, type string, case_id string, "
                                     "occurred_at string, actor string, data string").repartition(3)
    obligations, rejections = spark_mod.evaluate(df, as_of="2026-12-31")
    got, rej = _collect(obligations, rejections)
    expected = one.evaluate(events, "2026-12-31")
    assert rej == [] == expected.rejected
    assert got == expected.obligations and len(got) > 100
