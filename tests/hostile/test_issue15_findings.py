"""Issue 15, finding by finding: each test failed on the main of 2026-11-30 and passes now.

Nothing a caller sends may crash, hang or exhaust the engine; output is always valid UTF-8 JSON; no
caller-supplied value or unknown key name is echoed; cost per case is near-linear and bounded.
Budgets here are generous bounds on *runaway* cost (minutes, gigabytes), never performance claims.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tracemalloc
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

import strategies as S
from fuxian_rules import Engine, Rejection, RunError, load_catalog
from fuxian_rules.errors import LoadError

# The command line in a subprocess, wherever the layering put its entry point.
# (The flat layout first: an editable install would otherwise lend today's cli to an older package.)
CLI_CODE = ("import sys\ntry:\n    from fuxian_rules._cli import main\nexcept ImportError:\n"
            "    from fuxian_rules.cli import main\nsys.exit(main())\n")
AS_OF = "2025-03-31"


def cli_main() -> Callable[..., int]:
    """The in-process entry point of the command line, wherever the layering put it."""
    try:  # the flat layout of main before the layering
        from fuxian_rules._cli import main  # type: ignore[import-not-found]
    except ImportError:
        from fuxian_rules.cli import main
    return main  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    e = Engine(backend="reference")
    yield e
    e.close()


def ev(eid: str, type_: str, case: str, at: str, **data: Any) -> dict[str, Any]:
    return {"id": eid, "type": type_, "case_id": case, "occurred_at": at, "data": data}


GOOD = ev("g1", "crime_suspected", "XZ-OK", "2025-03-03", agency="health")


def jsonl(*events: Any) -> bytes:
    return b"".join((e if isinstance(e, bytes) else json.dumps(e, ensure_ascii=False).encode()) + b"\n"
                    for e in events)


def run_cli(args: list[str], *, stdin: bytes | None = None, timeout: float = 120, vmem_mb: int | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the installed ``fuxian-rules`` in a subprocess, optionally under ``ulimit -v``."""
    cmd = [sys.executable, "-c", CLI_CODE, *args]
    if vmem_mb is not None:
        cmd = ["bash", "-c", f'ulimit -v {vmem_mb * 1024}; exec "$@"', "bash", *cmd]
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, check=False)


def json_out(proc: subprocess.CompletedProcess[bytes]) -> Any:
    text = proc.stdout.decode("utf-8")  # strict: invalid UTF-8 fails the test
    return json.loads(text)


# ---- 1. every date in an event inside the supported range; data.due a date string ----------------------

@pytest.mark.parametrize("due", ["9999-12-31", "0001-01-01", "3000-01-01", "1899-12-31"])
def test_1_a_due_date_outside_the_supported_years_is_rejected_with_its_field(engine: Engine, due: str) -> None:
    bad = ev("t1", "task_assigned", "task:t1", "2025-01-06", task_id="t1", unit="justice", due=due)
    result = engine.evaluate([bad, GOOD], AS_OF)
    assert [(r.id, r.field) for r in result.rejected] == [("t1", "data.due")]
    assert due not in result.rejected[0].message
    assert any(o.case_id == "XZ-OK" for o in result.obligations)


@pytest.mark.parametrize("due", [20251231, 1767139200, "2025-12-31T00:00:00+08:00", "2025-12-31T00:00:00",
                                 datetime(2025, 12, 31), True, "20251231"])
def test_1_data_due_must_be_a_date_string(engine: Engine, due: Any) -> None:
    bad = ev("t2", "task_assigned", "task:t2", "2025-01-06", task_id="t2", unit="justice", due=due)
    result = engine.evaluate([bad], AS_OF)
    assert [(r.id, r.field) for r in result.rejected] == [("t2", "data.due")]


def test_1_a_date_object_from_python_is_still_accepted(engine: Engine) -> None:
    ok = ev("t3", "task_assigned", "task:t3", "2025-01-06", task_id="t3", unit="justice", due=date(2025, 6, 30))
    result = engine.evaluate([ok], AS_OF)
    assert result.rejected == [] and any(o.case_id == "task:t3" for o in result.obligations)


