"""``fuxian-rules serve`` brings stale cached results to the present in the background at start-up."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from fuxian_rules import Engine
from fuxian_rules.ledger import Ledger
from ledger_support import Server, synthetic_events


def _stale_after(server: Server, seconds: float) -> int:
    """The ledger's stale case count once it reaches 0, or the last count seen after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        stale = int(httpx.get(server.url + "/v1/health", timeout=10).json()["ledger"]["stale_cases"])
        if stale == 0 or time.monotonic() > deadline:
            return stale
        time.sleep(0.2)


def _seeded(work: Path) -> str:
    url = f"sqlite:///{work / 'ledger.sqlite3'}"
    with Engine(backend="reference") as engine:
        ledger = Ledger(url, engine)
        report = ledger.ingest(synthetic_events("W", 300))
        ledger.close()
    assert report.accepted > 0
    return url


def test_serve_evaluates_stale_cases_before_any_read(tmp_path: Path) -> None:
    server = Server(_seeded(tmp_path), tmp_path).start()
    try:
        assert _stale_after(server, 60) == 0  # no request but /v1/health was made
    finally:
        server.stop()


def test_no_warm_up_leaves_them_to_the_first_read(tmp_path: Path) -> None:
    server = Server(_seeded(tmp_path), tmp_path, extra_args=["--no-warm-up"]).start()
    try:
        assert _stale_after(server, 3) > 0
    finally:
        server.stop()
