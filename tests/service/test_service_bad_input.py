"""Hostile input over HTTP: each gets a clear problem+json with a stable code, and nothing else is lost."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx

from ledger_support import headers, synthetic_events

EVIL = ["'; DROP TABLE events; --", "\" OR 1=1 --", "x' UNION SELECT token_hash FROM tokens --", "%_\\"]


def _count(url: str) -> int:
    return int(httpx.get(url + "/v1/health").json()["ledger"]["events"])


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code
    return r.json()


def _raw_request(port: int, head: str, body_parts: list[bytes]) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode("ascii"))
        try:
            for part in body_parts:
                s.sendall(part)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking the rest: exactly what is wanted
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
                if b"\r\n\r\n" in data and b"}" in data:
                    break
        except ConnectionResetError:
            pass
    return data


def test_bad_requests_each_get_a_code_and_lose_nothing(live: Any) -> None:
    url, tok = live.server.url, live.tokens
    good = synthetic_events("BAD", 3, actor="big_data")
    assert httpx.post(url + "/v1/events", json=good, headers=headers(tok["admin"])).json()["accepted"] == len(good)
    before = _count(url)
    h = headers(tok["admin"])
    _problem(httpx.post(url + "/v1/events", content=b'[{"id": "x",', headers=h), 400, "malformed_json")
    _problem(httpx.post(url + "/v1/events", content=b'{"id": "x"}', headers=h), 400, "not_an_array")
    _problem(httpx.post(url + "/v1/events", content=b"[NaN]", headers=h), 400, "malformed_json")
    _problem(httpx.post(url + "/v1/events", content=b"[" * 100_000, headers=h), 400, "malformed_json")
    _problem(httpx.post(url + "/v1/events", content=b"\xff\xfe[]", headers=h), 400, "invalid_encoding")
    _problem(httpx.post(url + "/v1/events", content=json.dumps(good), headers=headers(tok["admin"], "text/csv")),
             415, "unsupported_media_type")
    _problem(httpx.post(url + "/v1/events", content=json.dumps(good), headers={**h, "Content-Type": ""}),
             415, "unsupported_media_type")
    # 100,000 events in one request (7 MB: under the byte limit, over the event limit).
    many = [{"id": f"m{i}", "type": "crime_suspected", "case_id": "M", "occurred_at": "2024-01-01"}
            for i in range(100_000)]
    _problem(httpx.post(url + "/v1/events", json=many, headers=h, timeout=120), 413, "too_many_events")
    ndjson = "\n".join(json.dumps(e) for e in many)
    _problem(httpx.post(url + "/v1/events", content=ndjson, headers=headers(tok["admin"], "application/x-ndjson"),
                        timeout=120), 413, "too_many_events")
    _problem(httpx.get(url + "/v1/obligations", params={"as_of": "yesterday"}, headers=h), 422, "invalid_as_of")
    _problem(httpx.get(url + "/v1/obligations", params={"limit": "lots"}, headers=h), 422, "invalid_parameter")
    _problem(httpx.get(url + "/v1/obligations", params={"due_before": "2024-13-01"}, headers=h), 422,
             "invalid_parameter")
    _problem(httpx.get(url + "/v1/obligations", params={"cursor": "not-a-cursor"}, headers=h), 400, "invalid_cursor")
    _problem(httpx.get(url + "/v1/nowhere", headers=h), 404, "not_found")
    _problem(httpx.put(url + "/v1/events", headers=h), 405, "method_not_allowed")
    assert _count(url) == before


def test_a_50_mb_body_is_refused_before_it_is_read(live: Any) -> None:
    url, tok, port = live.server.url, live.tokens, live.server.port
    before = _count(url)
    head = (f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tok['admin']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n")
    answer = _raw_request(port, head, [b"[" + b" " * 65536])  # only 64 KiB of the announced 50 MB is ever sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"code":"body_too_large"' in answer and b"application/problem+json" in answer
    # Without Content-Length (chunked), the limit holds while reading.
    head = (f"POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {tok['admin']}\r\n"
            f"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b" " * (1024 * 1024)
    parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)] + [b"0\r\n\r\n"]
    answer = _raw_request(port, head, parts)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert httpx.get(url + "/v1/health").status_code == 200
    assert _count(url) == before


def test_unknown_fields_and_sql_metacharacters_in_every_string_field(live: Any) -> None:
    url, tok = live.server.url, live.tokens
    before = _count(url)
    h = headers(tok["admin"])
    batch: list[dict[str, Any]] = []
    for i, evil in enumerate(EVIL):
        base = {"id": f"sql-{i}-{evil}", "type": "transfer_decided", "case_id": f"SQL-{evil}",
                "occurred_at": "2024-05-06", "actor": "market_regulation",
                "data": {"agency": "market_regulation", "approved": False, "reasons": evil}}
        batch.append(base)                                              # free text and ids: stored as given
        batch.append({**base, "id": f"sqla-{i}", "actor": evil})          # a unit code: refused, field named
        batch.append({**base, "id": f"sqlt-{i}", "type": evil})
        batch.append({**base, "id": f"sqlo-{i}", "occurred_at": evil})
        batch.append({**base, "id": f"sqld-{i}", "data": {**base["data"], "agency": evil}})
        batch.append({**base, "id": f"sqlu-{i}", evil: 1})               # an unknown field named by SQL
    r = httpx.post(url + "/v1/events", json=batch, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["accepted"] == len(EVIL) and body["duplicates"] == 0
    fields = sorted((x["index"] % 6, x["field"], x["code"]) for x in body["rejected"])
    assert fields == sorted([(1, "actor", "invalid_event"), (2, "type", "invalid_event"),
                             (3, "occurred_at", "invalid_event"), (4, "data.agency", "invalid_event")] * len(EVIL)
                            + [(5, None, "invalid_event") for evil in EVIL])  # an invented key is never named
    assert _count(url) == before + len(EVIL)
    for evil in EVIL:
        case = httpx.get(url + "/v1/cases/" + httpx.URL("/" + f"SQL-{evil}").raw_path.decode()[1:],
                         params={"as_of": "2024-12-31"}, headers=headers(tok["justice"]))
        assert case.status_code == 200, case.text
        assert [e["data"]["reasons"] for e in case.json()["events"]] == [evil]
        found = httpx.get(url + "/v1/obligations", params={"case_id": f"SQL-{evil}", "as_of": "2024-12-31",
                                                            "rule": evil, "unit": evil},
                          headers=headers(tok["justice"])).json()
        assert found["obligations"] == []
    assert httpx.get(url + "/v1/obligations", params={"unit": EVIL[0]}, headers=headers(tok["finance"])).status_code == 403
    assert _count(url) == before + len(EVIL)