def test_1_the_command_line_keeps_every_good_result_when_a_due_date_is_absurd(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(jsonl(ev("t1", "task_assigned", "task:t1", "2025-01-06", task_id="t1", unit="justice",
                              due="9999-12-31"), GOOD))
    for extra in ([], ["--stream"]):
        proc = run_cli(["check", str(path), "--as-of", AS_OF, "--format", "json", "--backend", "reference", *extra])
        assert proc.returncode == 1, proc.stderr
        lines = proc.stdout.decode("utf-8").splitlines()
        docs = [json.loads(line) for line in lines] if extra else [json_out(proc)]
        text = proc.stdout.decode("utf-8")
        assert "XZ-OK" in text and "receipt" in text and "data.due" in text and len(docs) >= 1


# ---- 2. output always valid UTF-8 JSON: ids that cannot be encoded are not echoed -------------------------

@pytest.mark.parametrize("raw_id", ["\\ud800", "\\udcff", "a\\udfffb"])
def test_2_an_unencodable_id_is_rejected_without_being_echoed(tmp_path: Path, raw_id: str) -> None:
    line = ('{"id": "' + raw_id + '", "type": "crime_suspected", "case_id": "C", "occurred_at": "2025-03-03", '
            '"data": {"agency": "health"}}').encode()
    path = tmp_path / "e.jsonl"
    path.write_bytes(line + b"\n" + jsonl(GOOD))
    for extra in ([], ["--stream"]):
        proc = run_cli(["check", str(path), "--as-of", AS_OF, "--format", "json", "--backend", "reference", *extra],
                       env={"LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""})
        assert proc.returncode == 1, proc.stderr.decode("utf-8", "replace")
        text = proc.stdout.decode("utf-8")  # raises on a raw 0xFF byte
        text.encode("utf-8")  # no lone surrogate either
        docs = [json.loads(x) for x in text.splitlines()] if extra else [json.loads(text)]
        rejected = [d["rejected"] for d in docs if "rejected" in d and isinstance(d["rejected"], dict)] if extra \
            else docs[0]["rejected"]
        assert len(rejected) == 1 and rejected[0]["id"] is None and rejected[0]["field"] == "id"
        assert "XZ-OK" in text


def test_2_a_lone_surrogate_in_free_text_is_rejected(engine: Engine) -> None:
    bad = ev("s1", "transfer_decided", "XZ-S", "2025-03-03", agency="health", approved=False, reasons="a\ud800")
    result = engine.evaluate([bad], AS_OF)
    assert [(r.id, r.field) for r in result.rejected] == [("s1", "data.reasons")]
    result.model_dump_json().encode("utf-8")


# ---- 3. an internal crash has its own exit status -----------------------------------------------------------

def test_3_an_internal_crash_exits_3_without_leaking_its_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(jsonl(GOOD))

    def boom(*_: Any, **__: Any) -> Any:
        raise ValueError(S.PII)

    monkeypatch.setattr(Engine, "evaluate_case", boom)
    rc = cli_main()(["check", str(path), "--as-of", AS_OF, "--backend", "reference"], out=io.StringIO())
    err = capsys.readouterr().err
    assert rc == 3
    assert "internal error" in err and S.PII not in err


def test_3_the_exit_statuses_are_documented() -> None:
    readme = (S.REPO / "README.md").read_text(encoding="utf-8")
    assert "3 on an internal error" in " ".join(readme.split())


# ---- 4. per-case cost near-linear, and bounded ------------------------------------------------------------

def _penalty_case(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        day = f"2024-{3 + i % 9:02d}-{1 + i % 28:02d}"
        out.append(ev(f"c{i}", "crime_suspected", "agency-case", day, agency="health"))
        out.append(ev(f"p{i}", "admin_penalty_imposed", "agency-case", day, agency="health"))
    return out


@pytest.mark.parametrize("backend", ["reference", "durable_rules"])
def test_4_a_case_of_many_triggers_and_closers_stays_within_budget(tmp_path: Path, backend: str) -> None:
    """4,000 + 4,000 events of one agency: main took minutes and gigabytes; now seconds, well under 1.5 GB."""
    if backend == "durable_rules":
        pytest.importorskip("durable")
    path = tmp_path / "big.jsonl"
    path.write_bytes(jsonl(*_penalty_case(4000)))
    proc = run_cli(["check", str(path), "--as-of", AS_OF, "--format", "json", "--backend", backend],
                   timeout=120, vmem_mb=1536)
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json_out(proc)
    assert sum(o["rule"] == "transfer.no-penalty-instead" for o in doc["obligations"]) == 4000


def test_4_a_case_larger_than_the_bound_is_refused_naming_the_case() -> None:
    with Engine(backend="reference", max_case_events=50) as small:
        events = [ev(f"c{i}", "crime_suspected", "XZ-BIG", "2025-03-03", agency="health") for i in range(51)]
        result = small.evaluate([*events, GOOD], AS_OF)
        too_big = [r for r in result.rejected if r.code == "case_too_large"]
        assert len(too_big) == 1 and "XZ-BIG" in too_big[0].message and too_big[0].field == "case_id"
        assert {o.case_id for o in result.obligations} >= {"XZ-OK"}
        assert not any(o.case_id == "XZ-BIG" for o in result.obligations)
        streamed = [r for _, _, rs in small.evaluate_stream([*events, GOOD], AS_OF) for r in rs]
        assert [r.code for r in streamed] == ["case_too_large"]
        with pytest.raises(RunError) as info:
            small.evaluate_case([small.validate([e])[0][0] for e in events], AS_OF)
        assert info.value.field == "case_id" and "XZ-BIG" in str(info.value)


def test_4_a_far_as_of_is_bounded_in_the_yearly_duties_it_raises(engine: Engine) -> None:
    hired = ev("h1", "staff_hired", "staff:education", "2024-03-04", unit="education", person_id="p1")
    result = engine.evaluate([hired], "2999-12-31")
    yearly = [o for o in result.obligations if o.rule == "minors.annual-check"]
    plenary = [o for o in result.obligations if o.rule == "mechanism.plenary-meeting"]
    assert 0 < len(plenary) <= 25 and 0 < len(yearly) <= 25
    assert result.receipt.backend_note is not None and "20" in result.receipt.backend_note


# ---- 5. cycles through period.follows ----------------------------------------------------------------------

RULE_FILE = "3.11-transfer.yaml"


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    root.mkdir()
    for name in ("vocabulary.yaml", "units.yaml", "citations.yaml", "policy.yaml", RULE_FILE):
        shutil.copy(S.RULES_DIR / name, root / name)
    shutil.copytree(S.RULES_DIR / "notice", root / "notice")
    return root


def _load_in_subprocess(root: Path) -> subprocess.CompletedProcess[bytes]:
    code = ("import sys\nfrom fuxian_rules import Engine, LoadError\n"
            "try:\n    Engine(sys.argv[1], backend='reference').close()\nexcept LoadError as e:\n"
            "    print(e); sys.exit(2)\n")
    return subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, timeout=60, check=False)


def test_5_a_cycle_through_period_follows_is_a_load_error_not_a_hang(catalogue: Path) -> None:
    text = (catalogue / RULE_FILE).read_text(encoding="utf-8")
    old = "period: {follows: [transfer.send, transfer.decide, transfer.report]}"
    assert text.count(old) == 1
    (catalogue / RULE_FILE).write_text(text.replace(
        old, "period: {follows: [transfer.send, transfer.decide, transfer.report, transfer.procuratorial-opinion]}"),
        encoding="utf-8")
    proc = _load_in_subprocess(catalogue)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert b"cyclic" in proc.stdout and b"transfer.procuratorial-opinion" in proc.stdout


def test_5_an_acyclic_follows_of_an_escalation_target_is_accepted(catalogue: Path) -> None:
    text = (catalogue / RULE_FILE).read_text(encoding="utf-8")
    old = "    holder: {unit: procuratorate, role: 区检察院}\n    closed_by:\n" \
          "      - {event: procuratorial_opinion_issued, where: {kind: require_transfer}}"
    assert text.count(old) == 1
    (catalogue / RULE_FILE).write_text(text.replace(
        old, "    holder: {unit: procuratorate, role: 区检察院}\n    period: {follows: [transfer.report]}\n"
             "    closed_by:\n      - {event: procuratorial_opinion_issued, where: {kind: require_transfer}}"),
        encoding="utf-8")
    proc = _load_in_subprocess(catalogue)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]


# ---- 6. bounded line reading; BOM; CR-only line ends; GBK -------------------------------------------------

def test_6_a_line_longer_than_the_limit_is_rejected_without_holding_it(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    with open(path, "wb") as fh:
        fh.write(b'{"id": "')
        for _ in range(24):
            fh.write(b"x" * (1 << 20))
        fh.write(b'"}\n')
        fh.write(jsonl(GOOD))
    tracemalloc.start()
    try:
        result = engine.evaluate_file(path, AS_OF)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [(r.line, r.code) for r in result.rejected] == [(1, "line_too_long")]
    assert any(o.case_id == "XZ-OK" for o in result.obligations)
    assert peak < 8 * (1 << 20), peak


@pytest.mark.parametrize("source", ["/dev/zero", "/dev/urandom"])
def test_6_endless_devices_are_read_in_bounded_memory(source: str) -> None:
    """64 MB of /dev/zero or /dev/urandom under a 700 MB address-space limit: rejections, valid JSON, exit 1.

    (The slow profile reads a 2 GB line; main held each line whole and died on /dev/zero.)
    """
    with open(source, "rb") as fh:
        data = fh.read(64 * (1 << 20))
    proc = run_cli(["check", "/dev/stdin", "--as-of", AS_OF, "--format", "json", "--backend", "reference"],
                   stdin=data, vmem_mb=700, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    doc = json_out(proc)
    assert doc["rejected"] and doc["rejected"][0]["line"] == 1
    assert len(doc["rejected"]) <= 1000 and doc["rejected_total"] >= len(doc["rejected"])


def test_6_a_utf8_bom_is_stripped(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl(GOOD))
    result = engine.evaluate_file(path, AS_OF)
    assert result.rejected == [] and any(o.case_id == "XZ-OK" for o in result.obligations)


def test_6_cr_only_line_ends_separate_events(engine: Engine, tmp_path: Path) -> None:
    second = ev("g2", "crime_suspected", "XZ-TWO", "2025-03-03", agency="health")
    path = tmp_path / "cr.jsonl"
    path.write_bytes(jsonl(GOOD).replace(b"\n", b"\r") + jsonl(second).replace(b"\n", b"\r\n") + b"\r{bad\r")
    result = engine.evaluate_file(path, AS_OF)
    # line 3 is the empty line between "\r\n" and "\r"; "{bad" is line 4
    assert [(r.line, r.code) for r in result.rejected] == [(4, "invalid_json")]
    assert {"XZ-OK", "XZ-TWO"} <= {o.case_id for o in result.obligations}


def test_6_gbk_input_gets_a_stable_code(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(json.dumps(ev("g", "crime_suspected", "行政-1", "2025-03-03", agency="health"),
                                ensure_ascii=False).encode("gbk") + b"\n")
    result = engine.evaluate_file(path, AS_OF)
    assert [(r.line, r.code) for r in result.rejected] == [(1, "not_utf8")]


# ---- 7. batch output streams; rejections bounded -----------------------------------------------------------

def test_7_rejections_are_counted_and_only_the_first_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(b"x\n" * 200_000 + jsonl(GOOD))
    proc = run_cli(["check", str(path), "--as-of", AS_OF, "--format", "json", "--backend", "reference"],
                   vmem_mb=900)
    assert proc.returncode == 1, proc.stderr[-2000:]
    doc = json_out(proc)
    assert len(doc["rejected"]) == 1000 and doc["rejected_total"] == 200_000
    assert [r["line"] for r in doc["rejected"]] == list(range(1, 1001))
    assert any(o["case_id"] == "XZ-OK" for o in doc["obligations"])
    table = run_cli(["check", str(path), "--as-of", AS_OF, "--backend", "reference"], vmem_mb=900)
    assert table.returncode == 1 and b"199000" in table.stdout.replace(b",", b"")


def test_7_batch_json_equals_the_python_result(engine: Engine, tmp_path: Path) -> None:
    """The streamed batch output is the same document ``Engine.evaluate`` returns."""
    path = tmp_path / "h.jsonl"
    path.write_bytes((S.REPO / "examples" / "history.jsonl").read_bytes() + (S.REPO / "examples" / "bad-events.jsonl").read_bytes())
    out = io.StringIO()
    rc = cli_main()(["check", str(path), "--as-of", AS_OF, "--format", "json", "--backend", "reference"], out=out)
    doc = json.loads(out.getvalue())
    expected = engine.evaluate_file(path, AS_OF).model_dump(mode="json")
    assert rc == (1 if expected["rejected"] else 0)
    assert doc["obligations"] == expected["obligations"] and doc["as_of"] == expected["as_of"]
    assert doc["rejected"] == expected["rejected"] and doc["receipt"] == expected["receipt"]


def test_7_staff_hired_at_a_far_as_of_does_not_amplify_without_bound(tmp_path: Path) -> None:
    events = [ev(f"h{i}", "staff_hired", f"staff:u{i}", "2024-03-04", unit=f"u{i}", unit_kind="school",
                 person_id=f"p{i}") for i in range(1000)]
    path = tmp_path / "hired.jsonl"
    path.write_bytes(jsonl(*events))
    proc = run_cli(["check", str(path), "--as-of", "2999-12-31", "--format", "json", "--backend", "reference"],
                   vmem_mb=1200, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout) < 120 * (1 << 20)
    json_out(proc)


# ---- 8. engines: context manager, closed engine, flat memory -----------------------------------------------

def test_8_engine_is_a_context_manager_and_refuses_use_after_close() -> None:
    with Engine(backend="reference") as e:
        assert e.evaluate([GOOD], AS_OF).obligations
    for call in (lambda: e.evaluate([GOOD], AS_OF), lambda: e.evaluate_case([], AS_OF, case_id="joint-meeting"),
                 lambda: list(e.evaluate_stream([GOOD], AS_OF))):
        with pytest.raises(RunError, match="closed"):
            call()
    e.close()  # closing twice is harmless


ENGINE_LOOP = """
import gc, sys
from fuxian_rules import Engine
GOOD = {"id": "g1", "type": "crime_suspected", "case_id": "XZ-OK", "occurred_at": "2025-03-03",
        "data": {"agency": "health"}}

def rss():
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:")) / 1024

def one(i):
    if i % 2:
        with Engine(backend=sys.argv[1]) as e:
            e.evaluate([GOOD], "2025-03-31")
    else:  # dropped without close(): freed when collected
        e = Engine(backend=sys.argv[1])
        e.evaluate([GOOD], "2025-03-31")
        del e

for i in range(5):
    one(i)
gc.collect()
before = rss()
for i in range(int(sys.argv[2])):
    one(i)
gc.collect()
print(rss() - before)
"""


def test_8_constructing_and_dropping_engines_keeps_memory_flat() -> None:
    """15 engines built and dropped (half with close(), half without): RSS grows by less than 15 MiB.

    Main kept ≈2.4 MB per engine in a module-level YAML table (and more without close()). The slow
    profile runs 50 engines of each backend.
    """
    pytest.importorskip("durable")
    grown = engine_loop_growth("auto", 15)
    assert grown < 15, f"{grown:.1f} MiB kept by 15 dropped engines"


def engine_loop_growth(backend: str, n: int) -> float:
    """RSS growth (MiB) of a fresh process over ``n`` engines built and dropped after a warm-up of five."""
    proc = subprocess.run([sys.executable, "-c", ENGINE_LOOP, backend, str(n)], capture_output=True, timeout=1200,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return float(proc.stdout.decode().strip())


# ---- 9. YAML nesting depth and scan cost ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(500)) + "    x: 1\n",
                                  "x: " + "[" * 500 + "]" * 500 + "\n",
                                  "x: " + "[" * 400_000 + "\n",
                                  "x: " + "{a: " * 300 + "1" + "}" * 300 + "\n"],
                         ids=["block-500", "flow-500", "flow-400k-unclosed", "mapping-300"])
def test_9_deep_or_bracket_bombs_fail_fast_as_load_errors(tmp_path: Path, text: str) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(text, encoding="utf-8")
    events = tmp_path / "e.jsonl"
    events.write_bytes(jsonl(GOOD))
    proc = run_cli(["check", str(events), "--as-of", AS_OF, "--policy", str(policy), "--backend", "reference"],
                   timeout=30)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert b"Traceback" not in proc.stderr and b"nest" in proc.stderr.lower()
    calendar = tmp_path / "2031.yaml"
    calendar.write_text(text, encoding="utf-8")
    proc = run_cli(["check", str(events), "--as-of", AS_OF, "--calendar", str(calendar), "--backend", "reference"],
                   timeout=30)
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr


# ---- 10. no caller-supplied value or unknown key name is echoed --------------------------------------------

SECRET = "410105199001011234"


@pytest.mark.parametrize("raw", [
    ev("v1", SECRET, "C1", "2025-03-03", agency="health"),
    ev("v1", "crime_suspected", "C1", f"张三 {SECRET}", agency="health"),
    ev("v1", "crime_suspected", "C1", "2025-03-03", agency="health", **{f"张三{SECRET}": 1}),
    {**ev("v1", "crime_suspected", "C1", "2025-03-03", agency="health"), f"x{SECRET}": 1},
    ev("v1", "crime_suspected", "C1", "2025-03-03", agency=f"张三{SECRET}"),
], ids=["type", "occurred_at", "data-key", "top-key", "unit-name"])
def test_10_rejections_echo_no_value_and_no_unknown_key(tmp_path: Path, raw: dict[str, Any]) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(jsonl(raw, GOOD))
    for extra in (["--format", "json"], ["--format", "table"], ["--stream"]):
        proc = run_cli(["check", str(path), "--as-of", AS_OF, "--backend", "reference", *extra])
        assert proc.returncode == 1, proc.stderr[-2000:]
        assert SECRET.encode() not in proc.stdout + proc.stderr
        assert "张三".encode() not in proc.stdout + proc.stderr


def test_10_a_free_form_unit_code_is_accepted(tmp_path: Path) -> None:
    """Contract §3 (amended): a well-formed code outside the district's list is a unit, not a rejection."""
    path = tmp_path / "e.jsonl"
    path.write_bytes(jsonl(ev("v1", "crime_suspected", "C1", "2025-03-03", agency=f"x{SECRET}"), GOOD))
    for extra in (["--format", "json"], ["--format", "table"], ["--stream"]):
        proc = run_cli(["check", str(path), "--as-of", AS_OF, "--backend", "reference", *extra])
        assert proc.returncode == 0, proc.stderr[-2000:]


def test_10_a_duplicate_json_key_is_named_only_when_it_is_a_known_word(engine: Engine) -> None:
    line = b'{"id": "d", "type": "crime_suspected", "case_id": "C", "occurred_at": "2025-03-03", ' \
           b'"data": {"agency": "health", "' + SECRET.encode() + b'": 1, "' + SECRET.encode() + b'": 2}}'
    known = b'{"id": "d", "id": "e", "type": "crime_suspected", "case_id": "C", "occurred_at": "2025-03-03"}'
    result = engine.evaluate_file(_write(line + b"\n" + known + b"\n"), AS_OF)
    assert SECRET not in result.model_dump_json()
    assert "'id'" in result.rejected[1].message or '"id"' in result.rejected[1].message
    assert {r.code for r in result.rejected} == {"duplicate_key"}


def _write(data: bytes) -> Path:
    import tempfile

    fd, name = tempfile.mkstemp(suffix=".jsonl")
    os.write(fd, data)
    os.close(fd)
    return Path(name)


# ---- 11. the engine keeps no state between calls: documented -----------------------------------------------

def test_11_statelessness_is_documented_in_the_api_and_the_readme() -> None:
    for doc in (Engine.evaluate.__doc__, Engine.evaluate_case.__doc__, Engine.__doc__):
        assert doc is not None and "no state between calls" in doc and "whole history" in doc
    readme = (S.REPO / "README.md").read_text(encoding="utf-8")
    assert "no state between calls" in readme and "whole history of a case" in readme


def test_11_a_history_split_over_two_calls_differs_and_the_whole_history_is_right(engine: Engine) -> None:
    """What the documentation warns about, shown: only the whole history gives the right answer."""
    first = ev("c1", "crime_suspected", "XZ-H", "2025-01-06", agency="health")
    closing = ev("r1", "transfer_report_submitted", "XZ-H", "2025-01-06T10:00:00+08:00", agency="health")
    whole = engine.evaluate([first, closing], AS_OF)
    alone = engine.evaluate([first], AS_OF)
    rule = "transfer.report"
    assert [o.status for o in whole.obligations if o.rule == rule] == ["fulfilled"]
    assert [o.status for o in alone.obligations if o.rule == rule] == ["open"]  # no limit (issue 10)


# ---- 12. terminal injection, id policy, BOM, vocabulary names, closed engines --------------------------------

FORGED = "\x1b[2J\n  line 999 id 'forged': all good\r"


def test_12_table_output_escapes_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(jsonl(ev("v1", "crime_suspected", "C1", "2025-03-03", agency="health", **{FORGED: 1}), GOOD))
    out = io.StringIO()
    assert cli_main()(["check", str(path), "--as-of", AS_OF, "--backend", "reference"], out=out) == 1
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text
    assert not any(line.lstrip().startswith("line 999") for line in text.splitlines())


BAD_IDS = {
    "zero-width": "abc\u200bdef", "bidi": "abc\u202edef", "c1": "abc\x85def", "line-sep": "abc\u2028def",
    "para-sep": "abc\u2029def", "trailing-space": "abc ", "leading-space": " abc", "nfd": unicodedata.normalize(
        "NFD", "café"), "bom": "\ufeffabc", "tab": "a\tb", "del": "a\x7fb", "private-use": "a\ue000b",
    "noncharacter": "a\ufffeb",
}


@pytest.mark.parametrize("where", ["id", "case_id"])
@pytest.mark.parametrize("name", sorted(BAD_IDS))
def test_12_ids_that_could_split_a_case_or_forge_output_are_rejected(engine: Engine, name: str, where: str) -> None:
    raw = {**GOOD, where: BAD_IDS[name]}
    result = engine.evaluate([raw], AS_OF)
    assert [r.field for r in result.rejected] == [where]
    r = result.rejected[0]
    assert r.code == "invalid_id"
    assert r.id is None or r.id == GOOD["id"]


def test_12_ids_in_nfc_with_inner_spaces_and_chinese_are_accepted(engine: Engine) -> None:
    for good_id in ("café", "行政 2024-001", "XZ-2024-001", "a" * 200):
        assert engine.evaluate([{**GOOD, "id": good_id, "case_id": good_id}], AS_OF).rejected == []


def test_12_an_id_data_field_follows_the_same_policy(engine: Engine) -> None:
    bad = ev("o1", "procuratorial_opinion_issued", "XZ-O", "2025-03-03", opinion_id="op\u200b1",
             kind="admin_penalty", to="tax")
    assert [r.field for r in engine.evaluate([bad], AS_OF).rejected] == ["data.opinion_id"]


def test_12_one_conflicting_copy_never_removes_the_genuine_event(engine: Engine) -> None:
    copy = {**GOOD, "occurred_at": "2025-03-04"}
    batch = engine.evaluate([GOOD, copy], AS_OF)
    stream = list(engine.evaluate_stream([GOOD, copy], AS_OF))
    assert [r.field for r in batch.rejected] == ["id"]
    assert [o for _, obs, _ in stream for o in obs if o.case_id == "XZ-OK"] == \
        [o for o in batch.obligations if o.case_id == "XZ-OK"] != []


@pytest.mark.parametrize("name", ["_x", "__class__", "model_dump", "model_config", "dict", "json", "copy",
                                  "validate", "schema", "Agency", "a b", "9x", "x" * 65])
def test_12_hostile_vocabulary_field_names_are_load_errors(catalogue: Path, name: str) -> None:
    vocab = catalogue / "vocabulary.yaml"
    text = vocab.read_text(encoding="utf-8")
    old = "      agency: {kind: unit, required: true}\n  transfer_report_submitted:"
    assert text.count(old) == 1
    vocab.write_text(text.replace(old, f"      agency: {{kind: unit, required: true}}\n      {json.dumps(name)}: "
                                       "{kind: string}\n  transfer_report_submitted:"), encoding="utf-8")
    with pytest.raises(LoadError) as info:
        Engine(catalogue, backend="reference").close()
    assert info.value.file is not None and info.value.file.endswith("vocabulary.yaml")
    assert info.value.line is not None


def test_12_vocabulary_field_names_load_clean_through_load_catalog(catalogue: Path) -> None:
    load_catalog(catalogue)  # the untouched copy loads


def test_12_rejection_has_a_stable_code_for_every_kind_of_bad_line(engine: Engine) -> None:
    codes = set()
    for bad in S.bad_lines():
        result = engine.evaluate_file(_write(b"\n" + bad.raw + b"\n"), AS_OF)
        assert len(result.rejected) == 1, bad.kind
        r: Rejection = result.rejected[0]
        assert r.code is not None and re.fullmatch(r"[a-z][a-z0-9_]*", r.code), (bad.kind, r)
        codes.add(r.code)
    assert {"invalid_json", "not_utf8", "unknown_type", "invalid_time", "missing_field", "unknown_field",
            "invalid_value", "invalid_unit", "invalid_id", "duplicate_key"} <= codes
