"""Benchmark: throughput and memory of fuxian_rules, each backend beside its baseline, in one run.

    python benchmarks/bench.py [--cases 20000] [--seed 1]

Reports, from the same deterministic synthetic history (every 三(十一) flow, realistic timing, about a
fifth of the steps late or missing, input grouped by case):

* (a) the floor: reading and validating the events only;
* (b) the durable_rules backend end to end (batch ``evaluate_file`` and grouped ``evaluate_stream``);
* (c) the reference backend end to end;
* p50/p99 latency of evaluating one 20-event case (validated events in, obligations out);
* the cost per event of each stage (JSON, validation, flattening, durable_rules matching, durable_rules'
  own C calls alone, statuses and explanations), to show where the time goes;
* peak RSS of each mode at N and 4N cases (each mode, and each latency probe, in its own process, so
  peaks and leftovers of one do not affect another).

Figures are whatever this machine gives on this run; nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

CST = timezone(timedelta(hours=8))
AGENCIES = ["market_regulation", "ecology", "urban_management", "transport", "health", "emergency",
            "agriculture", "housing", "natural_resources", "culture_tourism"]


def _at(t: datetime) -> str:
    return t.isoformat()


def case_events(rng: random.Random, n: int) -> list[dict[str, Any]]:
    """One synthetic case; the flow and its timing drawn from ``rng``."""
    cid = f"BENCH-{n:07d}"
    agency = rng.choice(AGENCIES)
    t = datetime(2024, 1, 22, 9, tzinfo=CST) + timedelta(days=rng.randrange(0, 700), minutes=rng.randrange(0, 480))
    out: list[dict[str, Any]] = []

    def add(etype: str, gap_days: float, **data: Any) -> None:
        nonlocal t
        t = t + timedelta(days=gap_days)
        out.append({"id": f"{cid}-{len(out)}", "type": etype, "case_id": cid, "occurred_at": _at(t),
                    "actor": data.get("agency", "procuratorate"), "data": data})

    late = lambda: rng.random() < 0.2  # noqa: E731 - a fifth of the steps are late
    flow = rng.random()
    if flow < 0.55:  # the full transfer chain
        add("crime_suspected", 0, agency=agency)
        add("transfer_report_submitted", 2.5 if late() else 0.3, agency=agency)
        if rng.random() < 0.1:
            add("transfer_decided", 1, agency=agency, approved=False, **({"reasons": "情节轻微"} if rng.random() < 0.5 else {}))
            return out
        add("transfer_decided", 6 if late() else 2, agency=agency, approved=True)
        if rng.random() < 0.15:
            add("admin_penalty_imposed", 1, agency=agency)
        if rng.random() < 0.05:
            return out
        add("case_transferred", 2 if late() else 0.4, agency=agency)
        if rng.random() < 0.2:
            add("filing_decided", 2, opened=False, reasons="证据不足")
            add("reconsideration_requested", 4 if late() else 1, agency=agency)
            add("reconsideration_decided", 5 if late() else 2, opened=True)
        else:
            add("filing_decided", 5 if late() else 2, opened=True, reasons="达到立案标准")
        if rng.random() < 0.9:
            add("materials_handed_over", 5 if late() else 1, agency=agency)
    elif flow < 0.7:  # penalty instead of transfer, then the procuratorate steps in
        add("crime_suspected", 0, agency=agency)
        add("admin_penalty_imposed", 10, agency=agency)
        if rng.random() < 0.7:
            add("procuratorial_opinion_issued", 30, opinion_id=f"{cid}-op", kind="require_transfer", to=agency)
            add("case_transferred", 12 if late() else 3, agency=agency, copied_to_procuratorate=rng.random() < 0.8)
    elif flow < 0.85:  # filing supervision
        add("non_filing_explanation_requested", 0)
        add("non_filing_explained", 10 if late() else 5)
        if rng.random() < 0.5:
            add("filing_notice_issued", 5)
            add("filing_decided", 20 if late() else 10, opened=True, reasons="依通知立案")
    else:  # non-prosecution and the reply within two months
        add("non_prosecution_decided", 0, needs_admin_penalty=True, competent_authority=agency,
            enterprise=rng.random() < 0.3)
        add("procuratorial_opinion_issued", 9 if late() else 3, opinion_id=f"{cid}-op", kind="admin_penalty", to=agency)
        add("procuratorial_opinion_received", 2, opinion_id=f"{cid}-op", unit=agency)
        if rng.random() < 0.85:
            add("opinion_reply_sent", 70 if late() else 40, opinion_id=f"{cid}-op", unit=agency)
    return out


def twenty_event_case() -> list[dict[str, Any]]:
    """A single case with 20 events touching most rules (the latency probe)."""
    rng = random.Random(20)
    events: list[dict[str, Any]] = []
    while len(events) < 20:
        for e in case_events(rng, 0):
            e = dict(e, id=f"L-{len(events)}", case_id="LATENCY")
            if e["type"] in {"procuratorial_opinion_issued", "procuratorial_opinion_received", "opinion_reply_sent"}:
                e["data"] = dict(e["data"], opinion_id=f"op-{len(events) // 5}")
            events.append(e)
    return events[:20]


def write_history(path: Path, cases: int, seed: int) -> int:
    rng = random.Random(seed)
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        for n in range(cases):
            for e in case_events(rng, n):
                fh.write(json.dumps(e, ensure_ascii=False) + "\n")
                count += 1
    return count


def _count_lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


def run_mode(mode: str, path: str) -> dict[str, Any]:
    """Run one mode in this process and return its figures (called in a child process)."""
    from fuxian_rules import Engine
    from fuxian_rules.model.events import read_jsonl

    backend = "reference" if mode in ("floor", "reference") else "durable_rules"
    engine = Engine(backend=backend)
    n = _count_lines(path)  # every line is one event; counted outside the timed section
    start = time.perf_counter()
    obligations = 0
    with open(path, "rb") as fh:
        if mode == "floor":
            good, rejected = engine.validate(read_jsonl(fh))
            assert len(good) + len(rejected) == n
        elif mode == "durable_stream":
            for _, obs, _ in engine.evaluate_stream(read_jsonl(fh), "2026-06-30"):
                obligations += len(obs)
        else:
            obligations = len(engine.evaluate(read_jsonl(fh), "2026-06-30").obligations)
    elapsed = time.perf_counter() - start
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"mode": mode, "events": n, "seconds": elapsed, "events_per_s": n / elapsed,
            "obligations": obligations, "peak_rss_mib": rss_kib / 1024, "backend": engine.backend_name}


def latency(backend: str, repeats: int) -> dict[str, float]:
    """p50/p99 of evaluating one 20-event case, validated events in, obligations out.

    Every sample is a different case: the same 20 events moved earlier by a different number of days and
    minutes, so that no sample is served by what the engine remembered from the sample before (due
    dates computed from an instant are never shared; day-based ones are, as in a running service).
    """
    from fuxian_rules import Engine
    from fuxian_rules.engine.engine import parse_as_of

    engine = Engine(backend=backend)
    base = twenty_event_case()
    cases = []
    for k in range(200 + repeats):
        shift = timedelta(days=k % 400, minutes=(k * 37) % 1440)
        moved = [dict(e, occurred_at=_at(datetime.fromisoformat(e["occurred_at"]) - shift)) for e in base]
        good, rejected = engine.validate(moved)
        assert not rejected and len(good) == 20
        cases.append(good)
    at = parse_as_of("2026-06-30")
    for good in cases[:200]:  # warm-up: imports, first-use allocations
        engine.evaluate_case(good, at)
    samples = []
    for good in cases[200:]:
        t0 = time.perf_counter()
        engine.evaluate_case(good, at)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p99_ms": samples[int(len(samples) * 0.99) - 1]}


def stages(path: str) -> dict[str, float]:
    """Microseconds per event of each stage, measured case by case along grouped input (as streaming).

    ``durable_calls`` is durable_rules' own C calls only (the same sessions, facts and actions the
    backend uses, replayed without any Python around them): the least any matching on it can cost.
    Each case's objects are dropped before the next, as in ``evaluate_stream``, so garbage collection
    weighs what it weighs there.
    """
    import durable_rules_engine as native

    from fuxian_rules import Engine
    from fuxian_rules.engine.backends.compiler import flatten
    from fuxian_rules.engine.backends.durable import _SENTINEL_FACT, _SID
    from fuxian_rules.engine.engine import parse_as_of
    from fuxian_rules.model.events import Event, read_jsonl

    engine = Engine(backend="durable_rules")
    backend: Any = engine._backend
    types = engine.catalog.types
    at = parse_as_of("2026-06-30")
    spent = dict.fromkeys(("json_parse", "validate", "flatten", "durable_match", "durable_calls",
                           "status_and_explanations"), 0.0)
    clock = time.perf_counter

    def case(events: list[Event]) -> None:
        events.sort(key=lambda e: (e.occurred_at, e.id))
        t0 = clock()
        facts = [flatten(e, types) for e in events]
        t1 = clock()
        relevant = engine.compiled.relevant({e.type for e in events})
        acts = backend.match(facts, relevant)
        t2 = clock()
        engine._evaluator.evaluate(events[0].case_id, events, acts, at)
        t3 = clock()
        messages = backend._encode(facts)
        rulesets = {backend._where[m].name: backend._where[m] for m in relevant if backend._where[m]}
        replay = [(rs.handle, [text for t, text in messages if t in rs.types]) for rs in rulesets.values()]
        t4 = clock()
        for handle, payload in replay:
            if payload:
                state = native.assert_fact(handle, _SENTINEL_FACT)[1]
                native.start_action_for_state(handle, state)
                for text in payload:
                    native.assert_fact(handle, text)
                while native.complete_and_start_action(handle, state) is not None:
                    pass
                native.delete_state(handle, _SID)
        spent["flatten"] += t1 - t0
        spent["durable_match"] += t2 - t1
        spent["status_and_explanations"] += t3 - t2
        spent["durable_calls"] += clock() - t4

    n = 0
    buffer: list[Event] = []
    with open(path, "rb") as fh:
        lines = iter(read_jsonl(fh))
        while True:
            t0 = clock()
            item = next(lines, None)
            t1 = clock()
            if item is None:
                break
            ev = engine.reader.validate(item[1], item[0])
            spent["json_parse"] += t1 - t0
            spent["validate"] += clock() - t1
            assert isinstance(ev, Event)
            n += 1
            if buffer and ev.case_id != buffer[0].case_id:
                case(buffer)
                buffer = []
            buffer.append(ev)
    case(buffer)
    return {k: v / n * 1e6 for k, v in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--latency", metavar="BACKEND", help=argparse.SUPPRESS)
    parser.add_argument("--stages", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        print(json.dumps(stages(args.stages)))
        return
    if args.child:
        print(json.dumps(run_mode(*args.child)))
        return
    if args.latency:
        print(json.dumps(latency(args.latency, 5000)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scale in (1, 4):
            path = Path(tmp) / f"history-{scale}.jsonl"
            n = write_history(path, args.cases * scale, args.seed)
            if scale == 1:
                out = subprocess.run([sys.executable, __file__, "--stages", str(path)], capture_output=True,
                                     text=True, check=True, env=dict(os.environ, PYTHONHASHSEED="0"))
                parts = json.loads(out.stdout)
                print(f"{args.cases:>7} cases, µs per event by stage: "
                      + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()), flush=True)
            for mode in ("floor", "durable_rules", "durable_stream", "reference"):
                out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)], capture_output=True,
                                     text=True, check=True, env=dict(os.environ, PYTHONHASHSEED="0"))
                row = json.loads(out.stdout)
                row["cases"] = args.cases * scale
                rows.append(row)
                print(f"{row['cases']:>7} cases {n:>8} events  {mode:<15} {row['events_per_s']:>10,.0f} events/s "
                      f"{row['seconds']:>7.2f} s  peak RSS {row['peak_rss_mib']:>7.1f} MiB  "
                      f"obligations {row['obligations']:>8}  ({row['backend']})", flush=True)
    for backend in ("durable_rules", "reference"):  # each in a fresh process, like the modes above
        out = subprocess.run([sys.executable, __file__, "--latency", backend], capture_output=True, text=True,
                             check=True, env=dict(os.environ, PYTHONHASHSEED="0"))
        lat = json.loads(out.stdout)
        print(f"one 20-event case, {backend:<13}: p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms")
    floor = {r["cases"]: r["events_per_s"] for r in rows if r["mode"] == "floor"}
    for r in rows:
        if r["mode"] != "floor":
            print(f"{r['mode']:<15} at {r['cases']} cases: {floor[r['cases']] / r['events_per_s']:.2f}× slower than the floor")


if __name__ == "__main__":
    main()
