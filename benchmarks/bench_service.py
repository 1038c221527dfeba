"""Service benchmark: ingestion over HTTP and ``GET /v1/obligations?unit=…`` with 100,000 cases, SQLite and
PostgreSQL side by side, each next to its floor.

    python benchmarks/bench_service.py [--cases 100000] [--requests 300] [--reads 300]

Per database, in one run:

* ingestion: ``--requests`` sequential ``POST /v1/events`` of 100 events each (one keep-alive client,
  loopback), events/s and p50/p99 per request; beside it, the floor: the engine validating the same
  events in process (no database, no HTTP), and the ledger storing them in process (no HTTP);
* reads: ``--cases`` cases (the synthetic 三(十一) flows of ``bench.py``) seeded through the ledger API,
  evaluated once (timed: the cost of a cold cache), then ``--reads`` sequential
  ``GET /v1/obligations?unit=U&limit=100`` over the ten agencies, p50/p99; beside it the same page read
  from the ledger in process (no HTTP).

PostgreSQL runs on a throwaway cluster started here (tests/ledger_support.py), loopback only; the
benchmark stops everything it started.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bench import AGENCIES, case_events

from fuxian_rules import Engine, parse_as_of
from fuxian_rules.ledger import Filters, Ledger, create_token
from ledger_support import Server, postgres_url

AS_OF = "2026-06-30"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def history(prefix: str, cases: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for n in range(cases):
        for e in case_events(rng, n):
            out.append({**e, "id": f"{prefix}{e['id']}", "case_id": f"{prefix}{e['case_id']}"})
    return out


def settled(server: Server) -> None:
    """Wait until the service's start-up warm-up has evaluated every stale case (steady state)."""
    while httpx.get(server.url + "/v1/health", timeout=60).json()["ledger"]["stale_cases"]:
        time.sleep(0.5)


def run(kind: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    url = f"sqlite:///{work / (kind + '.sqlite3')}" if kind == "sqlite" else postgres_url()
    engine = Engine()
    ledger = Ledger(url, engine)
    admin = create_token(ledger, "big_data", "admin")[1]
    units = {u: create_token(ledger, u, "unit")[1] for u in AGENCIES}
    out: dict[str, Any] = {}

    # ---- ingestion floors (in process) ----------------------------------------------------------
    floor_events = history("F", 4000, 1)
    t = time.perf_counter()
    engine.validate(floor_events)
    out["validate_ev_s"] = len(floor_events) / (time.perf_counter() - t)
    t = time.perf_counter()
    for i in range(0, len(floor_events), 100):
        ledger.ingest(floor_events[i:i + 100])
    out["ledger_ev_s"] = len(floor_events) / (time.perf_counter() - t)

    # ---- ingestion over HTTP -----------------------------------------------------------------------
    server = Server(url, work, backend="auto").start()
    settled(server)  # the in-process floor left 4,000 stale cases: measure after the warm-up, not during it
    events = history("H", args.requests * 25, 2)[: args.requests * 100]
    lat: list[float] = []
    with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {admin}"}) as client:
        t0 = time.perf_counter()
        for i in range(0, len(events), 100):
            t = time.perf_counter()
            r = client.post(server.url + "/v1/events", json=events[i:i + 100])
            lat.append(time.perf_counter() - t)
            assert r.status_code == 200 and r.json()["accepted"] == len(events[i:i + 100]), r.text
        elapsed = time.perf_counter() - t0
    out["http_ev_s"] = len(events) / elapsed
    out["post_p50"], out["post_p99"] = pct(lat, 0.5), pct(lat, 0.99)
    server.stop()

    # ---- seed the cases, evaluate them once ------------------------------------------------------
    seed = history("S", args.cases, 3)
    t = time.perf_counter()
    for i in range(0, len(seed), 5000):
        ledger.ingest(seed[i:i + 5000])
    out["seed_s"] = time.perf_counter() - t
    out["seed_events"] = len(seed)
    at = parse_as_of(AS_OF)
    t = time.perf_counter()
    out["evaluated_cases"] = ledger.refresh(at)
    out["evaluate_s"] = time.perf_counter() - t

    # ---- reads: in process (floor) and over HTTP ---------------------------------------------------
    lat = []
    for k in range(args.reads):
        t = time.perf_counter()
        page = ledger.obligations(at, Filters(unit=AGENCIES[k % len(AGENCIES)]), limit=100)
        lat.append(time.perf_counter() - t)
        assert page.obligations
    out["read_floor_p50"], out["read_floor_p99"] = pct(lat, 0.5), pct(lat, 0.99)
    server.start()
    settled(server)
    lat = []
    with httpx.Client(timeout=60) as client:
        for k in range(args.reads):
            unit = AGENCIES[k % len(AGENCIES)]
            t = time.perf_counter()
            r = client.get(server.url + "/v1/obligations", params={"unit": unit, "as_of": AS_OF, "limit": 100},
                           headers={"Authorization": f"Bearer {units[unit]}"})
            lat.append(time.perf_counter() - t)
            assert r.status_code == 200 and len(r.json()["obligations"]) == 100
    out["get_p50"], out["get_p99"] = pct(lat, 0.5), pct(lat, 0.99)
    server.stop()
    ledger.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--reads", type=int, default=300)
    ap.add_argument("--only", choices=["sqlite", "postgresql"])
    args = ap.parse_args()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ([args.only] if args.only else ["sqlite", "postgresql"]):
            print(f"[{kind}] running …", file=sys.stderr, flush=True)
            results[kind] = run(kind, args, Path(tmp))
    rows = [
        ("floor: engine.validate, in process (events/s)", "validate_ev_s", "{:,.0f}"),
        ("floor: ledger.ingest 100/batch, in process (events/s)", "ledger_ev_s", "{:,.0f}"),
        ("POST /v1/events, 100 per request (events/s)", "http_ev_s", "{:,.0f}"),
        ("POST /v1/events p50 (ms)", "post_p50", "{:.1f}"),
        ("POST /v1/events p99 (ms)", "post_p99", "{:.1f}"),
        (f"seed {args.cases:,} cases via the ledger API (s)", "seed_s", "{:.0f}"),
        ("  events seeded", "seed_events", "{:,}"),
        ("first evaluation of every case (s)", "evaluate_s", "{:.0f}"),
        ("  cases evaluated", "evaluated_cases", "{:,}"),
        ("floor: ledger.obligations(unit, limit=100) p50 (ms)", "read_floor_p50", "{:.1f}"),
        ("floor: ledger.obligations(unit, limit=100) p99 (ms)", "read_floor_p99", "{:.1f}"),
        ("GET /v1/obligations?unit=…&limit=100 p50 (ms)", "get_p50", "{:.1f}"),
        ("GET /v1/obligations?unit=…&limit=100 p99 (ms)", "get_p99", "{:.1f}"),
    ]
    kinds = list(results)
    print(f"{'':58}" + "".join(f"{k:>14}" for k in kinds))
    for label, key, fmt in rows:
        print(f"{label:58}" + "".join(f"{fmt.format(results[k][key]):>14}" for k in kinds))


if __name__ == "__main__":
    main()
