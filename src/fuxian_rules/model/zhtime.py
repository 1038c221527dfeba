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
    y, mo, d, hh, mm, _, offset = m.groups()
    try:
        day = date(int(y), int(mo), int(d))
        if hh is None:
            return zh_date(day)
        at = datetime(day.year, day.month, day.day, int(hh), int(mm))
        if offset is not None and offset != "+08:00":  # another offset: say it in CST, as every instant is
            sign = -1 if offset.startswith("-") else 1
            delta = timedelta(0) if offset == "Z" else sign * timedelta(hours=int(offset[1:3]),
                                                                        minutes=int(offset[4:6]))
            return zh_instant(at - delta + timedelta(hours=8))
        # Already CST (most texts): zh_instant's words without its conversions, which cost half of this.
        if at.hour == 0 and at.minute == 0:
            return f"{zh_date(day - timedelta(days=1))} 24时"
        return f"{zh_date(day)} {at.hour}时" + (f"{at.minute}分" if at.minute else "")
    except (ValueError, OverflowError):  # not a real date or time (2024-02-30, 25:00, before year 1)
        return m.group(0)


def zh_dates(text: str) -> str:
    """Rewrite every ISO date or datetime in an explanation sentence the way a person writes it."""
    return _ISO.sub(_one, text)
