"""The vocabulary's value types: event types, their fields, and units (read by :mod:`fuxian_rules.catalog`).

Events (:mod:`fuxian_rules.model.events`) are validated against these, and the catalogue builds them
from ``rules/vocabulary.yaml`` and ``rules/units.yaml``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["LIST_KINDS", "FieldKind", "FieldSpec", "TypeSpec", "Unit"]

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


@dataclass(frozen=True)
class Unit:
    """A unit of contract §3 (``kind`` and ``supervisor`` for a district's own units, see ``catalog.district``)."""

    code: str
    name: str
    role: str
    kind: str | None = None
    supervisor: str | None = None
