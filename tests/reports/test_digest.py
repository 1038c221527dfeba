"""The reminder digest against an independent count over ``check --format json`` and the official
working-day calendar read straight from the ``chinese_calendar`` package."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import chinese_calendar
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).parent / "fuxian-rules")
CST = timezone(timedelta(hours=8))


def _check(events: str, as_of: str) -> dict:
    run = subprocess.run([CLI, "check", str(ROOT / events), "--as-of", as_of, "--format", "json"],
                         capture_output=True, text=True, check=False)
    return json.loads(run.stdout)


def _nth_working_day(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= chinese_calendar.is_workday(day)
    return day


def _day(due: str) -> date:
    return datetime.fromisoformat(due).astimezone(CST).date() if "T" in due else date.fromisoformat(due)


@pytest.mark.parametrize(("events", "unit", "as_of", "days"), [
    ("examples/history.jsonl", "market_regulation", "2024-12-31", 5),   # 2025-01-01 is a holiday
    ("examples/history.jsonl", "emergency", "2025-02-25", 3),
    ("examples/history.jsonl", "ecology", "2024-12-31", 5),
    ("examples/district-2024.jsonl", "urban_management", "2024-09-27", 5),  # National Day ahead
    ("examples/district-2024.jsonl", "public_security", "2024-06-14", 10),
])
def test_digest_lists_exactly_the_overdue_and_due_soon(events: str, unit: str, as_of: str, days: int) -> None:
    data = _check(events, as_of)
    today = date.fromisoformat(as_of)
    horizon = _nth_working_day(today, days)
    mine = [o for o in data["obligations"] if o["holder"] == unit]
    want_overdue = sorted((o["case_id"], o["rule"]) for o in mine if o["status"] == "overdue")
    want_soon = sorted((o["case_id"], o["rule"]) for o in mine
                       if o["status"] == "open" and o["due"] and _day(o["due"]) <= horizon)

    run = subprocess.run([CLI, "digest", str(ROOT / events), "--unit", unit, "--days", str(days), "--as-of", as_of,
                          "--format", "json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["horizon"] == horizon.isoformat() and got["today"] == as_of
    assert sorted((i["case_id"], i["rule"]) for i in got["overdue"]) == want_overdue
    assert sorted((i["case_id"], i["rule"]) for i in got["due_soon"]) == want_soon
    for item in got["due_soon"]:
        d = date.fromisoformat(item["due_date"])
        left = sum(chinese_calendar.is_workday(today + timedelta(days=k)) for k in range(1, (d - today).days + 1))
        assert item["working_days_left"] == left
    for item in got["overdue"]:
        assert item["days_overdue"] == (today - date.fromisoformat(item["due_date"])).days > 0
    text = subprocess.run([CLI, "digest", str(ROOT / events), "--unit", unit, "--days", str(days), "--as-of", as_of],
                          capture_output=True, text=True, check=False).stdout
    assert f"已逾期未履行事项 {len(want_overdue)} 项" in text
    assert f"到期事项 {len(want_soon)} 项" in text
    assert f"{horizon.year}年{horizon.month}月{horizon.day}日" in text


def test_digest_is_a_library_function_the_service_can_call() -> None:
    from fuxian_rules import Engine
    from fuxian_rules.reports import digest

    engine = Engine()
    raw = [json.loads(line) for line in (ROOT / "examples" / "history.jsonl").read_text().splitlines()]
    result = engine.evaluate(raw, "2025-02-25")
    got = digest(result, "emergency", 5, engine.calendar)
    assert [i.rule for i in got.due_soon] == ["reverse.reply"]
    assert got.due_soon[0].basis == ("notice:3.11", "spp-criminal-rules:373")  # ids without a catalogue
    assert json.loads(json.dumps(got.to_json(), ensure_ascii=False))["unit_name"] == "区应急局"
    with pytest.raises(Exception, match=r"digest\.bad-days"):
        digest(result, "emergency", 0, engine.calendar)
    with pytest.raises(Exception, match=r"digest\.bad-days"):
        digest(result, "emergency", 10_000, engine.calendar)
