"""Hostile files: malformed rule, policy, calendar and scenario files fail cleanly at file:line.

Every file a deployment supplies is untrusted. A broken one must stop loading with a
:class:`~fuxian_rules.errors.LoadError` that names the file, the line and (where there is one) the
field, with a hint — never another exception, never a silently wrong catalogue.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuxian_rules.testing.plugin as SP
import strategies as S
from fuxian_rules import Engine, LegalCalendar, load_catalog
from fuxian_rules.errors import CalendarError, CatalogError, LoadError, PolicyError

pytest_plugins = ["pytester"]

RULE_FILE = "3.11-transfer.yaml"
BASE_FILES = ("vocabulary.yaml", "units.yaml", "citations.yaml", "policy.yaml")
ORIGINAL = (S.RULES_DIR / RULE_FILE).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalogue of the shared files and the 三(十一) rule file only (other areas are not needed)."""
    root = tmp_path_factory.mktemp("catalogue") / "rules"
    root.mkdir()
    for name in BASE_FILES:
        shutil.copy(S.RULES_DIR / name, root / name)
    shutil.copytree(S.RULES_DIR / "notice", root / "notice")
    (root / RULE_FILE).write_text(ORIGINAL, encoding="utf-8")
    load_catalog(root)  # the untouched copy loads
    return root


def line_of(text: str, fragment: str) -> int:
    index = text.index(fragment)
    return text.count("\n", 0, index) + 1


def load_error(root: Path, text: str | bytes, name: str = RULE_FILE) -> LoadError:
    path = root / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        with pytest.raises(LoadError) as info:
            load_catalog(root)
    finally:
        (root / RULE_FILE).write_text(ORIGINAL, encoding="utf-8")
        if name != RULE_FILE:
            path.unlink()
    return info.value


def sub(old: str, new: str, marker: str | None = None, offset: int = 0) -> Callable[[str], tuple[str, int]]:
    """Replace the first ``old``; the error must point at the line of ``marker`` (default: ``new``) + offset.

    Rule-level checks point at the rule's ``- id:`` line; YAML notices an unclosed bracket a line later.
    """

    def apply(text: str) -> tuple[str, int]:
        assert old in text, old
        out = text.replace(old, new, 1)
        return out, line_of(out, marker if marker is not None else new) + offset

    return apply


DECIDE_RULE = "  - id: transfer.decide\n"
BOMB = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))

