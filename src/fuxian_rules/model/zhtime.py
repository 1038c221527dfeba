"""Dates and times as a person writes them in Chinese: 2024年5月7日, 2024年5月7日 24时, 10时30分.

The results keep ISO 8601 for machines (contract §2, §4); the explanations legal staff read, and the
tables people look at, say the same instants the way an office document does. An instant at 00:00 CST
is the end of the day before ("5月7日 24时", as the law counts a period's last day), not the start of
the next one.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from fuxian_rules.model.time import CST

__all__ = ["as_of_text", "zh_date", "zh_dates", "zh_instant"]

# An ISO date, optionally with a time and an offset, not glued to an identifier (``ev-2024-05-08`` stays).
_ISO = re.compile(r"(?<![\w\-.])(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?([+-]\d{2}:\d{2}|Z)?)?"
                  r"(?![\w\-:])")


def zh_date(day: date) -> str:
    """``2024年5月7日``."""
    return f"{day.year}年{day.month}月{day.day}日"


def zh_instant(at: datetime) -> str:
    """An instant in CST: ``2024年5月7日 24时`` for midnight (the end of that day), else ``… 10时`` / ``10时30分``."""
    local = at.astimezone(CST) if at.tzinfo is not None else at
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{zh_date(local.date() - timedelta(days=1))} 24时"
    return f"{zh_date(local.date())} {local.hour}时" + (f"{local.minute}分" if local.minute else "")


def as_of_text(at: datetime) -> str:
    """The ``as_of`` echoed to people: ``2025-03-31 24:00`` for the end of 31 March, else ``2025-03-31 09:30``."""
    local = at.astimezone(CST)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{(local.date() - timedelta(days=1)).isoformat()} 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def _one(m: re.Match[str]) -> str:
    y, mo, d, hh, mm = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    try:
        day = date(int(y), int(mo), int(d))
    except ValueError:
        return m.group(0)
    if hh is None:
        return zh_date(day)
    at = datetime(day.year, day.month, day.day, int(hh), int(mm))
    if m.group(7) is not None:  # with an offset: say it in CST, as every instant of a result is
        offset = m.group(7)
        sign = -1 if offset.startswith("-") else 1
        delta = timedelta(0) if offset == "Z" else sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
        at = (at - delta + timedelta(hours=8))
    return zh_instant(at)


def zh_dates(text: str) -> str:
    """Rewrite every ISO date or datetime in an explanation sentence the way a person writes it."""
    return _ISO.sub(_one, text)
