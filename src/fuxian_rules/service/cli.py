"""``fuxian-rules serve``, ``fuxian-rules ledger …`` and ``fuxian-rules token …``.

Registered into the main command line by :func:`register`; the ledger and service libraries are imported
only when one of these commands runs, so ``fuxian-rules check`` works without the extras.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from fuxian_rules.engine.limits import freeze_long_lived
from fuxian_rules.settings import Settings, settings_from_args

__all__ = ["register"]

_MISSING = "this command needs the optional extra: pip install 'fuxian-rules[service]'"


def _ledger(settings: Settings) -> Any:
    """The ledger of these settings, evaluated by the engine the same settings give ``check`` (units, areas …)."""
    from fuxian_rules import Engine
    from fuxian_rules.ledger import Ledger

    return Ledger(settings.db_url, Engine(**settings.engine_kwargs()))


def _dump(value: Any, out: TextIO) -> None:
    out.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _warm_up(ledger: Any) -> None:
    """Evaluate the stale cases in the background at start-up, so the first read does not pay for them.

    After a catalogue, policy or calendar change every case is stale, and with 100,000 cases the first
    ``GET /v1/obligations`` would re-evaluate them all (about two minutes on two cores). Reads go on
    meanwhile: each re-evaluates only what is still stale for its own ``as_of``, and a case is evaluated
    once whoever gets to it first (its row is locked and its staleness checked again). Cases that are
    current but were evaluated for another ``as_of`` are left as they are.
    """
    from datetime import datetime

    try:
        ledger.refresh(datetime.now().astimezone(), stale_only=True)
    except Exception as exc:  # a failed warm-up only leaves the work to the first read
        sys.stderr.write(f"fuxian-rules serve: warm-up stopped ({type(exc).__name__}); reads will evaluate instead\n")


def _cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    import uvicorn

    from .app import create_app

    s = settings_from_args(args)
    ledger = _ledger(s)
    out.write(f"fuxian-rules serve: http://{s.host}:{s.port}/ (dashboard), /docs (API)  "
              f"(ledger {s.db_url.split('@')[-1]})\n")
    out.flush()
    app = create_app(s, ledger)
    # The catalogue, the compiled rules and the application are built once and live as long as the
    # process: move them out of the collector's reach, or every full collection walks them all again
    # (about 90 ms with the bundled catalogue: the PostgreSQL p99 of POST /v1/events was that pause).
    freeze_long_lived()
    if args.warm_up:
        threading.Thread(target=_warm_up, args=(ledger,), name="ledger-warm-up", daemon=True).start()
    uvicorn.run(app, host=s.host, port=s.port, log_level=args.log_level, access_log=args.access_log)
    return 0


def _cmd_ledger(args: argparse.Namespace, out: TextIO) -> int:
    from fuxian_rules import parse_as_of
    from fuxian_rules.ledger import ops

    ledger = _ledger(settings_from_args(args))
    try:
        if args.ledger_command == "export":
            if args.output in (None, "-"):
                n = ops.export_jsonl(ledger, out)
            else:
                with open(args.output, "w", encoding="utf-8") as fh:
                    n = ops.export_jsonl(ledger, fh)
            sys.stderr.write(f"exported {n} events\n")
            return 0
        if args.ledger_command == "import":
            if args.file == "-":
                report = ops.import_jsonl(ledger, sys.stdin)
            else:
                with open(args.file, encoding="utf-8") as fh:
                    report = ops.import_jsonl(ledger, fh)
            _dump(report.as_json(), out)
            return 1 if report.rejected else 0
        if args.ledger_command == "replay":
            result = ops.replay(ledger, parse_as_of(args.as_of))
            _dump(result, out)
            return 1 if result["differences"] else 0
        _dump(ops.stats(ledger), out)
        return 0
    finally:
        ledger.close()


def _cmd_token(args: argparse.Namespace, out: TextIO) -> int:
    from fuxian_rules.ledger import create_token, list_tokens, revoke_token

    ledger = _ledger(settings_from_args(args))
    try:
        action = args.token_command
        if action == "create":
            try:
                token_id, secret = create_token(ledger, args.unit, args.role, args.expires)
            except ValueError as exc:
                sys.stderr.write(f"fuxian-rules: error: {exc}\n")
                return 2
            out.write(f"{secret}\n")
            sys.stderr.write(f"token {token_id} for unit {args.unit} ({args.role}) — shown once, store it now\n")
            return 0
        if action == "list":
            _dump(list_tokens(ledger), out)
            return 0
        if revoke_token(ledger, args.token_id):
            out.write(f"revoked {args.token_id}\n")
            return 0
        sys.stderr.write(f"fuxian-rules: error: no live token {args.token_id}\n")
        return 1
    finally:
        ledger.close()


def _guard(func: Any) -> Any:
    def run(args: argparse.Namespace, out: TextIO) -> int:
        try:
            return int(func(args, out))
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in ("fastapi", "uvicorn", "sqlalchemy", "alembic", "psycopg"):
                sys.stderr.write(f"fuxian-rules: error: {_MISSING} ({exc.name} is missing)\n")
                return 2
            raise
    return run


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """Add ``serve``, ``ledger`` and ``token`` to the ``fuxian-rules`` command line."""
    db = argparse.ArgumentParser(add_help=False, parents=list(parents))
    db.add_argument("--db", help="ledger URL: sqlite:///PATH (default ./fuxian-ledger.sqlite3) or postgresql://…; "
                                 "also FUXIAN_DATABASE_URL or database_url in the settings file")
    db.add_argument("--config", dest="settings", metavar="FILE", help="the same as --settings")

    p = subparsers.add_parser("serve", parents=[db], help="run the HTTP service (contract §5)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 8000)")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--no-access-log", dest="access_log", action="store_false")
    p.add_argument("--no-warm-up", dest="warm_up", action="store_false",
                   help="do not re-evaluate stale cases in the background at start-up (the first read will)")
    p.set_defaults(func=_guard(_cmd_serve))

    p = subparsers.add_parser("ledger", help="export, import, replay or count the ledger")
    sub = p.add_subparsers(dest="ledger_command", required=True)
    q = sub.add_parser("export", parents=[db], help="every stored event as JSON Lines, in arrival order")
    q.add_argument("-o", "--output", help="file to write (default: standard output)")
    q = sub.add_parser("import", parents=[db], help="store the events of a JSON Lines file (same rule as the API)")
    q.add_argument("file", help="JSON Lines file, or - for standard input")
    q = sub.add_parser("replay", parents=[db], help="re-evaluate every case and report differences from stored results")
    q.add_argument("--as-of", required=True, help="ISO date (end of that day, CST) or datetime with offset")
    sub.add_parser("stats", parents=[db], help="counts of events, cases, obligations, tokens")
    p.set_defaults(func=_guard(_cmd_ledger))

    p = subparsers.add_parser("token", help="issue, list or revoke access tokens")
    sub = p.add_subparsers(dest="token_command", required=True)
    q = sub.add_parser("create", parents=[db], help="issue a token (printed once; stored as a hash)")
    q.add_argument("--unit", required=True, help="unit code, e.g. finance, justice")
    q.add_argument("--role", required=True, choices=["unit", "office", "admin"])
    q.add_argument("--expires", type=int, metavar="DAYS", help="expire after DAYS days (default: never)")
    sub.add_parser("list", parents=[db], help="list tokens (never their secrets)")
    q = sub.add_parser("revoke", parents=[db], help="revoke a token by its id (see token list)")
    q.add_argument("token_id")
    p.set_defaults(func=_guard(_cmd_token))
