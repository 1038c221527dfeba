"""The optional extras stay optional: ``import fuxian_rules`` (and ``fuxian-rules check``) load neither
the web framework nor the database layer."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg")


def _loaded(code: str) -> set[str]:
    probe = code + "\nimport sys\nprint(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_fuxian_rules_loads_no_extra() -> None:
    assert not _loaded("import fuxian_rules") & set(HEAVY)


def test_the_command_line_parser_loads_no_extra() -> None:
    assert not _loaded("from fuxian_rules.cli.commands import build_parser; build_parser()") & set(HEAVY)
