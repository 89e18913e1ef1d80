"""Seed a large, realistic database for the benchmark (issue 4) — fast, with SQLAlchemy Core.

    DATABASE_URL=sqlite:////work/main/instance/bench.db .venv/bin/python bench/seed_large.py --reset
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench \
        .venv/bin/python bench/seed_large.py --reset

What it makes (defaults): ~200 organisations over the 21 cities, 200 supervisors and one site
lead per evaluation institution (all with the password ``Bench@2026``, hashed ONCE with
scrypt and the hash reused), 20,000 examiners with valid ID numbers, ~1.3 cards per examiner,
2,000 batches (with BatchDate rows) holding 200,000 final sheets (rubric snapshot, two
submitted columns with totals, 15 marks per column = 6,000,000 mark rows, final score and
grade from ``portal.scoring.rubric``, and the real seal: ``portal.sheets.rules.seal`` over the
same content dict ``portal.sheets.operations.content`` builds), one ``sheet.finalise`` audit
event per sheet; plus

* batch ``BENCH-OPEN``: 16 OPEN sheets (empty columns) that ``bench/run.py`` writes to, and
* batch ``BENCH-PDF30``: exactly 30 final sheets, for the batch PDF,

both rated by ``bench_lead_0001`` (site lead) and ``bench_sup_0001`` (supervisor).

Rows get explicit ids (no RETURNING round trips); on PostgreSQL the id sequences are moved
past them at the end. On SQLite the bulk load runs with ``synchronous=OFF`` and an in-memory
journal, and the file is put back to WAL at the end (what the app uses).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

BENCH_PASSWORD = "Bench@2026"  # noqa: S105 - documented benchmark credential
OPEN_BATCH = "BENCH-OPEN"
PDF_BATCH = "BENCH-PDF30"
OPEN_SHEETS = 16
PDF_SHEETS = 30
CHUNK = 10_000  # rows per executemany / per transaction
FLUSH_MARKS = 60_000  # generate this many mark rows, then write every buffer

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林郑谢唐冯邓曾彭肖蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志鹏宇浩凯晨思雨欣怡婷琳博文斌俊峰海燕雪梅丹蓉川蜀锦渝瑶珺昇彧赟堃"
CITY_WEIGHTS = {"成都市": 30, "绵阳市": 8, "德阳市": 6, "宜宾市": 5, "南充市": 5, "泸州市": 5}
ORG_KINDS = [("institution", "职业技能评价中心", 45), ("station", "职业技能鉴定所", 15),
             ("employer", "实业有限公司", 25), ("school", "职业技术学校", 15)]
# Level mix of one rater's item choice, and how often the second rater agrees.
LEVEL_WEIGHTS = [("A", 45), ("B", 33), ("C", 16), ("D", 6)]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench.db'}")
    p.add_argument("--examiners", type=int, default=20_000)
    p.add_argument("--sheets", type=int, default=200_000)
    p.add_argument("--batches", type=int, default=2_000)
    p.add_argument("--organisations", type=int, default=200)
    p.add_argument("--supervisors", type=int, default=200)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--reset", action="store_true",
                   help="start from an empty database: delete the SQLite file, or drop and "
                        "recreate the public schema of a PostgreSQL database whose name "
                        "contains 'bench'")
    p.add_argument("--no-audit", action="store_true", help="skip the per-sheet audit events")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- reset / setup


def reset_database(url: str) -> None:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        path = Path(u.database or "")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    if "bench" not in (u.database or ""):
        raise SystemExit(f"--reset refuses to wipe {u.database!r}: its name lacks 'bench'")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


class Loader:
    """Buffers of rows per table, written parent-first with executemany in chunks of
    :data:`CHUNK`, one transaction per chunk."""

    def __init__(self, conn, tables):
        self.conn = conn
        self.tables = tables  # name -> Table, in foreign-key order
        self.buffers: dict[str, list[dict]] = {name: [] for name in tables}
        self.counts: dict[str, int] = dict.fromkeys(tables, 0)
        self.statements: dict[str, object] = {n: insert(t) for n, t in tables.items()}

    def add(self, name: str, row: dict) -> None:
        self.buffers[name].append(row)

    def flush(self) -> None:
        for name in self.tables:  # parents first
            rows = self.buffers[name]
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start:start + CHUNK]
                with self.conn.begin():
                    self.conn.execute(self.statements[name], chunk)
                self.counts[name] += len(chunk)
            rows.clear()


def next_id(conn, table) -> int:
    return (conn.scalar(select(func.max(table.c.id))) or 0) + 1


# --------------------------------------------------------------------------- generators


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2, 2))))


def level_pool(rng: random.Random, size: int = 4000):
    """Pairs of 15-level columns with their totals (computed with rater_total), the second
    rater mostly agreeing with the first: sheets draw from this pool."""
    from portal.scoring.rubric import LEVELS, RUBRIC_2021, rater_total

    levels, weights = zip(*LEVEL_WEIGHTS, strict=True)
    pool = []
    for _ in range(size):
        skill = rng.random()  # shifts the whole column: some examiners are better than others
        w = [weights[0] * (0.4 + skill), weights[1], weights[2] * (1.5 - skill), weights[3]
             * (1.5 - skill)]
        first = {n: rng.choices(levels, w)[0] for n in RUBRIC_2021.numbers}
        second = {}
        for n, lv in first.items():
            i = LEVELS.index(lv)
            r = rng.random()
            i = i if r < 0.6 else max(0, i - 1) if r < 0.8 else min(3, i + 1) if r < 0.97 \
                else (i + 2) % 4
            second[n] = LEVELS[i]
        pool.append((first, rater_total(first), second, rater_total(second)))
    return pool


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["SEED_DEMO"] = "0"
    url = make_url(args.database_url)
    backend = url.get_backend_name()
    started = time.perf_counter()
    if args.reset:
        reset_database(args.database_url)

    from portal import create_app
    from portal.audit.models import AuditEvent
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
    from portal.scoring.rubric import RUBRIC_2021, final_score, grade
    from portal.setup import database_is_empty, upgrade_database
    from portal.sheets.models import EvaluationSheet, SheetColumn, SheetMark
    from portal.sheets.rules import seal
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
        region_rows = [(r.id, r.code, r.name) for r in regions if not r.is_province]
        province_id = next(r.id for r in regions if r.is_province)
        occupation_ids = [o.id for o in occupations]
        # Current cards are issued so that they are valid on every batch date (batches run
        # from two years ago to a month ago); a renewed examiner's older card was issued
        # three years before, less 5–40 days.
        window_start = today - timedelta(days=3 * 365 - 60)
        window_days = (today - timedelta(days=2 * 365) - window_start).days
        # Collection deadlines of every issue date used, computed now (the calendar reads
        # the database) so that no read transaction is open during the bulk load.
        calendar = WorkdayCalendar()
        deadlines: dict[date, tuple[date, bool]] = {}
        for first, last in ((window_start, window_start + timedelta(days=window_days)),
                            (window_start - timedelta(days=3 * 365 - 5),
                             window_start + timedelta(days=window_days - 3 * 365 + 40))):
            day = first
            while day <= last:
                d = calendar.deadline_after_workdays(day, COLLECTION_WORKDAYS)
                deadlines[day] = (d.day, d.provisional)
                day += timedelta(days=1)
        db.session.commit()
        print(f"migrations, reference data, deadlines: {time.perf_counter() - t:.1f} s",
              flush=True)

        password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")
        db.session.remove()
        db.engine.dispose()

        tables = {
            "organisation": Organisation.__table__, "user_account": User.__table__,
            "user_role": UserRole.__table__, "person": Person.__table__, "card": Card.__table__,
            "evaluation_batch": EvaluationBatch.__table__, "batch_date": BatchDate.__table__,
            "assignment": Assignment.__table__, "evaluation_sheet": EvaluationSheet.__table__,
            "sheet_column": SheetColumn.__table__, "sheet_mark": SheetMark.__table__,
            "audit_event": AuditEvent.__table__,
        }
        conn = db.engine.connect()
        if backend == "sqlite":
            # Bulk load only: no fsync, journal in memory, big page cache. Restored below.
            # On the driver connection, outside any transaction (SQLite refuses to leave WAL
            # inside one).
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

        # ---- organisations --------------------------------------------------------------
        t = time.perf_counter()
        city_weights = [CITY_WEIGHTS.get(name, 2) for _, _, name in region_rows]
        kinds = [(k, suffix) for k, suffix, _ in ORG_KINDS]
        kind_weights = [w for _, _, w in ORG_KINDS]
        orgs = []  # (id, region_id, region_code, kind, name)
        for i in range(args.organisations):
            rid, code, rname = rng.choices(region_rows, city_weights)[0]
            kind, suffix = rng.choices(kinds, kind_weights)[0]
            if i < len(region_rows):  # every city has at least one evaluation institution
                rid, code, rname = region_rows[i]
                kind, suffix = kinds[0]
            direct = kind == "institution" and rng.random() < 0.05
            name = f"{rname}第{i + 1:03d}{suffix}"
            oid = new_id("organisation")
            orgs.append((oid, rid, code, kind, name))
            load.add("organisation", {
                "id": oid, "name": name, "org_type": kind, "region_id": rid,
                "provincial_direct": direct, "training_quota": rng.randint(0, 30),
                "credit_code": "", "contact_phone": f"0{rng.randint(280, 839)}-"
                f"{rng.randint(80000000, 89999999)}", "address": f"{rname}某路{i + 1}号",
                "active": True,
            })
        orgs_by_region: dict[int, list] = {}
        for o in orgs:
            orgs_by_region.setdefault(o[1], []).append(o)
        evaluators = [o for o in orgs if o[3] in ("institution", "station")]

        # ---- users: supervisors and one site lead per evaluation institution ---------------
        def add_user(username, display, roles, *, org_id=None, region_id=None) -> int:
            uid = new_id("user_account")
            load.add("user_account", {
                "id": uid, "username": username, "display_name": display,
                "password_hash": password_hash, "must_change_password": False, "active": True,
                "session_token": secrets.token_hex(16), "phone": "", "region_id": region_id,
                "organisation_id": org_id, "person_id": None, "created_at": now,
                "last_login_at": None,
            })
            for role in roles:
                load.add("user_role", {"id": new_id("user_role"), "user_id": uid, "role": role})
            return uid

        supervisors = [add_user(f"bench_sup_{i + 1:04d}", f"质量督导员 {person_name(rng)}",
                                ["supervisor"]) for i in range(args.supervisors)]
        lead_of: dict[int, int] = {}
        for i, o in enumerate(evaluators):
            lead_of[o[0]] = add_user(f"bench_lead_{i + 1:04d}", f"考场负责人 {person_name(rng)}",
                                     ["site_lead"], org_id=o[0])
        add_user("bench_province", "省职鉴中心 基准测试", ["province"], region_id=province_id)
        load.flush()
        print(f"organisations, users: {time.perf_counter() - t:.1f} s", flush=True)

        # ---- examiners and cards ------------------------------------------------------------
        t = time.perf_counter()
        seq_by_year: dict[int, int] = {}

        def card_number(issued: date) -> str:
            seq_by_year[issued.year] = seq_by_year.get(issued.year, 0) + 1
            return format_card_number(issued.year, seq_by_year[issued.year])

        def deadline(issued: date) -> tuple[date, bool]:
            return deadlines[issued]

        used_ids: set[str] = set()
        examiners = []  # (person_id, card_id, occupation_id, senior, name, id_number, card no.)
        by_occupation: dict[int, list] = {oid: [] for oid in occupation_ids}
        for _ in range(args.examiners):
            rid, code, rname = rng.choices(region_rows, city_weights)[0]
            while True:
                birth = date(rng.randint(1966, 1994), rng.randint(1, 12), rng.randint(1, 28))
                number = make_id_number(code[:4] + f"{rng.randint(2, 30):02d}", birth,
                                        rng.randint(0, 999))
                if number not in used_ids:
                    used_ids.add(number)
                    break
            local_orgs = orgs_by_region.get(rid, [])
            org = rng.choice(local_orgs) if local_orgs and rng.random() < 0.7 else None
            pid = new_id("person")
            name = person_name(rng)
            load.add("person", {
                "id": pid, "name": name, "gender": "男" if int(number[16]) % 2 else "女",
                "education": rng.choice(EDUCATION_CHOICES[1:5]), "id_number": number,
                "employer": org[4] if org else f"{rname}某企业",
                "organisation_id": org[0] if org else None,
                "title": rng.choice(("", "工程师", "高级工程师", "技师", "高级技师")),
                "position": rng.choice(("", "车间主任", "培训教师", "技术员", "部门经理")),
                "address": f"{rname}{rng.choice('东南西北')}大街{rng.randint(1, 300)}号",
                "mobile": "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)),
                "region_id": rid, "years_worked": rng.randint(5, 35), "retired": False,
                "photo_upload_id": None, "created_at": now,
            })
            occupation = rng.choice(occupation_ids)
            senior = rng.random() < 0.2
            level = "高级考评员" if senior else "考评员"
            issued = window_start + timedelta(days=rng.randint(0, window_days))
            renewed = rng.random() < 0.3  # an older, expired card came first
            if renewed:
                old = issued - timedelta(days=3 * 365 - rng.randint(5, 40))
                old_deadline, old_prov = deadline(old)
                load.add("card", {
                    "id": new_id("card"), "number": card_number(old), "person_id": pid,
                    "occupation_id": occupation, "level": "考评员", "issued_on": old,
                    "valid_until": valid_until(old), "collection_deadline": old_deadline,
                    "deadline_provisional": old_prov,
                    "collected_on": old + timedelta(days=rng.randint(3, 40)),
                    "collected_by_id": None, "voided_on": None, "revoked_on": None,
                    "revoke_reason": "", "origin": "training", "created_at": now,
                })
            cid = new_id("card")
            number_card = card_number(issued)
            the_deadline, provisional = deadline(issued)
            load.add("card", {
                "id": cid, "number": number_card, "person_id": pid,
                "occupation_id": occupation, "level": level, "issued_on": issued,
                "valid_until": valid_until(issued), "collection_deadline": the_deadline,
                "deadline_provisional": provisional,
                "collected_on": issued + timedelta(days=rng.randint(3, 40)),
                "collected_by_id": None, "voided_on": None, "revoked_on": None,
                "revoke_reason": "", "origin": "renewal" if renewed else "training",
                "created_at": now,
            })
            ex = (pid, cid, occupation, senior, name, number, number_card)
            examiners.append(ex)
            by_occupation[occupation].append(ex)
        load.flush()
        print(f"examiners, cards: {time.perf_counter() - t:.1f} s", flush=True)

        # ---- batches, assignments, final sheets, columns, marks ---------------------------
        t = time.perf_counter()
        snapshot = RUBRIC_2021.to_snapshot()  # one dict shared by every sheet row
        pool = level_pool(rng)
        scores: dict[tuple[int, int], tuple] = {}
        audit = not args.no_audit

        def add_batch(number, org, occupation, level, first, days, lead, sup) -> int:
            bid = new_id("evaluation_batch")
            load.add("evaluation_batch", {
                "id": bid, "number": number, "organisation_id": org[0],
                "occupation_id": occupation, "level": level,
                "site": f"{org[4]}第{rng.randint(1, 6)}考场", "candidates": rng.randint(10, 60),
                "first_date": first, "last_date": first + timedelta(days=days - 1),
                "site_lead_id": lead, "supervisor_id": sup, "created_by_id": lead,
                "created_at": datetime.combine(first - timedelta(days=20), now.time()),
            })
            for k in range(days):
                load.add("batch_date", {"id": new_id("batch_date"), "batch_id": bid,
                                        "day": first + timedelta(days=k)})
            return bid

        def add_sheet(bid, number, ex, lead, sup, assigned, final_at):
            """One accepted assignment and its sheet; final when ``final_at`` is given."""
            aid = new_id("assignment")
            load.add("assignment", {
                "id": aid, "batch_id": bid, "person_id": ex[0], "card_id": ex[1],
                "answer": "accepted", "answered_at": assigned + timedelta(days=1), "reason": "",
                "reason_justified": None, "judged_by_id": None, "confirmed_warnings": [],
                "assigned_by_id": lead, "assigned_at": assigned,
            })
            sid = new_id("evaluation_sheet")
            sheet = {
                "id": sid, "assignment_id": aid, "batch_id": bid, "person_id": ex[0],
                "rubric_version": RUBRIC_2021.version, "rubric_snapshot": snapshot,
                "final_score": None, "grade": None, "finalised_at": None, "seal_sha256": None,
                "scan_upload_id": None, "revision": 1, "created_at": assigned + timedelta(days=1),
            }
            if final_at is None:
                for role, rater in (("supervisor", sup), ("site_lead", lead)):
                    load.add("sheet_column", {
                        "id": new_id("sheet_column"), "sheet_id": sid, "role": role,
                        "rater_id": rater, "version": 0, "marked": 0, "total": None,
                        "submitted_at": None, "submitted_by_id": None, "imported": False})
                load.add("evaluation_sheet", sheet)
                return sid
            sup_levels, sup_total, lead_levels, lead_total = rng.choice(pool)
            if rng.random() < 0.5:
                sup_levels, sup_total, lead_levels, lead_total = (lead_levels, lead_total,
                                                                  sup_levels, sup_total)
            key = (sup_total, lead_total)
            if key not in scores:
                score = final_score(sup_total, lead_total)
                scores[key] = (score, grade(score))
            score, the_grade = scores[key]
            columns = {}
            for k, (role, rater, levels, total) in enumerate(
                    (("supervisor", sup, sup_levels, sup_total),
                     ("site_lead", lead, lead_levels, lead_total))):
                colid = new_id("sheet_column")
                submitted = final_at - timedelta(minutes=5 * (1 - k))
                load.add("sheet_column", {
                    "id": colid, "sheet_id": sid, "role": role, "rater_id": rater,
                    "version": 16, "marked": 15, "total": total, "submitted_at": submitted,
                    "submitted_by_id": rater, "imported": False})
                for item, level in levels.items():
                    load.add("sheet_mark", {"id": new_id("sheet_mark"), "column_id": colid,
                                            "item": item, "level": level,
                                            "updated_at": submitted})
                columns[role] = {"rater_id": rater,
                                 "levels": {str(n): lv for n, lv in levels.items()},
                                 "total": total, "submitted_at": submitted, "imported": False}
            sheet.update(final_score=score, grade=the_grade, finalised_at=final_at)
            sheet["seal_sha256"] = seal({
                "sheet": sid, "revision": 1, "batch": number, "examiner": ex[4],
                "id_number": ex[5], "card": ex[6], "rubric": snapshot,
                "columns": {r: columns[r] for r in sorted(columns)},
                "final_score": score, "grade": the_grade, "scan_sha256": None,
            })
            load.add("evaluation_sheet", sheet)
            if audit:
                load.add("audit_event", {
                    "id": new_id("audit_event"), "at": final_at, "actor_id": lead,
                    "action": "sheet.finalise", "entity_type": "evaluation_sheet",
                    "entity_id": str(sid), "before": None,
                    "after": {"final_score": str(score), "grade": the_grade,
                              "seal": sheet["seal_sha256"]}, "ip": "127.0.0.1"})
            return sid

        # Batch sizes: around sheets/batches each, summing exactly to the sheets wanted
        # (the 30-sheet PDF batch counts towards the total).
        regular = args.sheets - PDF_SHEETS
        mean = regular / args.batches
        sizes = [max(5, int(rng.uniform(0.4, 1.6) * mean)) for _ in range(args.batches)]
        diff = regular - sum(sizes)
        k = 0
        while diff:
            step = 1 if diff > 0 else -1
            if sizes[k % args.batches] + step >= 5:
                sizes[k % args.batches] += step
                diff -= step
            k += 1
        senior_by_occupation = {o: [e for e in lst if e[3]] for o, lst in by_occupation.items()}
        eval_weights = [CITY_WEIGHTS.get(next(n for i, c, n in region_rows if i == o[1]), 2)
                        for o in evaluators]
        first_lead = lead_of[evaluators[0][0]]
        first_sup = supervisors[0]
        final_sheet_count = 0
        carry = 0  # sheets a batch could not take (too few senior examiners) go to the next
        for batch_seq, size in enumerate(sizes, start=1):
            org = rng.choices(evaluators, eval_weights)[0]
            occupation = rng.choice(occupation_ids)
            level = rng.choices((5, 4, 3, 2, 1), (30, 30, 25, 10, 5))[0]
            candidates = by_occupation[occupation] if level >= 3 \
                else senior_by_occupation[occupation]
            size, carry = min(size + carry, len(candidates)), max(0, size + carry
                                                                 - len(candidates))
            first = today - timedelta(days=rng.randint(30, 2 * 365))
            days = 2 if rng.random() < 0.2 else 1
            number = f"KP{first.year}-{org[2][:4]}-{batch_seq:05d}"
            lead, sup = lead_of[org[0]], rng.choice(supervisors)
            bid = add_batch(number, org, occupation, level, first, days, lead, sup)
            assigned = datetime.combine(first - timedelta(days=14), now.time())
            final_at = datetime.combine(first + timedelta(days=days - 1), now.time())
            for ex in rng.sample(candidates, size):
                add_sheet(bid, number, ex, lead, sup, assigned, final_at)
                final_sheet_count += 1
            if len(load.buffers["sheet_mark"]) >= FLUSH_MARKS:
                load.flush()
            if batch_seq % 200 == 0:
                print(f"  {batch_seq} batches, {final_sheet_count} sheets, "
                      f"{time.perf_counter() - t:.0f} s", flush=True)

        # The batch PDF batch (30 final sheets) and the open batch the benchmark writes to,
        # both rated by the first institution's site lead and the first supervisor.
        org = evaluators[0]
        occupation = occupation_ids[0]
        first = today - timedelta(days=3)
        pdf_batch = add_batch(PDF_BATCH, org, occupation, 4, first, 1, first_lead, first_sup)
        for ex in rng.sample(by_occupation[occupation], PDF_SHEETS):
            add_sheet(pdf_batch, PDF_BATCH, ex, first_lead, first_sup,
                      datetime.combine(first - timedelta(days=14), now.time()),
                      datetime.combine(first, now.time()))
            final_sheet_count += 1
        open_batch = add_batch(OPEN_BATCH, org, occupation, 4, today, 1, first_lead, first_sup)
        for ex in rng.sample(by_occupation[occupation], OPEN_SHEETS):
            add_sheet(open_batch, OPEN_BATCH, ex, first_lead, first_sup,
                      datetime.combine(today - timedelta(days=14), now.time()), None)
        load.flush()
        print(f"batches, sheets, columns, marks: {time.perf_counter() - t:.1f} s", flush=True)

        # ---- finish: sequences, journal mode, statistics -------------------------------------
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
            # What autovacuum would do shortly after a load this size.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM ANALYZE")
        else:
            # Every new connection switches the file back to WAL (portal/__init__.py).
            with db.engine.connect() as c:
                mode = c.connection.driver_connection.execute("PRAGMA journal_mode").fetchone()
                assert mode[0] == "wal", mode
        db.engine.dispose()
        print(f"finish ({'VACUUM ANALYZE' if backend == 'postgresql' else 'back to WAL'}): "
              f"{time.perf_counter() - t:.1f} s", flush=True)

        with db.engine.connect() as c:
            print("\nrow counts:")
            for name, table in tables.items():
                n = c.scalar(select(func.count()).select_from(table))
                print(f"  {name:<18} {n:>10,}")
            finals = c.scalar(select(func.count()).select_from(EvaluationSheet.__table__).where(
                EvaluationSheet.__table__.c.finalised_at.is_not(None)))
            print(f"  {'(final sheets)':<18} {finals:>10,}")
            if backend == "postgresql":
                size = c.scalar(text("SELECT pg_database_size(current_database())"))
            else:
                size = Path(url.database).stat().st_size
        db.engine.dispose()
    elapsed = time.perf_counter() - started
    print(f"\ndatabase size: {size / 2**20:,.0f} MiB")
    print("seal: portal.sheets.rules.seal over the content dict of "
          "portal.sheets.operations.content (real seals, no scan)")
    print(f"bench users: bench_sup_NNNN, bench_lead_NNNN, bench_province; password "
          f"{BENCH_PASSWORD}")
    print(f"elapsed: {elapsed:.1f} s ({elapsed / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
