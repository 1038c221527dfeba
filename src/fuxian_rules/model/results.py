"""Results out (contract §2): obligations with their reasons, rejections, and a receipt.

The field names of :class:`Obligation` and :class:`Result` are a contract other systems depend on:
fields may be added, never renamed.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic_core import PydanticSerializationError

from fuxian_rules.model.events import Rejection

__all__ = ["Obligation", "Receipt", "Result", "Status", "obligation_item"]

Status = Literal["open", "fulfilled", "fulfilled_late", "overdue", "violated", "advisory", "cancelled"]


class Obligation(BaseModel):
    """One flag: which rule, for whom, by when, on which clauses, in which state, and why.

    Attributes:
        rule: Id of the rule that raised it.
        case_id: The matter.
        holder: Unit code of the party who must act (or refrain).
        holder_name: That unit's Chinese name (or the code, for a free-form unit).
        modality: ``obligation``, ``prohibition`` or ``permission``.
        status: See contract §2.
        due: ISO date for day/month/year periods; ISO datetime with offset for hour periods; null when
            neither the source nor the policy sets a limit.
        due_provisional: The due date touches a year for which the calendar has no official data.
        policy_terms: Policy terms (立即, 及时 …) whose deployment default set ``due``.
        basis: Citations, e.g. ``["notice:3.11", "transfer-reg:5"]``.
        triggered_by: Ids of the events that raised it (the trigger first, then required events).
        closed_by: Ids of the events that closed or cancelled it.
        title: The rule's title in Chinese.
        explanation: Why it arose, how ``due`` was computed and why it has its status (Chinese).
    """

    model_config = ConfigDict(frozen=True)

    rule: str
    case_id: str
    holder: str
    holder_name: str
    modality: Literal["obligation", "prohibition", "permission"]
    status: Status
    due: str | None
    due_provisional: bool = False
    policy_terms: list[str] = Field(default_factory=list)
    basis: list[str]
    triggered_by: list[str]
    closed_by: list[str] = Field(default_factory=list)
    title: str
    explanation: str


class Receipt(BaseModel):
    """What is needed to reproduce a result years later."""

    model_config = ConfigDict(frozen=True)

    library_version: str
    catalog_sha256: str
    policy_sha256: str
    policy_source: str
    calendar: str
    calendar_years: list[int]
    backend: str
    backend_note: str | None = None
    units_sha256: str | None = None
    units_source: str | None = None
    areas: list[str] | None = None

    @model_serializer(mode="wrap")
    def _only_what_was_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave out the deployment fields a run did not use, so the JSON of a default run never changes."""
        data: dict[str, Any] = handler(self)
        for key in ("units_sha256", "units_source", "areas"):
            if data.get(key) is None:
                data.pop(key, None)
        return data


class Result(BaseModel):
    """The result of one evaluation (``fuxian-rules check --format json`` prints exactly this)."""

    model_config = ConfigDict(frozen=True)

    as_of: str
    obligations: list[Obligation]
    rejected: list[Rejection]
    receipt: Receipt
    #: How many events were rejected in all; ``rejected`` keeps the first ones (``Engine(max_rejections=…)``).
    rejected_total: int = 0


def obligation_item(ob: Obligation) -> str:
    """``ob`` as one item of the ``"obligations"`` array ``check --format json`` prints (indented, level 2).

    The same bytes as ``json.dumps(..., ensure_ascii=False, indent=2)`` nested two levels deep, written by
    pydantic's Rust writer at about a quarter of the cost (json.dumps falls back to its pure-Python encoder
    when indenting). Text that cannot be UTF-8 (a lone surrogate; ingestion refuses them in every field
    that reaches an obligation) is written escaped, as ``json.dumps(..., ensure_ascii=True)`` writes it.
    """
    try:
        text = ob.model_dump_json(indent=2)
    except PydanticSerializationError:
        text = json.dumps(ob.model_dump(mode="json"), ensure_ascii=True, indent=2)
    return "    " + text.replace("\n", "\n    ")
