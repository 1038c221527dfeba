"""The layering is enforced, not hoped for: import-linter's contracts (pyproject.toml) run in the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    path = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if path is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    return path


def test_every_layer_contract_is_kept() -> None:
    proc = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout, proc.stdout


def test_a_broken_layer_fails_the_check(tmp_path: Path) -> None:
    """The same tool on the same package reports a contract the code breaks (the engine imports the model)."""
    config = tmp_path / "inverted.toml"
    config.write_text('[tool.importlinter]\nroot_packages = ["fuxian_rules"]\n\n'
                      '[[tool.importlinter.contracts]]\nname = "inverted"\ntype = "layers"\n'
                      'layers = ["fuxian_rules.model", "fuxian_rules.engine"]\n', encoding="utf-8")
    proc = subprocess.run([_lint_imports(), "--no-cache", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "BROKEN" in proc.stdout and "fuxian_rules.engine" in proc.stdout
