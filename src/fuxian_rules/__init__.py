"""fuxian_rules: executable rules for notice 惠政文〔2024〕22号 (Huiji District 府检联动).

Events go in; obligations come out — which obligation arose, who holds it, by when, on which clause,
and whether it is open, fulfilled, overdue or violated, each with the reasoning behind it::

    from fuxian_rules import Engine
    result = Engine().evaluate(events, as_of="2024-12-31")
"""

from __future__ import annotations

from ._calendar import DueDate, LegalCalendar
from ._catalog import Catalog, load_catalog
from ._engine import CaseResult, Engine, Ingestion, event_digest, parse_as_of
from ._events import Event, Rejection, read_jsonl
from ._results import Obligation, Receipt, Result
from .errors import (
    BackendError,
    CalendarError,
    CatalogError,
    EventError,
    FuxianRulesError,
    LoadError,
    PolicyError,
    RunError,
)

__version__ = "0.1.0"

__all__ = [
    "BackendError",
    "CalendarError",
    "CaseResult",
    "Catalog",
    "CatalogError",
    "DueDate",
    "Engine",
    "Event",
    "EventError",
    "FuxianRulesError",
    "Ingestion",
    "LegalCalendar",
    "LoadError",
    "Obligation",
    "PolicyError",
    "Receipt",
    "Rejection",
    "Result",
    "RunError",
    "__version__",
    "event_digest",
    "load_catalog",
    "parse_as_of",
    "read_jsonl",
]
