"""``report --db URL`` reads the events the ledger stores: the same report as on the exported file.

On a SQLite file and on a real PostgreSQL server (tests/ledger_support.py): the district's 2024 example
goes into the ledger through ``ledger import``, then ``report --db`` and ``report FILE`` (on what
``ledger export`` writes) must print the same Markdown, and the same as on the original file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ledger_support import extras_missing, postgres_url

pytestmark = pytest.mark.skipif(extras_missing(), reason="needs the service extra (pip install -e '.[service]')")

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "fuxian-rules")
EVENTS = ROOT / "examples" / "district-2024.jsonl"
PERIOD = ["--from", "2024-01-01", "--to", "2024-12-31", "--format", "md", "--backend", "reference"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=False, cwd=ROOT)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_report_from_the_ledger_equals_report_from_its_export(tmp_path: Path, database: str) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}" if database == "sqlite" else postgres_url()
    run = _run("ledger", "import", str(EVENTS), "--db", url, "--backend", "reference")
    assert run.returncode == 0, run.stderr
    exported = tmp_path / "export.jsonl"
    run = _run("ledger", "export", "-o", str(exported), "--db", url, "--backend", "reference")
    assert run.returncode == 0, run.stderr
    from_db = _run("report", "--db", url, *PERIOD)
    assert from_db.returncode == 0, from_db.stderr
    from_export = _run("report", str(exported), *PERIOD)
    from_file = _run("report", str(EVENTS), *PERIOD)
    assert from_db.stdout == from_export.stdout == from_file.stdout
    assert "区城管局" in from_db.stdout and "逾期未履行" in from_db.stdout
    one = _run("report", "--db", url, *PERIOD, "--unit", "urban_management")
    assert one.returncode == 0 and one.stdout == _run("report", str(EVENTS), *PERIOD, "--unit", "urban_management").stdout
