"""Service settings, twelve-factor style: defaults, then a TOML file, then ``FUXIAN_*`` environment variables.

Command-line options win over all three. The settings file (``--config FILE`` or ``FUXIAN_CONFIG``) is a
flat TOML table with the same names in lower case (``db_url = "postgresql://…"``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to start.

    Attributes:
        db_url: The ledger (``sqlite:///PATH`` or ``postgresql://…``).
        host / port: Where to listen (loopback by default: put a TLS proxy in front for other hosts).
        max_body_bytes: Larger request bodies are refused with 413 before they are read whole.
        max_events: More events in one request are refused with 413.
        max_page: The largest ``limit`` of ``GET /v1/obligations``.
        rules / policy / calendars: The engine's catalogue, deployment policy and calendar files.
    """

    db_url: str = "sqlite:///fuxian-ledger.sqlite3"
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 16 * 1024 * 1024
    max_events: int = 10_000
    max_page: int = 10_000
    rules: str | None = None
    policy: str | None = None
    calendars: tuple[str, ...] = field(default_factory=tuple)


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    if kind == "int":
        return int(value)
    if name == "calendars":
        return tuple(value.split(os.pathsep) if isinstance(value, str) else value)
    return str(value)


def load_settings(config: str | None = None, **overrides: Any) -> Settings:
    """Defaults, then the TOML file, then the environment, then non-None ``overrides``."""
    values: dict[str, Any] = {}
    names = {f.name for f in fields(Settings)}
    path = config or os.environ.get("FUXIAN_CONFIG")
    if path:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{path}: unknown settings {', '.join(unknown)}")
        values.update({k: _coerce(k, v) for k, v in data.items()})
    for name in names:
        env = os.environ.get(f"FUXIAN_{name.upper()}")
        if env:
            values[name] = _coerce(name, env)
    values.update({k: v for k, v in overrides.items() if v is not None})
    return replace(Settings(), **values)
