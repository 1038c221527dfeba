"""Time as the notice counts it: China Standard Time, the supported years, and the end of a day.

Every layer needs these (events are normalised to CST, due dates end at 24:00 CST, ``as_of`` dates mean
the end of that day), so they live at the bottom, beside the value types.
"""

from __future__ import annotations

from datetime import date as _date
from datetime import datetime, time, timedelta, timezone

__all__ = ["CST", "EARLIEST", "LATEST", "end_of_day", "in_supported_range"]

#: China Standard Time. All periods are computed on calendar dates in CST.
CST = timezone(timedelta(hours=8))

#: Instants outside [EARLIEST, LATEST) are refused: periods counted from them (or their conversion to
#: CST) would run off the calendar, and no matter this system tracks is that old or that far ahead.
EARLIEST = datetime(1900, 1, 1, tzinfo=CST)
LATEST = datetime(3000, 1, 1, tzinfo=CST)


def end_of_day(d: _date) -> datetime:
    """24:00 CST of ``d``, i.e. 00:00 +08:00 of the next day.

    When a period ending on ``d`` runs out (civil-code:203), and what a bare ``as_of`` date means.
    """
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=CST)


def in_supported_range(value: datetime) -> bool:
    """Whether an aware instant lies in the years 1900–2999 (CST)."""
    return EARLIEST <= value < LATEST
