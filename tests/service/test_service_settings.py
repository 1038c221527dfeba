"""Settings come from defaults, a TOML file, ``FUXIAN_*`` variables and options, in that order of strength."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuxian_rules.service.settings import load_settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("FUXIAN_CONFIG", "FUXIAN_DB_URL", "FUXIAN_PORT", "FUXIAN_MAX_EVENTS"):
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
    assert load_settings(db_url="postgresql://x@127.0.0.1/db", port=None).db_url == "postgresql://x@127.0.0.1/db"
    cfg.write_text('db_ulr = "typo"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="db_ulr"):
        load_settings(str(cfg))
