"""Write examples/district-2024.jsonl: a year of 府检联动 events for the whole of Huiji District.

Deterministic (a fixed seed; the same file every run), so the example report in the docs can be rebuilt
and compared. Every member unit the rules involve appears, and every clause area the catalogue covers
(二、五 the mechanism; 三(二)(四)(六)(七)(八)(九)(十)(十一)(十二)(十三)). Units differ on purpose: some
act on time (diligent), some are average, some are late or never act (lax), so the assessment has
something to say. Names of people never appear; hires use opaque pseudonymous ids.

    python tools/make_district_example.py            # write the file and check it (0 rejections)
    python tools/make_district_example.py --check    # only check that the committed file is current
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples" / "district-2024.jsonl"
CST = timezone(timedelta(hours=8))
SEED = 20240119  # the notice's date

#: (probability an act is late, probability it never happens)
PROFILES = {"diligent": (0.03, 0.0), "average": (0.15, 0.04), "lax": (0.35, 0.15)}
#: enforcement agencies with their number of suspected-crime cases in the year and how they work
AGENCIES = {
    "market_regulation": (6, "diligent"), "ecology": (4, "diligent"), "health": (3, "diligent"),
    "emergency": (3, "diligent"), "culture_tourism": (2, "average"), "commerce": (1, "average"),
    "human_resources": (2, "average"), "medical_insurance": (2, "average"), "forestry": (2, "average"),
    "agriculture": (2, "average"), "housing": (2, "average"), "urban_management": (5, "lax"),
    "transport": (3, "lax"), "natural_resources": (3, "lax"), "river_affairs": (1, "lax"),
}
POLICE = "average"
MEMBERS = ["gov_office", "development_reform", "statistics", "finance", "human_resources", "housing", "transport",
           "agriculture", "forestry", "commerce", "culture_tourism", "health", "emergency", "audit",
           "market_regulation", "science_industry", "petitions", "justice", "urban_management", "education",
           "civil_affairs", "veterans", "big_data", "natural_resources", "ecology", "medical_insurance",
           "urban_renewal", "expropriation", "river_affairs", "procuratorate", "public_security"]
NO_LIAISON = {"expropriation", "river_affairs"}  # two members never name their liaison
SCHOOLS = {"hj-school-01": ("school", "diligent"), "hj-school-02": ("school", "lax"),
           "hj-kg-01": ("kindergarten", "average"), "hj-kg-02": ("kindergarten", "diligent"),
           "hj-train-01": ("training", "lax")}


class Writer:
    """Collects events with sequential ids; every random choice comes from one seeded generator."""

    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible example data, not secrets
        self.events: list[dict[str, Any]] = []

    def add(self, etype: str, case: str, when: datetime | date, actor: str, **data: Any) -> datetime:
        """Append one event; returns its instant (a bare date counts as 09:00 for the next step)."""
        stamp = when.isoformat()
        ev: dict[str, Any] = {"id": f"d24-{len(self.events) + 1:05d}", "type": etype, "case_id": case,
                              "occurred_at": stamp, "actor": actor}
        if data:
            ev["data"] = data
        self.events.append(ev)
        return when if isinstance(when, datetime) else datetime.combine(when, time(9), tzinfo=CST)

    def workday(self, start: date, end: date) -> datetime:
        """A random weekday between ``start`` and ``end``, at an office hour."""
        while True:
            d = start + timedelta(days=self.rng.randrange((end - start).days + 1))
            if d.weekday() < 5:
                return datetime.combine(d, time(self.rng.choice([9, 10, 14, 15]), self.rng.choice([0, 30])),
                                        tzinfo=CST)

    def act(self, profile: str, start: datetime, on_time: tuple[float, float], late: tuple[float, float],
            unit: str = "h") -> datetime | None:
        """When the next step happens: on time, late, or never (None), by the unit's profile."""
        p_late, p_miss = PROFILES[profile]
        r = self.rng.random()
        if r < p_miss:
            return None
        lo, hi = late if r < p_miss + p_late else on_time
        amount = self.rng.uniform(lo, hi)
        return start + (timedelta(hours=amount) if unit == "h" else timedelta(days=round(amount)))


