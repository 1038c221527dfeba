"""A deployment's own units and active clause areas, laid over the bundled catalogue.

A district registers its schools, kindergartens and training institutions — the units 三（七） puts
duties on, which the notice cannot name — in a units file of its own (``--units FILE``,
``Engine(units=…)``)::

    version: 1
    units:
      hj-school-01: {name: 惠济区第一小学, kind: school, supervisor: education}
      hj-kg-01: {name: 惠济区实验幼儿园, kind: kindergarten, supervisor: education}

The file is merged with ``rules/units.yaml``: a code may not redefine a bundled one, and the supervising
department must be a bundled unit. Events then name these codes without ``unit_kind``, tables and
explanations show the names, and every receipt records the file's hash. The file is read with the
catalogue's safe YAML reader (no tags, anchors or aliases; bounded size; errors with file:line).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from fuxian_rules.catalog.loader import Catalog
from fuxian_rules.errors import CatalogError, RunError
from fuxian_rules.model.vocabulary import Unit
from fuxian_rules.safe_yaml import located_validation_error, read_yaml

__all__ = ["DistrictUnits", "load_district_units", "restrict_areas"]

_Code = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z0-9][a-z0-9_.\-]{0,63}$")]
_Name = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=100)]


class _DistrictUnit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: _Name
    kind: Literal["school", "kindergarten", "training", "childcare", "medical", "other"]
    supervisor: _Code


class _DistrictFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    units: dict[_Code, _DistrictUnit]


@dataclasses.dataclass(frozen=True)
class DistrictUnits:
    """A loaded units file: the merged registry, and the file's hash and path for the receipt."""

    units: dict[str, Unit]
    sha256: str
    source: str


def load_district_units(path: str | Path, bundled: dict[str, Unit]) -> DistrictUnits:
    """Read a district's units file and merge it with the bundled registry.

    Raises:
        CatalogError: the file is unreadable, not valid YAML, or a unit is invalid (with file:line).
    """
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read units file: {exc.strerror}", file=file) from None
    src = read_yaml(raw, file, CatalogError)
    try:
        spec = _DistrictFile.model_validate(src.data)
    except ValidationError as exc:
        raise located_validation_error(exc, src) from None
    merged = dict(bundled)
    for code, u in spec.units.items():
        if code in bundled:
            raise CatalogError(f"unit {code!r} is already in the bundled registry ({bundled[code].name})",
                               file=file, line=src.line_of(("units", code)), field=f"units.{code}",
                               hint="choose a code of the district's own, e.g. hj-school-01")
        if u.supervisor not in bundled:
            raise CatalogError(f"unknown supervising department {u.supervisor!r}", file=file,
                               line=src.line_of(("units", code, "supervisor")), field=f"units.{code}.supervisor",
                               hint="use a code of rules/units.yaml, e.g. education")
        merged[code] = Unit(code, u.name, "district", kind=u.kind, supervisor=u.supervisor)
    return DistrictUnits(merged, hashlib.sha256(raw).hexdigest(), file)


def restrict_areas(catalog: Catalog, areas: Iterable[str]) -> Catalog:
    """The catalogue with only the rules of the given clause areas (and the rules they depend on).

    A rule whose period follows another, or whose breach escalates to another, keeps that other rule
    too, so a restricted catalogue computes the same obligations for its rules as the whole one.

    Raises:
        RunError: an area that the catalogue does not have.
    """
    wanted = list(dict.fromkeys(areas))
    unknown = [a for a in wanted if a not in catalog.areas]
    if unknown:
        raise RunError(f"unknown clause area {unknown[0]!r}", field="areas",
                       hint="use one of: " + ", ".join(catalog.areas))
    keep = {r for r, lr in catalog.rules.items() if lr.area in wanted}
    todo = list(keep)
    while todo:
        spec = catalog.rules[todo.pop()].spec
        for dep in [*spec.escalates_to, *(spec.period.follows if spec.period and spec.period.follows else [])]:
            if dep not in keep:
                keep.add(dep)
                todo.append(dep)
    rules = {r: lr for r, lr in catalog.rules.items() if r in keep}
    used = {lr.area for lr in rules.values()}
    return dataclasses.replace(catalog, rules=rules, areas={a: f for a, f in catalog.areas.items() if a in used})
