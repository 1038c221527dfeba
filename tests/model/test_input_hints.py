"""The first input mistakes a newcomer makes get a hint, not a parser message — and never echo the value."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fuxian_rules import Engine
from fuxian_rules.cli import main
from fuxian_rules.model.hints import looks_like_gb18030, unit_hint

EVENT = {"id": "e1", "type": "crime_suspected", "case_id": "C-1", "occurred_at": "2024-03-04",
         "data": {"agency": "urban_management"}}


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(backend="reference")


def test_a_gbk_file_is_recognised_and_the_fix_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ev = dict(EVENT, data={"agency": "urban_management", "note": "当事人张三于城管执法中发现涉嫌犯罪"})
    path = tmp_path / "gbk.jsonl"
    path.write_bytes((json.dumps(ev, ensure_ascii=False) + "\n").encode("gbk"))
    monkeypatch.setenv("COLUMNS", "200")
    out = io.StringIO()
    assert main(["check", str(path), "--as-of", "2024-12-31", "--backend", "reference"], out=out) == 1
    text = out.getvalue()
    assert "looks like GBK/GB18030" in text and "iconv -f GB18030 -t UTF-8" in text
    assert "张三" not in text  # the line's content is never shown


def test_utf8_garbage_is_not_called_gbk() -> None:
    assert looks_like_gb18030("城管执法".encode("gb18030"))
    assert not looks_like_gb18030(b"\xff\xfe\x00\x01\x02 binary")
    assert not looks_like_gb18030(bytes(range(128, 256)))
    assert looks_like_gb18030(("城" * 5000).encode("gb18030"))  # decodes only a bounded prefix


@pytest.mark.parametrize("name", ["区城管局", "城管局", "惠济区城市管理局"])
def test_a_chinese_unit_name_gets_what_a_code_is_and_the_closest_codes(engine: Engine, name: str) -> None:
    result = engine.evaluate([dict(EVENT, data={"agency": name})], "2024-12-31")
    (r,) = result.rejected
    assert r.field == "data.agency"
    assert "takes a unit code" in r.message and "not the unit's name" in r.message
    assert "closest known codes: urban_management (区城管局)" in r.message
    assert "pattern" not in r.message and "^[" not in r.message  # no regular expression
    if name == "惠济区城市管理局":
        assert name not in r.message  # the input is not echoed (registry names may of course appear)


def test_a_persons_name_in_a_unit_field_is_not_echoed(engine: Engine) -> None:
    (r,) = engine.evaluate([dict(EVENT, data={"agency": "王小明"})], "2024-12-31").rejected
    assert "王小明" not in r.message and "unit code" in r.message


def test_a_misspelt_code_is_accepted_as_a_free_form_unit(engine: Engine) -> None:
    """Contract §3 as amended (issue 10): a well-formed code not in the registry is a free-form unit, never a
    rejection; the hints below still serve malformed codes."""
    assert engine.evaluate([dict(EVENT, data={"agency": "urban_managment"})], "2024-12-31").rejected == []


def test_unit_hint_is_bounded_and_plain(engine: Engine) -> None:
    hint = unit_hint("局" * 10_000, engine.catalog.units)
    assert len(hint) < 1000
