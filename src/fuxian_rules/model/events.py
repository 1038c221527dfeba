"""Events in: reading, validating and normalising what calling systems send (contract §1).

Events are untrusted. Each one is validated on its own; a bad one becomes a :class:`Rejection` naming
its line (for files), its id and the field at fault — never the field's value, which may be personal
data — and the rest are still evaluated. The per-type ``data`` models are built from
``rules/vocabulary.yaml`` so that the JSON Schema callers see (``fuxian-rules schema``) is exactly what
is enforced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    create_model,
)

from fuxian_rules.model.construct import construct
from fuxian_rules.model.hints import GBK_HINT, looks_like_gb18030, unit_hint
from fuxian_rules.model.time import CST, in_supported_range
from fuxian_rules.model.vocabulary import FieldSpec, TypeSpec, Unit

__all__ = ["Event", "EventReader", "Rejection", "read_jsonl"]

MAX_LINE_BYTES = 1024 * 1024
_CODE = r"^[a-z0-9][a-z0-9_.\-]{0,63}$"
Code = Annotated[str, StringConstraints(strict=True, pattern=_CODE)]
Ident = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[str, StringConstraints(strict=True, max_length=4000)]
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Event(BaseModel):
    """One validated event.

    Attributes:
        id: Unique id; the same id sent twice is the same event.
        type: Its type (``rules/vocabulary.yaml``).
        case_id: The matter it belongs to.
        occurred_at: When it happened, as an instant in CST (+08:00) whatever offset it was sent
            with. A bare date is 00:00 CST of that day.
        date_only: The event gave a bare date: it happened some time that day (CST).
        actor: The unit that acted or recorded it, if given.
        data: The type's fields, validated, with defaults filled in.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Ident
    type: StrictStr
    case_id: Ident
    occurred_at: datetime
    date_only: bool = False
    actor: Code | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def day(self) -> date:
        """The calendar day (CST) the event happened on."""
        return self.occurred_at.astimezone(CST).date()

    def canonical(self) -> str:
        """A canonical JSON form, used to tell a duplicate delivery from a conflicting one."""
        return self.model_dump_json()


class Rejection(BaseModel):
    """A rejected event (contract §2): where it was, its id if it had one, and what is wrong."""

    model_config = ConfigDict(frozen=True)

    line: int | None = None
    id: str | None = None
    field: str | None = None
    message: str


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Ident
    type: StrictStr
    case_id: Ident
    occurred_at: StrictStr
    actor: Code | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def _annotation(spec: FieldSpec) -> Any:
    kinds: dict[str, Any] = {
        "string": Text, "id": Ident, "bool": StrictBool, "int": StrictInt, "date": date,
        "unit": Code, "units": list[Code],
    }
    if spec.kind == "enum":
        return Literal[tuple(spec.values or ())]
    if spec.kind == "enums":
        return list[Literal[tuple(spec.values or ())]]  # type: ignore[misc]
    return kinds[spec.kind]


def build_data_models(types: dict[str, TypeSpec]) -> dict[str, type[BaseModel]]:
    """Build one pydantic model per event type's ``data`` from the vocabulary."""
    models: dict[str, type[BaseModel]] = {}
    for name, tspec in types.items():
        fields: dict[str, Any] = {}
        for fname, fspec in tspec.fields.items():
            ann = _annotation(fspec)
            if fspec.required:
                fields[fname] = (ann, ...)
            else:
                fields[fname] = (ann | None, Field(default=fspec.default))
        title = "".join(p.title() for p in name.split("_")) + "Data"
        models[name] = create_model(
            title, __config__=ConfigDict(extra="forbid", title=title), **fields
        )
    return models


