"""The scenario plugin ships in the package: a deployment runs its own rules' scenario files with it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _deployment(tmp_path: Path) -> Path:
    """A deployment's own copy of the catalogue with one scenario file beside its rules."""
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules, ignore=shutil.ignore_patterns("*.scenarios.yaml", "schema-examples"))
    shutil.copy(ROOT / "rules" / "3.6-aid.scenarios.yaml", rules)
    return rules


def _pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    # -c /dev/null: not this repository's configuration; the plugin is named as a deployment would name it.
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null",
                           "-p", "fuxian_rules.testing.plugin", str(folder)],
                          cwd=folder.parent, capture_output=True, text=True, timeout=300, check=False)


def test_a_deployment_runs_its_scenarios_with_the_shipped_plugin(tmp_path: Path) -> None:
    rules = _deployment(tmp_path)
    run = _pytest(rules)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and " failed" not in run.stdout


def test_a_scenario_that_no_longer_holds_fails_with_its_file_and_line(tmp_path: Path) -> None:
    rules = _deployment(tmp_path)
    scenarios = rules / "3.6-aid.scenarios.yaml"
    text = scenarios.read_text(encoding="utf-8")
    wrong = 'case_id: "aid:3", status: open'
    assert wrong in text
    scenarios.write_text(text.replace(wrong, 'case_id: "aid:3", status: overdue'), encoding="utf-8")
    run = _pytest(rules)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "3.6-aid.scenarios.yaml:" in run.stdout and "failed" in run.stdout
