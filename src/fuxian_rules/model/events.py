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
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from fuxian_rules.model.construct import construct
from fuxian_rules.model.hints import unit_hint
from fuxian_rules.model.lines import BLANK, MAX_LINE_BYTES, numbered, parse_line
from fuxian_rules.model.time import CST, EARLIEST, LATEST, in_supported_range
from fuxian_rules.model.vocabulary import FieldSpec, TypeSpec, Unit

__all__ = ["MAX_LINE_BYTES", "Event", "EventReader", "Rejection", "ident_ok", "read_jsonl"]

_CODE = r"^[a-z0-9][a-z0-9_.\-]{0,63}$"
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
ENVELOPE_FIELDS = frozenset({"id", "type", "case_id", "occurred_at", "actor", "data"})


def ident_ok(value: object) -> bool:
    """Whether a value is an acceptable id (see :data:`Ident`): the policy, in one place.

    Ids are compared byte for byte, so two ids a person reads as the same must not both be accepted:
    an id must be NFC-normalised, may contain only printable characters (no control, format, bidi,
    zero-width, private-use, unassigned or surrogate code points, no line or paragraph separators, no
    space other than U+0020) and may not begin or end with a space. Such ids are rejected, not
    repaired: a silently rewritten id would no longer be the id the calling system stores.
    """
    return (isinstance(value, str) and 0 < len(value) <= 200 and value.isprintable() and value == value.strip()
            and (value.isascii() or unicodedata.is_normalized("NFC", value)))


def _check_ident(value: str) -> str:
    if not ident_ok(value):
        raise PydanticCustomError(
            "invalid_id", "an id must be printable NFC text without control, zero-width or direction characters "
            "and without leading or trailing spaces")
    return value


def _check_text(value: str) -> str:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError("invalid_text", "text must be valid Unicode (it has a lone surrogate)") from None
    return value


Code = Annotated[str, StringConstraints(strict=True, pattern=_CODE)]
Ident = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=200), AfterValidator(_check_ident)]
Text = Annotated[str, StringConstraints(strict=True, max_length=4000), AfterValidator(_check_text)]


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
        at = self.occurred_at
        # Validated events already hold CST (asked for dozens of times per case: skip the conversion).
        return at.date() if at.tzinfo is CST else at.astimezone(CST).date()

    def known_at(self, at: datetime) -> bool:
        """Whether the event had happened by ``at``; a bare-date event only once its day has begun.

        Every consumer (batch, stream, workers, the ledger, Spark) evaluates a case only with what was
        known at ``as_of``: this is the one test they share.
        """
        return self.occurred_at < at or (self.occurred_at == at and not self.date_only)

    def canonical(self) -> str:
        """A canonical JSON form, used to tell a duplicate delivery from a conflicting one."""
        return self.model_dump_json()


class Rejection(BaseModel):
    """A rejected event (contract §2): where it was, its id if it had one, and what is wrong.

    Attributes:
        line: The line of the file it was on, if it came from a file.
        id: Its id, if it had one that passes the id policy (any other id is not repeated).
        field: The field at fault, named in the vocabulary's words only.
        message: What is wrong, in English; it repeats no value the caller sent.
        code: A stable code calling systems can route on (e.g. ``invalid_json``, ``not_utf8``,
            ``line_too_long``, ``invalid_id``, ``unknown_field``, ``id_conflict``, ``case_too_large``).
    """

    model_config = ConfigDict(frozen=True)

    line: int | None = None
    id: str | None = None
    field: str | None = None
    message: str
    code: str | None = None


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: Ident
    type: StrictStr
    case_id: Ident
    occurred_at: StrictStr
    actor: Code | None = None
    data: dict[str, Any] = Field(default_factory=dict)


