"""What a newcomer sees at a terminal: every command fits 100 columns (measured in terminal cells, a
Chinese character being two), Chinese headers, the as_of instant said as the end of a day, --version,
'-' for standard input, a clear error for an unknown rule — and ``--format json`` unchanged."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from wcwidth import wcswidth

from fuxian_rules.cli import main

ROOT = Path(__file__).resolve().parents[2]
HISTORY = str(ROOT / "examples" / "history.jsonl")
BAD = str(ROOT / "examples" / "bad-events.jsonl")
GOLDEN = Path(__file__).parent / "data" / "check-history-2025-03-31.masked.json"
UNITS = str(ROOT / "docs" / "examples" / "units.yaml")


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, columns: int = 100) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    out = io.StringIO()
    code = main([*args, "--backend", "reference"], out=out)
    return code, out.getvalue()


COMMANDS = [
    ["check", HISTORY, "--as-of", "2025-03-31"],
    ["check", BAD, "--as-of", "2025-03-31"],
    ["rules"],
    ["coverage"],
    ["explain", "XZ-2024-003", HISTORY, "--as-of", "2025-03-31"],
    ["explain", "XZ-2024-001", HISTORY, "--as-of", "2025-03-31", "--rule", "transfer.no-penalty-instead"],
]


@pytest.mark.parametrize("columns", [100, 80])
@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: "-".join(x for x in a[:2] if "/" not in x))
def test_every_command_fits_the_terminal(args: list[str], columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    _, text = run(args, monkeypatch, columns)
    lines = text.splitlines()
    assert len(lines) > 3
    widest = max(lines, key=wcswidth)
    assert wcswidth(widest) <= columns, f"{wcswidth(widest)} cells: {widest!r}"
    assert all(wcswidth(line) >= 0 for line in lines), "a control character reached the terminal"


def test_check_table_has_chinese_headers_names_and_the_end_of_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    code, text = run(["check", HISTORY, "--as-of", "2025-03-31"], monkeypatch)
    assert code == 0
    assert text.startswith("截至 2025-03-31 24:00：")
    assert "2025-04-01" not in text.splitlines()[0]
    header = next(line for line in text.splitlines() if "案件" in line)
    assert re.search(r"案件\s+规则\s+义务人\s+状态\s+届满\s+条款", header), header
    assert "区城管局" in text and "urban_management" not in text  # names, not codes
    assert "违反" in text and "violated" not in text
    _, wide = run(["check", HISTORY, "--as-of", "2025-03-31"], monkeypatch, columns=140)
    assert "2024-06-15 24:00" in wide  # an hour period ending at midnight: the end of the day before


def test_a_narrow_terminal_drops_the_least_important_column_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    _, text = run(["check", HISTORY, "--as-of", "2025-03-31"], monkeypatch, columns=60)
    header = next(line for line in text.splitlines() if "案件" in line)
    assert "条款" not in header and "状态" in header and "案件" in header
    note = next(line for line in text.splitlines() if "未显示：" in line)
    assert "条款" in note and "案件" not in note
    assert max(wcswidth(line) for line in text.splitlines()) <= 60


def test_json_output_is_byte_identical_to_before(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's bytes (recorded before the tables changed), with only the texts other work rewrites masked:
    the explanations and titles (issue 10 / the wording tests), and the hashes and calendar fingerprint that
    follow from them and from the installed calendar package."""
    _, text = run(["check", HISTORY, "--as-of", "2025-03-31", "--format", "json"], monkeypatch)
    for key in ("explanation", "title", "catalog_sha256", "policy_sha256", "calendar"):
        text = re.sub('("' + key + r'": )"(?:[^"\\]|\\.)*"', r'\1"…"', text)
    assert text == GOLDEN.read_text(encoding="utf-8")
    assert "units_sha256" not in text  # deployment fields appear only when used


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert re.fullmatch(r"fuxian-rules \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)


def test_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    data = Path(HISTORY).read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    code, text = run(["check", "-", "--as-of", "2025-03-31", "--format", "json"], monkeypatch)
    _, from_file = run(["check", HISTORY, "--as-of", "2025-03-31", "--format", "json"], monkeypatch)
    assert code == 0 and text == from_file
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    _, text = run(["explain", "XZ-2024-003", "-", "--as-of", "2025-03-31"], monkeypatch)
    assert "transfer.no-penalty-instead" in text


def test_explain_with_an_unknown_rule_exits_2_and_says_why(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(["explain", "XZ-2024-003", HISTORY, "--as-of", "2025-03-31", "--rule", "NO_SUCH_RULE"],
                     monkeypatch)
    err = capsys.readouterr().err
    assert code == 2 and text == ""
    assert "no rule 'NO_SUCH_RULE'" in err and "fuxian-rules rules" in err
    code, _ = run(["explain", "XZ-2024-003", HISTORY, "--as-of", "2025-03-31", "--rule", "transfer.no-penalty"],
                  monkeypatch)
    assert code == 2 and "did you mean transfer.no-penalty-instead?" in capsys.readouterr().err


def test_explain_quotes_each_cited_clause_once_per_case(monkeypatch: pytest.MonkeyPatch) -> None:
    _, text = run(["explain", "XZ-2024-003", HISTORY, "--as-of", "2025-03-31"], monkeypatch)
    obligations = text.count("\n== ") + text.startswith("== ")
    assert obligations >= 5
    assert text.count("〔notice:3.11〕") == 1, "the clause is quoted once, not under every obligation"
    result = json.loads(run(["check", HISTORY, "--as-of", "2025-03-31", "--format", "json"], monkeypatch)[1])
    assert all("notice:3.11" in o["basis"] for o in result["obligations"] if o["case_id"] == "XZ-2024-003"
               and o["rule"].startswith("transfer.report"))  # the JSON keeps every citation


def test_the_table_shows_a_districts_own_units_by_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    events = tmp_path / "ev.jsonl"
    events.write_text(json.dumps({"id": "h1", "type": "staff_hired", "case_id": "staff:hj-kg-01",
                                  "occurred_at": "2025-03-03", "data": {"unit": "hj-kg-01", "person_id": "P-1"}})
                      + "\n", encoding="utf-8")
    code, text = run(["check", str(events), "--as-of", "2025-03-31", "--units", UNITS], monkeypatch)
    assert code == 0, text
    assert "惠济区机关幼儿园" in text and "单位名录" in text  # the receipt line names the units file's hash
    code, text = run(["check", str(events), "--as-of", "2025-03-31", "--units", UNITS, "--format", "json"],
                     monkeypatch)
    receipt = json.loads(text)["receipt"]
    import hashlib

    assert receipt["units_sha256"] == hashlib.sha256(Path(UNITS).read_bytes()).hexdigest()
