"""The durable_rules backend, run in a child process so that a crash of its C core fails a test, not pytest.

Two kinds of load: hand-built matchers (``fuxian_rules.engine.backends.ir``) of many shapes — unicode, quotes,
backslashes, empty strings, values that look like numbers — each asserted on several fact sets in one
long-lived backend; and whole generated histories through the command line. The child must exit 0 and
every answer must equal the reference evaluator's.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine
from fuxian_rules.engine.backends.ir import Cond, Join, Matcher, Pattern
from fuxian_rules.engine.backends.reference import ReferenceBackend

durable = pytest.importorskip("fuxian_rules.engine.backends.durable")
_ok, _why = durable.durable_available()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not _ok, reason=f"durable_rules not available: {_why}")]

SRC = Path(__file__).resolve().parents[2] / "src"
WORKER = r"""
import json, sys
from fuxian_rules.engine.backends.durable import DurableBackend
from fuxian_rules.engine.backends.ir import Cond, Join, Matcher, Pattern
from fuxian_rules.errors import BackendError

def matcher(m):
    return Matcher(m["id"], m["area"], tuple(
        Pattern(p["t"], tuple(Cond(k, tuple(v)) for k, v in p["conds"]), tuple(Join(k, a) for k, a in p["joins"]))
        for p in m["patterns"]))

backend = DurableBackend(plain_filters=False)  # one backend for the child's whole life: hundreds of loads and cases
for line in sys.stdin:
    shape = json.loads(line)
    try:
        backend.load([matcher(m) for m in shape["matchers"]])
    except BackendError as exc:
        print(json.dumps({"refused": str(exc)}), flush=True)
        continue
    ids = [m["id"] for m in shape["matchers"]]
    results = [sorted([a.matcher_id, list(a.fact_ids)] for a in backend.match(facts, ids))
               for facts in shape["fact_sets"]]
    print(json.dumps({"results": results}), flush=True)
backend.close()
"""


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}


class Child:
    """A durable_rules worker process; restarted when it dies so that each failure is reported once."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.deaths: list[str] = []
        self.answered = 0
        self._start()

    def _start(self) -> None:
        self._err = self.log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, text=True, encoding="utf-8", env=environment())

    def ask(self, shape: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(shape, ensure_ascii=False) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait()
            self._release()
            message = f"durable_rules child died with exit code {code}: {self.log.read_text()[-2000:]}"
            self.deaths.append(message)
            self._start()
            raise AssertionError(message)
        self.answered += 1
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=60)
        self._release()
        return code

    def _release(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout, self._err):
            if stream is not None and not stream.closed:
                with contextlib.suppress(BrokenPipeError):
                    stream.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Child]:
    c = Child(tmp_path_factory.mktemp("durable") / "stderr.txt")
    yield c
    if c.proc.poll() is None:
        c.close()


def child(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], input=stdin, capture_output=True, text=True, env=environment(),
                          timeout=600, check=False)


def to_matcher(m: dict[str, Any]) -> Matcher:
    return Matcher(m["id"], m["area"], tuple(
        Pattern(p["t"], tuple(Cond(k, tuple(v)) for k, v in p["conds"]), tuple(Join(k, a) for k, a in p["joins"]))
        for p in m["patterns"]))


def reference(shape: dict[str, Any]) -> list[list[list[Any]]]:
    ref = ReferenceBackend()
    ref.load([to_matcher(m) for m in shape["matchers"]])
    ids = [m["id"] for m in shape["matchers"]]
    return [sorted([a.matcher_id, list(a.fact_ids)] for a in ref.match(facts, ids)) for facts in shape["fact_sets"]]


@settings(max_examples=S.examples(400))
@given(shape=S.matcher_shapes())
def test_hand_built_matchers_never_crash_durable_rules_and_match_the_reference(worker: Child,
                                                                               shape: dict[str, Any]) -> None:
    """Every matcher shape within the documented limits runs in durable_rules to the reference's answer."""
    answer = worker.ask(shape)
    assert "refused" not in answer, (answer, shape["matchers"])
    assert answer["results"] == reference(shape), shape


def test_the_durable_rules_child_exits_cleanly(worker: Child) -> None:
    """After hundreds of loads and cases in one process, the child never died and exits with status 0."""
    assert worker.deaths == []
    assert worker.answered >= 1
    assert worker.close() == 0, worker.log.read_text()[-2000:]


@settings(max_examples=S.examples(3))
@given(hs=st.lists(S.histories(max_cases=5), min_size=30, max_size=60), as_of=st.sampled_from(
    ["2024-06-30", "2025-01-31", "2026-12-31", "2031-12-31"]))
def test_the_command_line_on_durable_rules_matches_the_reference(tmp_path_factory: pytest.TempPathFactory,
                                                                  hs: list[S.History], as_of: str) -> None:
    """``fuxian-rules check --backend durable_rules`` on many cases exits 0 with the reference's result."""
    path = tmp_path_factory.mktemp("crash") / "events.jsonl"
    lines = [json.dumps({**e, "id": f"h{n}:{e['id']}", "case_id": f"h{n}:{e['case_id']}"}, ensure_ascii=False)
             for n, h in enumerate(hs) for e in h.events]  # case and event ids unique across the histories
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = child(["-m", "fuxian_rules.cli", "check", str(path), "--as-of", as_of, "--format", "json",
                  "--backend", "durable_rules"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = json.loads(proc.stdout)
    assert doc["receipt"]["backend"] == "durable_rules" and doc["receipt"]["backend_note"] is None
    engine = Engine(backend="reference")
    try:
        want = engine.evaluate_file(path, as_of).model_dump(mode="json")
    finally:
        engine.close()
    assert doc["obligations"] == want["obligations"]
    assert doc["rejected"] == want["rejected"] == []
