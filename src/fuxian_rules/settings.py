"""One place for what a deployment sets: a settings file, environment variables, command-line flags.

A district running fuxian_rules sets the same few things everywhere — the deployment policy, extra
holiday calendars, its own units file, which clause areas are in force, the database the service stores
events in, where the service listens — and services usually take them from a file and from the environment
(a container sets variables, not flags). This is the one settings system of every command (check, report,
digest, serve, ledger, token). The settings file is TOML (``.toml``) or YAML (``.yaml``/``.yml``)::

    # fuxian.toml
    policy = "policy.yaml"            # relative paths are relative to this file
    calendars = ["2027.yaml"]
    units = "units.yaml"
    areas = ["transfer", "minors"]    # clause areas in force; all when absent
    database_url = "postgresql+psycopg://fuxian@db/fuxian"
    backend = "auto"
    ids_in_memory = 50000             # event ids a stream keeps in RAM; older ones go to a temporary file
    host = "127.0.0.1"                # the service: where to listen, and its limits
    port = 8000

Environment variables override the file, and command-line flags override both: ``FUXIAN_SETTINGS``
(the file), ``FUXIAN_RULES``, ``FUXIAN_POLICY``, ``FUXIAN_CALENDARS`` (paths separated by ``:``),
``FUXIAN_UNITS``, ``FUXIAN_AREAS`` (comma-separated), ``FUXIAN_DATABASE_URL``, ``FUXIAN_BACKEND``,
``FUXIAN_IDS_IN_MEMORY``, and for the service ``FUXIAN_HOST``, ``FUXIAN_PORT``, ``FUXIAN_MAX_BODY_BYTES``,
``FUXIAN_MAX_EVENTS``, ``FUXIAN_MAX_PAGE``, ``FUXIAN_DOCS_URL``, ``FUXIAN_DOCS_DIR``. The names the
service used before the two systems were merged still work: ``FUXIAN_CONFIG`` for the file,
``FUXIAN_DB_URL`` and the key ``db_url`` for the database.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fuxian_rules.errors import LoadError, RunError
from fuxian_rules.safe_yaml import read_yaml

__all__ = ["DEFAULT_DATABASE_URL", "ENV", "Settings", "load_settings", "settings_from_args"]

MAX_BYTES = 256 * 1024
#: Setting -> environment variable.
ENV = {"rules": "FUXIAN_RULES", "policy": "FUXIAN_POLICY", "calendars": "FUXIAN_CALENDARS", "units": "FUXIAN_UNITS",
       "areas": "FUXIAN_AREAS", "database_url": "FUXIAN_DATABASE_URL", "backend": "FUXIAN_BACKEND",
       "ids_in_memory": "FUXIAN_IDS_IN_MEMORY", "host": "FUXIAN_HOST", "port": "FUXIAN_PORT",
       "max_body_bytes": "FUXIAN_MAX_BODY_BYTES", "max_events": "FUXIAN_MAX_EVENTS", "max_page": "FUXIAN_MAX_PAGE",
       "docs_url": "FUXIAN_DOCS_URL", "docs_dir": "FUXIAN_DOCS_DIR"}
#: Older names (the service's own settings before there was one system) -> the setting they mean.
ALIASES = {"db_url": "database_url"}
ENV_ALIASES = {"FUXIAN_DB_URL": "database_url"}
#: The default ledger of ``serve``, ``ledger`` and ``token``: a SQLite file in the working directory.
DEFAULT_DATABASE_URL = "sqlite:///fuxian-ledger.sqlite3"
_PATHS = ("rules", "policy", "units", "docs_dir")
_LISTS = ("calendars", "areas")
#: Whole-number settings and their smallest and largest allowed values.
_INTS = {"ids_in_memory": (1, 100_000_000), "port": (1, 65535), "max_body_bytes": (1024, 1 << 31),
         "max_events": (1, 10_000_000), "max_page": (1, 1_000_000)}


@dataclasses.dataclass(frozen=True)
class Settings:
    """A deployment's settings, resolved (paths absolute or as given on the command line).

    Attributes:
        rules: A rule catalogue folder, or None for the bundled one.
        policy: A deployment policy file.
        calendars: Official holiday schedules for years the calendar package lacks.
        units: The district's own units file.
        areas: The clause areas in force (empty: all).
        database_url: Where the service stores events (SQLAlchemy URL); unused by ``check``.
        backend: ``auto``, ``durable_rules`` or ``reference``.
        ids_in_memory: Event ids (and finished case ids) a stream keeps in RAM before they move to a
            temporary file on disk; None for the engine's default (50,000: ~7 MB).
        host: Where ``serve`` listens (loopback by default: put a TLS proxy in front for other hosts).
        port: The port ``serve`` listens on.
        max_body_bytes: Larger request bodies are refused with 413 before they are read whole.
        max_events: More events in one request are refused with 413.
        max_page: The largest ``limit`` of ``GET /v1/obligations``.
        docs_url: Base URL of the documentation site the dashboard links each rule to (default: the
            site the service serves itself at ``/site/`` when ``docs_dir`` is set, else no links).
        docs_dir: A built documentation site (``mkdocs build``) the service serves at ``/site/``.
        source: The settings file read, if any.
    """

    rules: str | None = None
    policy: str | None = None
    calendars: tuple[str, ...] = ()
    units: str | None = None
    areas: tuple[str, ...] = ()
    database_url: str | None = None
    backend: str = "auto"
    ids_in_memory: int | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 16 * 1024 * 1024
    max_events: int = 10_000
    max_page: int = 10_000
    docs_url: str | None = None
    docs_dir: str | None = None
    source: str | None = None

    @property
    def db_url(self) -> str:
        """The ledger's URL: ``database_url``, or a SQLite file in the working directory."""
        return self.database_url or DEFAULT_DATABASE_URL

    def engine_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :class:`fuxian_rules.Engine` these settings give."""
        kwargs: dict[str, Any] = {"rules": self.rules, "policy": self.policy, "calendars": self.calendars,
                                  "units": self.units, "areas": self.areas, "backend": self.backend}
        if self.ids_in_memory is not None:
            kwargs["ids_in_memory"] = self.ids_in_memory
        return kwargs


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read settings file: {exc.strerror}", file=str(path)) from None
    if len(raw) > MAX_BYTES:
        raise LoadError(f"settings file is larger than {MAX_BYTES} bytes", file=str(path))
    if path.suffix == ".toml":
        try:
            data: Any = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise LoadError(f"not a valid TOML file: {exc}", file=str(path)) from None
    elif path.suffix in (".yaml", ".yml"):
        data = read_yaml(raw, str(path)).data
    else:
        raise LoadError("a settings file is .toml, .yaml or .yml", file=str(path))
    if not isinstance(data, dict):
        raise LoadError("a settings file holds a table of settings", file=str(path))
    return data


def _check(data: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        key = ALIASES.get(key, key)
        if key not in ENV:
            raise LoadError(f"unknown setting {key!r}", file=where, field=str(key),
                            hint="settings are: " + ", ".join(ENV))
        if key in _LISTS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise LoadError(f"{key} must be a list of strings", file=where, field=key)
            out[key] = tuple(value)
        elif key in _INTS:
            out[key] = _int(key, value, where)
        elif not isinstance(value, str) or not value:
            raise LoadError(f"{key} must be a non-empty string", file=where, field=key)
        else:
            out[key] = value
    if out.get("backend", "auto") not in ("auto", "durable_rules", "reference"):
        raise LoadError("backend must be auto, durable_rules or reference", file=where, field="backend")
    return out


def _int(key: str, value: Any, where: str) -> int:
    """A whole-number setting: an integer in the file, digits in the environment or on the command line."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    low, high = _INTS[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LoadError(f"{key} must be a whole number from {low} to {high}", file=where, field=key)
    return value


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for var, key in ENV_ALIASES.items():  # the older name first, so the current one wins when both are set
        if environ.get(var, "").strip():
            raw[key] = environ[var].strip()
    for key, var in ENV.items():
        value = environ.get(var, "").strip()
        if not value:
            continue
        sep = "," if key == "areas" else os.pathsep
        raw[key] = [v.strip() for v in value.split(sep) if v.strip()] if key in _LISTS else value
    return _check(raw, "environment (FUXIAN_*)")


