"""The computed report: plain frozen data that every output format (and the service's pages) renders.

Nothing here reads files or formats text for a medium; :mod:`fuxian_rules.reports.compute` fills these
from a :class:`fuxian_rules.Result`, and the Excel, HTML and Markdown writers only lay them out. That
split is what lets a test check every number of every format against one independent count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

__all__ = ["Counts", "Item", "Report", "Row"]


@dataclass(frozen=True)
class Counts:
    """The counts of one unit, clause area, month or the whole period.

    Attributes:
        arisen: Obligations (modality ``obligation``) that arose in the period.
        fulfilled: Of those, fulfilled on time.
        late: Fulfilled after their due date.
        overdue: Due date passed at ``as_of`` and still not done.
        pending: Not yet due at ``as_of``.
        cancelled: No longer applicable.
        prohibitions: Prohibitions that arose in the period.
        violated: Items whose status is ``violated`` (a prohibition broken).
        advisories: Advisory items (permissions, recommendations to review).
        advisories_open: Advisory items nobody has acted on yet (no closing event).
    """

    arisen: int = 0
    fulfilled: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0
    cancelled: int = 0
    prohibitions: int = 0
    violated: int = 0
    advisories: int = 0
    advisories_open: int = 0

    @property
    def rate_denominator(self) -> int:
        """Fulfilled on time + fulfilled late + overdue: the obligations whose outcome is known."""
        return self.fulfilled + self.late + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Fulfilled on time over the denominator; ``None`` (不适用) when nothing is countable."""
        den = self.rate_denominator
        return self.fulfilled / den if den else None


@dataclass(frozen=True)
class Item:
    """One obligation of the result as the report shows it.

    Attributes:
        rule: Rule id; ``title`` its Chinese sentence.
        case_id: The matter.
        holder / holder_name: Unit code and Chinese name.
        modality / status: As in contract §2.
        area / area_label: Clause area (``3.11``) and its label (``三（十一）强化行政执法与刑事司法衔接``).
        arisen_on: The day the obligation arose (see ``labels.ARISEN_DEFINITION``).
        due: The contract's ``due`` string; ``due_date`` its day and ``due_at`` its instant (hour periods).
        provisional: The due date depends on a year without official holiday data.
        basis: Citations; ``explanation`` the engine's Chinese explanation.
        closed_by: Ids of the events that closed it.
    """

    rule: str
    title: str
    case_id: str
    holder: str
    holder_name: str
    modality: str
    status: str
    area: str
    area_label: str
    arisen_on: date
    due: str | None
    due_date: date | None
    due_at: datetime | None
    provisional: bool
    basis: tuple[str, ...]
    explanation: str
    closed_by: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: a unit, an area or a month, with its counts."""

    key: str
    label: str
    counts: Counts
    basis: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """Everything the office's assessment shows, computed once.

    Attributes:
        period_from / period_to: The period (inclusive, CST calendar days).
        as_of: The instant the statuses are taken at (ISO, from the result).
        unit: The one unit the report is restricted to, or ``None`` for the whole district.
        total: Counts over every item.
        units / areas / months: The breakdowns (units in registry order; months in the period).
        items: Every obligation that arose in the period, sorted by unit, due date and case.
        breaches: The overdue and violated items.
        opinions / suggestions / tasks: The 检察意见, 检察建议 and 五（二） task-list items.
        opinion_rules / suggestion_rules / task_rules: Which catalogue rules fed those lists.
        rejected: How many events were rejected (the report says so: they are not counted).
        receipt: The result's receipt, as JSON-ready data.
        notes: Remarks the reader must see (provisional dates, rejected events, a unit unknown …).
    """

    period_from: date
    period_to: date
    as_of: str
    unit: str | None
    total: Counts
    units: list[Row]
    areas: list[Row]
    months: list[Row]
    items: list[Item]
    breaches: list[Item]
    opinions: list[Item]
    suggestions: list[Item]
    tasks: list[Item]
    opinion_rules: list[str]
    suggestion_rules: list[str]
    task_rules: list[str]
    rejected: int
    receipt: dict[str, object]
    notes: list[str] = field(default_factory=list)
