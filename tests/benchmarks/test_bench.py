"""The benchmark script still measures what it says (a smoke test; it asserts no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from fuxian_rules import Engine

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module
    spec.loader.exec_module(module)
    return module


def test_modes_measure_the_whole_evaluation(bench: ModuleType, tmp_path: Path) -> None:
    """Streaming and batch runs in the benchmark produce every obligation the engine produces."""
    path = tmp_path / "history.jsonl"
    events = bench.write_history(path, 40, seed=3)
    expected = len(Engine().evaluate_file(path, "2026-06-30").obligations)
    assert expected > 40
    for mode in ("durable_rules", "durable_stream", "reference"):
        row = bench.run_mode(mode, str(path))
        assert (row["events"], row["obligations"]) == (events, expected), mode
    assert bench.run_mode("floor", str(path))["obligations"] == 0


def test_stages_and_latency_probe_run(bench: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    bench.write_history(path, 20, seed=4)
    parts = bench.stages(str(path))
    assert set(parts) == {"json_parse", "validate", "flatten", "durable_match", "durable_calls",
                          "status_and_explanations"}
    assert all(v > 0 for v in parts.values())
    lat = bench.latency("reference", 20)
    assert 0 < lat["p50_ms"] <= lat["p99_ms"]