def transfers(w: Writer) -> None:
    """三（十一）: suspected crimes found by enforcement agencies, the transfer chain, and police filing."""
    n = 0
    for agency, (cases, profile) in AGENCIES.items():
        for _ in range(cases):
            n += 1
            case = f"XZ-2024-{n:03d}"
            t = w.add("crime_suspected", case, w.workday(date(2024, 1, 8), date(2024, 12, 6)), agency, agency=agency)
            rep = w.act(profile, t, (2, 20), (30, 90))
            if rep is None:
                if profile == "lax":  # 以罚代刑, then the procuratorate's 检察意见 and a late transfer
                    p = w.add("admin_penalty_imposed", case, t + timedelta(days=12), agency, agency=agency)
                    o = w.add("procuratorial_opinion_issued", case, p + timedelta(days=35), "procuratorate",
                              opinion_id=f"HJ-YS-{case}", kind="require_transfer", to=agency)
                    s = w.act(profile, o, (2, 5), (10, 20), unit="d")
                    if s is not None:
                        w.add("case_transferred", case, s, agency, agency=agency, copied_to_procuratorate=True)
                continue
            rep = w.add("transfer_report_submitted", case, rep, agency, agency=agency)
            dec = w.act(profile, rep, (1, 3), (5, 8), unit="d")
            if dec is None:
                continue
            approved = w.rng.random() < 0.88
            reasons = {} if approved or profile == "lax" else {"reasons": "经审查，现有证据不足以证明涉嫌犯罪"}
            dec = w.add("transfer_decided", case, dec, agency, agency=agency, approved=approved, **reasons)
            if not approved:
                continue
            sent = w.act(profile, dec, (2, 20), (30, 60))
            if sent is None:
                continue
            sent = w.add("case_transferred", case, sent, agency, agency=agency,
                         copied_to_procuratorate=w.rng.random() < 0.5)
            filed = w.act(POLICE, sent, (1, 3), (4, 8), unit="d")
            if filed is None:
                continue
            opened = w.rng.random() < 0.8
            filed = w.add("filing_decided", case, filed, "public_security", opened=opened,
                          reasons="达到立案追诉标准" if opened else "现有证据不足以证明达到立案追诉标准")
            if opened:
                hand = w.act(profile, filed, (1, 3), (5, 9), unit="d")
                if hand is not None:
                    w.add("materials_handed_over", case, hand, agency, agency=agency)
            elif w.rng.random() < 0.7:
                req = w.add("reconsideration_requested", case, filed + timedelta(days=2), agency, agency=agency)
                again = w.act(POLICE, req, (1, 3), (5, 8), unit="d")
                if again is not None:
                    w.add("reconsideration_decided", case, again, "public_security", opened=True)
                    hand = w.act(profile, again, (1, 3), (5, 9), unit="d")
                    if hand is not None:
                        w.add("materials_handed_over", case, hand, agency, agency=agency)


def supervision(w: Writer) -> None:
    """三（十一）: filing supervision of the police, and 检察意见 after non-prosecution (reverse linkage)."""
    for n in range(1, 5):
        case = f"XS-2024-1{n:02d}"
        t = w.add("non_filing_explanation_requested", case, w.workday(date(2024, 2, 1), date(2024, 11, 15)),
                  "procuratorate")
        e = w.act(POLICE, t, (3, 7), (9, 14), unit="d")
        if e is None:
            continue
        e = w.add("non_filing_explained", case, e, "public_security")
        if n % 2:
            f = w.add("filing_notice_issued", case, e + timedelta(days=5), "procuratorate")
            o = w.act(POLICE, f, (5, 15), (18, 25), unit="d")
            if o is not None:
                w.add("filing_decided", case, o, "public_security", opened=True, reasons="依检察院通知立案")
    authorities = [("market_regulation", False), ("urban_management", False), ("emergency", True),
                   ("transport", False), ("ecology", True), ("natural_resources", False), ("health", False)]
    for n, (unit, enterprise) in enumerate(authorities, 1):
        case = f"BQS-2024-{n:03d}"
        profile = AGENCIES.get(unit, (0, "average"))[1]
        t = w.add("non_prosecution_decided", case, w.workday(date(2024, 2, 1), date(2024, 9, 30)), "procuratorate",
                  needs_admin_penalty=True, competent_authority=unit, enterprise=enterprise)
        issued = w.act("average", t, (2, 7), (10, 15), unit="d")
        if issued is None:
            continue
        oid = f"HJ-YJ-2024-{n:03d}"
        issued = w.add("procuratorial_opinion_issued", case, issued, "procuratorate", opinion_id=oid,
                       kind="admin_penalty", to=unit)
        got = w.add("procuratorial_opinion_received", case, issued + timedelta(days=2), unit, opinion_id=oid, unit=unit)
        reply = w.act(profile, got, (20, 55), (65, 80), unit="d")
        if reply is not None and reply.date() <= date(2024, 12, 31):
            w.add("opinion_reply_sent", case, reply, unit, opinion_id=oid, unit=unit)