def _strict_day(value: Any) -> date:
    """A ``date`` field: an ISO date string (or a :class:`date` from Python) in the supported years.

    Integers (read as Unix timestamps by a lax parser), datetimes and other spellings are refused, and
    so is a day outside 1900–2999, from which no period can be counted on the calendar.
    """
    if isinstance(value, datetime) or not isinstance(value, (str, date)):
        raise PydanticCustomError("invalid_date", "a date must be written YYYY-MM-DD")
    day = value
    if isinstance(value, str):
        if not _DATE_ONLY.match(value):
            raise PydanticCustomError("invalid_date", "a date must be written YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("invalid_date", "not a calendar date (YYYY-MM-DD)") from None
    assert isinstance(day, date)
    if not EARLIEST.date() <= day < LATEST.date():
        raise PydanticCustomError("date_out_of_range", "the date is outside the supported years 1900–2999")
    return day


Day = Annotated[date, BeforeValidator(_strict_day)]


def _annotation(spec: FieldSpec) -> Any:
    kinds: dict[str, Any] = {
        "string": Text, "id": Ident, "bool": StrictBool, "int": StrictInt, "date": Day,
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
        self._date_fields = {t: tuple(f for f, s in ts.fields.items() if s.kind == "date") for t, ts in types.items()}
        # Words a message may repeat: the vocabulary's own (a key a caller invents may be personal data).
        self.words = frozenset({*ENVELOPE_FIELDS, *types, *(f for ts in types.values() for f in ts.fields)})

    def known_word(self, word: str) -> bool:
        """Whether ``word`` is a word of the vocabulary, and so may be repeated in a message."""
        return word in self.words

    def validate(self, raw: Any, line: int | None = None) -> Event | Rejection:
        """Validate one event given as a dict (or an :class:`Event`), returning it or its rejection."""
        if isinstance(raw, Event):
            raw = {"id": raw.id, "type": raw.type, "case_id": raw.case_id,
                   "occurred_at": raw.day.isoformat() if raw.date_only else raw.occurred_at.isoformat(),
                   "actor": raw.actor, "data": raw.data}
            if raw["actor"] is None:
                del raw["actor"]
        if not isinstance(raw, dict):
            return Rejection(line=line, code="not_an_object", message="an event must be a JSON object")
        eid = raw.get("id") if ident_ok(raw.get("id")) else None  # an id is echoed only if it passes the policy
        try:
            env = _Envelope.model_validate(raw)
        except ValidationError as exc:
            return self._rejection(exc, line, eid, prefix=())
        if env.type not in self.models:
            return Rejection(line=line, id=eid, field="type", code="unknown_type",
                             message="unknown event type (the value is not shown); see `fuxian-rules schema`")
        occurred, date_only = _parse_instant(env.occurred_at)
        if occurred is None:
            return Rejection(line=line, id=eid, field="occurred_at", code="invalid_time", message=date_only_msg())
        try:
            data = self.models[env.type].model_validate(env.data)
        except ValidationError as exc:
            return (self._unit_name_given(exc, env.type, env.data, line, eid)
                    or self._rejection(exc, line, eid, prefix=("data",)))
        values = dict(data.__dict__)  # the fields, flat (no nested models): model_dump() at a fifth of the cost
        # Contract §3 (amended): a free-form unit code (a school, a kindergarten …) is accepted in every unit
        # field of every event; its syntax was checked above. Rules that need the unit's kind say so in their
        # result when it is unknown, instead of the event being refused for a registry technicality.
        # Every field was validated above; constructing without a second validation pass halves the cost.
        return construct(Event, {"id": env.id, "type": env.type, "case_id": env.case_id, "occurred_at": occurred,
                                 "date_only": date_only, "actor": env.actor, "data": values})


    def restore(self, dumped: dict[str, Any]) -> Event:
        """An event this reader accepted, back from ``Event.model_dump(mode="json")``, not validated again.

        Only for what a run wrote itself and reads back (partitioned runs' spills, Spark's case stage): every
        value was validated when the event was read, so only Python types come back — the instant in CST
        and the date fields as dates (the one kind of data field JSON does not keep). A second validation
        cost three times as much.
        """
        data = dict(dumped["data"])
        for name in self._date_fields[dumped["type"]]:
            if data.get(name) is not None:
                data[name] = date.fromisoformat(data[name])
        return construct(Event, {"id": dumped["id"], "type": dumped["type"], "case_id": dumped["case_id"],
                                 "occurred_at": datetime.fromisoformat(dumped["occurred_at"]).astimezone(CST),
                                 "date_only": dumped["date_only"], "actor": dumped["actor"], "data": data})

    def restore_canonical(self, canonical: str) -> Event:
        """:meth:`restore` from the event's ``canonical()`` text: the form every spill and record carries."""
        return self.restore(json.loads(canonical))

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
        return Rejection(line=line, id=eid, field=field, code="invalid_unit",
                         message=f"invalid {field}: {unit_hint(value, self.units)}")


    def _rejection(self, exc: ValidationError, line: int | None, eid: str | None,
                   prefix: tuple[str, ...]) -> Rejection:
        """The first error of a validation, naming the field only in the vocabulary's words."""
        err = exc.errors(include_input=False, include_url=False)[0]
        kind = err["type"]
        parts = [*prefix, *err["loc"]]
        if kind == "extra_forbidden" and not self.known_word(str(parts[-1])):
            where = ".".join(str(p) for p in parts[:-1])
            return Rejection(line=line, id=eid, field=where or None, code="unknown_field",
                             message=f"unknown field {'in ' + where if where else 'in the event'} "
                                     "(its name is not shown: it is not a word of the vocabulary)")
        # Any other key in the path is a field of the model, hence a vocabulary word; indexes are numbers.
        loc = ".".join(str(p) if isinstance(p, int) or self.known_word(str(p)) else "?" for p in parts)
        if kind == "missing":
            return Rejection(line=line, id=eid, field=loc or None, code="missing_field",
                             message=f"missing required field {loc}")
        if kind == "extra_forbidden":
            return Rejection(line=line, id=eid, field=loc or None, code="unknown_field", message=f"unknown field {loc}")
        code = {"invalid_id": "invalid_id", "date_out_of_range": "date_out_of_range"}.get(kind, "invalid_value")
        if parts[-1:] == ["id"] or parts[-1:] == ["case_id"]:
            code = "invalid_id"
        return Rejection(line=line, id=eid, field=loc or None, code=code, message=f"invalid {loc}: {err['msg']}")


def date_only_msg(text: str = "") -> str:
    """Explain why ``occurred_at`` was refused, without repeating the value (it may be anything at all)."""
    return ("occurred_at is not an ISO 8601 date or a datetime with a UTC offset "
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


def read_jsonl(lines: Iterable[bytes | str] | BinaryIO,
               known_words: Callable[[str], bool] = ENVELOPE_FIELDS.__contains__,
               ) -> Iterator[tuple[int, Any | Rejection]]:
    """Parse JSON Lines, yielding ``(line number, parsed object or Rejection)``; blank lines are skipped.

    A binary file is read in bounded chunks (:func:`fuxian_rules.model.lines.iter_lines`): over-long lines cost
    one chunk of memory, a leading byte-order mark is dropped and bare-CR line ends are understood. Each
    line is parsed on its own, so one bad line costs only itself. NaN, Infinity, duplicate keys,
    non-UTF-8 bytes, over-long lines and nesting too deep to parse are rejected with the line number and
    a stable ``code``; a duplicate key is named only if ``known_words`` says it is a vocabulary word.
    """
    for no, raw in numbered(lines):
        obj = parse_line(no, raw, known_words, Rejection)
        if obj is not BLANK:
            yield no, obj
