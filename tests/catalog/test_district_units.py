"""A district's own units file, merged with the bundled registry, and the clause areas a deployment runs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fuxian_rules import CatalogError, Engine, RunError

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "docs" / "examples" / "units.yaml"
HIRE = {"id": "h1", "type": "staff_hired", "case_id": "staff:hj-kg-01", "occurred_at": "2025-03-03",
        "data": {"unit": "hj-kg-01", "person_id": "P-1"}}


def test_registered_units_are_accepted_named_and_hashed() -> None:
    plain = Engine(backend="reference").evaluate([HIRE], "2025-03-31")
    assert plain.rejected == []  # contract §3 as amended: a free-form code is accepted even without the file
    engine = Engine(backend="reference", units=UNITS)
    result = engine.evaluate([HIRE], "2025-03-31")
    assert not result.rejected
    mine = [o for o in result.obligations if o.holder == "hj-kg-01"]
    assert mine and {o.holder_name for o in mine} == {"惠济区机关幼儿园"}
    assert all("惠济区机关幼儿园" in o.explanation for o in mine)
    assert result.receipt.units_sha256 == hashlib.sha256(UNITS.read_bytes()).hexdigest()
    unit = engine.catalog.units["hj-kg-01"]
    assert (unit.kind, unit.supervisor) == ("kindergarten", "education")
    assert engine.catalog.units["urban_management"].name == "区城管局"  # the bundled registry stays


@pytest.mark.parametrize(("body", "field", "line"), [
    ("version: 1\nunits:\n  urban_management: {name: 城管, kind: other, supervisor: education}\n",
     "units.urban_management", 3),
    ("version: 1\nunits:\n  hj-a: {name: 甲, kind: school, supervisor: nobody}\n", "units.hj-a.supervisor", 3),
    ("version: 1\nunits:\n  hj-a: {name: 甲, kind: castle, supervisor: education}\n", "units.hj-a.kind", 3),
    ("version: 1\nunits:\n  区一小: {name: 甲, kind: school, supervisor: education}\n", None, None),
])
def test_a_bad_units_file_names_file_line_and_field(tmp_path: Path, body: str, field: str | None,
                                                    line: int | None) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogError) as exc:
        Engine(backend="reference", units=path)
    assert str(path) in str(exc.value)
    if field is not None:
        assert exc.value.field == field and exc.value.line == line


def test_the_units_file_is_read_safely(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text("version: 1\nunits: !!python/object/apply:os.system [echo hi]\n", encoding="utf-8")
    with pytest.raises(CatalogError):
        Engine(backend="reference", units=path)
    path.write_text("version: 1\nunits:\n  a: &x {name: 甲, kind: school, supervisor: education}\n  b: *x\n",
                    encoding="utf-8")
    with pytest.raises(CatalogError, match="anchors"):
        Engine(backend="reference", units=path)
    with pytest.raises(CatalogError, match="cannot read"):
        Engine(backend="reference", units=tmp_path / "missing.yaml")


def test_active_areas_keep_the_rules_they_depend_on() -> None:
    full = Engine(backend="reference")
    engine = Engine(backend="reference", areas=["transfer"])
    areas = {lr.area for lr in engine.catalog.rules.values()}
    assert "transfer" in areas and "minors" not in areas
    for lr in engine.catalog.rules.values():
        assert set(lr.spec.escalates_to) <= set(engine.catalog.rules)
    events = full.evaluate_file(ROOT / "examples" / "history.jsonl", "2025-03-31")
    mine = engine.evaluate_file(ROOT / "examples" / "history.jsonl", "2025-03-31")
    wanted = {r for r, lr in full.catalog.rules.items() if lr.area == "transfer"}
    assert [o for o in events.obligations if o.rule in wanted] == [o for o in mine.obligations if o.rule in wanted]
    assert mine.receipt.areas == ["transfer"]
    with pytest.raises(RunError, match="unknown clause area 'nope'"):
        Engine(backend="reference", areas=["nope"])