def minors(w: Writer) -> None:
    """三（七）: mandatory reporting, record checks before hiring, dismissal, the yearly re-check."""
    for school, (kind, profile) in SCHOOLS.items():
        case = f"staff:{school}"
        for k in range(1, 4):
            person = f"p-{school[-5:]}-{k}"
            hired = w.workday(date(2024, 2, 19), date(2024, 10, 31))
            check = hired - timedelta(days=w.rng.randint(3, 10))
            late = w.rng.random() < PROFILES[profile][0] * 2
            record = profile == "lax" and k == 2
            w.add("background_check_done", case, (hired + timedelta(days=6)) if late else check, school,
                  unit=school, person_id=person, has_record=record, unit_kind=kind)
            w.add("staff_hired", case, hired + (timedelta(days=9) if record else timedelta()), school, unit=school,
                  person_id=person, unit_kind=kind)
            if record:
                w.add("staff_dismissed", case, hired + timedelta(days=25), school, unit=school, person_id=person,
                      unit_kind=kind)
        if profile != "lax":
            w.add("annual_staff_check_done", case, date(2024, 12, w.rng.randint(2, 20)), school, unit=school,
                  year=2024, unit_kind=kind)
    for n, (school, to) in enumerate([("hj-school-01", "public_security"), ("hj-kg-01", "education"),
                                      ("hj-school-02", "civil_affairs"), ("hj-train-01", "public_security")], 1):
        kind, profile = SCHOOLS[school]
        case = f"minor:2024-{n:03d}"
        t = w.add("minor_harm_discovered", case, w.workday(date(2024, 3, 1), date(2024, 11, 30)), school,
                  unit=school, unit_kind=kind, situation="suspected_abuse")
        r = w.act(profile, t, (1, 8), (30, 72))
        if r is None:
            continue
        r = w.add("harm_reported", case, r, school, unit=school, to=to, unit_kind=kind)
        a = w.act("diligent" if to == "public_security" else "average", r, (1, 6), (30, 60))
        if a is not None:
            w.add("harm_report_accepted", case, a, to, unit=to)


def aid_and_clues(w: Writer) -> None:
    """三（六）judicial aid; 三（十二）、四（三）clue pushes, feedback and data requests."""
    plans = [("serious_injury", "offender_insolvent", ["civil_affairs", "education"]),
             ("urgent_medical", None, ["human_resources"]), ("major_property_loss", "unsolved", []),
             ("civil_tort_injury", "no_compensation_by_litigation", ["civil_affairs"])]
    for n, (situation, cause, needs) in enumerate(plans, 1):
        case = f"aid:2024-{n:03d}"
        t = w.add("aid_case_assessed", case, w.workday(date(2024, 3, 1), date(2024, 10, 31)), "procuratorate",
                  situation=situation, cause=cause, living_hardship=True, exclusions=[], social_aid_needs=needs)
        d = w.add("judicial_aid_decided", case, t + timedelta(days=15), "procuratorate", granted=True,
                  reasons="符合国家司法救助条件")
        if needs and n != 4:
            w.add("social_aid_referral_sent", case, d + timedelta(days=5), "procuratorate", to=needs)
    for n in range(1, 9):
        clue, case = f"HL-2024-{n:03d}", f"clue:HL-2024-{n:03d}"
        t = w.add("hotline_clue_received", case, w.workday(date(2024, 1, 15), date(2024, 12, 10)), "hotline_12345",
                  clue_id=clue, harms_public_interest=True)
        p = w.act("average", t, (1, 6), (30, 60))
        if p is None:
            continue
        p = w.add("clue_pushed", case, p, "hotline_12345", clue_id=clue, **{"from": "hotline_12345",
                                                                           "to": "service_12309"})
        f = w.act("diligent", p, (2, 6), (9, 14), unit="d")
        if f is not None:
            w.add("clue_feedback_sent", case, f, "service_12309", clue_id=clue, **{"from": "service_12309",
                                                                                  "to": "hotline_12345"})
    for n, unit in enumerate(["housing", "urban_management", "market_regulation", "transport", "education"], 1):
        clue, case = f"JC-2024-{n:03d}", f"clue:JC-2024-{n:03d}"
        profile = AGENCIES.get(unit, (0, "average"))[1]
        t = w.add("procuratorate_clue_received", case, w.workday(date(2024, 2, 1), date(2024, 11, 30)),
                  "service_12309", clue_id=clue, concerns_unit=unit)
        p = w.add("clue_pushed", case, t + timedelta(hours=6), "service_12309", clue_id=clue,
                  **{"from": "service_12309", "to": unit})
        f = w.act(profile, p, (2, 6), (10, 20), unit="d")
        if f is not None:
            w.add("clue_feedback_sent", case, f, unit, clue_id=clue, **{"from": unit, "to": "service_12309"})
    for n, (unit, kind) in enumerate([("big_data", "data"), ("big_data", "data"), ("urban_management", "case_file"),
                                      ("natural_resources", "case_file"), ("ecology", "case_file")], 1):
        case = f"XS-2024-2{n:02d}"
        profile = AGENCIES.get(unit, (0, "diligent"))[1]
        t = w.add("data_request_made", case, w.workday(date(2024, 3, 1), date(2024, 11, 30)), "procuratorate",
                  request_id=f"SJ-2024-{n:03d}", to=unit, kind=kind)
        f = w.act(profile, t, (1, 6), (10, 20), unit="d")
        if f is not None:
            w.add("data_request_fulfilled", case, f, unit, request_id=f"SJ-2024-{n:03d}")


