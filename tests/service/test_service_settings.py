"""The service's settings are the deployment settings (``fuxian_rules.settings``): defaults, a settings file,
``FUXIAN_*`` variables and options, in that order of strength; the service's older names still work."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuxian_rules import LoadError
from fuxian_rules.settings import load_settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FUXIAN_SETTINGS", "FUXIAN_CONFIG", "FUXIAN_DATABASE_URL", "FUXIAN_DB_URL", "FUXIAN_PORT",
                 "FUXIAN_MAX_EVENTS"):
        monkeypatch.delenv(name, raising=False)
    assert load_settings().db_url == "sqlite:///fuxian-ledger.sqlite3"
    cfg = tmp_path / "fuxian.toml"
    cfg.write_text('db_url = "sqlite:///from-file.sqlite3"\nport = 9000\nmax_events = 50\n', encoding="utf-8")
    s = load_settings(str(cfg))
    assert (s.db_url, s.port, s.max_events) == ("sqlite:///from-file.sqlite3", 9000, 50)
    monkeypatch.setenv("FUXIAN_PORT", "9100")
    monkeypatch.setenv("FUXIAN_CONFIG", str(cfg))
    s = load_settings()
    assert (s.db_url, s.port) == ("sqlite:///from-file.sqlite3", 9100)
    assert load_settings(database_url="postgresql://x@127.0.0.1/db", port=None).db_url == "postgresql://x@127.0.0.1/db"
    cfg.write_text('db_ulr = "typo"\n', encoding="utf-8")
    with pytest.raises(LoadError, match="db_ulr"):
        load_settings(str(cfg))


def test_database_url_names_and_bad_numbers(tmp_path: Path) -> None:
    env = {"FUXIAN_DB_URL": "sqlite:///old.sqlite3"}
    assert load_settings(None, environ=env).database_url == "sqlite:///old.sqlite3"
    env["FUXIAN_DATABASE_URL"] = "sqlite:///new.sqlite3"
    assert load_settings(None, environ=env).database_url == "sqlite:///new.sqlite3"
    with pytest.raises(LoadError, match="port must be a whole number"):
        load_settings(None, environ={"FUXIAN_PORT": "eighty"})
    cfg = tmp_path / "s.yaml"
    cfg.write_text("max_events: 0\n", encoding="utf-8")
    with pytest.raises(LoadError, match="max_events"):
        load_settings(cfg, environ={})
    cfg.write_text("docs_dir: site\nhost: 0.0.0.0\n", encoding="utf-8")
    s = load_settings(cfg, environ={})
    assert s.docs_dir == str(tmp_path / "site") and s.host == "0.0.0.0"


def test_ledger_commands_build_their_engine_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``ledger``/``token``/``serve`` take units and areas from the same settings as ``check``."""
    import io
    import json

    from fuxian_rules.cli import main

    root = Path(__file__).resolve().parents[2]
    (tmp_path / "units.yaml").write_bytes((root / "docs" / "examples" / "units.yaml").read_bytes())
    events = tmp_path / "ev.jsonl"
    events.write_text(json.dumps({"id": "h1", "type": "staff_hired", "case_id": "staff:hj-kg-01",
                                  "occurred_at": "2025-03-03", "data": {"unit": "hj-kg-01", "person_id": "P"}})
                      + "\n", encoding="utf-8")
    monkeypatch.delenv("FUXIAN_SETTINGS", raising=False)
    monkeypatch.setenv("FUXIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    out = io.StringIO()
    # contract §3 as amended: a free-form unit code is accepted even without the district's units file
    assert main(["ledger", "import", str(events), "--backend", "reference"], out=out) == 0
    (tmp_path / "fuxian.toml").write_text(f'units = "units.yaml"\nbackend = "reference"\nareas = ["minors"]\n'
                                          f'database_url = "sqlite:///{tmp_path / "ledger.sqlite3"}"\n',
                                          encoding="utf-8")
    monkeypatch.delenv("FUXIAN_DATABASE_URL")
    out = io.StringIO()
    assert main(["ledger", "import", str(events), "--config", str(tmp_path / "fuxian.toml")], out=out) == 0
    assert json.loads(out.getvalue())["accepted"] == 1
    out = io.StringIO()
    assert main(["ledger", "stats", "--settings", str(tmp_path / "fuxian.toml")], out=out) == 0
    assert json.loads(out.getvalue())["events"] == 1
    assert (tmp_path / "ledger.sqlite3").exists()
