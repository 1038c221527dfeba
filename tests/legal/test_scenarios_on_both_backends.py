"""Every worked example beside the rules holds on both backends (the scenario plugin runs the reference one).

The issue-10 examples (refusals reviewed, receipts, two acts on an opinion, the 立案监督 chain, …) are
the law as legal staff read it; durable_rules must reach exactly the same obligations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fuxian_rules import Engine
from fuxian_rules.testing.plugin import Scenario, load_scenarios, run_scenario

RULES = Path(__file__).resolve().parents[2] / "rules"
FILES = sorted(RULES.glob("*.scenarios.yaml"))


def _scenarios() -> list[tuple[str, Scenario]]:
    return [(f.name, sc) for f in FILES for sc in load_scenarios(f)]


@pytest.mark.parametrize(("file", "scenario"), _scenarios(), ids=lambda x: x if isinstance(x, str) else x.name)
def test_the_worked_example_holds(engine: Engine, file: str, scenario: Scenario) -> None:
    assert run_scenario(engine, scenario, file) == []