def other_areas(w: Writer) -> None:
    """三（四）safety; 三（二）enterprise cases; 三（八）supported prosecution; 三（九）（十）（十三）clues.

    Some steps are left out on purpose (a missing early intervention, an unshared farmland clue).
    """
    for n in range(1, 4):
        case = f"XS-2024-3{n:02d}"
        t = w.add("criminal_case_filed", case, w.workday(date(2024, 3, 1), date(2024, 10, 31)), "public_security",
                  domain="safety_production")
        if n != 3:
            w.add("early_intervention_done", case, t + timedelta(days=5), "procuratorate")
        w.add("criminal_case_submitted", case, t + timedelta(days=30), "public_security", kind="arrest_approval")
    for n, unit in enumerate(["emergency", "housing"], 1):
        case = f"AQ-2024-{n:02d}"
        t = w.add("accident_investigation_started", case, w.workday(date(2024, 4, 1), date(2024, 9, 30)), unit,
                  unit=unit)
        if n == 1:
            w.add("investigation_invitation_sent", case, t + timedelta(days=1), unit, unit=unit)
    for n in range(1, 4):
        case = f"XS-2024-4{n:02d}"
        t = w.add("criminal_case_filed", case, w.workday(date(2024, 1, 8), date(2024, 6, 28)), "public_security",
                  enterprise=True)
        if n == 2:
            w.add("criminal_case_submitted", case, t + timedelta(days=120), "public_security", kind="prosecution")
    for n, (unit, group) in enumerate([("human_resources", "migrant_workers"), ("civil_affairs", "elderly"),
                                       ("veterans", "veterans"), ("womens_federation", "women")], 1):
        clue, case = f"SP-2024-{n:03d}", f"support:SP-2024-{n:03d}"
        t = w.add("support_prosecution_clue_shared", case, w.workday(date(2024, 2, 1), date(2024, 11, 29)), unit,
                  clue_id=clue, group=group, **{"from": unit})
        if n != 4:
            w.add("support_prosecution_clue_screened", case, t + timedelta(days=10), "procuratorate", clue_id=clue,
                  accepted=True)
    for n, (unit, fld, shares) in enumerate([("market_regulation", "food_drug", True), ("ecology", "ecology", True),
                                             ("natural_resources", "farmland", False),
                                             ("natural_resources", "natural_resources", True),
                                             ("health", "personal_info", True)], 1):
        clue, case = f"PI-2024-{n:03d}", f"pi:PI-2024-{n:03d}"
        t = w.add("public_interest_clue_found", case, w.workday(date(2024, 2, 1), date(2024, 11, 29)),
                  unit, clue_id=clue, unit=unit, field=fld)
        if shares:
            s = w.add("public_interest_clue_shared", case, t + timedelta(days=3), unit, clue_id=clue, **{"from": unit})
            w.add("public_interest_clue_handled", case, s + timedelta(days=20), "procuratorate", clue_id=clue,
                  outcome="case_filed" if n % 2 else "no_case")


