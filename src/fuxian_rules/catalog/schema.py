"""JSON Schema of events (contract §1), generated from the same models that validate them.

Callers in other languages validate their events with this before sending; because it is generated
from the vocabulary-built pydantic models, it cannot drift from what the library enforces.
"""

from __future__ import annotations

from typing import Any

from fuxian_rules.catalog.loader import Catalog
from fuxian_rules.model.events import build_data_models

__all__ = ["event_json_schema"]


def event_json_schema(catalog: Catalog) -> dict[str, Any]:
    """Return a JSON Schema (draft 2020-12) accepting exactly the events an engine on this catalogue accepts.

    Unit codes are listed as an enum only where the registry is closed; a free-form unit needs
    ``data.unit_kind``, which a schema cannot express across fields, so it is described in words.
    """
    defs: dict[str, Any] = {}
    variants = []
    models = build_data_models(catalog.types)  # the very builder the engine's event reader uses
    for name, model in sorted(models.items()):
        schema = model.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        title = catalog.types[name].title
        defs[schema["title"]] = schema
        variants.append({
            "type": "object",
            "description": title,
            "properties": {"type": {"const": name}, "data": {"$ref": f"#/$defs/{schema['title']}"}},
            "required": ["type"],
        })
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "fuxian_rules event",
        "description": (
            "One event (contract §1). occurred_at: an ISO date (that day, China Standard Time) or a "
            "datetime with a UTC offset. Unit codes: see rules/units.yaml; a unit not listed there is "
            "accepted only when data.unit_kind is given."
        ),
        "type": "object",
        "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": 200},
            "type": {"enum": sorted(models)},
            "case_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "occurred_at": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}(T.*(Z|[+-]\d{2}:?\d{2}))?$"},
            "actor": {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_.\-]{0,63}$"},
            "data": {"type": "object"},
        },
        "required": ["id", "type", "case_id", "occurred_at"],
        "additionalProperties": False,
        "oneOf": variants,
        "$defs": defs,
        "x-units": {code: u.name for code, u in sorted(catalog.units.items())},
    }