RULE_FILE_ERRORS = [
    ("misspelt key", sub("    closed_by:\n", "    closed-by:\n"), "rules.0.closed-by", "Extra inputs"),
    ("missing modality", sub("    modality: obligation\n    basis: [\"notice:3.11\", \"transfer-reg:5\"]\n    text: 行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查\n    quotes:\n      \"transfer-reg:5\": 行政执法机关对应当",
                             "    basis: [\"notice:3.11\", \"transfer-reg:5\"]\n    text: 行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查\n    quotes:\n      \"transfer-reg:5\": 行政执法机关对应当",
                             "  - id: transfer.report"), "rules.0.modality", "Field required"),
    ("basis not a list", sub('basis: ["notice:3.11", "transfer-reg:5"]', "basis: notice:3.11"), "rules.0.basis", "list"),
    ("unknown modality", sub("modality: obligation", "modality: duty"), "rules.0.modality", "obligation"),
    ("negative period", sub("period: {days: 3}", "period: {days: -3}"), "rules.1.period.days", "greater than"),
    ("boolean period", sub("period: {days: 3}", "period: {days: yes}"), "rules.1.period.days", "integer"),
    ("two period kinds", sub("period: {days: 3}", "period: {days: 3, hours: 24}"), "rules.1.period", "exactly one"),
    ("period too long", sub("period: {days: 3}", "period: {days: 99999999999999999999}"), "rules.1.period.days",
     "less than"),
    ("bad citation form", sub('basis: ["notice:3.11", "transfer-reg:5"]', 'basis: ["notice-3.11", "transfer-reg:5"]'),
     "rules.0.basis.0", "pattern"),
    ("unknown article", sub('basis: ["notice:3.11"]\n', 'basis: ["notice:3.11", "transfer-reg:99"]\n'),
     "basis.1", "unknown citation"),
    ("unknown notice clause", sub('basis: ["notice:3.11"]\n', 'basis: ["notice:3.99"]\n'), "basis.0", "no clause"),
    ("text not verbatim", sub("text: 行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查\n",
                              "text: 行政执法机关对涉嫌犯罪案件可以不移送\n"), "rules.0.text", "verbatim"),
    ("quote not verbatim", sub("决定批准的，应当在２４小时内向同级公安机关移送\n", "决定批准的，应当在48小时内向同级公安机关移送\n"),
     "quotes.transfer-reg:5", "verbatim"),
    ("quote outside basis", sub('"mps-procedure:180": 对行政执法机关', '"mps-procedure:181": 对行政执法机关',
                                "  - id: transfer.filing-review"),
     "rules.7", "not in `basis`"),
    ("unknown event type", sub("trigger: {event: crime_suspected}", "trigger: {event: crime_suspect}"),
     "rules.0.trigger.event", "did you mean"),
    ("unknown where field", sub("where: {approved: true}", "where: {aproved: true}"), "where.aproved", "no field"),
    ("where value of wrong kind", sub("where: {approved: true}", 'where: {approved: "yes"}'), "where.approved",
     "kind bool"),
    ("empty `in`", sub("where: {kind: require_transfer}}", "where: {kind: {in: []}}}"), "where.kind", "non-empty"),
    ("unknown holder unit", sub("holder: {unit: procuratorate, role: 区检察院}", "holder: {unit: procuratorat, role: 区检察院}"),
     "holder.unit", "unknown unit"),
    ("holder field not in trigger", sub("holder: {field: agency, role: 行政执法机关（专案组）}",
                                        "holder: {field: agencyy, role: 行政执法机关（专案组）}"), "holder.field", "no field"),
    ("holder with both unit and field", sub("holder: {unit: public_security, role: 公安机关}",
                                            "holder: {unit: public_security, field: to, role: 公安机关}"),
     "holder", "exactly one"),
    ("duplicate rule id", lambda t: (t.replace(DECIDE_RULE, "  - id: transfer.report\n", 1), line_of(t, DECIDE_RULE)),
     "rules.1.id", "duplicate rule id"),
    ("invalid rule id", sub("  - id: transfer.report\n", "  - id: Transfer Report\n"), "rules.0.id", "pattern"),
    ("escalation to nowhere", sub("escalates_to: [reverse.internal-supervision, reverse.follow-up]",
                                  "escalates_to: [reverse.internal-supervisio, reverse.follow-up]",
                                  "  - id: reverse.reply\n"),
     "reverse.reply.escalates_to", "unknown rule"),
    ("escalation to a non-escalated rule", sub("escalates_to: [reverse.internal-supervision, reverse.follow-up]",
                                               "escalates_to: [transfer.decide]", "  - id: reverse.reply\n"),
     "reverse.reply.escalates_to", "escalated: true"),
    ("valid_to before valid_from", sub("    valid_from: 2024-01-19\n    trigger: {event: crime_suspected}",
                                       "    valid_from: 2024-01-19\n    valid_to: 2020-01-01\n    trigger: {event: crime_suspected}",
                                       "  - id: transfer.report"), "rules.0", "before"),
    ("impossible date", sub("valid_from: 2024-01-19", "valid_from: 2024-02-30"), None, "day is out of range"),
    ("impossible date as a key", sub("    quotes:\n", "    2024-02-30: x\n    quotes:\n", "2024-02-30"), None,
     "bad key"),
    ("follows unknown rule", sub("follows: [transfer.send,", "follows: [transfer.sned,", "  - id: transfer.no-penalty"),
     "period.follows", "unknown rule"),
    ("unknown policy term", sub("period: {policy: promptly}", "period: {policy: instantly}"), "period.policy",
     "unknown policy term"),
    ("title too short", sub("title: 行政执法机关发现涉嫌犯罪案件", "title: 短\n    x_title: 行政执法机关发现涉嫌犯罪案件",
                            "title: 短"), "rules.0.title", "at least"),
    ("empty trigger", sub("trigger: {event: crime_suspected}", "trigger:"), "rules.0.trigger", "dictionary"),
    ("duplicate key", sub("    modality: obligation\n", "    modality: obligation\n    modality: permission\n",
                          "    modality: permission"), "rules.0.modality", "duplicate key"),
    ("anchor", sub("area: transfer", "area: &a transfer"), None, "anchors"),
    ("billion laughs", lambda t: (BOMB.replace("*l0, " * 8 + "*l0", "lol") + t, 1), None, "anchors"),
    ("merge key", sub("    modality: obligation\n", "    <<: {modality: obligation}\n", "<<"), None, "merge"),
    ("python tag", sub("area: transfer", "area: !!python/object/apply:os.getcwd []"), "area", "string"),
    ("tab indentation", sub(DECIDE_RULE, "\t- id: transfer.decide\n"), None, "YAML"),
    ("unclosed flow mapping", sub("period: {days: 3}", "period: {days: 3", offset=1), None, "YAML"),
    ("second document", lambda t: (t + "---\narea: other\n", t.count("\n") + 1), None, "YAML"),
    ("top-level list", lambda t: ("- " + t.replace("\n", "\n  "), 1), None, "dictionary"),
    ("empty file", lambda t: ("", 1), None, "dictionary"),
    ("only a comment", lambda t: ("# 空文件\n", 1), None, "dictionary"),
    ("too deep", sub("    explain: 不批准移送的决定", "    explain: " + "[" * 40 + "x" + "]" * 40 + "\n    x_explain: 不批准移送的决定",
                     "    explain: [["), None, "nesting"),
]


