"""The HTTP API of contract §5 against a real uvicorn process: endpoints, access rules, paging, audit, /docs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from fuxian_rules import Engine
from fuxian_rules.ledger import Ledger, create_token
from fuxian_rules.ledger.schema import audit
from ledger_support import headers

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "history.jsonl"
AS_OF = "2025-03-31"


def _raw() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


def _problem(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code and body["status"] == status and body["detail"]
    return body


def test_admin_posts_then_every_reader_sees_what_it_may(live: Any) -> None:
    url, tok = live.server.url, live.tokens
    raw = _raw()
    r = httpx.post(url + "/v1/events", json=raw, headers=headers(tok["admin"]), timeout=60)
    assert r.status_code == 200 and r.json() == {"accepted": len(raw), "duplicates": 0, "rejected": []}
    again = httpx.post(url + "/v1/events", content="\n".join(json.dumps(e) for e in raw),
                       headers=headers(tok["admin"], "application/x-ndjson"), timeout=60)
    assert again.json() == {"accepted": 0, "duplicates": len(raw), "rejected": []}

    engine = Engine(backend="reference")
    expected = [o.model_dump(mode="json") for o in engine.evaluate(raw, AS_OF).obligations]
    # The office reads everything, paged; pages join up to exactly check's answer.
    got: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"as_of": AS_OF, "limit": 7, **({"cursor": cursor} if cursor else {})}
        page = httpx.get(url + "/v1/obligations", params=params, headers=headers(tok["justice"]), timeout=60).json()
        assert page["as_of"] == "2025-04-01T00:00:00+08:00" and page["receipt"]["catalog_sha256"]
        got.extend(page["obligations"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [{k: v for k, v in o.items() if k != "id"} for o in got] == expected
    assert len({o["id"] for o in got}) == len(got)

    # A unit token sees only what its unit holds, with or without ?unit=.
    mine = httpx.get(url + "/v1/obligations", params={"as_of": AS_OF}, headers=headers(tok["procuratorate"])).json()
    assert mine["obligations"] and {o["holder"] for o in mine["obligations"]} == {"procuratorate"}
    assert len(mine["obligations"]) == sum(o["holder"] == "procuratorate" for o in expected)
    _problem(httpx.get(url + "/v1/obligations", params={"unit": "finance"}, headers=headers(tok["procuratorate"])),
             403, "forbidden")
    # Filters.
    overdue = httpx.get(url + "/v1/obligations", params={"as_of": AS_OF, "status": "overdue"},
                        headers=headers(tok["justice"])).json()["obligations"]
    assert [o["id"] for o in overdue] == [o["id"] for o in got if o["status"] == "overdue"] != []
    window = httpx.get(url + "/v1/obligations", params={"as_of": AS_OF, "due_after": "2024-06-30",
                                                        "due_before": "2024-10-01"},
                       headers=headers(tok["justice"])).json()["obligations"]
    assert window and all("2024-06-30" < o["due"][:10] < "2024-10-01" for o in window)
    assert len(window) == sum(1 for o in got if o["due"] and "2024-06-30" < o["due"][:10] < "2024-10-01")

    # Cases: a unit reads a case in which it holds an obligation, not others.
    case_id = next(o["case_id"] for o in got if o["holder"] == "procuratorate")
    other = next(o["case_id"] for o in got if o["case_id"] not in {x["case_id"] for x in got
                                                                     if x["holder"] == "procuratorate"})
    case = httpx.get(url + f"/v1/cases/{case_id}", params={"as_of": AS_OF}, headers=headers(tok["procuratorate"]))
    assert case.status_code == 200
    body = case.json()
    assert body["events"] == [e for e in _stored_raw(raw) if e["case_id"] == case_id]
    assert [o["id"] for o in body["obligations"]] == [o["id"] for o in got if o["case_id"] == case_id]
    _problem(httpx.get(url + f"/v1/cases/{other}", headers=headers(tok["procuratorate"])), 403, "forbidden")
    _problem(httpx.get(url + "/v1/cases/no-such-case", headers=headers(tok["justice"])), 404, "not_found")

    # Reads of other units' data are audited; a unit reading its own obligations is not.
    ledger = Ledger(live.db_url, engine)
    with ledger.read() as conn:
        rows = conn.execute(select(audit.c.who, audit.c.action, audit.c.what)).all()
    ledger.close()
    engine.close()
    assert any(a == "obligations.read" and w.startswith("office:justice") for w, a, _ in rows)
    assert any(a == "case.read" and w.startswith("unit:procuratorate") for w, a, _ in rows)
    assert sum(a == "events.write" for _, a, _ in rows) >= 2
    assert not any(a == "obligations.read" and w.startswith("unit:procuratorate") for w, a, _ in rows)


def _stored_raw(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events as the ledger gives them back (contract §1 shape, defaults of data filled in)."""
    engine = Engine(backend="reference")
    good, _ = engine.validate(raw)
    out = []
    by_id = {e.id: e for e in good}
    for r in raw:
        ev = by_id[r["id"]]
        d = json.loads(ev.canonical())
        item = {"id": d["id"], "type": d["type"], "case_id": d["case_id"],
                "occurred_at": d["occurred_at"][:10] if d["date_only"] else d["occurred_at"]}
        if d["actor"] is not None:
            item["actor"] = d["actor"]
        item["data"] = d["data"]
        out.append(item)
    engine.close()
    return out


