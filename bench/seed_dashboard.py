"""Seed a dashboard-sized database for the dashboard benchmark (issue 8) — fast, with Core.

    .venv/bin/python bench/seed_dashboard.py --reset
    .venv/bin/python bench/seed_dashboard.py --reset \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_dashboard

Default target: ``instance/bench_dashboard.db`` (SQLite, never committed). What it makes
(defaults), spread over the 21 cities (Chengdu weighted as in ``seed_large.py``) and 四川省:

* 300 organisations (every city has an evaluation institution; 3 provincial-direct
  institutions for 四川省 applications), a site lead per institution/station, 200
  supervisors;
* 50,000 examiners (persons) with valid, unique ID numbers; 80,000 cards — 35,000 holders
  with a current and an older card, 10,000 with one card, 5,000 without — whose statuses mix
  as in life (待领取, 即将到期, 已作废, 已注销, 有效, 已过期), over 20 occupations, 20 % senior;
* 2,000 final batches over the last two years holding 200,000 final sheets (each with the
  2021 rubric snapshot, two submitted columns, final score and grade; no marks — no
  dashboard reads them), a few examiners who are mostly graded 差 (rule 1 of notice §三(五))
  and refusals, some unjudged, some unjustified, a few examiners with three or more in the
  last twelve months (rule 2); plus 20 open batches of today with sheets still being rated;
* 20,000 applications under the 2024, 2025 and 2026 training plans (2026 spread over every
  stage, waiting from 0 to 40 working days; 5 % provincial-direct), 3,000 renewal
  applications under the 2026 renewal plan at every stage, 300 violations (a third still
  ``reported``);
* users ``bench_province``, ``bench_city`` (成都市), ``bench_city_small`` (雅安市),
  ``bench_unit`` (unit clerk and site lead of the largest Chengdu institution),
  ``bench_lead_NNNN``, ``bench_sup_NNNN``, password ``Bench@2026``.

Rows get explicit ids (``seed_large.Loader``: executemany in chunks of 10,000, one
transaction per chunk); PostgreSQL sequences are moved past them and ``VACUUM ANALYZE`` runs
at the end; SQLite is put back to WAL. The indexes the dashboards use come with the schema
(migration ``d3a91c7e5b20``).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from seed_large import (  # noqa: E402
    BENCH_PASSWORD,
    CITY_WEIGHTS,
    Loader,
    next_id,
    person_name,
    reset_database,
)
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

ORG_KINDS = [("institution", "职业技能评价中心", 45), ("station", "职业技能鉴定所", 15),
             ("employer", "实业有限公司", 25), ("school", "职业技术学校", 15)]
GRADE_WEIGHTS = (("优", 28), ("良", 46), ("中", 21), ("差", 5))
SCORE_RANGES = {"优": (85, 100), "良": (71, 84.5), "中": (57, 70.5), "差": (55, 56.5)}

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench_dashboard.db'}")
    p.add_argument("--persons", type=int, default=50_000)
    p.add_argument("--two-card-holders", type=int, default=35_000)
    p.add_argument("--one-card-holders", type=int, default=10_000)
    p.add_argument("--sheets", type=int, default=200_000)
    p.add_argument("--batches", type=int, default=2_000)
    p.add_argument("--applications", type=int, default=20_000)
    p.add_argument("--renewals", type=int, default=3_000)
    p.add_argument("--organisations", type=int, default=300)
    p.add_argument("--supervisors", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--reset", action="store_true",
                   help="delete the SQLite file (or recreate a PostgreSQL 'bench' schema) first")
    return p.parse_args(argv)


def main(argv=None) -> int:  # noqa: PLR0915 - one linear script
    args = parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["SEED_DEMO"] = "0"
    backend = make_url(args.database_url).get_backend_name()
    started = time.perf_counter()
    if args.reset:
        reset_database(args.database_url)

    from portal import create_app
    from portal.applications.models import Application, TrainingPlan
    from portal.applications.rules import Stage
    from portal.auth.models import User, UserRole
    from portal.batches.models import Assignment, BatchDate, EvaluationBatch
    from portal.cards.models import Card
    from portal.cards.numbering import format_card_number
    from portal.cards.rules import COLLECTION_WORKDAYS, valid_until
    from portal.demo.seed import ensure_reference_data
    from portal.extensions import db
    from portal.orgs.models import Organisation
    from portal.people.idcard import make_id_number
    from portal.people.models import EDUCATION_CHOICES, Person
    from portal.renewals.models import RenewalApplication, RenewalPlan, Violation
    from portal.renewals.rules import RenewalStage, registration_closes, registration_opens
    from portal.scoring.rubric import RUBRIC_2021, grade
    from portal.setup import database_is_empty, upgrade_database
    from portal.sheets.models import EvaluationSheet, SheetColumn
    from portal.timeutil import local_today, utcnow
    from portal.workdays import WorkdayCalendar

    app = create_app({"SEED_DEMO": False, "SQLALCHEMY_DATABASE_URI": args.database_url})
    rng = random.Random(args.seed)
    today = local_today()
    now = utcnow().replace(microsecond=0)

    with app.app_context():
        t = time.perf_counter()
        upgrade_database()
        if not database_is_empty():
            raise SystemExit("the database already has users: use --reset (bench databases only)")
        regions, occupations = ensure_reference_data()
        db.session.commit()
        cities = [(r.id, r.code, r.name) for r in regions if not r.is_province]
        province_id = next(r.id for r in regions if r.is_province)
        occupation_ids = [o.id for o in occupations][:20]
        calendar = WorkdayCalendar()
        first_issue = today - timedelta(days=6 * 365 + 10)
        deadlines = {}
        day = first_issue
        while day <= today:
            d = calendar.deadline_after_workdays(day, COLLECTION_WORKDAYS)
            deadlines[day] = (d.day, d.provisional)
            day += timedelta(days=1)
        # Working days back from today, for "waiting N working days" (stage_since).
        workdays_back, day = [], today
        while len(workdays_back) < 60:
            day -= timedelta(days=1)
            if calendar.is_workday(day):
                workdays_back.append(day)
        plan_year = today.year
        renewal_opens = registration_opens(plan_year)
        try:
            renewal_closes = registration_closes(plan_year)
        except Exception:  # noqa: BLE001 - an unmaintained year: a plain 30-day window
            renewal_closes = renewal_opens + timedelta(days=30)
        db.session.commit()
        print(f"migrations, reference data, deadlines: {time.perf_counter() - t:.1f} s",
              flush=True)
        password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")
        db.session.remove()
        db.engine.dispose()

        tables = {
            "organisation": Organisation.__table__, "user_account": User.__table__,
            "user_role": UserRole.__table__, "person": Person.__table__, "card": Card.__table__,
            "training_plan": TrainingPlan.__table__, "application": Application.__table__,
            "renewal_plan": RenewalPlan.__table__,
            "renewal_application": RenewalApplication.__table__,
            "evaluation_batch": EvaluationBatch.__table__, "batch_date": BatchDate.__table__,
            "assignment": Assignment.__table__, "evaluation_sheet": EvaluationSheet.__table__,
            "sheet_column": SheetColumn.__table__, "violation": Violation.__table__,
        }
        conn = db.engine.connect()
        if backend == "sqlite":
            raw = conn.connection.driver_connection
            for pragma in ("journal_mode=MEMORY", "synchronous=OFF", "cache_size=-262144",
                           "temp_store=MEMORY"):
                raw.execute(f"PRAGMA {pragma}")
        ids = {name: next_id(conn, table) for name, table in tables.items()}
        conn.commit()
        load = Loader(conn, tables)

        def new_id(name: str) -> int:
            ids[name] += 1
            return ids[name] - 1

        # ---- organisations -----------------------------------------------------------------
        t = time.perf_counter()
        weights = [CITY_WEIGHTS.get(name, 2) for _, _, name in cities]
        kinds = [(k, suffix) for k, suffix, _ in ORG_KINDS]
        kind_weights = [w for _, _, w in ORG_KINDS]
        orgs = []  # (id, region_id, region_code, kind, name, provincial_direct)
        chengdu = next(c for c in cities if c[2] == "成都市")
        yaan = next(c for c in cities if c[2] == "雅安市")
        for i in range(args.organisations):
            rid, code, rname = rng.choices(cities, weights)[0]
            kind, suffix = rng.choices(kinds, kind_weights)[0]
            direct = False
            if i < len(cities):  # every city has an evaluation institution
                rid, code, rname = cities[i]
                kind, suffix = kinds[0]
            elif i < len(cities) + 3:  # provincial-direct institutions (四川省 applications)
                rid, code, rname = chengdu
                kind, suffix, direct = "institution", "省直职业技能评价中心", True
            oid = new_id("organisation")
            name = f"{rname}第{i + 1:03d}{suffix}"
            orgs.append((oid, rid, code, kind, name, direct))
            load.add("organisation", {
                "id": oid, "name": name, "org_type": kind, "region_id": rid,
                "provincial_direct": direct, "training_quota": rng.randint(0, 30),
                "credit_code": "", "contact_phone": "", "address": f"{rname}某路{i + 1}号",
                "active": True})
        orgs_by_region: dict[int, list] = {}
        for o in orgs:
            orgs_by_region.setdefault(o[1], []).append(o)
        evaluators = [o for o in orgs if o[3] in ("institution", "station")]
        direct_orgs = [o for o in orgs if o[5]]

        def add_user(username, display, roles, *, org_id=None, region_id=None,
                     person_id=None) -> int:
            uid = new_id("user_account")
            load.add("user_account", {
                "id": uid, "username": username, "display_name": display,
                "password_hash": password_hash, "must_change_password": False, "active": True,
                "session_token": secrets.token_hex(16), "phone": "", "region_id": region_id,
                "organisation_id": org_id, "person_id": person_id, "created_at": now,
                "last_login_at": None})
            for role in roles:
                load.add("user_role", {"id": new_id("user_role"), "user_id": uid, "role": role})
            return uid

        supervisors = [add_user(f"bench_sup_{i + 1:04d}", f"质量督导员 {person_name(rng)}",
                                ["supervisor"]) for i in range(args.supervisors)]
        lead_of: dict[int, int] = {}
        chengdu_institution = next(o for o in evaluators if o[1] == chengdu[0] and not o[5])
        for i, o in enumerate(evaluators):
            if o is chengdu_institution:
                lead_of[o[0]] = add_user("bench_unit", "成都评价中心 基准测试",
                                         ["unit", "site_lead"], org_id=o[0])
            else:
                lead_of[o[0]] = add_user(f"bench_lead_{i + 1:04d}",
                                         f"考场负责人 {person_name(rng)}", ["site_lead"],
                                         org_id=o[0])
        add_user("bench_province", "省职鉴中心 基准测试", ["province"], region_id=province_id)
        add_user("bench_city", "成都市职鉴中心 基准测试", ["city"], region_id=chengdu[0])
        add_user("bench_city_small", "雅安市职鉴中心 基准测试", ["city"], region_id=yaan[0])
        load.flush()
        print(f"organisations, users: {time.perf_counter() - t:.1f} s", flush=True)

        # ---- persons and cards -------------------------------------------------------------
        t = time.perf_counter()
        used: set[str] = set()
        seq_by_year: dict[int, int] = {}
        holders = ["two"] * args.two_card_holders + ["one"] * args.one_card_holders
        holders += ["none"] * (args.persons - len(holders))
        rng.shuffle(holders)
        people = []  # (person_id, region_id, org_id or None)
        current = []  # (person_id, card_id, occupation_id, senior, region_id, valid_until)

        def add_card(pid, issued, occupation, level, state, origin="training") -> int:
            seq_by_year[issued.year] = seq_by_year.get(issued.year, 0) + 1
            deadline, provisional = deadlines[issued]
            cid = new_id("card")
            row = {
                "id": cid, "number": format_card_number(issued.year, seq_by_year[issued.year]),
                "person_id": pid, "occupation_id": occupation, "level": level,
                "issued_on": issued, "valid_until": valid_until(issued),
                "collection_deadline": deadline, "deadline_provisional": provisional,
                "collected_on": None, "collected_by_id": None, "voided_on": None,
                "revoked_on": None, "revoke_reason": "", "origin": origin, "created_at": now}
            if state == "collected":
                row["collected_on"] = min(issued + timedelta(days=rng.randint(2, 40)), today)
            elif state == "voided":
                row["voided_on"] = deadline + timedelta(days=1)
            elif state == "revoked":
                row["collected_on"] = issued + timedelta(days=rng.randint(2, 40))
                row["revoked_on"] = min(issued + timedelta(days=rng.randint(120, 300)), today)
                row["revoke_reason"] = "考评过程中弄虚作假，经查实注销"
            load.add("card", row)
            return cid

        for kind in holders:
            rid, code, rname = rng.choices(cities, weights)[0]
            while True:
                birth = date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28))
                number = make_id_number(code[:4] + f"{rng.randint(2, 30):02d}", birth,
                                        rng.randint(0, 999))
                if number not in used:
                    used.add(number)
                    break
            local = orgs_by_region.get(rid) or []
            org = rng.choice(local) if local and rng.random() < 0.7 else None
            pid = new_id("person")
            people.append((pid, rid, org[0] if org else None))
            load.add("person", {
                "id": pid, "name": person_name(rng), "gender": "男" if int(number[16]) % 2 else "女",
                "education": rng.choice(EDUCATION_CHOICES[1:5]), "id_number": number,
                "employer": org[4] if org else f"{rname}某企业",
                "organisation_id": org[0] if org else None,
                "title": rng.choice(("", "工程师", "高级工程师", "技师", "高级技师")),
                "position": rng.choice(("", "车间主任", "培训教师", "技术员")),
                "address": f"{rname}{rng.choice('东南西北')}大街{rng.randint(1, 300)}号",
                "mobile": "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)),
                "region_id": rid, "years_worked": rng.randint(3, 35), "retired": False,
                "photo_upload_id": None, "created_at": now})
            if kind == "none":
                continue
            occupation = rng.choice(occupation_ids)
            senior = rng.random() < 0.2
            issued = today - timedelta(days=rng.randint(0, 3 * 365 - 1))
            age = (today - issued).days
            state = "collected"
            if age <= 95 and rng.random() < 0.5:
                state = "pending"
            elif 120 <= age <= 730 and rng.random() < 0.02:
                state = "voided"
            elif age >= 150 and rng.random() < 0.005:
                state = "revoked"
            if kind == "two":
                older = max(issued - timedelta(days=3 * 365 - rng.randint(0, 60)), first_issue)
                add_card(pid, older, occupation, "考评员", "collected")
            cid = add_card(pid, issued, occupation, "高级考评员" if senior else "考评员", state,
                           "renewal" if kind == "two" else "training")
            current.append((pid, cid, occupation, senior, rid, valid_until(issued), state))
            if len(load.buffers["card"]) >= 20_000:
                load.flush()
        load.flush()
        examiner_person = current[0][0]
        add_user("bench_examiner", "考评员 基准测试", ["applicant"], person_id=examiner_person)
        load.flush()
        print(f"persons, cards: {time.perf_counter() - t:.1f} s", flush=True)

        # ---- batches, assignments, sheets ---------------------------------------------------
        t = time.perf_counter()
        snapshot = RUBRIC_2021.to_snapshot()
        working = [c for c in current if c[6] == "collected"]
        by_occupation: dict[int, list] = {o: [] for o in occupation_ids}
        for c in working:
            by_occupation[c[2]].append(c)
        poor_people = {c[0] for c in rng.sample(working, len(working) // 50)}  # 2 %: rule 1
        refusers = [c for c in rng.sample(working, 150)]  # rule 2: ≥ 3 refusals in 12 months
        refusals_of = {c[0]: rng.randint(3, 5) for c in refusers}
        grades, gweights = zip(*GRADE_WEIGHTS, strict=True)
        eval_weights = [CITY_WEIGHTS.get(next(n for i, _c, n in cities if i == o[1]), 2)
                        for o in evaluators]
        scores: dict[str, list[Decimal]] = {
            g: [Decimal(x) / 2 for x in range(int(lo * 2), int(hi * 2) + 1)]
            for g, (lo, hi) in SCORE_RANGES.items()}

        def add_batch(number, org, occupation, level, first, days) -> tuple[int, int, int]:
            bid = new_id("evaluation_batch")
            lead, sup = lead_of[org[0]], rng.choice(supervisors)
            load.add("evaluation_batch", {
                "id": bid, "number": number, "organisation_id": org[0],
                "occupation_id": occupation, "level": level,
                "site": f"{org[4]}第{rng.randint(1, 6)}考场", "candidates": rng.randint(10, 60),
                "first_date": first, "last_date": first + timedelta(days=days - 1),
                "site_lead_id": lead, "supervisor_id": sup, "created_by_id": lead,
                "created_at": datetime.combine(first - timedelta(days=20), now.time())})
            for k in range(days):
                load.add("batch_date", {"id": new_id("batch_date"), "batch_id": bid,
                                        "day": first + timedelta(days=k)})
            return bid, lead, sup

        def add_assignment(bid, ex, lead, assigned, answer="accepted", answered=None,
                           justified=None, reason="") -> int:
            aid = new_id("assignment")
            load.add("assignment", {
                "id": aid, "batch_id": bid, "person_id": ex[0], "card_id": ex[1],
                "answer": answer, "answered_at": answered or assigned + timedelta(days=1),
                "reason": reason, "reason_justified": justified, "judged_by_id": None,
                "confirmed_warnings": [], "assigned_by_id": lead, "assigned_at": assigned})
            return aid

        def add_sheet(bid, aid, ex, lead, sup, created, final_at) -> None:
            sid = new_id("evaluation_sheet")
            sheet = {"id": sid, "assignment_id": aid, "batch_id": bid, "person_id": ex[0],
                     "rubric_version": RUBRIC_2021.version, "rubric_snapshot": snapshot,
                     "final_score": None, "grade": None, "finalised_at": None,
                     "seal_sha256": None, "scan_upload_id": None, "revision": 1,
                     "created_at": created}
            total = None
            if final_at is not None:
                g = "差" if ex[0] in poor_people and rng.random() < 0.45 else \
                    rng.choices(grades, gweights)[0]
                score = rng.choice(scores[g])
                assert grade(score) == g
                total = int(score)
                sheet.update(final_score=score, grade=g, finalised_at=final_at,
                             seal_sha256=secrets.token_hex(32))
            load.add("evaluation_sheet", sheet)
            for k, (role, rater) in enumerate((("supervisor", sup), ("site_lead", lead))):
                done = final_at is not None or (k == 0 and rng.random() < 0.3)
                load.add("sheet_column", {
                    "id": new_id("sheet_column"), "sheet_id": sid, "role": role,
                    "rater_id": rater, "version": 16 if done else rng.randint(0, 10),
                    "marked": 15 if done else rng.randint(0, 10),
                    "total": total if final_at is not None else None,
                    "submitted_at": (final_at or now) - timedelta(minutes=5 * (1 - k))
                    if done else None,
                    "submitted_by_id": rater if done else None, "imported": False})

        mean = args.sheets / args.batches
        sizes = [max(5, int(rng.uniform(0.4, 1.6) * mean)) for _ in range(args.batches)]
        diff = args.sheets - sum(sizes)
        k = 0
        while diff:
            step = 1 if diff > 0 else -1
            if sizes[k % args.batches] + step >= 5:
                sizes[k % args.batches] += step
                diff -= step
            k += 1
        sheets_made, refusals_made, carry = 0, 0, 0
        for seq, size in enumerate(sizes, start=1):
            org = rng.choices(evaluators, eval_weights)[0]
            occupation = rng.choice(occupation_ids)
            level = rng.choices((5, 4, 3, 2, 1), (30, 30, 25, 10, 5))[0]
            pool = by_occupation[occupation]
            if level < 3:
                pool = [c for c in pool if c[3]]
            size, carry = min(size + carry, len(pool)), max(0, size + carry - len(pool))
            first = today - timedelta(days=rng.randint(1, 2 * 365))
            days = 2 if rng.random() < 0.2 else 1
            bid, lead, sup = add_batch(f"KP{first.year}-{org[2][:4]}-{seq:05d}", org,
                                       occupation, level, first, days)
            assigned = datetime.combine(first - timedelta(days=14), now.time())
            final_at = datetime.combine(first + timedelta(days=days - 1), now.time())
            chosen = rng.sample(pool, size)
            for ex in chosen:
                aid = add_assignment(bid, ex, lead, assigned)
                add_sheet(bid, aid, ex, lead, sup, assigned + timedelta(days=1), final_at)
                sheets_made += 1
            # A few refusals per batch: mostly justified, some not, some not judged yet.
            taken = {c[0] for c in chosen}
            for ex in rng.sample(pool, min(len(pool), rng.randint(0, 4))):
                if ex[0] in taken:
                    continue
                taken.add(ex[0])
                r = rng.random()
                justified = True if r < 0.6 else False if r < 0.85 else None
                add_assignment(bid, ex, lead, assigned, "refused",
                               assigned + timedelta(days=2), justified, "时间冲突")
                refusals_made += 1
            if len(load.buffers["evaluation_sheet"]) >= 20_000:
                load.flush()
            if seq % 500 == 0:
                print(f"  {seq} batches, {sheets_made} sheets, "
                      f"{time.perf_counter() - t:.0f} s", flush=True)
        # Rule 2: examiners with three or more unjustified refusals in the last 12 months.
        for ex in refusers:
            for _ in range(refusals_of[ex[0]]):
                org = rng.choice(evaluators)
                first = today - timedelta(days=rng.randint(10, 330))
                bid, lead, _sup = add_batch(f"KR{first.year}-{new_id('batch_date'):06d}", org,
                                            ex[2], 4, first, 1)
                assigned = datetime.combine(first - timedelta(days=14), now.time())
                add_assignment(bid, ex, lead, assigned, "refused", assigned + timedelta(days=2),
                               False, "个人原因")
                refusals_made += 1
        # Open batches of today: sheets being rated (the raters' work, "in progress").
        for seq in range(20):
            org = evaluators[seq % len(evaluators)] if seq else chengdu_institution
            occupation = rng.choice(occupation_ids)
            bid, lead, sup = add_batch(f"KO{today.year}-{seq + 1:05d}", org, occupation, 4,
                                       today, 1)
            assigned = datetime.combine(today - timedelta(days=14), now.time())
            for ex in rng.sample(by_occupation[occupation], 30):
                aid = add_assignment(bid, ex, lead, assigned)
                add_sheet(bid, aid, ex, lead, sup, assigned, None)
        load.flush()
        print(f"batches, {sheets_made} final sheets, {refusals_made} refusals: "
              f"{time.perf_counter() - t:.1f} s", flush=True)

        # ---- training plans and applications --------------------------------------------------
        t = time.perf_counter()
        plan_ids = {}
        for year in (plan_year - 2, plan_year - 1, plan_year):
            pid = new_id("training_plan")
            plan_ids[year] = pid
            load.add("training_plan", {
                "id": pid, "year": year, "title": f"{year}年考评员资格培训",
                "levels": "考评员,高级考评员", "opens_on": date(year, 3, 1),
                "closes_on": date(year, 12, 31), "mode": "central", "places": 8000,
                "notes": "", "published_at": datetime(year, 2, 20, 2), "created_by_id": None,
                "created_at": datetime(year, 2, 20, 2)})
        live = [(Stage.DRAFT, 8), (Stage.UNIT_REVIEW, 14), (Stage.RETURNED_BY_UNIT, 3),
                (Stage.INITIAL_REVIEW, 16), (Stage.RETURNED_BY_REVIEWER, 3),
                (Stage.INITIAL_APPROVED, 6), (Stage.PROVINCE_REVIEW, 14), (Stage.TRAINING, 10),
                (Stage.ASSESSMENT, 5), (Stage.CERTIFIED, 12), (Stage.REJECTED, 4),
                (Stage.UNIT_DECLINED, 2), (Stage.WITHDRAWN, 3)]
        old = [(Stage.CERTIFIED, 70), (Stage.FAILED, 10), (Stage.ABSENT, 5), (Stage.REJECTED, 8),
               (Stage.UNIT_DECLINED, 3), (Stage.WITHDRAWN, 4)]
        per_plan = {plan_year - 2: args.applications * 3 // 10,
                    plan_year - 1: args.applications * 3 // 10}
        per_plan[plan_year] = args.applications - sum(per_plan.values())
        for year, n in per_plan.items():
            mix = live if year == plan_year else old
            stages, sweights = zip(*mix, strict=True)
            for _ in range(n):
                pid, rid, org_id = rng.choice(people)
                stage = rng.choices(stages, sweights)[0]
                direct = rng.random() < 0.05
                region = province_id if direct else rid
                unit = rng.choice(direct_orgs)[0] if direct else (
                    org_id or rng.choice(orgs_by_region.get(rid) or orgs)[0])
                if year == plan_year:
                    waited = min(int(rng.expovariate(1 / 8)), len(workdays_back) - 1)
                    since_day = workdays_back[waited]
                else:
                    since_day = date(year, rng.randint(6, 12), rng.randint(1, 28))
                since = datetime.combine(since_day, datetime.min.time()) + timedelta(
                    hours=rng.randint(1, 9))
                load.add("application", {
                    "id": new_id("application"), "plan_id": plan_ids[year], "person_id": pid,
                    "level": "高级考评员" if rng.random() < 0.2 else "考评员",
                    "occupation_id": rng.choice(occupation_ids), "region_id": region,
                    "unit_id": unit, "qualification_level": 3, "title_level": None,
                    "qualification_text": "", "work_summary": "", "unit_opinion": "",
                    "stage": stage.value, "stage_since": since,
                    "submitted_at": None if stage is Stage.DRAFT else since - timedelta(days=3),
                    "created_at": since - timedelta(days=5)})
        load.flush()

        # ---- renewals and violations ---------------------------------------------------------
        rplan = new_id("renewal_plan")
        load.add("renewal_plan", {
            "id": rplan, "year": plan_year, "title": f"{plan_year}年考评员复核换证",
            "opens_on": renewal_opens, "closes_on": renewal_closes,
            "expiry_cutoff": renewal_closes, "notes": "", "auto_created": True,
            "published_at": datetime.combine(renewal_opens, datetime.min.time()),
            "created_by_id": None, "created_at": datetime.combine(renewal_opens,
                                                                  datetime.min.time()),
            "closed_at": None, "closed_by_id": None})
        load.flush()
        rmix = [(RenewalStage.DRAFT, 6), (RenewalStage.UNIT_REVIEW, 14),
                (RenewalStage.RETURNED_BY_UNIT, 3), (RenewalStage.INITIAL_REVIEW, 18),
                (RenewalStage.RETURNED_BY_REVIEWER, 3), (RenewalStage.INITIAL_APPROVED, 6),
                (RenewalStage.PROVINCE_REVIEW, 15), (RenewalStage.RENEWED, 25),
                (RenewalStage.REJECTED, 4), (RenewalStage.UNIT_DECLINED, 2),
                (RenewalStage.REVOKED, 2), (RenewalStage.WITHDRAWN, 2)]
        rstages, rweights = zip(*rmix, strict=True)
        people_by_id = {p[0]: p for p in people}
        for ex in rng.sample(current, args.renewals):
            pid, cid = ex[0], ex[1]
            _p, rid, org_id = people_by_id[pid]
            stage = rng.choices(rstages, rweights)[0]
            direct = rng.random() < 0.05
            waited = min(int(rng.expovariate(1 / 9)), len(workdays_back) - 1)
            since = datetime.combine(workdays_back[waited], datetime.min.time()) + timedelta(
                hours=rng.randint(1, 9))
            load.add("renewal_application", {
                "id": new_id("renewal_application"), "plan_id": rplan, "person_id": pid,
                "card_id": cid, "region_id": province_id if direct else rid,
                "unit_id": rng.choice(direct_orgs)[0] if direct else (
                    org_id or rng.choice(orgs_by_region.get(rid) or orgs)[0]),
                "name": "持证人", "gender": "男", "education": "", "employer": "",
                "id_number": "", "phone": "", "qualification": "", "specialty": "",
                "specialty_years": None, "work_summary": "", "declares_health": True,
                "declares_no_incident": True, "unit_opinion": "", "unit_reason": "",
                "stage": stage.value, "stage_since": since,
                "submitted_at": None if stage is RenewalStage.DRAFT else since,
                "created_at": since - timedelta(days=2)})
        vkinds = ("refused_recusal", "concealed_incident", "erroneous_judgment",
                  "fraud_bribery", "incident")
        for _ in range(300):
            ex = rng.choice(current)
            status = rng.choice(("reported", "confirmed", "dismissed"))
            created = now - timedelta(days=rng.randint(1, 400))
            load.add("violation", {
                "id": new_id("violation"), "person_id": ex[0], "kind": rng.choice(vkinds),
                "occurred_on": created.date(), "batch_id": None, "description": "基准测试记录",
                "evidence_id": None, "reported_by_id": None, "reporter_org_id": None,
                "reporter_region_id": ex[4], "created_at": created, "status": status,
                "decided_by_id": None, "decided_at": None if status == "reported" else created,
                "decision_reason": "" if status == "reported" else "经核实"})
        load.flush()
        print(f"applications, renewals, violations: {time.perf_counter() - t:.1f} s",
              flush=True)

        # ---- finish ------------------------------------------------------------------------
        t = time.perf_counter()
        if backend == "postgresql":
            for name in tables:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 1) FROM {name}))")
            conn.commit()
        conn.close()
        db.engine.dispose()
        if backend == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.connect() as c:
                mode = c.connection.driver_connection.execute("PRAGMA journal_mode").fetchone()
                assert mode[0] == "wal", mode
        db.engine.dispose()
        print(f"finish: {time.perf_counter() - t:.1f} s", flush=True)
        with db.engine.connect() as c:
            print("\nrow counts:")
            for name, table in tables.items():
                n = c.scalar(select(func.count()).select_from(table))
                print(f"  {name:<20} {n:>10,}")
            finals = c.scalar(select(func.count()).select_from(EvaluationSheet.__table__).where(
                EvaluationSheet.__table__.c.finalised_at.is_not(None)))
            print(f"  {'(final sheets)':<20} {finals:>10,}")
            if backend == "postgresql":
                size = c.scalar(text("SELECT pg_database_size(current_database())"))
            else:
                size = Path(make_url(args.database_url).database).stat().st_size
        db.engine.dispose()
    print(f"\ndatabase size: {size / 2**20:,.0f} MiB")
    print("bench users: bench_province, bench_city (成都市), bench_city_small (雅安市), "
          f"bench_unit, bench_examiner, bench_lead_NNNN, bench_sup_NNNN; password "
          f"{BENCH_PASSWORD}")
    print(f"elapsed: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