@pytest.mark.parametrize(("mutate", "field", "fragment"), [pytest.param(m, f, x, id=n) for n, m, f, x in RULE_FILE_ERRORS])
def test_a_broken_rule_file_is_refused_at_its_line(catalogue: Path, mutate: Callable[[str], tuple[str, int]],
                                                   field: str | None, fragment: str) -> None:
    """Each schema violation or YAML trick is a CatalogError naming file:line and the field."""
    text, line = mutate(ORIGINAL)
    err = load_error(catalogue, text)
    assert isinstance(err, CatalogError)
    assert err.file is not None and err.file.endswith(RULE_FILE)
    assert err.line == line, str(err)
    assert f"{RULE_FILE}:{line}" in str(err)
    if field is not None:
        assert err.field is not None and field in err.field, str(err)
    assert fragment in str(err), str(err)


def test_non_utf8_and_oversized_rule_files(catalogue: Path) -> None:
    """Bytes that are not UTF-8 are refused at their line; a file over the size limit before parsing."""
    raw = ORIGINAL.encode("utf-8").replace("杜绝有案不立".encode(), b"\xff\xfe\xfd", 1)
    err = load_error(catalogue, raw)
    assert err.line == line_of(ORIGINAL, "杜绝有案不立") and "UTF-8" in err.message
    start = time.monotonic()
    err = load_error(catalogue, ORIGINAL + "#" * (3 * 1024 * 1024))
    assert "larger than" in err.message and time.monotonic() - start < 5


def test_a_second_file_for_the_same_area_is_refused(catalogue: Path) -> None:
    """Two files may not both define an area (or reuse rule ids)."""
    err = load_error(catalogue, ORIGINAL, "3.11-zz-copy.yaml")
    assert err.file is not None and err.file.endswith("3.11-zz-copy.yaml")
    assert err.line == line_of(ORIGINAL, "area: transfer") and err.field == "area" and "two files" in err.message


