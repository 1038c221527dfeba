"""One settings file (TOML or YAML) and FUXIAN_* variables for what a deployment sets; flags win."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fuxian_rules import LoadError
from fuxian_rules.cli import main
from fuxian_rules.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "docs" / "examples" / "units.yaml"


def test_a_toml_file_with_paths_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "units.yaml").write_bytes(UNITS.read_bytes())
    (tmp_path / "fuxian.toml").write_text(
        'units = "units.yaml"\ncalendars = ["2027.yaml"]\nareas = ["transfer", "minors"]\n'
        'database_url = "postgresql+psycopg://fuxian@db/fuxian"\nbackend = "reference"\n', encoding="utf-8")
    s = load_settings(tmp_path / "fuxian.toml", environ={})
    assert s.units == str(tmp_path / "units.yaml") and s.calendars == (str(tmp_path / "2027.yaml"),)
    assert s.areas == ("transfer", "minors") and s.backend == "reference"
    assert s.database_url == "postgresql+psycopg://fuxian@db/fuxian" and s.source == str(tmp_path / "fuxian.toml")


def test_yaml_environment_and_flags_in_that_order(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("backend: reference\npolicy: p.yaml\nareas: [minors]\n", encoding="utf-8")
    env = {"FUXIAN_SETTINGS": str(tmp_path / "s.yaml"), "FUXIAN_AREAS": "transfer, clues",
           "FUXIAN_DATABASE_URL": "sqlite:///x.db", "FUXIAN_CALENDARS": "/a/2027.yaml:/a/2028.yaml"}
    s = load_settings(None, environ=env)
    assert s.policy == str(tmp_path / "p.yaml") and s.backend == "reference"
    assert s.areas == ("transfer", "clues") and s.database_url == "sqlite:///x.db"
    assert s.calendars == ("/a/2027.yaml", "/a/2028.yaml")
    s = load_settings(None, environ=env, areas=["aid"], backend=None, policy="")
    assert s.areas == ("aid",) and s.backend == "reference" and s.policy == str(tmp_path / "p.yaml")
    assert load_settings(None, environ={}).engine_kwargs()["backend"] == "auto"


@pytest.mark.parametrize(("name", "body", "match"), [
    ("a.toml", 'polcy = "x"\n', "unknown setting 'polcy'"),
    ("a.toml", "areas = 3\n", "areas must be a list"),
    ("a.toml", "units = [\n", "not a valid TOML"),
    ("a.yaml", "backend: fast\n", "backend must be"),
    ("a.yaml", "- a\n", "table of settings"),
    ("a.ini", "x=1\n", ".toml, .yaml or .yml"),
    ("a.yaml", "units: !!python/name:os.system\n", "tag"),
])
def test_bad_settings_name_file_and_key(tmp_path: Path, name: str, body: str, match: str) -> None:
    (tmp_path / name).write_text(body, encoding="utf-8")
    with pytest.raises(LoadError, match=match) as exc:
        load_settings(tmp_path / name, environ={})
    assert str(tmp_path / name) in str(exc.value)


def test_the_cli_takes_settings_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "units.yaml").write_bytes(UNITS.read_bytes())
    (tmp_path / "fuxian.toml").write_text('units = "units.yaml"\nbackend = "reference"\n', encoding="utf-8")
    events = tmp_path / "ev.jsonl"
    events.write_text(json.dumps({"id": "h1", "type": "staff_hired", "case_id": "staff:hj-kg-01",
                                  "occurred_at": "2025-03-03", "data": {"unit": "hj-kg-01", "person_id": "P"}})
                      + "\n", encoding="utf-8")
    out = io.StringIO()
    assert main(["check", str(events), "--as-of", "2025-03-31", "--format", "json",
                 "--settings", str(tmp_path / "fuxian.toml")], out=out) == 0
    receipt = json.loads(out.getvalue())["receipt"]
    assert receipt["backend"] == "reference" and receipt["units_source"] == str(tmp_path / "units.yaml")
    monkeypatch.setenv("FUXIAN_SETTINGS", str(tmp_path / "fuxian.toml"))
    monkeypatch.setenv("FUXIAN_AREAS", "minors")
    out = io.StringIO()
    assert main(["check", str(events), "--as-of", "2025-03-31", "--format", "json"], out=out) == 0
    data = json.loads(out.getvalue())
    assert data["receipt"]["areas"] == ["minors"]
    assert {o["rule"].split(".")[0] for o in data["obligations"]} == {"minors"}
    (tmp_path / "fuxian.toml").write_text('unit = "units.yaml"\n', encoding="utf-8")
    assert main(["check", str(events), "--as-of", "2025-03-31"], out=io.StringIO()) == 2
    assert "unknown setting 'unit'" in capsys.readouterr().err


def test_every_setting_is_documented_for_operators() -> None:
    """Each setting's key and variable are on the operators' page, and in the settings module's docstring."""
    import fuxian_rules.settings as settings_module
    from fuxian_rules.settings import ENV

    page = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    missing = [k for k, var in ENV.items() if f"{k} = " not in page or f"`{var}" not in page]
    assert missing == []
    assert [var for var in ENV.values() if var not in (settings_module.__doc__ or "")] == []


def test_ids_in_memory_reaches_the_engine(tmp_path: Path) -> None:
    """``ids_in_memory`` in a settings file bounds the engine's streams; out of range is refused by name."""
    (tmp_path / "a.toml").write_text("ids_in_memory = 7\n", encoding="utf-8")
    assert load_settings(tmp_path / "a.toml", environ={}).engine_kwargs()["ids_in_memory"] == 7
    assert "ids_in_memory" not in load_settings(None, environ={}).engine_kwargs()
    with pytest.raises(LoadError, match="ids_in_memory"):
        load_settings(None, environ={"FUXIAN_IDS_IN_MEMORY": "0"})
