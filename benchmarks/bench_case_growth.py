"""Benchmark: the cost of ONE case as its events grow (1k, 10k, 100k), beside its floor, in one run.

    python benchmarks/bench_case_growth.py [--sizes 1000 10000 100000] [--backends reference durable_rules]

A case grows like this in real life: ``staff:<unit>`` gathers every hire and check of a school for
years, and one agency's case can hold thousands of suspicions and penalties. The case here is the one
of issue 15's finding 4, made worse: one agency's ``crime_suspected``, ``admin_penalty_imposed`` (which
``requires`` an earlier suspicion of the same agency: a join) and ``transfer_report_submitted`` (which
closes ``transfer.report`` of the same agency: a match), in thirds, spread over 2025.

For each size, in its own process (so peaks do not carry over):

* the floor: validating the case's events (``Engine.validate``) — linear by construction;
* ``Engine.evaluate_case`` on the validated events, per backend;
* µs per event of each, and the growth factor of the time per event from the smallest size (1.0 is
  exactly linear; quadratic pairing would make it grow tenfold per step);
* peak RSS of the process.

Figures are whatever this machine gives on this run; nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

TYPES = ("crime_suspected", "admin_penalty_imposed", "transfer_report_submitted")
AGENCIES = ("health", "tax", "market_regulation")


def case_events(n: int) -> list[dict[str, Any]]:
    """One case of ``n`` events (deterministic)."""
    return [{"id": f"e{i}", "type": TYPES[i % 3], "case_id": "agency-case",
             "occurred_at": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00+08:00",
             "data": {"agency": AGENCIES[i % 7 % 3]}} for i in range(n)]


def child(n: int, backend: str) -> dict[str, Any]:
    """Measure one size with one backend in this process."""
    from fuxian_rules import Engine

    raw = case_events(n)
    floor, case = float("inf"), float("inf")
    with Engine(backend=backend) as engine:
        engine.evaluate_case(engine.validate(case_events(600))[0], "2025-12-31")  # warm the calendar's caches
        for _ in range(3 if n <= 10_000 else 1):  # the best of three where that is cheap
            t0 = time.perf_counter()
            events, rejected = engine.validate(raw)
            t1 = time.perf_counter()
            result = engine.evaluate_case(events, "2025-12-31")
            t2 = time.perf_counter()
            floor, case = min(floor, t1 - t0), min(case, t2 - t1)
    assert not rejected and len(events) == n
    return {"n": n, "backend": backend, "floor_s": floor, "case_s": case,
            "obligations": len(result.obligations),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--backends", nargs="+", default=["reference", "durable_rules"])
    parser.add_argument("--child", nargs=2, metavar=("N", "BACKEND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1])))
        return
    rows = []
    for backend in args.backends:
        for n in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), backend], capture_output=True,
                                 text=True, check=True)
            rows.append(json.loads(out.stdout))
    print(f"{'backend':<14}{'events':>8}{'floor µs/ev':>13}{'case µs/ev':>12}{'growth':>8}{'case s':>9}"
          f"{'obligations':>13}{'peak RSS MiB':>14}")
    for backend in args.backends:
        mine = [r for r in rows if r["backend"] == backend]
        base = mine[0]["case_s"] / mine[0]["n"]
        for r in mine:
            per = r["case_s"] / r["n"]
            print(f"{backend:<14}{r['n']:>8}{1e6 * r['floor_s'] / r['n']:>13.1f}{1e6 * per:>12.1f}"
                  f"{per / base:>8.2f}{r['case_s']:>9.2f}{r['obligations']:>13}{r['peak_rss_mib']:>14.0f}")


if __name__ == "__main__":
    main()