def test_a_cycle_of_escalations_is_refused(catalogue: Path) -> None:
    """Escalations that raise each other would never end: refused with the cycle spelled out."""
    text = ORIGINAL.replace(
        "    explain: 本项是对内部执法监督部门的工作要求，没有可供外部系统核验的履行事件",
        "    escalates_to: [transfer.procuratorial-opinion]\n"
        "    explain: 本项是对内部执法监督部门的工作要求，没有可供外部系统核验的履行事件", 1).replace(
        "    cancelled_by:\n      - {event: case_transferred}\n      - {event: non_transfer_reviewed, where: {should_transfer: false}}\n",
        "    cancelled_by:\n      - {event: case_transferred}\n      - {event: non_transfer_reviewed, where: {should_transfer: false}}\n"
        "    escalates_to: [transfer.internal-supervision]\n", 1)
    err = load_error(catalogue, text)
    assert "cyclic" in err.message and "→" in err.message and err.line is not None


MUTATIONS = st.sampled_from(["delete", "duplicate", "swap", "truncate", "char", "indent", "token"])
TOKENS = st.sampled_from([": ", "- ", "{", "}", "[", "]", "&a ", "*a", "!!str ", "? ", "|", ">", "'", '"', "#",
                          "\t", "null", "~", "0x1F", "1e9", ".inf", "yes", "2024-13-40", "\x00", "\ufeff"])


