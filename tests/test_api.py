"""The public API: __all__ is complete and sorted."""

from __future__ import annotations

import inspect

import fuxian_rules


def test_all_is_sorted_and_complete() -> None:
    names = fuxian_rules.__all__
    assert names == sorted(names)
    public = {n for n, v in vars(fuxian_rules).items()
              if not n.startswith("_") and not inspect.ismodule(v) and n != "annotations"}
    assert public | {"__version__"} == set(names)
    for name in names:
        assert hasattr(fuxian_rules, name)


def test_public_objects_report_the_public_module() -> None:
    """Every exported class and function says ``fuxian_rules``, the path users import it from (as httpx does)."""
    for name in fuxian_rules.__all__:
        obj = getattr(fuxian_rules, name)
        if isinstance(obj, str):
            continue
        assert obj.__module__ == "fuxian_rules", name


def test_version_comes_from_the_package_metadata() -> None:
    from importlib import metadata

    assert fuxian_rules.__version__ == metadata.version("fuxian-rules")


def test_importing_the_package_imports_no_optional_dependency() -> None:
    """``import fuxian_rules`` loads the core only: no web server, database, Spark or spreadsheet library."""
    import subprocess
    import sys

    optional = ["fastapi", "sqlalchemy", "pyspark", "openpyxl", "uvicorn", "xlsxwriter", "alembic", "psycopg"]
    code = ("import sys, fuxian_rules; fuxian_rules.Engine; "
            f"print(sorted(m for m in {optional!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_errors_are_one_tree() -> None:
    from fuxian_rules import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), fuxian_rules.FuxianRulesError)
    assert issubclass(fuxian_rules.CatalogError, fuxian_rules.LoadError)
    assert issubclass(fuxian_rules.BackendError, fuxian_rules.RunError)


def test_fast_construct_equals_model_construct() -> None:
    from datetime import UTC, datetime

    from fuxian_rules import Event, Obligation
    from fuxian_rules.model.construct import construct

    ev = {"id": "a", "type": "crime_suspected", "case_id": "c", "occurred_at": datetime(2024, 1, 2, tzinfo=UTC),
          "date_only": False, "actor": None, "data": {"agency": "health"}}
    fast, slow = construct(Event, dict(ev)), Event.model_construct(**ev)
    assert fast == slow and fast.model_dump_json() == slow.model_dump_json()
    assert set(Obligation.model_fields) == {
        "rule", "case_id", "holder", "holder_name", "modality", "status", "due", "due_provisional", "policy_terms",
        "basis", "triggered_by", "closed_by", "title", "explanation"}, "construct() callers must name every field"


def test_every_error_has_a_stable_documented_code_a_suggestion_and_a_dict() -> None:
    from pathlib import Path

    from fuxian_rules import errors

    documented = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    codes = [getattr(errors, name).default_code for name in errors.__all__]
    assert len(set(codes)) == len(codes), codes
    for code in codes:
        assert f"`{code}`" in documented, code
    err = fuxian_rules.PolicyError("bad period", file="p.yaml", line=3, field="terms.x", hint="use days")
    assert err.code == "FR-POL-000" and err.suggestion == "use days"
    assert err.to_dict() == {"code": "FR-POL-000", "error": "PolicyError", "message": "bad period", "file": "p.yaml",
                             "line": 3, "field": "terms.x", "event_id": None, "suggestion": "use days"}
    assert fuxian_rules.RunError("x", code="FR-RUN-123").code == "FR-RUN-123"
