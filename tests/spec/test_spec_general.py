"""Cross-cutting properties: what holds for every obligation, whatever the clause (contract §1–§4).

Histories come from every registered flow (``strategies.FLOWS``); each property is checked against the
spec oracle of ``strategies`` (written from the notice and the national articles, not from the rule
files), or states an invariant any correct evaluation has (order, duplicates, ``as_of``, backends).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import event, given, note, settings
from hypothesis import strategies as st

import strategies as S
from fuxian_rules import Engine

CLAUSES = ["notice:3.11", "notice:3.13", "notice:3.2", "cpl:105", "civil-code:201", "civil-code:203"]

STATUSES = {"open", "fulfilled", "fulfilled_late", "overdue", "violated", "advisory", "cancelled"}
BREACHED = {"overdue", "violated", "fulfilled_late"}


@pytest.fixture(scope="module")
def engine(reference_engine: Engine) -> Engine:
    """These properties state the law against the reference evaluator (the oracle)."""
    return reference_engine


def case_ids(h: S.History) -> list[str]:
    return [c.case_id for c in h.cases]


def rows(engine: Engine, h: S.History, as_of: Any) -> list[tuple[Any, ...]]:
    result = engine.evaluate(h.events, as_of)
    assert result.rejected == []
    return sorted(S.row(o) for o in S.modelled(result.obligations, engine.catalog, case_ids(h)))


def by_key(engine: Engine, h: S.History, as_of: Any) -> dict[tuple[str, str, tuple[str, ...]], Any]:
    result = engine.evaluate(h.events, as_of)
    return {(o.rule, o.case_id, tuple(o.triggered_by)): o
            for o in S.modelled(result.obligations, engine.catalog, case_ids(h))}


# ---- the oracle ------------------------------------------------------------------------------------


@settings(max_examples=S.examples(150))
@given(data=st.data())
def test_engine_agrees_with_the_oracle(engine: Engine, data: st.DataObject) -> None:
    """Every obligation arises for the right holder, with the right due date and status, and no other.

    「区检察院依法审查行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查而不移送，或者公安机关对行政执法机关移送的涉嫌犯罪案件应当立案侦查而不立案侦查的情形」（notice:3.11）
    The oracle (tests/strategies.py) restates each 三(十一) duty from its source — transfer-reg:5, 8, 9,
    12, spp-criminal-rules:557, 560, 563, cpl:177 and the notice's own two months — and contract §2's
    statuses; the engine must report exactly the oracle's obligations, field by field.
    """
    h = data.draw(S.histories())
    as_of, at = data.draw(S.as_of_for(h))
    for c in h.cases:
        note(f"{c.flow} {c.case_id}: " + ", ".join(f"{d.rule}={d.intent}" for d in c.duties))
        event(f"flow {c.flow}")
        for d in c.duties:
            event(f"duty {d.rule} {d.intent}")
    assert rows(engine, h, as_of) == sorted(S.expected_row(e) for e in h.expected(at))


# ---- shape of every obligation ----------------------------------------------------------------------


@settings(max_examples=S.examples(60))
@given(h=S.histories(), after=st.integers(0, 400))
def test_every_obligation_is_well_formed(engine: Engine, h: S.History, after: int) -> None:
    """Every obligation names a holder, a modality and a clause of the notice; its due date is a working day.

    「期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。」（civil-code:203）
    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    Where the source sets a period in days or months, ``due`` is a working day by the official calendar
    and never earlier than the nominal last day (start day not counted); for an hour period it is the
    exact instant the period ends.
    """
    as_of = (h.span()[1] + timedelta(days=after)).astimezone(S.CST).date().isoformat()
    result = engine.evaluate(h.events, as_of)
    events = {e["id"]: e for e in h.events}
    for o in result.obligations:
        rule = engine.catalog.rules[o.rule].spec
        assert o.holder and o.holder != "unknown", o
        assert o.modality in {"obligation", "prohibition", "permission"}
        assert o.modality == rule.modality
        assert o.status in STATUSES
        assert any(c.startswith("notice:") for c in o.basis), o.basis
        assert o.explanation
        p = rule.period
        if p is None or o.due is None:
            assert o.due is None or p is not None
            continue
        trigger = events.get(o.triggered_by[0]) if o.triggered_by else None
        hours = p.hours
        if p.policy is not None:
            term = engine.catalog.policy.terms[p.policy].period
            hours = term.hours if term != "none" else None
        if hours is not None:
            due_at = datetime.fromisoformat(o.due)
            assert due_at.utcoffset() == timedelta(hours=8)
            if trigger is not None and not rule.trigger.escalated:
                start = S.end_of_day(S.day_of(trigger)) if S.is_date_only(trigger) else S.instant(trigger)
                assert due_at == start + timedelta(hours=hours)
            continue
        if all(getattr(p, k) is None for k in ("days", "months", "years", "working_days", "policy")):
            continue  # end of year, a date carried by the event, or a followed rule's due: never extended
        due = date.fromisoformat(o.due)
        assert S.is_official_workday(due), f"{o.rule}: due {due} is not a working day"
        if trigger is not None and not rule.trigger.escalated and p.policy is None:
            start = S.day_of(trigger)
            nominal = start + timedelta(days=p.days) if p.days is not None else S.month_nominal(start, p.months or 0)
            assert due >= nominal
            assert all(not S.is_official_workday(nominal + timedelta(days=i)) for i in range((due - nominal).days))


# ---- closing acts ------------------------------------------------------------------------------------


@settings(max_examples=S.examples(60))
@given(h=S.histories(), after=st.integers(0, 30))
def test_an_act_on_or_before_the_due_date_is_never_overdue(engine: Engine, h: S.History, after: int) -> None:
    """A duty whose closing act comes on or before its due date is fulfilled — never overdue, never late.

    「主管机关自收到检察意见书之日起两个月内将处理结果或者办理情况书面回复检察院」（notice:3.11）
    「期间的最后一日的截止时间为二十四时」（civil-code:203）
    An act dated on the last day counts, whatever its hour; an hour period ends at its exact instant.
    """
    last = h.span()[1] + timedelta(days=400 + after)
    obligations = by_key(engine, h, last.isoformat())
    checked = 0
    for c in h.cases:
        for d in c.duties:
            due = d.due()
            act = d.closing_act(c.events)
            if due is None or act is None or not S._on_time(act, due) or d.trigger_ids[0] not in {
                    e["id"] for e in c.events} or S.day_of(d.trigger) < S.VALID_FROM:
                continue
            cancel = d.cancelling_act(c.events)
            if cancel is not None and S.order_key(cancel) < S.order_key(act):
                continue
            o = obligations[(d.rule, d.case_id, d.trigger_ids)]
            assert o.status not in BREACHED, (o.rule, o.status, o.due, act)
            assert o.status == ("advisory" if d.modality == "permission" else "fulfilled")
            assert o.closed_by == [act["id"]]
            checked += 1
    note(f"{checked} duties closed in time")


@settings(max_examples=S.examples(60))
@given(h=S.histories(), slack=st.integers(1, 60 * 24 * 30))
def test_a_missing_act_is_overdue_exactly_once_the_due_date_passes(engine: Engine, h: S.History, slack: int) -> None:
    """A duty never discharged is open until its period ends and overdue (or violated) from then on.

    「决定批准的，应当在２４小时内向同级公安机关移送」（transfer-reg:5）
    「期间的最后一日的截止时间为二十四时」（civil-code:203）
    Contract §2: an obligation is ``overdue`` when it is not closed and ``as_of`` is after the end of its
    due day (or after its due instant).
    """
    for c in h.cases:
        for d in c.duties:
            due = d.due()
            if (due is None or d.modality == "permission" or d.closing_act(c.events) is not None
                    or d.cancelling_act(c.events) is not None or S.day_of(d.trigger) < S.VALID_FROM):
                continue
            after = by_key(engine, h, (due.end + timedelta(minutes=slack)).isoformat())
            o = after[(d.rule, d.case_id, d.trigger_ids)]
            assert o.status == ("violated" if d.modality == "prohibition" else "overdue"), (o.rule, o.due)
            at_end = due.end
            if S.known_at(d.trigger, at_end) and all(S.known_at(p, at_end) for p in d.partners):
                before = by_key(engine, h, at_end.isoformat())
                assert before[(d.rule, d.case_id, d.trigger_ids)].status == "open"


@settings(max_examples=S.examples(80))
@given(data=st.data())
def test_moving_as_of_forward_never_reopens_a_breach(engine: Engine, data: st.DataObject) -> None:
    """Once overdue or violated, always overdue, violated or fulfilled late — and no obligation disappears.

    「杜绝有案不立、有案不移和以罚代刑等乱象」（notice:3.13）
    A breach, once it has happened, is a fact of the past: later events may cure it late, never undo it.
    """
    h = data.draw(S.histories())
    first, last = h.span()
    span = int((last - first).total_seconds() // 60) + 60 * 24 * 60
    t1 = first + timedelta(minutes=data.draw(st.integers(0, span)))
    t2 = t1 + timedelta(minutes=data.draw(st.integers(0, span)))
    earlier, later = by_key(engine, h, t1.isoformat()), by_key(engine, h, t2.isoformat())
    assert set(earlier) <= set(later)
    for key, o in earlier.items():
        if o.status in BREACHED:
            assert later[key].status in BREACHED, (key, o.status, later[key].status)


# ---- order, duplicates, cases, as_of ---------------------------------------------------------------


@settings(max_examples=S.examples(60))
@given(h=S.histories(), seed=st.integers(0, 2**32 - 1), copies=st.integers(0, 3))
def test_order_and_duplicate_deliveries_do_not_matter(engine: Engine, h: S.History, seed: int, copies: int) -> None:
    """The same events in any order, each delivered any number of times, give the same result.

    Contract §1: 「the same id sent twice is the same event (idempotent)」.
    「确保投诉渠道畅通、处理答复及时」（notice:3.12） — a resent message must not double a duty or hide one.
    """
    shuffled = list(h.events) + [dict(reversed(list(e.items()))) for e in h.events[:copies]]
    random.Random(seed).shuffle(shuffled)
    a, b = engine.evaluate(h.events, "2030-01-01"), engine.evaluate(shuffled, "2030-01-01")
    assert S.dump(a) == S.dump(b)
    assert a.rejected == []


@settings(max_examples=S.examples(40))
@given(h=S.histories(min_cases=1), data=st.data())
def test_a_conflicting_resend_is_rejected_and_changes_nothing(engine: Engine, h: S.History,
                                                              data: st.DataObject) -> None:
    """An id resent later with different content is rejected; the first version and all else still count.

    「提升证据材料的真实性和规范性」（notice:3.11）
    Contract §1: 「unique id of the event; the same id sent twice is the same event」, and §5: a resend
    with other content is rejected and "changes nothing else". The first version is kept because a stream
    or the ledger may already have acted on it (the one ingestion rule, batch and stream alike).
    """
    victim = data.draw(st.sampled_from(h.unique_events))
    changed = dict(victim, case_id=victim["case_id"] + "-变更")
    lines = list(enumerate([*h.events, changed], start=1))
    result = engine.evaluate(lines, "2030-01-01")
    assert S.dump(engine.evaluate(h.events, "2030-01-01")) == [o.model_dump(mode="json") for o in result.obligations]
    assert [(r.line, r.id, r.field) for r in result.rejected] == [(len(lines), victim["id"], "id")]
    # streaming needs input grouped by case (an ungrouped stream stops with RunError): group, keep lines
    grouped = sorted(lines[:-1], key=lambda p: [e["case_id"] for e in h.events].index(p[1]["case_id"]))
    stream = [*grouped, lines[-1]]
    streamed = [r for _, _, rs in engine.evaluate_stream(stream, "2030-01-01") for r in rs if r.field == "id"]
    assert [(r.line, r.id) for r in streamed] == [(len(lines), victim["id"])]


@settings(max_examples=S.examples(40))
@given(h=S.histories(min_cases=2))
def test_cases_do_not_interfere(engine: Engine, h: S.History) -> None:
    """Evaluating cases together gives, for each case, what evaluating it alone gives.

    「对于行政执法机关应依法移送涉嫌犯罪案件而不移送的,区检察院应当向区行政执法机关提出检察意见」（notice:3.11）
    — an opinion, a transfer or a reply in one matter never discharges a duty in another.
    """
    together = engine.evaluate(h.events, "2030-01-01")
    for c in h.cases:
        alone = engine.evaluate(c.events, "2030-01-01")
        mine = [o for o in together.obligations if o.case_id == c.case_id]
        assert mine == [o for o in alone.obligations if o.case_id == c.case_id]


@settings(max_examples=S.examples(40))
@given(data=st.data())
def test_events_after_as_of_are_ignored(engine: Engine, data: st.DataObject) -> None:
    """The result as of an instant is what was knowable then: later events change nothing.

    「主管机关自收到检察意见书之日起两个月内将处理结果或者办理情况书面回复检察院」（notice:3.11） — whether a duty
    is open or overdue is judged on what had happened by then.
    Contract §2: 「as_of is an instant; a bare date means the end of that day in China Standard Time」.
    """
    h = data.draw(S.histories())
    as_of, at = data.draw(S.as_of_for(h, after_all=False))
    known = [e for e in h.events if S.known_at(e, at)]
    assert S.dump(engine.evaluate(h.events, as_of)) == S.dump(engine.evaluate(known, as_of))


# ---- calendar data and explanations ------------------------------------------------------------------


@settings(max_examples=S.examples(40))
@given(h=S.histories(), after=st.integers(0, 90))
def test_due_dates_in_years_without_calendar_data_say_so(engine: Engine, h: S.History, after: int) -> None:
    """A due date computed without the official holiday schedule is flagged provisional, in words too.

    「期间的最后一日为节假日的，以节假日后的第一日为期满日期」（cpl:105）
    Contract §4: years for which the calendar has no official data — say so in the result, never guess.
    """
    as_of = (h.span()[1] + timedelta(days=after)).isoformat()
    result = engine.evaluate(h.events, as_of)
    for o in S.modelled(result.obligations, engine.catalog, case_ids(h)):
        if o.due is None or "T" in o.due:
            assert not o.due_provisional
            continue
        due = date.fromisoformat(o.due)
        if due.year not in S.official_years():
            assert o.due_provisional, o
        if o.due_provisional:
            assert "无官方节假日安排数据" in o.explanation and "暂定" in o.explanation, o.explanation


@settings(max_examples=S.examples(40))
@given(h=S.histories(), after=st.integers(0, 90))
def test_every_explanation_shows_how_the_due_date_was_computed(engine: Engine, h: S.History, after: int) -> None:
    """The explanation names the clause, the holder and each step from the start day to the due date.

    「期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日。」（civil-code:203）
    「按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算。」（civil-code:201）
    """
    at = h.span()[1] + timedelta(days=after)
    result = engine.evaluate(h.events, at.isoformat())
    expected = {e.key: e for e in h.expected(at)}
    for o in S.modelled(result.obligations, engine.catalog, case_ids(h)):
        assert "依据：" in o.explanation and "通知" in o.explanation
        assert f"义务人：{o.holder_name}" in o.explanation
        if o.due is None:
            assert "不设届满日" in o.explanation or "期限与本案规则" in o.explanation
            continue
        assert f"届满：{_written(o.due)}前" in o.explanation
        e = expected.get((o.rule, o.case_id, tuple(o.triggered_by)))
        if e is not None and e.nominal is not None and e.due != e.nominal.isoformat():
            assert "顺延" in o.explanation and _written(e.nominal.isoformat())[:-4] in o.explanation
        if o.policy_terms:
            assert "部署政策" in o.explanation


def _written(due: str) -> str:
    """A due date as the explanation writes it for people: 2024年5月7日 24时 (a midnight instant ends the day before)."""
    at = datetime.fromisoformat(due if "T" in due else due + "T00:00:00+08:00")
    if "T" not in due or (at.hour, at.minute) == (0, 0):
        day = at.date() if "T" not in due else at.date() - timedelta(days=1)
        return f"{day.year}年{day.month}月{day.day}日 24时"
    return f"{at.year}年{at.month}月{at.day}日 {at.hour}时" + (f"{at.minute}分" if at.minute else "")


# ---- backends -----------------------------------------------------------------------------------------


@settings(max_examples=S.examples(2000))
@given(data=st.data())
def test_durable_rules_and_the_reference_evaluator_agree(engine: Engine, durable_engine: Engine,
                                                         data: st.DataObject) -> None:
    """The durable_rules backend gives exactly the reference evaluator's result, on every history.

    「行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查」（notice:3.11）
    Both backends receive the same compiled matchers; obligations, statuses, due dates, explanations
    and rejections must be identical, and durable_rules must not have fallen back to the reference.
    """
    h = data.draw(S.histories(max_cases=5))
    as_of, _ = data.draw(S.as_of_for(h))
    ref, dur = engine.evaluate(h.events, as_of), durable_engine.evaluate(h.events, as_of)
    assert dur.receipt.backend == "durable_rules"
    assert dur.receipt.backend_note is None, dur.receipt.backend_note
    assert S.dump(dur) == S.dump(ref)


# ---- the specification itself ------------------------------------------------------------------------------


def test_every_property_quotes_the_clause_it_checks_verbatim(engine: Engine) -> None:
    """Every property of the specification quotes its clause, word for word, and cites clauses that exist.

    「行政执法机关对涉嫌犯罪案件应当移送公安机关立案侦查」（notice:3.11）
    Quotations are compared with the notice text and the national articles registered in
    rules/citations.yaml (up to punctuation width and spaces), so a paraphrase cannot pass for the law.
    """
    from tools.spec import load_spec

    from fuxian_rules.catalog.notice import normalise_text

    catalog = engine.catalog

    def exists(cite: str) -> bool:
        return cite.removeprefix("notice:") in catalog.notice if cite.startswith("notice:") else cite in catalog.citations

    modules = load_spec()
    assert {m.module for m in modules} >= {"test_spec_general", "test_spec_transfer", "test_spec_calendar"}
    for m in modules:
        assert m.clauses, m.module
        assert all(exists(c) for c in m.clauses), (m.module, m.clauses)
        for p in m.properties:
            assert p.quotes, f"{m.module}.{p.name} quotes no clause"
            for q in p.quotes:
                assert exists(q.cite), (p.name, q.cite)
                if q.cite.startswith("notice:"):
                    ok = catalog.notice.clauses[q.cite.removeprefix("notice:")].contains(q.text)
                else:
                    ok = normalise_text(q.text) in normalise_text(str(catalog.citations[q.cite]["text"]))
                assert ok, f"{m.module}.{p.name}: 「{q.text}」 is not verbatim {q.cite}"
