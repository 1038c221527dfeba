"""Real components for the ledger and service tests: a throwaway PostgreSQL cluster and a uvicorn process.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` system user
(created by Debian's package) or, failing that, to a system user made for it; it lives in a temporary
directory, listens on a free loopback port only, and is stopped at exit. Each test gets its own
database. Where the binaries are missing the PostgreSQL tests skip with the reason — except under
``CI=true``, where they fail: CI must run them.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import importlib.util
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

_counter = itertools.count()


def extras_missing() -> bool:
    """Whether the ``service`` extra is absent here and the tests that need it should be left out.

    Never under ``CI=true``: CI installs the extra, and a missing package must fail there, not skip.
    """
    needed = ("sqlalchemy", "alembic", "psycopg", "fastapi", "uvicorn", "httpx")
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    return bool(missing) and os.environ.get("CI") != "true"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindir() -> Path | None:
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(cand, "initdb").exists():
            return Path(cand)
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


class PgCluster:
    """One PostgreSQL cluster for the whole test session."""

    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) not found; apt-get install postgresql")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="fuxian-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = self._user()
            os.chown(self.root, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid)
            self.prefix = ["runuser", "-u", user, "--"]
        self._run("initdb", "-D", str(self.data), "-U", "fuxian", "--auth=trust", "-E", "UTF8", "--no-locale")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.root / "log"), "-w", "-t", "60", "start")
        atexit.register(self.stop)

    @staticmethod
    def _user() -> str:
        for name in ("postgres", "fuxianpg"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "fuxianpg"],
                       check=True)
        return "fuxianpg"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.prefix, str(self.bindir / tool), *args], check=True, capture_output=True, cwd=self.root)

    def database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(_counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=fuxian dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://fuxian@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.data.exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


_cluster: PgCluster | None = None


def postgres_url() -> str:
    """A fresh PostgreSQL database on the session's cluster (skips without binaries, unless CI=true)."""
    global _cluster
    if _cluster is None:
        try:
            _cluster = PgCluster()
        except FileNotFoundError as exc:
            if os.environ.get("CI") == "true":
                raise
            pytest.skip(str(exc))
    return _cluster.database()


def cli() -> str:
    path = shutil.which("fuxian-rules", path=str(Path(sys.executable).parent)) or shutil.which("fuxian-rules")
    assert path, "the fuxian-rules command is not installed (pip install -e '.[service]')"
    return path


class Server:
    """``fuxian-rules serve`` as a real process on a free loopback port."""

    def __init__(self, db_url: str, workdir: Path, backend: str = "reference", extra_args: list[str] | None = None,
                 **env: str) -> None:
        self.db_url, self.workdir, self.env, self.backend = db_url, workdir, env, backend
        self.extra_args = list(extra_args or [])
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        if self.proc is None:
            atexit.register(self.stop)  # never leave a server behind, even when a test fails midway
        self.port = free_port()
        env = {**os.environ, **self.env}
        with (self.workdir / f"server-{self.port}.log").open("wb") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen([cli(), "serve", "--db", self.db_url, "--port", str(self.port),
                                          "--log-level", "warning", "--backend", self.backend,
                                          *self.extra_args],
                                         stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, env=env)
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {(self.workdir / f'server-{self.port}.log').read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/v1/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.2)
        raise RuntimeError("server did not become healthy")

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()


def headers(token: str, ctype: str = "application/json") -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}", "Content-Type": ctype}


def synthetic_events(prefix: str, cases: int, *, actor: str = "market_regulation") -> list[dict[str, Any]]:
    """A deterministic 三(十一) history: each case a report, a decision and a transfer, some late or missing."""
    out: list[dict[str, Any]] = []
    for n in range(cases):
        cid = f"{prefix}-{n:05d}"
        day = 1 + n % 27
        steps = [("crime_suspected", f"2024-03-{day:02d}"), ("transfer_report_submitted", f"2024-03-{day + 1:02d}"),
                 ("transfer_decided", f"2024-04-{day:02d}"), ("case_transferred", f"2024-04-{day + 1:02d}")]
        for k, (etype, when) in enumerate(steps[: 1 + n % 4]):
            data: dict[str, Any] = {"agency": actor}
            if etype == "transfer_decided":
                data["approved"] = True
            out.append({"id": f"{cid}.{k}", "type": etype, "case_id": cid, "occurred_at": when, "actor": actor,
                        "data": data})
    return out
