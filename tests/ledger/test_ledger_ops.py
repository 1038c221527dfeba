"""Stable obligation ids, and the operator commands: export/import round trip, replay, stats, tokens."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings

import strategies as S
from fuxian_rules import Engine, parse_as_of
from fuxian_rules.ledger import Filters, Ledger, obligation_id, obligation_ids
from ledger_support import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "history.jsonl"


def _raw() -> list[dict]:
    return [json.loads(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]


@settings(max_examples=S.examples(40))
@given(h=S.histories(max_cases=4))
def test_ids_are_unique_and_keep_across_instants(h: S.History) -> None:
    engine = _ENGINE
    first, last = h.span()
    seen: dict[tuple, str] = {}
    for at in (first, last, last + timedelta(days=400)):
        obs = engine.evaluate(h.events, at).obligations
        ids = [i for case in sorted({o.case_id for o in obs})
               for i in obligation_ids(engine, [o for o in obs if o.case_id == case])]
        obs = sorted(obs, key=lambda o: o.case_id)  # the order ids were made in (stable within a case)
        assert len(ids) == len(set(ids))
        ordinal: dict[tuple, int] = {}
        for o, i in zip(obs, ids, strict=True):
            # one obligation: its rule, case, holder and triggers — and, for a yearly duty, its year's due day;
            # duties sharing all of these (one per department) are told apart by their order
            yearly = engine.catalog.rules[o.rule].spec.trigger.schedule is not None
            base = (o.rule, o.case_id, o.holder, tuple(o.triggered_by), o.due if yearly else None)
            ordinal[base] = ordinal.get(base, -1) + 1
            key = (*base, ordinal[base])
            assert seen.setdefault(key, i) == i  # the same obligation keeps its id as its status changes


_ENGINE = Engine(backend="reference")


def test_yearly_duties_get_one_id_per_year() -> None:
    obs = _ENGINE.evaluate(_raw(), "2026-06-30").obligations
    ids = [i for case in sorted({o.case_id for o in obs})
           for i in obligation_ids(_ENGINE, [o for o in obs if o.case_id == case])]
    assert len(ids) == len(set(ids)) == len(obs)
    yearly = [o for o in obs if o.rule == "mechanism.plenary-meeting"] or [o for o in obs if not o.triggered_by]
    assert len(yearly) >= 2 and len({obligation_id(_ENGINE, o) for o in yearly}) == len(yearly)


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([cli(), *args], capture_output=True, text=True, check=check)


def test_export_import_replay_stats_round_trip(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.sqlite3'}", f"sqlite:///{tmp_path / 'b.sqlite3'}"
    imported = json.loads(_run("ledger", "import", "--db", a, "--backend", "reference", str(EXAMPLES)).stdout)
    assert imported == {"accepted": len(_raw()), "duplicates": 0, "rejected": []}
    exported = _run("ledger", "export", "--db", a, "--backend", "reference").stdout
    (tmp_path / "a.jsonl").write_text(exported, encoding="utf-8")
    _run("ledger", "import", "--db", b, "--backend", "reference", str(tmp_path / "a.jsonl"))
    assert _run("ledger", "export", "--db", b, "--backend", "reference").stdout == exported
    # Both ledgers serve the same obligations, with the same ids.
    la, lb = Ledger(a, _ENGINE), Ledger(b, _ENGINE)
    at = parse_as_of("2025-03-31")
    pa, pb = la.obligations(at, Filters()), lb.obligations(at, Filters())
    assert pa.obligations == pb.obligations and pa.obligations
    la.close()
    lb.close()
    # Replay at the instant the results were cached: no difference.
    replay = json.loads(_run("ledger", "replay", "--db", a, "--backend", "reference", "--as-of", "2025-03-31").stdout)
    assert replay["differences"] == [] and replay["compared_cases"] == replay["cases"] > 0
    stats = json.loads(_run("ledger", "stats", "--db", a, "--backend", "reference").stdout)
    assert stats["events"] == len(_raw()) and sum(stats["obligations_by_status"].values()) == len(pa.obligations)


def test_replay_reports_a_tampered_result(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    ledger = Ledger(url, _ENGINE)
    ledger.ingest(_raw())
    ledger.obligations(parse_as_of("2025-03-31"), Filters())
    with ledger.write() as conn:  # someone edits a stored result by hand
        from sqlalchemy import select, update

        from fuxian_rules.ledger.schema import obligations
        row = conn.execute(select(obligations).limit(1)).first()
        body = json.loads(row.body)
        body["status"] = "fulfilled" if body["status"] != "fulfilled" else "overdue"
        conn.execute(update(obligations).where(obligations.c.case_id == row.case_id,
                                               obligations.c.position == row.position)
                     .values(body=json.dumps(body, ensure_ascii=False)))
    ledger.close()
    proc = _run("ledger", "replay", "--db", url, "--backend", "reference", "--as-of", "2025-03-31", check=False)
    assert proc.returncode == 1
    diffs = json.loads(proc.stdout)["differences"]
    assert [(d["case_id"], d["id"], d["kind"], d["fields"]) for d in diffs] == [
        (row.case_id, body["id"], "changed", ["status"])]


def test_tokens_are_shown_once_stored_hashed_and_revocable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.sqlite3'}"
    created = _run("token", "create", "--db", url, "--unit", "finance", "--role", "unit", "--expires", "30")
    secret = created.stdout.strip()
    assert secret.startswith("fxr_") and len(secret) > 40
    listed = json.loads(_run("token", "list", "--db", url).stdout)
    assert [(t["unit"], t["role"], t["revoked_at"]) for t in listed] == [("finance", "unit", None)]
    assert secret not in (tmp_path / "t.sqlite3").read_bytes().decode("latin-1")
    assert _run("token", "create", "--db", url, "--unit", "Finance!", "--role", "unit", check=False).returncode == 2
    _run("token", "revoke", "--db", url, listed[0]["token_id"])
    assert json.loads(_run("token", "list", "--db", url).stdout)[0]["revoked_at"] is not None
    assert _run("token", "revoke", "--db", url, listed[0]["token_id"], check=False).returncode == 1
