"""The case-growth benchmark still measures what it says (a smoke test; it asserts no timing)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_one_size_is_measured_with_every_event_accepted() -> None:
    spec = importlib.util.spec_from_file_location("bench_case_growth", ROOT / "benchmarks" / "bench_case_growth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_case_growth"] = module
    spec.loader.exec_module(module)
    row = module.child(300, "reference")
    # a third of the events are suspicions, each raising transfer.report; penalties add their own duties
    assert row["n"] == 300 and row["obligations"] >= 100
    assert row["floor_s"] > 0 and row["case_s"] > 0
