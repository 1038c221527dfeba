"""The one exception tree of fuxian_rules.

Every error the library raises on purpose derives from :class:`FuxianRulesError`. It is split in two:

* :class:`LoadError` — something a deployment supplied is wrong: a rule file, the unit registry, the
  policy file or a calendar file. These are raised when the catalogue is loaded, before any event is
  looked at, and always name ``file:line`` and the field so the author can fix the file.
* :class:`RunError` — something went wrong while evaluating events: a bad event (which is normally
  *reported* as a rejection rather than raised), or a backend failure.

Each error carries its location as attributes (``file``, ``line``, ``field``, ``event_id``) so that
calling systems can route it without parsing the message, a stable ``code`` (``FR-CAT-001``; the
catalogue is ``docs/errors.md``) so they can branch on the kind of problem, a ``suggestion`` saying how
to fix it, and :meth:`FuxianRulesError.to_dict` for logs and APIs. Messages never contain the values of
personal fields; they name fields, not their contents.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BackendError",
    "CalendarError",
    "CatalogError",
    "EventError",
    "FuxianRulesError",
    "LoadError",
    "PolicyError",
    "RunError",
]


class FuxianRulesError(Exception):
    """Root of every error fuxian_rules raises on purpose.

    Attributes:
        code: Stable identifier of the kind of problem (``FR-<area>-<number>``), never reworded; each
            class has a default (``default_code``) and a raise site may name a more specific one.
        file: The file the problem is in, if any.
        line: The 1-based line in that file, if known.
        field: The field (dotted path) at fault, if known.
        event_id: The id of the event at fault, if any.
        hint: How to fix the problem (also :attr:`suggestion`).
    """

    default_code: ClassVar[str] = "FR-000"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        event_id: str | None = None,
        hint: str | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message
        self.code = code or self.default_code
        self.file = file
        self.line = line
        self.field = field
        self.event_id = event_id
        self.hint = hint
        super().__init__(self.__str__())

    @property
    def suggestion(self) -> str | None:
        """How to fix the problem (the ``hint``), or None when the message says it all."""
        return self.hint

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-ready data: code, error class, message, location and suggestion."""
        return {"code": self.code, "error": type(self).__name__, "message": self.message, "file": self.file,
                "line": self.line, "field": self.field, "event_id": self.event_id, "suggestion": self.hint}

    def location(self) -> str:
        """Return ``file:line`` (or whichever part is known), empty when nothing is."""
        if self.file is None:
            return f"line {self.line}" if self.line is not None else ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def __str__(self) -> str:
        parts = []
        loc = self.location()
        if loc:
            parts.append(loc)
        if self.event_id is not None:
            parts.append(f"event {self.event_id!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        head = ": ".join([", ".join(parts)]) if parts else ""
        text = f"{head}: {self.message}" if head else self.message
        if self.hint:
            text = f"{text} (hint: {self.hint})"
        return text


class LoadError(FuxianRulesError):
    """A file a deployment supplies (rules, units, policy, calendar) cannot be used."""


class CatalogError(LoadError):
    """A rule file or the unit registry is invalid."""


class PolicyError(LoadError):
    """The policy file is invalid."""


class CalendarError(LoadError):
    """A calendar data file is invalid."""


class RunError(FuxianRulesError):
    """Evaluation could not proceed as asked."""


class EventError(RunError):
    """An event is invalid. Usually reported as a rejection; raised only where a caller asked to."""


class BackendError(RunError):
    """The matching backend failed in a way the engine could not recover from."""


#: Each class's default code (docs/errors.md); a raise site may name a more specific one.
_DEFAULT_CODES: dict[type[FuxianRulesError], str] = {
    LoadError: "FR-LOAD-000",
    CatalogError: "FR-CAT-000",
    PolicyError: "FR-POL-000",
    CalendarError: "FR-CAL-000",
    RunError: "FR-RUN-000",
    EventError: "FR-EVT-000",
    BackendError: "FR-BAK-000",
}
for _cls, _code in _DEFAULT_CODES.items():
    _cls.default_code = _code
del _cls, _code