@settings(max_examples=S.examples(50))
@given(kind=MUTATIONS, where=st.integers(0, 10**6), other=st.integers(0, 10**6), token=TOKENS)
def test_no_mutation_of_a_rule_file_escapes_as_anything_but_a_load_error(catalogue: Path, kind: str, where: int,
                                                                          other: int, token: str) -> None:
    """A rule file damaged at random either still loads or fails with a LoadError at file:line."""
    lines = ORIGINAL.split("\n")
    i, j = where % len(lines), other % len(lines)
    if kind == "delete":
        del lines[i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    elif kind == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "truncate":
        lines = lines[:i]
    elif kind == "indent":
        lines[i] = " " + lines[i]
    else:
        pos = other % (len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + (token if kind == "token" else chr(0x20 + other % 0x3000)) + lines[i][pos + 1:]
    (catalogue / RULE_FILE).write_text("\n".join(lines), encoding="utf-8")
    error: LoadError | None = None
    try:
        load_catalog(catalogue)
    except LoadError as exc:
        error = exc
    finally:
        (catalogue / RULE_FILE).write_text(ORIGINAL, encoding="utf-8")
    if error is not None:
        assert error.file is not None and error.file.endswith(RULE_FILE) and error.message, str(error)
        assert error.line is not None, str(error)


# ---- policy files ------------------------------------------------------------------------------------------

POLICY_OK = """\
version: 1
terms:
  immediately:
    word: 立即
    period: {hours: 2}
    reason: 本部署要求两小时内报告（测试用）。
"""

POLICY_ERRORS = [
    ("unknown term", POLICY_OK.replace("immediately:", "instantly:"), 3, "terms.instantly", "unknown policy term"),
    ("two kinds", POLICY_OK.replace("{hours: 2}", "{hours: 2, days: 1}"), 5, "terms.immediately.period",
     "exactly one"),
    ("negative", POLICY_OK.replace("{hours: 2}", "{hours: -2}"), 5, "terms.immediately.period.hours", "greater than"),
    ("boolean", POLICY_OK.replace("{hours: 2}", "{hours: true}"), 5, "terms.immediately.period.hours", "integer"),
    ("None for none", POLICY_OK.replace("{hours: 2}", "None"), 5, "terms.immediately.period", ""),
    ("short reason", POLICY_OK.replace("本部署要求两小时内报告（测试用）。", "短"), 6, "terms.immediately.reason", "at least"),
    ("missing reason", POLICY_OK.replace("    reason: 本部署要求两小时内报告（测试用）。\n", ""), 3,
     "terms.immediately.reason", "required"),
    ("version 2", POLICY_OK.replace("version: 1", "version: 2"), 1, "version", "1"),
    ("unknown key", POLICY_OK + "extra: 1\n", 7, "extra", "Extra"),
    ("duplicate key", POLICY_OK.replace("    word: 立即\n", "    word: 立即\n    word: 即刻\n"), 5,
     "terms.immediately.word", "duplicate"),
    ("anchor", POLICY_OK.replace("{hours: 2}", "&p {hours: 2}"), 5, None, "anchors"),
    ("list", "- version: 1\n", 1, None, "dictionary"),
    ("empty", "", 1, None, ""),
]


@pytest.mark.parametrize(("text", "line", "field", "fragment"),
                         [pytest.param(t, ln, f, x, id=n) for n, t, ln, f, x in POLICY_ERRORS])
def test_a_broken_policy_file_is_refused_at_its_line(catalogue: Path, tmp_path: Path, text: str, line: int,
                                                     field: str | None, fragment: str) -> None:
    """Each invalid policy file is a PolicyError naming file:line and the field."""
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_catalog(catalogue, policy=path)
    err = info.value
    assert err.file == str(path) and err.line == line, str(err)
    if field is not None:
        assert err.field == field, str(err)
    assert fragment in str(err)


def test_unreadable_and_non_utf8_policy_files(catalogue: Path, tmp_path: Path) -> None:
    """A missing or undecodable policy file is a PolicyError naming it."""
    with pytest.raises(PolicyError) as info:
        load_catalog(catalogue, policy=tmp_path / "missing.yaml")
    assert info.value.file == str(tmp_path / "missing.yaml")
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("version: 1\nterms: {}\n# é\n".encode("latin-1"))
    with pytest.raises(PolicyError) as info:
        load_catalog(catalogue, policy=bad)
    assert info.value.line == 3 and "UTF-8" in info.value.message


def test_a_valid_policy_override_changes_the_due_date_and_the_receipt(catalogue: Path, tmp_path: Path) -> None:
    """A deployment's 及时 of two days gives the police's reverse transfer two days, and says so."""
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nterms:\n  promptly:\n    word: 及时\n    period: {days: 2}\n"
                    "    reason: 本部署要求两日内移送（测试用）。\n", encoding="utf-8")
    engine = Engine(catalogue, policy=path, backend="reference")
    ev = {"id": "p", "type": "police_admin_liability_found", "case_id": "P", "occurred_at": "2024-03-04T09:00:00+08:00",
          "data": {"agency": "health"}}
    result = engine.evaluate([ev], "2024-03-31")
    referral = next(o for o in result.obligations if o.rule == "reverse.police-transfer")
    assert referral.due == "2024-03-06"
    assert result.receipt.policy_source == str(path)
    assert "本部署要求两日内移送" in referral.explanation


# ---- calendar files ------------------------------------------------------------------------------------------

CALENDAR_OK = """\
year: 2031
source: 测试数据
holidays:
  - {from: 2031-10-01, to: 2031-10-07, name: 国庆节}
workdays:
  - {date: 2031-09-28, name: 国庆节调休}
"""


def calendar_error(tmp_path: Path, content: str | bytes) -> CalendarError:
    path = tmp_path / "cal.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError) as info:
        LegalCalendar([path])
    assert info.value.file == str(path)
    return info.value


@pytest.mark.parametrize(("content", "fragment"), [
    pytest.param("year: 2031\nholidays: &h\n  - {date: 2031-01-01, name: 元旦}\nworkdays: *h\n", "",
                 id="alias"),
    pytest.param("year: 2031\nholidays:\n" + "".join(f"  - &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 30)),
                 "", id="alias-bomb"),
    pytest.param("year: 2031\nholidays: " + "[" * 200 + "]" * 200 + "\n", "", id="deep"),
    pytest.param("year: 2031\nsource: " + "x" * (3 * 1024 * 1024) + "\n", "", id="huge"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "", id="binary"),
    pytest.param("year: 2031\nholidays:\n  - {date: 2031-01-01, name: !!binary aGVsbG8=}\n", "name", id="binary-tag"),
    pytest.param("year: 2031\nholidays:\n  - {date: !!python/name:os.system '', name: x}\n", "", id="python-tag"),
    pytest.param("year: 99999\n", "year", id="year-overflow"),
])
def test_hostile_calendar_files_fail_fast_and_cleanly(tmp_path: Path, content: str | bytes, fragment: str) -> None:
    """YAML tricks in a calendar file are a CalendarError naming the file — quickly, without expanding them."""
    start = time.monotonic()
    err = calendar_error(tmp_path, content)
    assert time.monotonic() - start < 5
    assert fragment in str(err)
    assert err.hint or err.line is not None


@settings(max_examples=S.examples(100))
@given(kind=MUTATIONS, where=st.integers(0, 10**6), other=st.integers(0, 10**6), token=TOKENS)
def test_no_mutation_of_a_calendar_file_escapes_as_anything_but_a_calendar_error(
        tmp_path_factory: pytest.TempPathFactory, kind: str, where: int, other: int, token: str) -> None:
    """A calendar file damaged at random either still loads or fails with a CalendarError naming it."""
    lines = CALENDAR_OK.split("\n")
    i = where % len(lines)
    if kind in ("delete", "truncate"):
        lines = lines[:i] + (lines[i + 1:] if kind == "delete" else [])
    elif kind in ("duplicate", "swap"):
        lines.insert(i, lines[other % len(lines)])
    else:
        pos = other % (len(lines[i]) + 1)
        lines[i] = lines[i][:pos] + (token if kind == "token" else chr(0x20 + other % 0x3000)) + lines[i][pos:]
    path = tmp_path_factory.mktemp("cal") / "cal.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    error: CalendarError | None = None
    try:
        LegalCalendar([path])
    except CalendarError as exc:
        error = exc
    if error is not None:
        assert error.file == str(path) and error.message and error.hint, str(error)


# ---- scenario files ---------------------------------------------------------------------------------------------

SCENARIO_OK = """\
scenarios:
  - name: 一例
    as_of: 2024-03-31
    events:
      - {id: a, type: transfer_report_submitted, case_id: X, occurred_at: 2024-03-04, data: {agency: health}}
    expect:
      - {rule: transfer.decide, case_id: X, status: overdue, due: 2024-03-07}
"""

SCENARIO_ERRORS = [
    ("unknown top key", SCENARIO_OK + "extra: 1\n", 8, "unknown key"),
    ("misspelt scenario key", SCENARIO_OK.replace("    expect:", "    expects:"), 6, "did you mean 'expect'"),
    ("missing name", SCENARIO_OK.replace("  - name: 一例\n    as_of", "  - as_of"), 2, "missing 'name'"),
    ("duplicate name", SCENARIO_OK + SCENARIO_OK.split("\n", 1)[1], 8, "used twice"),
    ("unknown status", SCENARIO_OK.replace("status: overdue", "status: late"), 7, "unknown status"),
    ("misspelt rule", SCENARIO_OK.replace("rule: transfer.decide", "rule: transfer.decid"), 7,
     "did you mean 'transfer.decide'"),
    ("naive as_of", SCENARIO_OK.replace("as_of: 2024-03-31", "as_of: 2024-03-31 10:00:00"), 3, "UTC offset"),
    ("events not a list", SCENARIO_OK.replace(
        "    events:\n      - {id: a, type: transfer_report_submitted, case_id: X, occurred_at: 2024-03-04, "
        "data: {agency: health}}", "    events: {id: a}"), 4, "list"),
    ("nothing expected", SCENARIO_OK.replace(
        "    expect:\n      - {rule: transfer.decide, case_id: X, status: overdue, due: 2024-03-07}\n", ""), 2,
     "must expect something"),
    ("absent not a list", SCENARIO_OK + "    expect_absent: transfer.send\n", 8, "list"),
    ("unknown absent rule", SCENARIO_OK + "    expect_absent: [transfer.sned]\n", 8, "did you mean"),
    ("empty scenarios", "scenarios: []\n", 1, "non-empty"),
    ("anchor", SCENARIO_OK.replace("as_of: 2024-03-31", "as_of: &d 2024-03-31"), 3, "anchors"),
    ("duplicate key", SCENARIO_OK.replace("    as_of: 2024-03-31\n", "    as_of: 2024-03-31\n    as_of: 2024-04-30\n"),
     4, "duplicate key"),
    ("empty file", "", 1, "must be a mapping"),
]


@pytest.mark.parametrize(("text", "line", "fragment"),
                         [pytest.param(t, ln, x, id=n) for n, t, ln, x in SCENARIO_ERRORS])
def test_a_broken_scenario_file_is_refused_at_its_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    """A malformed scenario file fails to load at file:line — a misspelt rule id cannot pass silently."""
    path = tmp_path / "x.scenarios.yaml"
    path.write_text(text, encoding="utf-8")
    rules = set(load_catalog(S.RULES_DIR).rules) if "rule" in fragment or "did you mean" in fragment else \
        {"transfer.decide", "transfer.send"}
    with pytest.raises(SP.ScenarioFileError) as info:
        SP.load_scenarios(path, rules)
    assert info.value.file == str(path)
    assert info.value.line == line, str(info.value)
    assert fragment in str(info.value)


def test_a_failing_scenario_is_reported_at_its_file_and_line(pytester: pytest.Pytester) -> None:
    """A scenario that does not come out as written fails with file:line and its name, one line per miss."""
    rules = pytester.path / "rules"
    rules.mkdir()
    for name in BASE_FILES:
        shutil.copy(S.RULES_DIR / name, rules / name)
    shutil.copytree(S.RULES_DIR / "notice", rules / "notice")
    (rules / RULE_FILE).write_text(ORIGINAL, encoding="utf-8")
    (rules / "conftest.py").write_text("from fuxian_rules.testing.plugin import pytest_collect_file  # noqa: F401\n")
    wrong = SCENARIO_OK.replace("due: 2024-03-07", "due: 2024-03-08") + (
        "  - name: 不应出现\n    as_of: 2024-03-31\n    events:\n"
        "      - {id: b, type: crime_suspected, case_id: Y, occurred_at: 2024-03-04, data: {agency: health}}\n"
        "      - {id: c, type: crime_suspected, case_id: Y, occurred_at: '2024-02-30', data: {agency: health}}\n"
        "    expect_absent: [transfer.report]\n")
    (rules / "t.scenarios.yaml").write_text(wrong, encoding="utf-8")
    result = pytester.runpytest_inprocess("rules", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert "rules/t.scenarios.yaml:2: scenario '一例' failed" in out
    assert "rules/t.scenarios.yaml:7: expected rule=transfer.decide, status=overdue, case_id=X, due=2024-03-08; " \
           "got X triggered by a: due 2024-03-07" in out
    assert "rules/t.scenarios.yaml:8: scenario '不应出现' failed" in out
    assert "rules/t.scenarios.yaml:12: event c rejected" in out
    assert "rules/t.scenarios.yaml:13: expected no transfer.report; got Y open" in out


# ---- the specification reader (tools.spec) ------------------------------------------------------------


@pytest.mark.parametrize(("source", "line", "fragment"), [
    pytest.param("CLAUSES = ['notice:3.11'\n", 1, "not valid Python", id="syntax"),
    pytest.param('"""Doc."""\n\nCLAUSES = [f"notice:{3}"]\n', 3, "literal list", id="computed-clauses"),
    pytest.param('"""Doc."""\n\nCLAUSES = "notice:3.11"\n', 3, "literal list", id="clauses-not-a-list"),
    pytest.param('"""Doc."""\n\nCLAUSES = [3.11]\n', 3, "literal list", id="clauses-not-strings"),
])
def test_a_malformed_spec_module_is_reported_at_its_line(tmp_path: Path, source: str, line: int, fragment: str) -> None:
    """The specification reader names the spec module and line it cannot read — it never imports it."""
    from tools.spec import load_spec

    from fuxian_rules.errors import RunError

    (tmp_path / "test_spec_x.py").write_text(source + "\nraise SystemExit('never imported')\n", encoding="utf-8")
    with pytest.raises(RunError) as info:
        load_spec(tmp_path)
    assert info.value.file == str(tmp_path / "test_spec_x.py") and info.value.line == line
    assert fragment in str(info.value)


def test_the_spec_command_prints_markdown_and_json_and_says_when_tests_are_absent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m tools.spec`` lists each property with its quotations; without a tests folder it says why."""
    import io
    import json

    from tools.spec import main

    (tmp_path / "test_spec_demo.py").write_text(
        '"""Demo area: one property."""\n\nCLAUSES = ["notice:3.11"]\n\n\n'
        "@settings(max_examples=examples(7))\n"
        "def test_demo() -> None:\n"
        '    """The demo property.\n\n    「区检察院依法审查」（notice:3.11）\n    Prose after the quotation.\n    """\n',
        encoding="utf-8")
    md = io.StringIO()
    assert main(["--tests", str(tmp_path)], out=md) == 0
    text = md.getvalue()
    assert "## Demo area: one property." in text and "### The demo property." in text
    assert "> 「区检察院依法审查」（notice:3.11）\n\nProse after the quotation." in text
    assert "7 examples per run (ci)" in text
    js = io.StringIO()
    assert main(["--tests", str(tmp_path), "--format", "json"], out=js) == 0
    prop = json.loads(js.getvalue())["modules"][0]["properties"][0]
    assert prop["quotes"] == [{"cite": "notice:3.11", "text": "区检察院依法审查"}] and prop["examples"] == 7
    assert main(["--tests", str(tmp_path / "absent")], out=io.StringIO()) == 2
    assert "no tests/ folder" in capsys.readouterr().err
    full = io.StringIO()
    assert main([], out=full) == 0  # the repository's own specification
    assert "`test_a_reply_to_a_penalty_opinion_is_due_two_months_after_receipt`" in full.getvalue()
    assert "（cpl-interp:202）" in full.getvalue()


# ---- the two YAML parsers ------------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(__import__("yaml"), "CSafeLoader"), reason="PyYAML built without libyaml")
def test_libyaml_and_the_pure_python_parser_read_every_bundled_file_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader takes libyaml's parser where it exists (start-up of every worker); values and lines must
    be exactly what the pure-Python parser gives, or an error would point at another line."""
    import yaml

    from fuxian_rules import safe_yaml

    files = sorted(S.RULES_DIR.rglob("*.yaml"))
    assert len(files) > 15
    for path in files:
        text = path.read_text(encoding="utf-8")
        read: dict[object, object] = {}
        for loader in (yaml.SafeLoader, yaml.CSafeLoader):
            monkeypatch.setattr(safe_yaml, "_LOADER", loader)
            try:
                located = safe_yaml.read_yaml(text, path.name)
                read[loader] = (located.data, located.lines)
            except LoadError as exc:  # the catalogue's own examples of refused files
                read[loader] = (exc.code, exc.line)
        assert read[yaml.SafeLoader] == read[yaml.CSafeLoader], path.name


@pytest.mark.parametrize("text", ["- " * 200_000 + "x\n", "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 1200))])
def test_block_nesting_beyond_any_parser_bound_is_too_deep(text: str) -> None:
    """libyaml stops block nesting at its own bound (1000) with a syntax error: it is reported as too deep."""
    from fuxian_rules import safe_yaml

    started = time.perf_counter()
    with pytest.raises(LoadError) as info:
        safe_yaml.read_yaml(text, "deep.yaml")
    assert info.value.code == safe_yaml.TOO_DEEP and time.perf_counter() - started < 5
