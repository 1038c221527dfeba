"""The event vocabulary and the unit registry, read from ``rules/vocabulary.yaml`` and ``rules/units.yaml``.

Both are data so that adding an event type or a unit is an edit a deployment can review, not a code
change. The event models (:mod:`fuxian_rules.model.events`) and the rule-file checks
(:mod:`fuxian_rules.catalog.loader`) are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from fuxian_rules.model.vocabulary import FieldSpec, TypeSpec, Unit
from fuxian_rules.safe_yaml import Located, VersionedFile, located_validation_error

__all__ = ["FieldSpec", "TypeSpec", "Unit", "Vocabulary", "parse_units",
           "parse_vocabulary"]

class _VocabFile(VersionedFile):
    types: dict[str, TypeSpec]


class _UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: Literal["procuratorate", "police", "office", "agency", "hotline", "external"]


class _UnitsFile(VersionedFile):
    units: dict[str, _UnitSpec]


@dataclass(frozen=True)
class Vocabulary:
    """Event types and units, as loaded."""

    types: dict[str, TypeSpec]
    units: dict[str, Unit]


def parse_vocabulary(src: Located) -> dict[str, TypeSpec]:
    """Validate ``vocabulary.yaml``."""
    try:
        return _VocabFile.model_validate(src.data).types
    except ValidationError as exc:
        raise located_validation_error(exc, src) from None


def parse_units(src: Located) -> dict[str, Unit]:
    """Validate ``units.yaml``."""
    try:
        spec = _UnitsFile.model_validate(src.data)
    except ValidationError as exc:
        raise located_validation_error(exc, src) from None
    return {code: Unit(code, u.name, u.role) for code, u in spec.units.items()}