def test_unit_tokens_write_only_their_own_events(live: Any) -> None:
    url, tok = live.server.url, live.tokens
    ev = {"id": "own-1", "type": "crime_suspected", "case_id": "FIN-1", "occurred_at": "2025-01-06",
          "actor": "finance", "data": {"agency": "finance"}}
    foreign = {**ev, "id": "foreign-1", "actor": "tax", "data": {"agency": "tax"}}
    body = _problem(httpx.post(url + "/v1/events", json=[ev, foreign], headers=headers(tok["finance"])),
                    403, "actor_not_allowed")
    assert body["indexes"] == [1]
    ok = httpx.post(url + "/v1/events", json=[ev], headers=headers(tok["finance"]))
    assert ok.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert httpx.post(url + "/v1/events", json=[foreign], headers=headers(tok["admin"])).json()["accepted"] == 1


def test_tokens_missing_forged_expired_revoked(live: Any) -> None:
    url = live.server.url
    _problem(httpx.get(url + "/v1/obligations"), 401, "unauthorized")
    _problem(httpx.get(url + "/v1/obligations", headers={"Authorization": "Bearer fxr_forged"}), 401, "unauthorized")
    _problem(httpx.get(url + "/v1/obligations", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    engine = Engine(backend="reference")
    ledger = Ledger(live.db_url, engine)
    token_id, secret = create_token(ledger, "finance", "unit", 1)
    from sqlalchemy import update

    from fuxian_rules.ledger.schema import tokens
    with ledger.write() as conn:  # a day later
        conn.execute(update(tokens).where(tokens.c.token_id == token_id).values(expires_us=0))
    _problem(httpx.get(url + "/v1/obligations", headers=headers(secret)), 401, "token_expired")
    token_id, secret = create_token(ledger, "finance", "unit")
    assert httpx.get(url + "/v1/obligations", headers=headers(secret)).status_code == 200
    from fuxian_rules.ledger import revoke_token
    assert revoke_token(ledger, token_id)
    _problem(httpx.get(url + "/v1/obligations", headers=headers(secret)), 401, "unauthorized")
    ledger.close()
    engine.close()
    assert httpx.get(url + "/v1/health").json()["status"] == "ok"


def test_evaluate_is_stateless_and_equals_check(live: Any) -> None:
    url, tok = live.server.url, live.tokens
    raw = [{**e, "id": "tmp-" + e["id"], "case_id": "TMP-" + e["case_id"]} for e in _raw()[:20]]
    bad = {"id": "tmp-bad", "type": "nope", "case_id": "x", "occurred_at": "2024-01-01"}
    r = httpx.post(url + "/v1/evaluate", params={"as_of": AS_OF}, json=[*raw, bad], headers=headers(tok["finance"]))
    assert r.status_code == 200
    engine = Engine(backend="reference")
    want = engine.evaluate([(i + 1, e) for i, e in enumerate([*raw, bad])], AS_OF).model_dump(mode="json")
    engine.close()
    assert r.json() == want and r.json()["rejected"][0]["field"] == "type"
    assert httpx.get(url + "/v1/cases/TMP-" + raw[0]["case_id"][4:], headers=headers(tok["justice"])).status_code == 404


def test_unit_digest(live: Any) -> None:
    url, tok = live.server.url, live.tokens
    httpx.post(url + "/v1/events", json=_raw(), headers=headers(tok["admin"]), timeout=60)
    d = httpx.get(url + "/v1/units/procuratorate/digest", params={"as_of": "2024-10-08", "days": 5},
                  headers=headers(tok["procuratorate"])).json()
    # 10-09, 10-10, 10-11, 10-12 (a Saturday worked in exchange for the National Day holiday), 10-14
    assert d["today"] == "2024-10-08" and d["horizon"] == "2024-10-14"
    allofit = httpx.get(url + "/v1/obligations", params={"as_of": "2024-10-08"},
                        headers=headers(tok["procuratorate"])).json()["obligations"]
    assert [o["id"] for o in d["overdue"]] == [o["id"] for o in allofit if o["status"] == "overdue"]
    assert {o["id"] for o in d["due_soon"]} == {o["id"] for o in allofit if o["status"] == "open" and o["due"]
                                                 and "2024-10-08" <= o["due"][:10] <= "2024-10-14"}
    _problem(httpx.get(url + "/v1/units/finance/digest", headers=headers(tok["procuratorate"])), 403, "forbidden")
    assert httpx.get(url + "/v1/units/finance/digest", headers=headers(tok["justice"])).status_code == 200


def test_docs_page_works_offline(live: Any) -> None:
    url = live.server.url
    html = httpx.get(url + "/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/static/") for a in assets), assets  # nothing from outside
    for a in assets:
        assert httpx.get(url + a).status_code == 200
    spec = httpx.get(url + "/openapi.json").json()
    assert {"/v1/events", "/v1/obligations", "/v1/cases/{case_id}", "/v1/evaluate", "/v1/units/{unit}/digest",
            "/v1/health"} <= set(spec["paths"])
