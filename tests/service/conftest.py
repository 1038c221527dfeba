"""Fixtures of the service tests: a real ``fuxian-rules serve`` process per module, and its tokens.

Without the optional extra these tests cannot import: outside CI they are then left out; under
``CI=true`` they always run (see ``tests/ledger/conftest.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from fuxian_rules import Engine
from ledger_support import Server, extras_missing

if extras_missing():
    collect_ignore_glob = ["test_*.py"]


@dataclass
class Live:
    server: Server
    db_url: str
    tokens: dict[str, str]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    from fuxian_rules.ledger import Ledger, create_token

    work: Path = tmp_path_factory.mktemp("svc")
    url = f"sqlite:///{work / 'ledger.sqlite3'}"
    engine = Engine(backend="reference")
    ledger = Ledger(url, engine)
    tokens = {
        "procuratorate": create_token(ledger, "procuratorate", "unit")[1],
        "public_security": create_token(ledger, "public_security", "unit")[1],
        "finance": create_token(ledger, "finance", "unit")[1],
        "justice": create_token(ledger, "justice", "office")[1],
        "admin": create_token(ledger, "big_data", "admin")[1],
    }
    ledger.close()
    engine.close()
    server = Server(url, work).start()
    yield Live(server, url, tokens)
    server.stop()


@dataclass
class Dashboard:
    server: Server
    tokens: dict[str, str]
    docs_dir: Path


@pytest.fixture(scope="session")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """The service on a ledger holding the district's 2024 example, serving a (tiny) docs site at /site/."""
    from fuxian_rules.ledger import Ledger, create_token
    from fuxian_rules.ledger.ops import import_jsonl

    work: Path = tmp_path_factory.mktemp("dash")
    url = f"sqlite:///{work / 'ledger.sqlite3'}"
    engine = Engine(backend="reference")
    ledger = Ledger(url, engine)
    root = Path(__file__).resolve().parents[2]
    with (root / "examples" / "district-2024.jsonl").open(encoding="utf-8") as fh:
        assert not import_jsonl(ledger, fh).rejected
    tokens = {"justice": create_token(ledger, "justice", "office")[1],
              "urban_management": create_token(ledger, "urban_management", "unit")[1],
              "finance": create_token(ledger, "finance", "unit")[1]}
    ledger.close()
    engine.close()
    docs = work / "site"
    (docs / "generated" / "rules" / "transfer.no-penalty-instead").mkdir(parents=True)
    (docs / "index.html").write_text("<!doctype html><meta charset=utf-8><title>文档</title><p>规则文档</p>",
                                     encoding="utf-8")
    server = Server(url, work, FUXIAN_DOCS_DIR=str(docs)).start()
    yield Dashboard(server, tokens, docs)
    server.stop()
