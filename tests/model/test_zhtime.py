"""Dates and instants in explanations, as a person writes them (``2024年5月7日 24时``), never a crash.

Contract §4: every instant of a result is China Standard Time, and an instant of 00:00 is said as the end
of the day before (24时), as a period's last day is counted. Explanations rewrite the ISO texts they
quote; what is not a real date or time is left as written.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuxian_rules.model.time import CST
from fuxian_rules.model.zhtime import zh_date, zh_dates, zh_instant

OFFSETS = st.sampled_from(["+08:00", "Z", "+00:00", "-05:00", "+05:45", None])


@given(at=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2999, 12, 30)).map(
    lambda d: d.replace(second=0, microsecond=0)), offset=OFFSETS, seconds=st.booleans())
def test_an_iso_instant_is_written_in_cst(at: datetime, offset: str | None, seconds: bool) -> None:
    """Whatever its offset, an instant is said in CST, midnight as 24时 of the day before."""
    text = at.strftime("%Y-%m-%dT%H:%M") + (":00" if seconds else "") + (offset or "")
    if offset is None or offset == "+08:00":
        expected = zh_instant(at.replace(tzinfo=CST))
    else:
        tz = UTC if offset == "Z" else timezone(
            (-1 if offset[0] == "-" else 1) * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        expected = zh_instant(at.replace(tzinfo=tz).astimezone(CST))
    assert zh_dates(f"届满于 {text}，") == f"届满于 {expected}，"


@given(day=st.dates(min_value=datetime(1, 1, 1).date()))
def test_a_date_is_written_as_a_date(day: object) -> None:
    """A bare ISO date becomes 年月日."""
    assert zh_dates(f"自 {day.isoformat()} 起") == f"自 {zh_date(day)} 起"  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["2024-02-30", "2024-01-01T25:00", "2024-01-01T10:61+08:00", "0001-01-01T00:00",
                                  "ev-2024-05-08", "2024-05-08x", "9999-12-31T23:00-05:00"])
def test_what_is_not_a_real_instant_is_left_as_written(text: str) -> None:
    """Impossible dates and times, instants outside the calendar, and ids containing a date stay unchanged."""
    assert zh_dates(f"事件 {text} 之后") == f"事件 {text} 之后"
