"""Seed a registry-sized database for the registry benchmark (issue 5) — fast, with Core.

    .venv/bin/python bench/seed_registry.py --reset
    .venv/bin/python bench/seed_registry.py --database-url sqlite:////work/main/instance/bench_registry.db --reset

Default target: ``instance/bench_registry.db`` (SQLite, never committed). What it makes:

* 50,000 persons over the 21 cities (Chengdu weighted, as ``seed_large.py``), valid and
  unique ID numbers (``make_id_number``, gender from the number), mobile numbers, 70 % in a
  registered unit; 10 % of them without any card;
* 80,000 cards: 35,000 holders with a current card and an older (expired) one, 10,000 with
  a current card only. The current card's issue date is spread over the last three years, so
  statuses mix as in life: 待领取 (issued in the last ~3 months, half not yet collected),
  即将到期 (the last 90 days of validity), 已作废 (2 % of those issued 4–24 months ago, never
  collected), 已注销 (0.5 %), 有效, 已过期 (the older cards). Exactly 10,000 cards are
  高级考评员 cards — the export benchmark exports that search. Collection deadlines come from
  the working-day calendar (provisional where the count runs into an unmaintained year);
* users ``bench_province`` (province), ``bench_city`` (成都市 city centre) and
  ``bench_unit`` (the largest Chengdu unit's clerk), password ``Bench@2026``;
* 40 organisations, 2 per city (the first ones institutions).

Uses the loader of ``seed_large.py`` (explicit ids, executemany in chunks of 10,000). SQLite
only by default; a PostgreSQL URL works too (``--reset`` needs 'bench' in the name).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from datetime import date, timedelta
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

SENIOR_CARDS = 10_000  # exactly this many 高级考评员 cards: the 10,000-row export


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench_registry.db'}")
    p.add_argument("--persons", type=int, default=50_000)
    p.add_argument("--two-card-holders", type=int, default=35_000)
    p.add_argument("--one-card-holders", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--reset", action="store_true",
                   help="delete the SQLite file (or recreate a PostgreSQL 'bench' schema) first")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.two_card_holders + args.one_card_holders > args.persons:
        raise SystemExit("more card holders than persons")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["SEED_DEMO"] = "0"
    backend = make_url(args.database_url).get_backend_name()
    started = time.perf_counter()
    if args.reset:
        reset_database(args.database_url)

    from portal import create_app
    from portal.auth.models import User, UserRole
    from portal.cards.models import Card
    from portal.cards.numbering import format_card_number
    from portal.cards.rules import COLLECTION_WORKDAYS, valid_until
    from portal.demo.seed import ensure_reference_data
    from portal.extensions import db
    from portal.orgs.models import Organisation
    from portal.people.idcard import make_id_number
    from portal.people.models import EDUCATION_CHOICES, Person
    from portal.setup import database_is_empty, upgrade_database
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
        occupation_ids = [o.id for o in occupations]
        # Every issue date used: the last three years (current cards) and three years before.
        calendar = WorkdayCalendar()
        first_issue = today - timedelta(days=6 * 365 + 10)
        deadlines = {}
        day = first_issue
        while day <= today:
            d = calendar.deadline_after_workdays(day, COLLECTION_WORKDAYS)
            deadlines[day] = (d.day, d.provisional)
            day += timedelta(days=1)
        db.session.commit()
        print(f"migrations, reference data, deadlines: {time.perf_counter() - t:.1f} s",
              flush=True)
        password_hash = generate_password_hash(BENCH_PASSWORD, method="scrypt")
        db.session.remove()
        db.engine.dispose()

        tables = {"organisation": Organisation.__table__, "user_account": User.__table__,
                  "user_role": UserRole.__table__, "person": Person.__table__,
                  "card": Card.__table__}
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

        # ---- organisations and the three bench users ----------------------------------------
        t = time.perf_counter()
        orgs_by_city: dict[int, list[tuple[int, str]]] = {}
        for rid, _code, rname in cities:
            for k, suffix in enumerate(("职业技能评价中心", "实业有限公司")):
                oid = new_id("organisation")
                name = f"{rname}{suffix}{k + 1}"
                orgs_by_city.setdefault(rid, []).append((oid, name))
                load.add("organisation", {
                    "id": oid, "name": name, "org_type": "institution" if k == 0 else "employer",
                    "region_id": rid, "provincial_direct": False, "training_quota": 10,
                    "credit_code": "", "contact_phone": "", "address": "", "active": True})
        chengdu = next(c for c in cities if c[2] == "成都市")
        unit_org = orgs_by_city[chengdu[0]][0][0]

        def add_user(username, display, role, *, region_id=None, org_id=None):
            uid = new_id("user_account")
            load.add("user_account", {
                "id": uid, "username": username, "display_name": display,
                "password_hash": password_hash, "must_change_password": False, "active": True,
                "session_token": secrets.token_hex(16), "phone": "", "region_id": region_id,
                "organisation_id": org_id, "person_id": None, "created_at": now,
                "last_login_at": None})
            load.add("user_role", {"id": new_id("user_role"), "user_id": uid, "role": role})

        add_user("bench_province", "省职鉴中心 基准测试", "province", region_id=province_id)
        add_user("bench_city", "成都市职鉴中心 基准测试", "city", region_id=chengdu[0])
        add_user("bench_unit", "成都评价中心 基准测试", "unit", org_id=unit_org)
        load.flush()
        print(f"organisations, users: {time.perf_counter() - t:.1f} s", flush=True)

        # ---- persons and cards ---------------------------------------------------------------
        t = time.perf_counter()
        weights = [CITY_WEIGHTS.get(name, 2) for _, _, name in cities]
        used: set[str] = set()
        seq_by_year: dict[int, int] = {}
        holders = ["two"] * args.two_card_holders + ["one"] * args.one_card_holders
        holders += ["none"] * (args.persons - len(holders))
        rng.shuffle(holders)
        cards_total = 2 * args.two_card_holders + args.one_card_holders
        senior_slots = set(rng.sample(range(cards_total), min(SENIOR_CARDS, cards_total)))
        card_index = 0
        counts: dict[str, int] = {}

        def add_card(pid: int, issued: date, occupation: int, *, state: str) -> None:
            nonlocal card_index
            seq_by_year[issued.year] = seq_by_year.get(issued.year, 0) + 1
            deadline, provisional = deadlines[issued]
            row = {
                "id": new_id("card"), "number": format_card_number(issued.year,
                                                                   seq_by_year[issued.year]),
                "person_id": pid, "occupation_id": occupation,
                "level": "高级考评员" if card_index in senior_slots else "考评员",
                "issued_on": issued, "valid_until": valid_until(issued),
                "collection_deadline": deadline, "deadline_provisional": provisional,
                "collected_on": None, "collected_by_id": None, "voided_on": None,
                "revoked_on": None, "revoke_reason": "", "origin": "training",
                "created_at": now,
            }
            if state == "collected":
                row["collected_on"] = min(issued + timedelta(days=rng.randint(2, 40)), today)
            elif state == "voided":
                row["voided_on"] = deadline + timedelta(days=1)
            elif state == "revoked":
                row["collected_on"] = issued + timedelta(days=rng.randint(2, 40))
                row["revoked_on"] = min(issued + timedelta(days=rng.randint(120, 300)), today)
                row["revoke_reason"] = "考评过程中弄虚作假，经查实注销"
            counts[state] = counts.get(state, 0) + 1
            card_index += 1
            load.add("card", row)

        for kind in holders:
            rid, code, rname = rng.choices(cities, weights)[0]
            while True:
                birth = date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28))
                number = make_id_number(code[:4] + f"{rng.randint(2, 30):02d}", birth,
                                        rng.randint(0, 999))
                if number not in used:
                    used.add(number)
                    break
            org = rng.choice(orgs_by_city[rid]) if rng.random() < 0.7 else None
            pid = new_id("person")
            load.add("person", {
                "id": pid, "name": person_name(rng),
                "gender": "男" if int(number[16]) % 2 else "女",
                "education": rng.choice(EDUCATION_CHOICES[1:5]), "id_number": number,
                "employer": org[1] if org else f"{rname}某企业",
                "organisation_id": org[0] if org else None,
                "title": rng.choice(("", "工程师", "高级工程师", "技师", "高级技师")),
                "position": rng.choice(("", "车间主任", "培训教师", "技术员")),
                "address": f"{rname}{rng.choice('东南西北')}大街{rng.randint(1, 300)}号",
                "mobile": "1" + rng.choice("3456789") + "".join(rng.choices("0123456789", k=9)),
                "region_id": rid, "years_worked": rng.randint(3, 35), "retired": False,
                "photo_upload_id": None, "created_at": now,
            })
            if kind == "none":
                continue
            occupation = rng.choice(occupation_ids)
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
                older = issued - timedelta(days=3 * 365 - rng.randint(0, 60))
                older = max(older, first_issue)
                add_card(pid, older, occupation, state="collected")
            add_card(pid, issued, occupation, state=state)
            if len(load.buffers["card"]) >= 20_000:
                load.flush()
        load.flush()
        print(f"persons, cards: {time.perf_counter() - t:.1f} s  (current cards by state: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + ")", flush=True)

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
        with db.engine.connect() as c:
            print("\nrow counts:")
            for name, table in tables.items():
                print(f"  {name:<14} {c.scalar(select(func.count()).select_from(table)):>8,}")
            senior = c.scalar(select(func.count()).select_from(Card.__table__).where(
                Card.__table__.c.level == "高级考评员"))
            print(f"  {'(高级考评员)':<14} {senior:>8,}")
            if backend == "postgresql":
                size = c.scalar(text("SELECT pg_database_size(current_database())"))
            else:
                size = Path(make_url(args.database_url).database).stat().st_size
        db.engine.dispose()
    print(f"\ndatabase size: {size / 2**20:,.1f} MiB")
    print(f"bench users: bench_province, bench_city (成都市), bench_unit; password {BENCH_PASSWORD}")
    print(f"elapsed: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
