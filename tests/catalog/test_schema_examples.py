"""The rule-file schema's example files (rules/schema-examples/): the valid ones load, the invalid ones fail as stated."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fuxian_rules import CatalogError, load_catalog

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
EXAMPLES = RULES / "schema-examples"
EXPECT = re.compile(r"^# expect: (?P<code>FR-[A-Z]+-\d{3}) line (?P<line>\d+) field (?P<field>\S+)$")


def _catalogue_with(tmp_path: Path, example: Path) -> Path:
    """The bundled catalogue plus one example rule file, in a folder of its own."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder, ignore=shutil.ignore_patterns("schema-examples", "*.scenarios.yaml"))
    shutil.copy(example, folder / example.name)
    return folder


@pytest.mark.parametrize("example", sorted((EXAMPLES / "valid").glob("*.yaml")), ids=lambda p: p.stem)
def test_a_valid_example_loads(tmp_path: Path, example: Path) -> None:
    catalog = load_catalog(_catalogue_with(tmp_path, example))
    area = next(line.split(":", 1)[1].strip() for line in example.read_text(encoding="utf-8").splitlines()
                if line.startswith("area:"))
    assert area in catalog.areas
    assert all(r.file.endswith(example.name) for r in catalog.rules.values() if r.area == area)


@pytest.mark.parametrize("example", sorted((EXAMPLES / "invalid").glob("*.yaml")), ids=lambda p: p.stem)
def test_an_invalid_example_fails_with_its_code_and_line(tmp_path: Path, example: Path) -> None:
    expect = EXPECT.match(example.read_text(encoding="utf-8").splitlines()[0])
    assert expect is not None, f"{example.name}: the first line must say '# expect: <code> line <n> field <f>'"
    with pytest.raises(CatalogError) as info:
        load_catalog(_catalogue_with(tmp_path, example))
    err = info.value
    assert err.file is not None and err.file.endswith(example.name), str(err)
    assert (err.code, err.line) == (expect["code"], int(expect["line"])), str(err)
    assert err.field == (None if expect["field"] == "-" else expect["field"]), str(err)
    assert err.to_dict()["code"] == err.code and err.suggestion == err.hint


def test_every_example_folder_has_files() -> None:
    assert len(list((EXAMPLES / "valid").glob("*.yaml"))) >= 2
    assert len(list((EXAMPLES / "invalid").glob("*.yaml"))) >= 5
