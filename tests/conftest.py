"""Shared test configuration: hypothesis profiles and module-scoped engines.

Profiles (select with ``HYPOTHESIS_PROFILE``):

* ``ci`` (default) — bounded, so the whole suite runs in a few minutes on a 2-core machine;
* ``long`` — ten times the examples of ``ci`` for every property (``strategies.examples`` scales the
  per-test budgets), for a nightly or pre-release run.

Engine properties have no deadline: an evaluation's time depends on the history, not on a regression.
The scenario files beside the rules (``rules/*.scenarios.yaml``) are collected by ``scenarios_plugin`` (see pyproject.toml).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from strategies import CI_BASE

_COMMON = {
    "deadline": None,
    "print_blob": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("ci", max_examples=CI_BASE, **_COMMON)
settings.register_profile("long", max_examples=10 * CI_BASE, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
