"""The command line: check (table and JSON, exit status), rules, explain, schema."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuxian_rules.cli.commands import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
HISTORY = str(EXAMPLES / "history.jsonl")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def test_check_table() -> None:
    code, out = run("check", HISTORY, "--as-of", "2025-03-31", "--backend", "reference")
    assert code == 0
    assert "transfer.no-penalty-instead" in out and "违反" in out and "凭据：" in out


def test_check_json_has_exactly_the_contract_fields() -> None:
    code, out = run("check", HISTORY, "--as-of", "2025-03-31", "--format", "json", "--backend", "reference")
    data = json.loads(out)
    assert code == 0
    assert {"as_of", "obligations", "rejected"} <= set(data)
    required = {"rule", "case_id", "holder", "modality", "status", "due", "basis", "triggered_by", "closed_by",
                "explanation"}
    assert data["obligations"] and all(required <= set(o) for o in data["obligations"])
    statuses = {o["status"] for o in data["obligations"]}
    assert {"fulfilled", "fulfilled_late", "overdue", "violated", "open", "advisory"} <= statuses


def test_check_exit_status_on_rejections() -> None:
    code, out = run("check", str(EXAMPLES / "bad-events.jsonl"), "--as-of", "2025-03-31", "--backend", "reference")
    assert code == 1
    assert "第 3 行（id b3）" in out


def test_check_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("check", "/no/such/file.jsonl", "--as-of", "2025-03-31", "--backend", "reference")
    assert code == 2
    assert "No such file" in capsys.readouterr().err


def test_bad_as_of_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("check", HISTORY, "--as-of", "soon", "--backend", "reference")
    assert code == 2 and "as_of" in capsys.readouterr().err


def test_rules_lists_catalogue() -> None:
    code, out = run("rules", "--backend", "reference")
    assert code == 0 and "transfer.decide" in out and "3日" in out


def test_explain_case_in_chinese() -> None:
    code, out = run("explain", "XZ-2024-002", HISTORY, "--as-of", "2025-03-31", "--backend", "reference")
    assert code == 0
    assert "国庆节" in out and "起算日" in out and "〔transfer-reg:5〕" in out


def test_explain_rule_that_did_not_fire() -> None:
    code, out = run("explain", "XZ-2024-004", HISTORY, "--as-of", "2025-03-31", "--rule", "transfer.send",
                    "--backend", "reference")
    assert code == 0 and "没有产生义务" in out and "approved" in out


def test_schema_is_json_schema() -> None:
    code, out = run("schema", "--backend", "reference")
    schema = json.loads(out)
    assert code == 0 and schema["required"] == ["id", "type", "case_id", "occurred_at"]
    assert "crime_suspected" in schema["properties"]["type"]["enum"]


def test_check_stream_matches_batch() -> None:
    code, out = run("check", HISTORY, "--as-of", "2025-03-31", "--stream", "--backend", "reference")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and "receipt" in rows[-1]
    streamed = sorted(json.dumps(r["obligation"], sort_keys=True) for r in rows if "obligation" in r)
    _, batch_out = run("check", HISTORY, "--as-of", "2025-03-31", "--format", "json", "--backend", "reference")
    batch = sorted(json.dumps(o, sort_keys=True) for o in json.loads(batch_out)["obligations"])
    assert streamed == batch


def test_check_stream_stops_on_ungrouped_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10: a case that reappears after another case stops the run (exit 2, a clear error naming the
    line), instead of printing statuses computed without its later events (false "overdue")."""
    lines = [
        {"id": "a1", "type": "crime_suspected", "case_id": "A", "occurred_at": "2024-03-04", "data": {"agency": "health"}},
        {"id": "b1", "type": "crime_suspected", "case_id": "B", "occurred_at": "2024-03-04", "data": {"agency": "health"}},
        {"id": "a2", "type": "transfer_report_submitted", "case_id": "A", "occurred_at": "2024-03-05",
         "data": {"agency": "health"}},
    ]
    path = tmp_path / "ungrouped.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    code, out = run("check", str(path), "--as-of", "2024-12-31", "--stream", "--backend", "reference")
    err = capsys.readouterr().err
    assert code == 2
    assert "not grouped by case" in err and "line 3" in err and "case_id" in err
    assert '"receipt"' not in out  # no receipt: the run did not complete


def test_output_into_a_closed_pipe_stops_quietly() -> None:
    """`fuxian-rules check … | head` must not end with an error message when head stops reading."""
    argv = [sys.executable, "-m", "fuxian_rules.cli", "check", HISTORY, "--as-of", "2025-03-31", "--stream"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # the reader goes away with ~100 KiB still to come
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 141
    assert json.loads(first)["obligation"]["case_id"]
    assert err == ""


def test_the_installed_command_is_this_cli() -> None:
    """The ``fuxian-rules`` console script of the installed metadata resolves to :func:`main`."""
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="fuxian-rules")
    assert script.load() is main


FREEZE_PROBE = """
import gc, io, sys
from fuxian_rules.cli.commands import main
if sys.argv[1] == "program":
    sys.argv = ["fuxian-rules", "check", sys.argv[2], "--as-of", "2025-03-31", "--format", "json"]
    main(out=io.StringIO())                 # argv=None: run as the fuxian-rules program
else:
    main(["check", sys.argv[2], "--as-of", "2025-03-31", "--format", "json"], out=io.StringIO())
print(gc.get_freeze_count())
"""


@pytest.mark.parametrize("how", ["program", "python"])
def test_only_the_program_freezes_its_heap(how: str) -> None:
    """The `fuxian-rules` program moves the catalogue out of the collector's reach after building it (full
    collections stop walking it); main([...]) called from Python leaves the caller's process alone."""
    proc = subprocess.run([sys.executable, "-c", FREEZE_PROBE, how, HISTORY], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    frozen = int(proc.stdout.strip().splitlines()[-1])
    assert (frozen > 10_000) if how == "program" else (frozen == 0)
