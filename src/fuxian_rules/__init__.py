"""fuxian_rules: executable rules for notice 惠政文〔2024〕22号 (Huiji District 府检联动).

Events go in; obligations come out — which obligation arose, who holds it, by when, on which clause,
and whether it is open, fulfilled, overdue or violated, each with the reasoning behind it::

    from fuxian_rules import Engine
    result = Engine().evaluate(events, as_of="2024-12-31")

This module is the flat public facade over the layered subpackages (``model``, ``catalog``,
``calendar``, ``engine``, ``cli``, ``testing``); every object exported here reports
``__module__ == "fuxian_rules"``, so the public path is the one users see in reprs and docs. It never
imports an optional extra.
"""

from __future__ import annotations

from fuxian_rules.calendar.legal import DueDate, LegalCalendar
from fuxian_rules.catalog.loader import Catalog, load_catalog
from fuxian_rules.engine.engine import CaseResult, Engine, parse_as_of
from fuxian_rules.engine.ingestion import Ingestion, event_digest
from fuxian_rules.errors import (
    BackendError,
    CalendarError,
    CatalogError,
    EventError,
    FuxianRulesError,
    LoadError,
    PolicyError,
    RunError,
)
from fuxian_rules.model.events import Event, Rejection, read_jsonl
from fuxian_rules.model.results import Obligation, Receipt, Result
from fuxian_rules.model.version import library_version as _library_version

__version__ = _library_version()

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

for _name in __all__:
    _obj = globals()[_name]
    if hasattr(_obj, "__module__") and not isinstance(_obj, str):
        _obj.__module__ = __name__
del _name, _obj
