"""Hostile input with bounded cost: whatever a caller sends, every run ends, writes valid UTF-8, exits 0/1/2.

Issue 15's property suite. For generated events, generated files and generated rule, policy and
calendar files:

* the run ends within its budget (a subprocess under ``ulimit -v`` and a timeout, for the file cases);
* what it writes is valid UTF-8 and valid JSON (``--format json``) or JSON Lines (``--stream``);
* it exits 0 (all accepted), 1 (some rejected) or 2 (usage error, invalid rule/policy/calendar file) —
  never 3, the status of an internal error, and never with a traceback;
* no rejection repeats a value the caller sent.

The budgets are bounds on runaway cost (minutes, gigabytes), not performance claims. The big cases
(100k events in one case, a million streamed cases, a 2 GB line) are in ``test_hostile_slow.py``.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine
from fuxian_rules.cli.check import run_check

AS_OF = "2025-03-31"
CLI_CODE = "import sys\nfrom fuxian_rules.cli import main\nsys.exit(main())\n"


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with Engine(backend="reference") as e:
        yield e


VALID = [
    {"id": "v1", "type": "crime_suspected", "case_id": "XZ-1", "occurred_at": "2025-03-03", "data": {"agency": "health"}},
    {"id": "v2", "type": "transfer_report_submitted", "case_id": "XZ-1", "occurred_at": "2025-03-03T10:00:00+08:00",
     "data": {"agency": "health"}},
    {"id": "v3", "type": "task_assigned", "case_id": "task:t1", "occurred_at": "2025-01-06",
     "data": {"task_id": "t1", "unit": "justice", "due": "2025-06-30"}},
    {"id": "v4", "type": "staff_hired", "case_id": "staff:education", "occurred_at": "2024-03-04",
     "data": {"unit": "education", "person_id": "p1"}},
    {"id": "v5", "type": "admin_penalty_imposed", "case_id": "XZ-1", "occurred_at": "2025-03-05",
     "data": {"agency": "health"}},
]

#: Characters that have broken text handling somewhere: controls, bidi, zero-width, separators, surrogates.
NASTY = st.sampled_from(["\x00", "\x1b[2J", "\n", "\r", "\x85", "\u202e", "\u200b", "\u2028", "\ufeff", "\ud800",
                         "\udcff", "\uffff", "é", "e\u0301", " ", "张三", "'", '"', "\\", "9999-12-31", "0001-01-01"])
HOSTILE_TEXT = st.lists(st.one_of(NASTY, st.text(max_size=8)), max_size=6).map("".join)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False), HOSTILE_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(HOSTILE_TEXT, inner, max_size=4)),
    max_leaves=12)
SECRET = "⟪410105199001011234⟫"


@st.composite
def hostile_event(draw: st.DrawFn) -> Any:
    """A valid event with one place (a field, a data field, a key) replaced by something hostile."""
    base = json.loads(json.dumps(draw(st.sampled_from(VALID))))
    where = draw(st.sampled_from(["id", "type", "case_id", "occurred_at", "actor", "data", "data-field",
                                  "data-key", "top-key", "whole"]))
    value = draw(JSONISH)
    if where == "whole":
        return value
    if where == "data-field":
        base["data"][draw(st.sampled_from(sorted(base["data"])))] = value
    elif where == "data-key":
        base["data"][draw(HOSTILE_TEXT) + SECRET] = value
    elif where == "top-key":
        base[draw(HOSTILE_TEXT) + SECRET] = value
    else:
        base[where] = value
    return base


def _utf8_json(text: str) -> Any:
    return json.loads(text.encode("utf-8").decode("utf-8"))


@settings(max_examples=S.examples(150), suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(st.one_of(hostile_event(), st.sampled_from(VALID)), min_size=1, max_size=12))
def test_generated_events_never_crash_and_never_echo(engine: Engine, events: list[Any]) -> None:
    result = engine.evaluate(events, AS_OF)
    text = result.model_dump_json()
    text.encode("utf-8")
    assert SECRET not in text
    for r in result.rejected:
        assert r.code and r.message.isprintable(), r
        assert r.id is None or r.id.isprintable()
    assert result.rejected_total == len(result.rejected)


FILE_PARTS = st.one_of(
    st.sampled_from([json.dumps(e, ensure_ascii=False).encode() for e in VALID]),
    st.binary(max_size=200),
    st.sampled_from([b"\xef\xbb\xbf", b"\r", b"\r\n", b"\n", b"\x00" * 50, b"{" * 5000, b"[" * 5000, b"\xff\xfe",
                     "张三".encode("gbk"), b'{"id": "\\ud800"}', b"x" * (1024 * 1024 + 1), b"NaN", b"1e999"]),
    hostile_event().map(lambda e: json.dumps(e, ensure_ascii=False).encode("utf-8", "surrogatepass")),
)


@settings(max_examples=S.examples(80), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(parts=st.lists(FILE_PARTS, min_size=1, max_size=10), sep=st.sampled_from([b"\n", b"\r", b"\r\n", b""]),
       fmt=st.sampled_from(["json", "table", "stream"]))
def test_generated_files_give_valid_output_and_exit_0_or_1(engine: Engine, tmp_path_factory: pytest.TempPathFactory,
                                                            parts: list[bytes], sep: bytes, fmt: str) -> None:
    path = tmp_path_factory.mktemp("f") / "events.jsonl"
    path.write_bytes(sep.join(parts))
    out = io.StringIO()
    rc = run_check(engine, str(path), AS_OF, "json" if fmt == "stream" else fmt, fmt == "stream", out)
    assert rc in (0, 1)
    text = out.getvalue()
    text.encode("utf-8")
    assert SECRET not in text
    if fmt == "json":
        doc = _utf8_json(text)
        assert (rc == 1) == (doc["rejected_total"] > 0) and len(doc["rejected"]) <= doc["rejected_total"]
    elif fmt == "stream":
        lines = [_utf8_json(x) for x in text.splitlines()]
        assert "receipt" in lines[-1]
    else:
        assert "\x1b" not in text and "\r" not in text and "\x85" not in text and "\u202e" not in text


def run_cli(args: list[str], vmem_mb: int = 900, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    cmd = ["bash", "-c", f'ulimit -v {vmem_mb * 1024}; exec "$@"', "bash", sys.executable, "-c", CLI_CODE, *args]
    return subprocess.run(cmd, capture_output=True, timeout=timeout, check=False,
                          env={**os.environ, "LC_ALL": "C.UTF-8"})


@settings(max_examples=S.examples(6), deadline=None)
@given(parts=st.lists(FILE_PARTS, min_size=1, max_size=6), fmt=st.sampled_from([["--format", "json"], ["--stream"]]))
def test_generated_files_in_a_bounded_subprocess(tmp_path_factory: pytest.TempPathFactory, parts: list[bytes],
                                                 fmt: list[str]) -> None:
    """The real command, under 900 MB of address space and two minutes: valid UTF-8 JSON, exit 0 or 1."""
    path = tmp_path_factory.mktemp("s") / "events.jsonl"
    path.write_bytes(b"\n".join(parts))
    proc = run_cli(["check", str(path), "--as-of", AS_OF, "--backend", "reference", *fmt])
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert b"Traceback" not in proc.stderr
    text = proc.stdout.decode("utf-8")
    docs = [json.loads(x) for x in text.splitlines()] if fmt == ["--stream"] else [json.loads(text)]
    assert docs


POLICY = (S.RULES_DIR / "policy.yaml").read_text(encoding="utf-8")
CALENDAR = """\
year: 2031
source: 国务院办公厅关于2031年部分节假日安排的通知（测试）
holidays:
  - {date: 2031-01-01, name: 元旦}
  - {from: 2031-10-01, to: 2031-10-07, name: 国庆节}
