"""Benchmark: every core of one machine, and Spark local mode, beside their floor, in one run.

    python benchmarks/bench_parallel.py [--cases 10000] [--seed 1] [--no-spark]

On the same deterministic synthetic history as ``bench.py`` (input not grouped by case for batch,
grouped for ``--stream``), at N and 4N cases, each mode in its own process (its peak memory is the peak
of the sum of its whole process tree's RSS — workers, a JVM and its Python workers included):

* floor: reading + parsing JSON only (``read_jsonl``, the parser ``check`` uses), and reading + validating;
* ``fuxian-rules check --format json`` end to end (read → validate → evaluate → JSON written to a file)
  with ``--workers 1`` and ``--workers 2``, batch and ``--stream``; the outputs of 1 and 2 workers are
  compared byte for byte;
* ``fuxian_rules.spark.evaluate`` in Spark ``local[2]`` on the same file at N and 4N (read by Spark,
  obligations written as JSON), session start-up reported apart; from the two sizes, the marginal
  per-core rate (the job's fixed cost taken out), which is what sizes a cluster;
* p50/p99 of one 20-event case (``bench.latency``);
* where the time goes in one core (cProfile of ``Engine.evaluate`` on a sample, by module), and levers
  for the hot path beside what they replace (a pydantic-core ``validate_json`` over a tagged union of
  event types with the reader's own field types, not applied; pydantic's Rust JSON writer for output,
  in use since 2026-11-30, beside the ``json.dumps`` it replaced).

Figures are whatever this machine gives on this run; nothing here asserts a target.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench

ENV = dict(os.environ, PYTHONHASHSEED="0")
AS_OF = "2026-06-30"


def _tree_rss_kib(pid: int) -> int:
    """RSS of a process and all its descendants (Linux /proc), in KiB."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                total += next((int(line.split()[1]) for line in fh if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def measured(argv: list[str], stdout: Any = subprocess.DEVNULL) -> tuple[float, float, str]:
    """Run a command; wall seconds, peak RSS of its process tree (MiB, sampled every 50 ms), stdout text."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE, env=ENV, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    done.set()
    sampler.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{argv[:4]} failed ({proc.returncode}): {err[-2000:]}")
    return elapsed, peak / 1024, out or ""


def write_grouped_and_shuffled(path: Path, cases: int, seed: int) -> int:
    """The history grouped by case (for --stream) at ``path``; a shuffled copy beside it (for batch)."""
    import random

    n = bench.write_history(path, cases, seed)
    lines = path.read_bytes().splitlines(keepends=True)
    random.Random(seed).shuffle(lines)
    path.with_suffix(".shuffled.jsonl").write_bytes(b"".join(lines))
    return n


# ---- child modes -------------------------------------------------------------------------------------------

def child_floor(kind: str, path: str) -> dict[str, Any]:
    from fuxian_rules import Engine, read_jsonl

    engine = Engine() if kind == "validate" else None
    t0 = time.perf_counter()
    with open(path, "rb") as fh:
        if engine is None:
            n = sum(1 for _ in read_jsonl(fh))
        else:
            good, bad = engine.validate(read_jsonl(fh))
            n = len(good) + len(bad)
    return {"seconds": time.perf_counter() - t0, "events": n}


def child_spark(path: str, out_dir: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("bench").config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "8").config("spark.driver.memory", "2g").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    from fuxian_rules import spark as fuxian

    started = time.perf_counter()
    events = spark.read.schema("id string, type string, case_id string, occurred_at string, actor string, "
                               "data string").json(path)
    obligations, rejected = fuxian.evaluate(events, as_of=AS_OF)
    obligations.write.mode("overwrite").json(os.path.join(out_dir, "obligations"))
    rejected.write.mode("overwrite").json(os.path.join(out_dir, "rejected"))
    done = time.perf_counter()  # both outputs written, as a real job does; counted from the files below
    n_obl = spark.read.json(os.path.join(out_dir, "obligations")).count()
    n_rej = spark.read.text(os.path.join(out_dir, "rejected")).count()
    spark.stop()
    return {"startup": started - t0, "seconds": done - started, "obligations": n_obl, "rejected": n_rej}


def child_profile(path: str, limit: int) -> dict[str, Any]:
    """cProfile of Engine.evaluate on the first ``limit`` lines; own time by module, in µs per event."""
    import cProfile
    import pstats

    from fuxian_rules import Engine, read_jsonl

    engine = Engine()
    with open(path, "rb") as fh:
        lines = list(islice(fh, limit))
    limit = len(lines)
    prof = cProfile.Profile()
    prof.enable()
    result = engine.evaluate(read_jsonl(lines), AS_OF)
    for o in result.obligations:  # written as check --format json writes them (pydantic's Rust writer)
        o.model_dump_json(indent=2)
    prof.disable()
    by_module: dict[str, float] = {}
    for (filename, _, func), row in pstats.Stats(prof).stats.items():  # type: ignore[attr-defined]
        name = Path(filename).name if filename != "~" else func.split(" ")[0].strip("<{")
        if "pydantic" in filename:
            name = "pydantic (python side)"
        elif filename == "~" and ("pydantic" in func or "validate" in func or "model_dump" in func
                                  or "to_python" in func or "SchemaValidator" in func or "serializ" in func):
            name = "pydantic-core (Rust)"
        elif filename == "~" and ("durable" in func):
            name = "durable_rules (C)"
        elif "json" in filename or (filename == "~" and "json" in func):
            name = "json (stdlib)"
        elif filename == "~":
            name = "builtins (sort, list/dict/str ops)"
        by_module[name] = by_module.get(name, 0.0) + row[2]
    total = sum(by_module.values())
    top = sorted(by_module.items(), key=lambda kv: -kv[1])[:14]
    return {"events": limit, "total_us": total / limit * 1e6,
            "modules": [(k, v / limit * 1e6, v / total) for k, v in top]}


def child_levers(path: str, limit: int) -> dict[str, float]:
    """Measured levers (µs per event or per obligation), each beside what it would replace."""
    from typing import Annotated, Literal, Union

    from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

    from fuxian_rules import Engine, read_jsonl

    engine = Engine()
    with open(path, "rb") as fh:
        lines = list(islice(fh, limit))
    limit = len(lines)
    clock = time.perf_counter
    out: dict[str, float] = {}

    t0 = clock()
    for no, obj in read_jsonl(lines):
        engine.reader.validate(obj, no)
    out["today: json.loads + reader.validate (µs/event)"] = (clock() - t0) / limit * 1e6

    # A tagged union over the event types, validated from the raw bytes by pydantic-core in one pass, with
    # the reader's own field types (the id policy and unit codes run their checks as in reader.validate).
    from fuxian_rules.model.events import Code, Ident

    class Base(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)
        id: Ident
        case_id: Ident
        occurred_at: str
        actor: Code | None = None

    members = [create_model(f"E_{t}", __base__=Base, type=(Literal[t], ...),  # type: ignore[call-overload]
                            data=(model, Field(default_factory=dict)))
               for t, model in engine.reader.models.items()]
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[Union[tuple(members)], Field(discriminator="type")])  # noqa: UP007
    t0 = clock()
    for raw in lines:
        adapter.validate_json(raw)
    out["lever: tagged-union validate_json, same field types (µs/event; no instant/dup-key checks)"] = (
        (clock() - t0) / limit * 1e6)

    # The same lever made complete, as a fast path of reader.validate would have to be: lines with an escape,
    # NaN or Infinity left to the slow path; duplicate keys caught by counting `"…":` (sound without
    # escapes); occurred_at parsed as the reader does; the Event built.
    import re

    from fuxian_rules.model.construct import construct
    from fuxian_rules.model.events import Event, _parse_instant

    keys = re.compile(rb'"\s*:')
    t0 = clock()
    for raw in lines:
        if b"\\" in raw or b"NaN" in raw or b"Infinity" in raw:
            continue
        ev = adapter.validate_json(raw)
        data = ev.data if isinstance(ev.data, BaseModel) else None  # a missing data is {}: the slow path's
        if data is None or len(keys.findall(raw)) != len(ev.model_fields_set) + len(data.model_fields_set):
            continue
        occurred, date_only = _parse_instant(ev.occurred_at)
        construct(Event, {"id": ev.id, "type": ev.type, "case_id": ev.case_id, "occurred_at": occurred,
                          "date_only": date_only, "actor": ev.actor, "data": dict(data.__dict__)})
    out["lever, complete: + escape/dup-key checks, occurred_at, Event built (µs/event)"] = (
        (clock() - t0) / limit * 1e6)

    result = engine.evaluate(read_jsonl(lines), AS_OF)
    obls = result.obligations
    t0 = clock()
    for o in obls:
        json.dumps(o.model_dump(mode="json"), ensure_ascii=False, indent=2)
    out["before: model_dump + json.dumps(indent=2) (µs/obligation)"] = (clock() - t0) / len(obls) * 1e6
    t0 = clock()
    for o in obls:
        o.model_dump_json(indent=2)
    out["today: model_dump_json(indent=2), Rust writer (µs/obligation)"] = (clock() - t0) / len(obls) * 1e6
    out["obligations per event"] = len(obls) / limit
    return out


# ---- the run -------------------------------------------------------------------------------------------------

def _cli() -> str:
    found = Path(sys.executable).parent / "fuxian-rules"
    return str(found) if found.exists() else shutil.which("fuxian-rules") or "fuxian-rules"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "floor":
            print(json.dumps(child_floor(rest[0], rest[1])))
        elif kind == "spark":
            print(json.dumps(child_spark(rest[0], rest[1])))
        elif kind == "profile":
            print(json.dumps(child_profile(rest[0], int(rest[1]))))
        elif kind == "levers":
            print(json.dumps(child_levers(rest[0], int(rest[1]))))
        elif kind == "latency":
            print(json.dumps(bench.latency(rest[0], 5000)))
        return
    me = [sys.executable, __file__, "--child"]
    print(f"bench_parallel: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        # Fixed cost of each mode (interpreter, engine build, worker start-up): the same command on one event.
        tiny = Path(tmp) / "one.jsonl"
        bench.write_history(tiny, 1, args.seed)
        startup: dict[str, float] = {}
        for stream in (False, True):
            for workers in (1, 2):
                argv = [_cli(), "check", str(tiny), "--as-of", AS_OF, "--format", "json", "--workers", str(workers)]
                startup[f"{stream}-{workers}"] = measured(argv + (["--stream"] if stream else []))[0]
        print("start-up (one event): " + ", ".join(
            f"{'stream' if k.startswith('True') else 'batch'} --workers {k[-1]} {v:.1f} s" for k, v in startup.items()),
            flush=True)
        spark_runs: dict[int, tuple[int, float]] = {}
        for scale in (1, 4):
            cases = args.cases * scale
            grouped = Path(tmp) / f"h{scale}.jsonl"
            n = write_grouped_and_shuffled(grouped, cases, args.seed)
            shuffled = str(grouped.with_suffix(".shuffled.jsonl"))
            print(f"\n{cases:,} cases, {n:,} events", flush=True)
            rows: dict[str, tuple[float, float]] = {}
            net: dict[str, float] = {}
            for kind in ("parse", "validate"):
                wall, peak, out = measured([*me, "floor", kind, shuffled], stdout=subprocess.PIPE)
                inner = json.loads(out)
                rows[f"floor: read + {kind}"] = (inner["events"] / inner["seconds"], peak)
            digests: dict[str, str] = {}
            for stream in (False, True):
                for workers in (1, 2):
                    target = os.path.join(tmp, f"out-{scale}-{stream}-{workers}.json")
                    argv = [_cli(), "check", str(grouped) if stream else shuffled, "--as-of", AS_OF,
                            "--format", "json", "--workers", str(workers)] + (["--stream"] if stream else [])
                    with open(target, "w") as fh:
                        wall, peak, _ = measured(argv, stdout=fh)
                    digests[f"{stream}-{workers}"] = hashlib.sha256(Path(target).read_bytes()).hexdigest()
                    label = f"check {'--stream' if stream else 'batch':<8} --workers {workers}"
                    rows[label] = (n / wall, peak)
                    net[label] = n / max(wall - startup[f"{stream}-{workers}"], 1e-9)
                    if not stream and workers == 1:
                        with open(target, encoding="utf-8") as fh:
                            n_obl = len(json.load(fh)["obligations"])
                    os.remove(target)
            for label, (rate, peak) in rows.items():
                extra = f"   ({net[label]:,.0f} events/s net of start-up)" if label in net else ""
                print(f"  {label:<30} {rate:>10,.0f} events/s   peak RSS {peak:>8,.0f} MiB{extra}", flush=True)
            print(f"  outputs identical, 1 vs 2 workers: batch {digests['False-1'] == digests['False-2']}, "
                  f"stream {digests['True-1'] == digests['True-2']}; obligations {n_obl:,}", flush=True)
            if not args.no_spark:
                wall, peak, out = measured([*me, "spark", shuffled, os.path.join(tmp, "spark-out")],
                                           stdout=subprocess.PIPE)
                sp = json.loads(out)
                spark_runs[scale] = (n, sp["seconds"])
                rate = n / sp["seconds"]
                w2 = rows["check batch    --workers 2"][0]
                print(f"  spark local[2]: {rate:,.0f} events/s (job only; session start-up {sp['startup']:.1f} s), "
                      f"{w2 / rate:.2f}× the time of --workers 2; peak RSS {peak:,.0f} MiB (JVM + Python workers); "
                      f"obligations {sp['obligations']:,}, rejected {sp['rejected']}", flush=True)
        if len(spark_runs) == 2:
            (n1, s1), (n4, s4) = spark_runs[1], spark_runs[4]
            marginal = (n4 - n1) / max(s4 - s1, 1e-9)
            print(f"\nspark, marginal rate between the two sizes (the job's fixed cost, {s1 - n1 / marginal:.1f} s, "
                  f"taken out): {marginal:,.0f} events/s on 2 cores, {marginal / 2:,.0f} per executor core "
                  f"→ 100 million events: {1e8 / (marginal / 2) / 3600:,.1f} core-hours plus one fixed cost per job",
                  flush=True)
        print("\none 20-event case:", flush=True)
        for backend in ("durable_rules", "reference"):
            _, _, out = measured([*me, "latency", backend], stdout=subprocess.PIPE)
            lat = json.loads(out)
            print(f"  {backend:<13} p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms", flush=True)
        sample = str(Path(tmp) / "h1.shuffled.jsonl")
        _, _, out = measured([*me, "profile", sample, "20000"], stdout=subprocess.PIPE)
        prof = json.loads(out)
        print(f"\nwhere one core spends its time (cProfile, own time, {prof['events']:,} events, "
              f"{prof['total_us']:.1f} µs/event under the profiler):", flush=True)
        for name, us, share in prof["modules"]:
            print(f"  {name:<34} {us:>6.1f} µs/event  {share:>5.1%}", flush=True)
        _, _, out = measured([*me, "levers", sample, "20000"], stdout=subprocess.PIPE)
        print("\nhot-path levers, measured:", flush=True)
        for name, value in json.loads(out).items():
            print(f"  {name:<88} {value:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
