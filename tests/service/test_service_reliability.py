"""Crash safety and concurrency of the real service process, on SQLite and PostgreSQL (bounded, loopback only).

* kill -9 the server while several clients post events; restart: every event answered as accepted is
  there exactly once, every batch is there whole or not at all, and the obligations served equal a
  fresh evaluation of the stored events;
* N clients posting overlapping batches of the same events leave the same ledger as one client.
"""

from __future__ import annotations

import io
import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from fuxian_rules import Engine
from fuxian_rules.ledger import Ledger, create_token
from fuxian_rules.ledger.ops import export_jsonl
from fuxian_rules.ledger.schema import events
from ledger_support import Server, headers, postgres_url, synthetic_events

AS_OF = "2024-06-30"


def _url(kind: str, tmp: Path, name: str = "l") -> str:
    return f"sqlite:///{tmp / (name + '.sqlite3')}" if kind == "sqlite" else postgres_url()


def _token(url: str, engine: Engine) -> str:
    ledger = Ledger(url, engine)
    secret = create_token(ledger, "big_data", "admin")[1]
    ledger.close()
    return secret


def _all_obligations(server: Server, token: str) -> list[dict[str, Any]]:
    r = httpx.get(server.url + "/v1/obligations", params={"as_of": AS_OF, "limit": 10_000}, headers=headers(token),
                  timeout=300)
    assert r.status_code == 200 and r.json()["next_cursor"] is None
    return [{k: v for k, v in o.items() if k != "id"} for o in r.json()["obligations"]]


def _export(url: str, engine: Engine) -> list[dict[str, Any]]:
    ledger = Ledger(url, engine)
    buf = io.StringIO()
    export_jsonl(ledger, buf)
    ledger.close()
    return [json.loads(line) for line in buf.getvalue().splitlines()]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_kill_9_while_clients_post(kind: str, tmp_path: Path) -> None:
    engine = Engine(backend="reference")
    url = _url(kind, tmp_path)
    token = _token(url, engine)
    server = Server(url, tmp_path).start()
    answered: list[list[str]] = []        # ids of batches answered 200, all accepted
    sent: list[list[str]] = []            # ids of every batch sent
    lock = threading.Lock()
    stop = threading.Event()

    def client(k: int) -> None:
        evs = synthetic_events(f"K{k}", 400)
        with httpx.Client(timeout=30) as c:
            for i in range(0, len(evs), 100):
                if stop.is_set():
                    return
                batch = evs[i:i + 100]
                with lock:
                    sent.append([e["id"] for e in batch])
                try:
                    r = c.post(server.url + "/v1/events", json=batch, headers=headers(token))
                except httpx.HTTPError:
                    return  # the server died under us
                assert r.status_code == 200 and r.json()["accepted"] == len(batch), r.text
                with lock:
                    answered.append([e["id"] for e in batch])

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while len(answered) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill9()
    stop.set()
    for t in threads:
        t.join(60)
    assert len(answered) >= 5, "the clients did not get far enough before the kill"

    server.start()  # the same ledger, a new process
    stored = _export(url, engine)
    ids = [e["id"] for e in stored]
    assert len(ids) == len(set(ids))
    have = set(ids)
    for batch in answered:
        assert set(batch) <= have                     # every answered event is there (exactly once: unique)
    for batch in sent:
        assert set(batch) <= have or not set(batch) & have  # no batch is half-written
    assert _all_obligations(server, token) == [o.model_dump(mode="json")
                                               for o in engine.evaluate(stored, AS_OF).obligations]
    server.stop()
    engine.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_concurrent_overlapping_clients_equal_one_client(kind: str, tmp_path: Path) -> None:
    engine = Engine(backend="reference")
    evs = synthetic_events("C", 150)
    many_url, one_url = _url(kind, tmp_path, "many"), _url(kind, tmp_path, "one")
    many_token, one_token = _token(many_url, engine), _token(one_url, engine)
    many, one = Server(many_url, tmp_path).start(), Server(one_url, tmp_path).start()
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def client(seed: int) -> None:
        rng = random.Random(seed)
        mine = evs[:]
        rng.shuffle(mine)
        try:
            with httpx.Client(timeout=60) as c:
                i = 0
                while i < len(mine):
                    size = rng.randint(20, 120)
                    r = c.post(many.url + "/v1/events", json=mine[i:i + size], headers=headers(many_token))
                    assert r.status_code == 200, r.text
                    results.append(r.json())
                    i += size
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(s,)) for s in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    assert sum(r["accepted"] for r in results) == len(evs)
    assert sum(r["duplicates"] for r in results) == 4 * len(evs)
    assert not any(r["rejected"] for r in results)
    r = httpx.post(one.url + "/v1/events", json=evs, headers=headers(one_token), timeout=60)
    assert r.json()["accepted"] == len(evs)
    assert sorted(_export(many_url, engine), key=lambda e: e["id"]) == sorted(_export(one_url, engine),
                                                                              key=lambda e: e["id"])
    assert _all_obligations(many, many_token) == _all_obligations(one, one_token)
    ledger = Ledger(many_url, engine)
    with ledger.read() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == len(evs)
    ledger.close()
    many.stop()
    one.stop()
    engine.close()