class EventReader:
    """Validate events against the vocabulary and the unit registry."""

    def __init__(self, types: dict[str, TypeSpec], units: dict[str, Unit]) -> None:
        self.types = types
        self.units = units
        self.models = build_data_models(types)
        self._unit_fields = {
            t: [f for f, s in ts.fields.items() if s.kind in ("unit", "units")] for t, ts in types.items()
        }

    def validate(self, raw: Any, line: int | None = None) -> Event | Rejection:
        """Validate one event given as a dict (or an :class:`Event`), returning it or its rejection."""
        if isinstance(raw, Event):
            raw = {"id": raw.id, "type": raw.type, "case_id": raw.case_id,
                   "occurred_at": raw.day.isoformat() if raw.date_only else raw.occurred_at.isoformat(),
                   "actor": raw.actor, "data": raw.data}
            if raw["actor"] is None:
                del raw["actor"]
        if not isinstance(raw, dict):
            return Rejection(line=line, message="an event must be a JSON object")
        eid = raw.get("id") if isinstance(raw.get("id"), str) and len(raw["id"]) <= 200 else None
        try:
            env = _Envelope.model_validate(raw)
        except ValidationError as exc:
            return _rejection(exc, line, eid, prefix=())
        if env.type not in self.models:
            return Rejection(line=line, id=eid, field="type",
                             message=f"unknown event type {_safe(env.type)!r}; see `fuxian-rules schema`")
        occurred, date_only = _parse_instant(env.occurred_at)
        if occurred is None:
            return Rejection(line=line, id=eid, field="occurred_at", message=date_only_msg(env.occurred_at))
        try:
            data = self.models[env.type].model_validate(env.data)
        except ValidationError as exc:
            return self._unit_name_given(exc, env.type, env.data, line, eid) or _rejection(exc, line, eid, ("data",))
        values = dict(data.__dict__)  # the fields, flat (no nested models): model_dump() at a fifth of the cost
        # Contract §3 (amended): a free-form unit code (a school, a kindergarten …) is accepted in every unit
        # field of every event; its syntax was checked above. Rules that need the unit's kind say so in their
        # result when it is unknown, instead of the event being refused for a registry technicality.
        # Every field was validated above; constructing without a second validation pass halves the cost.
        return construct(Event, {"id": env.id, "type": env.type, "case_id": env.case_id, "occurred_at": occurred,
                                 "date_only": date_only, "actor": env.actor, "data": values})


    def _unit_name_given(self, exc: ValidationError, etype: str, data: Any, line: int | None,
                         eid: str | None) -> Rejection | None:
        """A unit field holding something that is not a code (a Chinese name, say): explain unit codes."""
        err = exc.errors(include_input=False, include_url=False)[0]
        loc = err["loc"]
        if err["type"] != "string_pattern_mismatch" or not loc or loc[0] not in self._unit_fields[etype]:
            return None
        value = data.get(loc[0]) if isinstance(data, dict) else None
        if isinstance(value, list) and len(loc) > 1 and isinstance(loc[1], int) and loc[1] < len(value):
            value = value[loc[1]]
        field = ".".join(str(p) for p in ("data", *loc))
        return Rejection(line=line, id=eid, field=field, message=f"invalid {field}: {unit_hint(value, self.units)}")


def date_only_msg(text: str) -> str:
    """Explain why ``occurred_at`` was refused (the value is a timestamp, not personal data)."""
    return (f"occurred_at {_safe(text)!r} is not an ISO 8601 date or a datetime with a UTC offset "
            "(e.g. 2024-03-15 or 2024-03-15T09:30:00+08:00) in the years 1900–2999")


def _parse_instant(text: str) -> tuple[datetime | None, bool]:
    if _DATE_ONLY.match(text):
        try:
            value = datetime.combine(date.fromisoformat(text), time(0), tzinfo=CST)
        except ValueError:
            return None, False
        return (value, True) if in_supported_range(value) else (None, False)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None, False
    if value.tzinfo is None or value.utcoffset() is None or len(text) > 40 or not in_supported_range(value):
        return None, False
    # One tzinfo object for every event: aware datetimes with distinct tzinfo objects compare ten
    # times slower (each comparison calls utcoffset()), and the engine compares instants constantly.
    return value.astimezone(CST), False


def _safe(text: str) -> str:
    return text[:60] + ("…" if len(text) > 60 else "")


def _rejection(exc: ValidationError, line: int | None, eid: str | None, prefix: tuple[str, ...]) -> Rejection:
    err = exc.errors(include_input=False, include_url=False)[0]
    loc = ".".join(str(p) for p in (*prefix, *err["loc"]))
    kind = err["type"]
    if kind == "missing":
        msg = f"missing required field {loc}"
    elif kind == "extra_forbidden":
        msg = f"unknown field {loc}"
    else:
        msg = f"invalid {loc}: {err['msg']}"
    return Rejection(line=line, id=eid, field=loc or None, message=msg)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in events")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):  # rare: only then look for the key that came twice, to name it
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return out


def read_jsonl(lines: Iterable[bytes | str]) -> Iterator[tuple[int, Any | Rejection]]:
    """Parse JSON Lines, yielding ``(line number, parsed object or Rejection)``; blank lines are skipped.

    Each line is parsed on its own, so one bad line costs only itself. NaN, Infinity, duplicate keys,
    non-UTF-8 bytes, over-long lines and nesting too deep to parse are rejected with the line number.
    """
    for no, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            if len(raw) > MAX_LINE_BYTES:
                yield no, Rejection(line=no, message=f"line longer than {MAX_LINE_BYTES} bytes")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                hint = f"; {GBK_HINT}" if looks_like_gb18030(raw) else ""
                yield no, Rejection(line=no, message=f"not valid UTF-8 at byte {exc.start}{hint}")
                continue
        else:
            text = raw
            if len(text) > MAX_LINE_BYTES:
                yield no, Rejection(line=no, message=f"line longer than {MAX_LINE_BYTES} bytes")
                continue
        if not text.strip():
            continue
        try:
            obj = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicate_keys)
        except RecursionError:
            yield no, Rejection(line=no, message="JSON nested too deeply")
            continue
        except ValueError as exc:
            yield no, Rejection(line=no, message=f"not valid JSON: {str(exc)[:120]}")
            continue
        yield no, obj
