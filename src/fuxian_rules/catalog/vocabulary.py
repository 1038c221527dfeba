"""The event vocabulary and the unit registry, read from ``rules/vocabulary.yaml`` and ``rules/units.yaml``.

Both are data so that adding an event type or a unit is an edit a deployment can review, not a code
change. The event models (:mod:`fuxian_rules.model.events`) and the rule-file checks
(:mod:`fuxian_rules.catalog.loader`) are built from them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fuxian_rules.catalog.yamlsource import Located
from fuxian_rules.errors import CatalogError

__all__ = ["FieldSpec", "TypeSpec", "Unit", "Vocabulary", "located_validation_error", "parse_units",
           "parse_vocabulary"]

FieldKind = Literal["string", "id", "bool", "int", "date", "unit", "units", "enum", "enums"]
LIST_KINDS = frozenset({"units", "enums"})


class FieldSpec(BaseModel):
    """One field of an event type's ``data``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: FieldKind
    required: bool = False
    default: Any = None
    values: list[str] | None = None

    def accepts(self, value: Any) -> bool:
        """Return whether a rule-file ``where`` value fits this field (scalars only)."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.kind in ("enum", "enums"):
            return isinstance(value, str) and value in (self.values or [])
        if self.kind == "date":
            return isinstance(value, dt.date)
        return isinstance(value, str)


_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")


class TypeSpec(BaseModel):
    """One event type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    fields: dict[str, FieldSpec] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _field_names(cls, fields: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        """Field names become attributes of generated models: keep them plain and clear of the model's own."""
        for name in fields:
            if not _FIELD_NAME.match(name) or name.startswith("model_") or hasattr(BaseModel, name):
                raise ValueError(f"field name {name!r} is not allowed: use lower-case letters, digits and _, "
                                 "starting with a letter, and not a name pydantic models use (model_*, dict, json …)")
        return fields


class _VocabFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    types: dict[str, TypeSpec]


@dataclass(frozen=True)
class Unit:
    """A unit of contract §3."""

    code: str
    name: str
    role: str


class _UnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    role: Literal["procuratorate", "police", "office", "agency", "hotline", "external"]


class _UnitsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    units: dict[str, _UnitSpec]


@dataclass(frozen=True)
class Vocabulary:
    """Event types and units, as loaded."""

    types: dict[str, TypeSpec]
    units: dict[str, Unit]


def located_validation_error(exc: ValidationError, src: Located, prefix: tuple[str | int, ...] = ()) -> CatalogError:
    """Turn the first pydantic error into a :class:`CatalogError` naming file:line and the field."""
    err = exc.errors()[0]
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    path = (*prefix, *loc)
    hint = None
    if err["type"] == "extra_forbidden":
        hint = "remove the key or check its spelling"
    elif err["type"] == "missing":
        hint = "add the key"
    msg = err["msg"].removeprefix("Value error, ")
    return CatalogError(
        msg, file=src.file, line=src.line_of(path), field=".".join(str(p) for p in path) or None, hint=hint
    )


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