workdays:
  - {date: 2031-09-28, name: 调休}
"""
BOMBS = st.sampled_from(["[" * 400, "{a: " * 200, "&a x", "*a", "\x00", "\x1b", "\ufeff", "!!python/object:os.system",
                         "? ", ": ", "- ", "\t", "'", '"', "#", "|", ">", "9999-99-99", "1e99999", "~", "<<: {}",
                         "\n" + "  " * 300 + "x: 1"])


def _mutate(text: str, where: int, bomb: str, kind: str) -> str:
    lines = text.split("\n")
    i = where % len(lines)
    if kind == "insert":
        pos = where % (len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + bomb + lines[i][pos:]
    elif kind == "replace":
        lines[i] = bomb
    else:
        lines = [*lines[:i], bomb * 3, *lines[i:]]
    return "\n".join(lines)


@settings(max_examples=S.examples(8), deadline=None)
@given(which=st.sampled_from(["policy", "calendar"]), where=st.integers(0, 10**6), bomb=BOMBS,
       kind=st.sampled_from(["insert", "replace", "line"]))
def test_generated_policy_and_calendar_files_exit_0_or_2_in_budget(tmp_path_factory: pytest.TempPathFactory,
                                                                    which: str, where: int, bomb: str,
                                                                    kind: str) -> None:
    """A damaged policy or calendar file loads or is refused with exit 2 — within 60 s and 900 MB."""
    root = tmp_path_factory.mktemp("y")
    events = root / "e.jsonl"
    events.write_bytes(b"\n".join(json.dumps(e).encode() for e in VALID))
    target = root / ("policy.yaml" if which == "policy" else "2031.yaml")
    target.write_text(_mutate(POLICY if which == "policy" else CALENDAR, where, bomb, kind), encoding="utf-8",
                      errors="surrogatepass")
    proc = run_cli(["check", str(events), "--as-of", AS_OF, "--backend", "reference",
                    "--policy" if which == "policy" else "--calendar", str(target)], timeout=60)
    assert proc.returncode in (0, 2), proc.stderr[-2000:]
    assert b"Traceback" not in proc.stderr
    proc.stderr.decode("utf-8")
    proc.stdout.decode("utf-8")


@settings(max_examples=S.examples(25), deadline=None)
@given(where=st.integers(0, 10**6), bomb=BOMBS, kind=st.sampled_from(["insert", "replace", "line"]))
def test_generated_rule_and_vocabulary_files_fail_as_load_errors(tmp_path_factory: pytest.TempPathFactory,
                                                                 where: int, bomb: str, kind: str) -> None:
    """A damaged vocabulary or rule file loads or fails with a LoadError naming the file, quickly."""
    import shutil

    from fuxian_rules import LoadError, load_catalog

    root = tmp_path_factory.mktemp("r") / "rules"
    root.mkdir()
    for name in ("vocabulary.yaml", "units.yaml", "citations.yaml", "policy.yaml", "3.11-transfer.yaml"):
        shutil.copy(S.RULES_DIR / name, root / name)
    shutil.copytree(S.RULES_DIR / "notice", root / "notice")
    name = ("vocabulary.yaml", "3.11-transfer.yaml")[where % 2]
    (root / name).write_text(_mutate((root / name).read_text(encoding="utf-8"), where // 2, bomb, kind),
                             encoding="utf-8")
    error: LoadError | None = None
    try:
        load_catalog(root)
    except LoadError as exc:
        error = exc
    if error is not None:
        assert error.file is not None and error.file.endswith(name) and error.message


def test_exit_statuses_are_only_0_1_2_for_the_examples(tmp_path: Path) -> None:
    """The bundled examples: 0 for the good history, 1 for the bad events, 2 for a missing file."""
    ex = S.REPO / "examples"
    assert run_cli(["check", str(ex / "history.jsonl"), "--as-of", AS_OF, "--format", "json"]).returncode == 0
    assert run_cli(["check", str(ex / "bad-events.jsonl"), "--as-of", AS_OF, "--format", "json"]).returncode == 1
    assert run_cli(["check", str(tmp_path / "missing.jsonl"), "--as-of", AS_OF]).returncode == 2