def load_settings(path: str | Path | None = None, environ: Mapping[str, str] | None = None,
                  **flags: Any) -> Settings:
    """Resolve the settings: the file (``path`` or ``FUXIAN_SETTINGS``), then the environment, then ``flags``.

    Args:
        path: A settings file; None to use ``FUXIAN_SETTINGS`` (or the older ``FUXIAN_CONFIG``) when set.
        environ: The environment (default ``os.environ``).
        flags: Values given on the command line; None (or empty) means "not given".

    Raises:
        LoadError: the file is unreadable or invalid, or a setting has the wrong form.
        RunError: an unknown flag name (a programming error of the caller).
    """
    env = os.environ if environ is None else environ
    named = env.get("FUXIAN_SETTINGS") or env.get("FUXIAN_CONFIG")
    file = Path(path) if path is not None else (Path(named) if named else None)
    merged: dict[str, Any] = {}
    if file is not None:
        found = _check(_read_file(file), str(file))
        base = file.resolve().parent
        for key in (*_PATHS, "calendars"):
            if key in found:  # relative to the settings file, so the file can move with its folder
                value = found[key]
                found[key] = tuple(str(base / v) for v in value) if key == "calendars" else str(base / value)
        merged.update(found)
    merged.update(_from_env(env))
    for key, value in flags.items():
        key = ALIASES.get(key, key)
        if key not in ENV:
            raise RunError(f"unknown setting {key!r}")
        if value not in (None, (), [], ""):
            merged[key] = tuple(value) if key in _LISTS else _int(key, value, "command line") if key in _INTS else value
    return Settings(**merged, source=str(file) if file is not None else None)


def settings_from_args(args: Any) -> Settings:
    """The settings for a command line: its ``--settings`` file, the environment, then its flags.

    Every subcommand that builds an engine (check, explain, report, digest, serve, ledger, token …) resolves
    its settings here, so a flag, a ``FUXIAN_*`` variable and a settings file mean the same thing for each
    of them. Flags a subcommand does not have (``--db``, ``--host``, ``--port``, ``--docs-url``) are "not given".
    """
    areas = getattr(args, "areas", None)
    return load_settings(getattr(args, "settings", None), rules=args.rules, policy=args.policy,
                         calendars=args.calendar, units=getattr(args, "units", None),
                         areas=areas.split(",") if areas else None, backend=args.backend,
                         database_url=getattr(args, "db", None), host=getattr(args, "host", None),
                         port=getattr(args, "port", None), docs_url=getattr(args, "docs_url", None))
