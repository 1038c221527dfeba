"""Fixtures of the ledger tests: one engine per module, and a fresh database per test on SQLite files and
on a real PostgreSQL server (see ``tests/ledger_support.py``).

Without the optional extra these tests cannot import: outside CI they are then left out (install
``pip install -e ".[test,service]"`` to run them); under ``CI=true`` they always run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fuxian_rules import Engine
from ledger_support import extras_missing, postgres_url

if extras_missing():
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="module")
def ref_engine() -> Iterator[Engine]:
    e = Engine(backend="reference")
    yield e
    e.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return postgres_url()
