"""Pydantic models of the rule catalogue's files: what a rule file may say, and nothing else.

Every model forbids unknown keys, so a misspelt key (``closed-by`` for ``closed_by``) is an error
naming its line instead of a rule that silently never closes. Cross-file checks (event types and
fields exist, citations exist, escalations resolve) are done by :mod:`fuxian_rules.catalog.loader`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from fuxian_rules.model.citation import notice_clauses

__all__ = [
    "EventPattern",
    "Holder",
    "Period",
    "RuleFile",
    "RuleSpec",
    "Schedule",
    "Trigger",
]

RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$", max_length=80)]
Citation = Annotated[str, Field(pattern=r"^[a-z0-9-]+:\d+(\.\d+){0,2}$", max_length=60)]
Modality = Literal["obligation", "prohibition", "permission"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class EventPattern(_Strict):
    """An event of the same case that triggers, is required by, closes or cancels a rule.

    Attributes:
        event: The event type (from ``rules/vocabulary.yaml``).
        where: Tests on the event's data: ``field: value`` (equality), ``field: {in: [a, b]}``,
            ``field: {present: true|false}``, ``field: {empty: true|false}`` (list fields).
        match: ``{this_event_field: trigger_event_field}``: the event must carry the same value as the
            triggering event (for example the same ``opinion_id``).
        after_trigger: For closing and cancelling events: whether the event must come at or after the
            trigger (the default; an event on the trigger's own day always counts). ``false`` lets an
            earlier event of the case count too — a record check made before the hire, an approval given
            before a change takes effect. Not allowed in ``requires`` (which must come at or before the
            trigger) nor in ``units_from``.
        order: For ``requires`` only: ``not_after`` (the default: at or before the trigger, the same day
            always counting), ``before`` (strictly earlier: an earlier instant, or an earlier day when either
            event gives only a date) or ``same_day_unclear`` (the same day, with at least one of the two
            events giving only a date: which came first is not recorded — for review items).
        late_too: For ``cancelled_by`` only: the event cancels the rule even when it comes after the due
            date (a decision that takes the matter out of the rule's premise, whenever it is made).
        first_year_only: For closing events of a yearly schedule: the event counts only for the first year
            of the instance's unit (the year of its first event in the case).
    """

    event: str
    where: dict[str, Any] = Field(default_factory=dict)
    match: dict[str, str] = Field(default_factory=dict)
    after_trigger: bool = True
    order: Literal["not_after", "before", "same_day_unclear"] = "not_after"
    late_too: bool = False
    first_year_only: bool = False


class Schedule(_Strict):
    """A trigger that needs no event: instances raised by the calendar from the rule's ``valid_from``.

    Attributes:
        every: ``year`` (one instance per calendar year; a closing event counts for the year it happened
            in, or for the year its ``data.year`` names) or ``once`` (a single standing instance).
        case_id: The matter the instances belong to (``joint-meeting``).
        per: ``unit`` to raise one instance per unit: the units named in ``units_from`` events of each
            case, or the fixed list ``units`` (then ``case_id`` is required).
        units_from: The event pattern whose ``unit`` data field names the units, when ``per: unit``.
        units: Fixed unit codes (from ``rules/units.yaml``), when ``per: unit`` and no ``units_from``.
    """

    every: Literal["year", "once"]
    case_id: str | None = None
    per: Literal["unit"] | None = None
    units_from: EventPattern | None = None
    units: list[str] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _per_needs_source(self) -> Schedule:
        if self.per is None:
            if self.case_id is None or self.units_from is not None or self.units is not None:
                raise ValueError("give either `case_id` alone, or `per: unit` with `units_from` or `units`")
        elif (self.units_from is None) == (self.units is None):
            raise ValueError("`per: unit` needs exactly one of `units_from` or `units`")
        elif self.units_from is not None and self.case_id is not None:
            raise ValueError("`units_from` reads the units of each case; it takes no `case_id`")
        elif self.units is not None and self.case_id is None:
            raise ValueError("fixed `units` need the `case_id` their instances belong to")
        return self


class Trigger(_Strict):
    """What raises an instance of the rule: an event, a breach of another rule, or the calendar."""

    event: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)
    requires: list[EventPattern] = Field(default_factory=list, max_length=8)
    escalated: bool = False
    schedule: Schedule | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        kinds = sum([self.event is not None, self.escalated, self.schedule is not None])
        if kinds != 1:
            raise ValueError("a trigger is exactly one of `event`, `escalated: true` or `schedule`")
        if self.event is None and (self.where or self.requires):
            raise ValueError("`where` and `requires` apply only to an `event` trigger")
        return self


class Holder(_Strict):
    """Who must act: a fixed unit, or a unit named in the triggering event's data."""

    unit: str | None = None
    field: str | None = None
    default: str | None = None
    role: str | None = Field(default=None, max_length=200)
    #: A list-of-units field of the trigger: one instance per unit listed (one duty per department named),
    #: each closed only by an act that names that unit (``match: {to: <this field>}``).
    each: str | None = None
    #: With ``field``: the field's value is a kind (``unit_kind``), mapped here to the unit that holds the
    #: duty (the department supervising that kind of unit); an unmapped or unknown kind gives ``default``.
    map: dict[str, str] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Holder:
        if (self.unit is None) == (self.field is None):
            raise ValueError("a holder is exactly one of `unit` or `field`")
        if self.default is not None and self.field is None:
            raise ValueError("`default` applies only to a `field` holder")
        if self.map is not None and self.field is None:
            raise ValueError("`map` applies only to a `field` holder")
        return self


class Period(_Strict):
    """How long the holder has. Exactly one way of saying it.

    ``days``, ``working_days``, ``months``, ``years`` count from the trigger's day (not counted);
    ``hours`` from its instant; ``policy`` names a term of the policy file (立即, 及时 …);
    ``follows`` takes the due of the first of the listed rules that has an instance in the case;
    ``end_of_year`` is the last day of the trigger's (or schedule's) year; ``date_field`` is a date the
    triggering event carries (a task's own deadline).
    """

    days: int | None = Field(default=None, strict=True, ge=0, le=3660)
    working_days: int | None = Field(default=None, strict=True, ge=0, le=3660)
    months: int | None = Field(default=None, strict=True, ge=0, le=120)
    years: int | None = Field(default=None, strict=True, ge=0, le=10)
    hours: int | None = Field(default=None, strict=True, ge=0, le=24 * 366)
    policy: str | None = None
    follows: list[str] | None = Field(default=None, min_length=1)
    end_of_year: bool | None = None
    date_field: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Period:
        given = [k for k, v in self.__dict__.items() if v is not None]
        if len(given) != 1:
            raise ValueError(
                "a period is exactly one of days, working_days, months, years, hours, policy, follows, "
                f"end_of_year, date_field (got {', '.join(given) or 'none'})"
            )
        return self


class RuleSpec(_Strict):
    """One rule, as a legal reader checks it against the clause.

    Attributes:
        id: ``area.name``, unique across the catalogue.
        title: The rule in one Chinese sentence.
        modality: ``obligation`` (must do), ``prohibition`` (must not do), ``permission`` (may do).
        basis: Citations: at least one ``notice:…`` and the national articles it relies on.
        text: The notice's words this rule encodes, verbatim (checked against the notice).
        quotes: ``{citation: verbatim words}`` from the national articles (checked against the registry).
        valid_from / valid_to: When the rule's source took effect (and lapsed).
        trigger / holder / period: Upon what, who, by when.
        closed_by: Events that discharge it (an obligation done, a prohibition's cure).
        cancelled_by: Events after which it no longer applies. An event matching both ``closed_by`` and
            ``cancelled_by`` cancels the rule when it comes within the period, and closes it when late.
        escalates_to: Rules raised when this one is breached (overdue or violated).
        explain: A plain-Chinese note shown in every explanation (for example why a period is policy).
    """

    id: RuleId
    title: str = Field(min_length=4, max_length=300)
    modality: Modality
    basis: list[Citation] = Field(min_length=1)
    text: str = Field(min_length=4)
    quotes: dict[Citation, str] = Field(default_factory=dict)
    valid_from: date
    valid_to: date | None = None
    trigger: Trigger
    holder: Holder
    period: Period | None = None
    closed_by: list[EventPattern] = Field(default_factory=list)
    cancelled_by: list[EventPattern] = Field(default_factory=list)
    escalates_to: list[RuleId] = Field(default_factory=list)
    explain: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> RuleSpec:
        if not notice_clauses(self.basis):
            raise ValueError("`basis` must cite at least one clause of the notice (notice:S.I)")
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("`valid_to` is before `valid_from`")
        for cit in self.quotes:
            if cit not in self.basis:
                raise ValueError(f"`quotes` cites {cit}, which is not in `basis`")
        return self


class RuleFile(_Strict):
    """One file of ``rules/``: one clause area (``version``: the rule-file format, checked first at load)."""

    version: Literal[1]
    area: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    clauses: list[Citation] = Field(min_length=1)
    rules: list[RuleSpec] = Field(min_length=1)
