"""Shared test configuration: hypothesis profiles and module-scoped engines.

Profiles (select with ``HYPOTHESIS_PROFILE``):

* ``ci`` (default) — bounded, so the whole suite runs in a few minutes on a 2-core machine;
* ``long`` — ten times the examples of ``ci`` for every property (``strategies.examples`` scales the
  per-test budgets), for a nightly or pre-release run.

Engine properties have no deadline: an evaluation's time depends on the history, not on a regression.
The scenario files beside the rules (``rules/*.scenarios.yaml``) are collected by ``fuxian_rules.testing.plugin`` (see pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from fuxian_rules import Engine
from strategies import CI_BASE

_COMMON = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
# ci: the same examples on every run (derandomize), so a landing is never decided by a lucky draw;
# long: fresh random examples, ten times as many, for finding new counterexamples.
settings.register_profile("ci", max_examples=CI_BASE, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=10 * CI_BASE, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module", params=["reference", "durable_rules"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """One engine per module and backend; modules needing one backend define their own ``engine``."""
    if request.param == "durable_rules":
        durable = pytest.importorskip("fuxian_rules.engine.backends.durable")
        ok, why = durable.durable_available()
        if not ok:
            pytest.skip(why)
    eng = Engine(backend=request.param)
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def reference_engine() -> Iterator[Engine]:
    """The reference evaluator: the oracle the compliance properties are stated against."""
    e = Engine(backend="reference")
    yield e
    e.close()


@pytest.fixture(scope="module")
def durable_engine() -> Iterator[Engine]:
    """The durable_rules backend, for the differential properties; skipped where it cannot run."""
    durable = pytest.importorskip("fuxian_rules.engine.backends.durable")
    ok, why = durable.durable_available()
    if not ok:
        pytest.skip(f"durable_rules backend not available here: {why}")
    e = Engine(backend="durable_rules")
    yield e
    e.close()