def mechanism(w: Writer) -> None:
    """二、五: liaisons, the plenary meeting, the work plan and task list, membership changes."""
    for unit in MEMBERS:
        if unit not in NO_LIAISON:
            w.add("liaison_designated", "joint-meeting", date(2024, 1, 26 + w.rng.randint(0, 5)), unit, unit=unit)
    for unit in ("hotline_12345", "service_12309"):
        w.add("liaison_designated", "joint-meeting", date(2024, 2, 5), unit, unit=unit, role="clue_sharing")
    w.add("joint_meeting_held", "joint-meeting", date(2024, 3, 26), "justice", plenary=True, chair="convener")
    w.add("work_plan_issued", "joint-meeting", date(2024, 3, 29), "justice", year=2024)
    tasks = [("education", "2024-06-28", 0), ("big_data", "2024-09-30", None), ("market_regulation", "2024-06-28", 0),
             ("urban_management", "2024-09-30", 21), ("transport", "2024-10-31", None),
             ("ecology", "2024-11-29", 0), ("public_security", "2024-09-30", 10), ("civil_affairs", "2024-12-31", 0),
             ("natural_resources", "2024-08-30", None), ("justice", "2024-12-31", None)]
    for n, (unit, due, delay) in enumerate(tasks, 1):
        tid, case = f"T2024-{n:02d}", f"task:T2024-{n:02d}"
        w.add("task_assigned", case, date(2024, 4, 8), "justice", task_id=tid, unit=unit, due=due)
        if delay is not None:
            when = date.fromisoformat(due) + timedelta(days=delay if delay else -w.rng.randint(3, 30))
            w.add("task_completed", case, when, unit, task_id=tid)
    w.add("membership_change_requested", "membership:petitions-2024-1", date(2024, 5, 6), "petitions", unit="petitions")
    w.add("membership_change_approved", "membership:petitions-2024-1", date(2024, 5, 13), "convener", unit="petitions")
    w.add("membership_changed", "membership:petitions-2024-1", date(2024, 5, 15), "petitions", unit="petitions")
    w.add("membership_change_requested", "membership:audit-2024-1", date(2024, 8, 5), "audit", unit="audit")
    w.add("membership_changed", "membership:audit-2024-1", date(2024, 8, 7), "audit", unit="audit")


def suggestions(w: Writer) -> None:
    """三（十五）: 检察建议 to departments, received and answered in writing (procuratorial-suggestion-rules:19)."""
    for n, unit in enumerate(("housing", "urban_management", "market_regulation", "health"), 1):
        case = f"suggestion:HJ-JJ-2024-{n:03d}"
        sid = f"HJ-JJ-2024-{n:03d}"
        profile = AGENCIES.get(unit, (0, "average"))[1]
        issued = w.add("procuratorial_suggestion_issued", case, w.workday(date(2024, 3, 1), date(2024, 9, 30)),
                       "procuratorate", suggestion_id=sid, to=unit)
        got = w.add("procuratorial_suggestion_received", case, issued + timedelta(days=3), unit, suggestion_id=sid,
                    unit=unit)
        reply = w.act(profile, got, (20, 55), (65, 80), unit="d")
        if reply is not None and reply.date() <= date(2024, 12, 31):
            w.add("suggestion_reply_sent", case, reply, unit, suggestion_id=sid, unit=unit)


def build() -> str:
    """The whole file's text (events in time order, ids fixed by generation order)."""
    w = Writer()
    for part in (mechanism, transfers, supervision, minors, aid_and_clues, other_areas, suggestions):
        part(w)
    w.events.sort(key=lambda e: (e["occurred_at"][:10], e["id"]))
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=False) + "\n" for e in w.events)


def main(argv: list[str] | None = None) -> int:
    """Write (or check) the file, then validate it with the engine: any rejection fails."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--check", action="store_true", help="only check that the committed file is current")
    opts = args.parse_args(argv)
    text = build()
    if opts.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is not what this script writes: run it again", file=sys.stderr)
            return 1
    else:
        OUT.write_text(text, encoding="utf-8")
    sys.path.insert(0, str(ROOT / "src"))
    from fuxian_rules import Engine

    good, rejected = Engine().validate(json.loads(line) for line in text.splitlines())
    for r in rejected:
        print(f"rejected: {r.id}: {r.message}", file=sys.stderr)
    print(f"{OUT.relative_to(ROOT)}: {len(good)} events accepted, {len(rejected)} rejected")
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
