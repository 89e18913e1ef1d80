"""Where one level save spends its time: statements, query plans, a per-phase breakdown and a
cProfile of many saves — in process (Flask test client), single-threaded, no HTTP.

    .venv/bin/python bench/profile_save.py --database-url sqlite:////work/main/instance/bench.db
    .venv/bin/python bench/profile_save.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

It logs in as the site lead of the ``BENCH-OPEN`` batch (bench/seed_large.py) and saves levels
on the last open sheet's site-lead column (a column bench/run.py does not use with ≤ 30
clients). Prints:

1. every SQL statement of one save, in order, with its time (and the transaction events),
2. the query plan of each (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL),
3. the mean time per save split into the route's phases (``--saves`` saves),
4. the top functions of a cProfile of those saves, and the same for the trivial page.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "Bench@2026"  # noqa: S105 - the benchmark users' password (bench/seed_large.py)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench.db'}")
    p.add_argument("--saves", type=int, default=300)
    p.add_argument("--top", type=int, default=30)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["SEED_DEMO"] = "0"
    from sqlalchemy import event, select

    from portal import create_app
    from portal.auth.models import User
    from portal.batches.models import EvaluationBatch
    from portal.extensions import db
    from portal.sheets import routes
    from portal.sheets.models import EvaluationSheet

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SEED_DEMO": False})
    dialect = None
    with app.app_context():
        dialect = db.engine.dialect.name
        batch = db.session.scalars(
            select(EvaluationBatch).where(EvaluationBatch.number == "BENCH-OPEN")).one()
        lead = db.session.get(User, batch.site_lead_id)
        username, user_id = lead.username, lead.id
        sheet_id = db.session.scalars(select(EvaluationSheet.id).where(
            EvaluationSheet.batch_id == batch.id).order_by(EvaluationSheet.id.desc())).first()
        db.session.remove()

    client = app.test_client()
    page = client.get("/login").get_data()
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    r = client.post("/login", data={"csrf_token": token, "username": username,
                                    "password": PASSWORD})
    assert r.status_code == 302, r.status_code
    page = client.get(f"/sheets/{sheet_id}").get_data()
    csrf = re.search(rb'"X-CSRFToken": "([^"]+)"', page).group(1).decode()
    state = {"version": int(re.search(rb'id="version-site_lead" value="(\d+)"', page).group(1)),
             "levels": {int(n): lv.decode() for n, lv in re.findall(
                 rb'id="r-site_lead-(\d+)-([ABCD])"\s+checked', page)},
             "step": 0}

    def save():
        item = state["step"] % 15 + 1
        level = "B" if state["levels"].get(item) == "A" else "A"
        resp = client.post(f"/sheets/{sheet_id}/columns/site_lead/items/{item}",
                           data={f"item-{item}": level, "version": state["version"]},
                           headers={"X-CSRFToken": csrf, "HX-Request": "true"})
        assert resp.status_code == 200, (resp.status_code, resp.get_data()[:300])
        state["version"] = int(re.search(rb'id="version-site_lead" value="(\d+)"',
                                         resp.get_data()).group(1))
        state["levels"][item] = level
        state["step"] += 1

    save()  # warm: templates compiled, caches filled

    # ---- 1. statements of one save ------------------------------------------------------
    log: list[tuple[str, object, float]] = []
    recording = {"on": False}

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        if recording["on"]:
            log.append((statement, parameters, time.perf_counter() - conn.info["t0"]))

    @event.listens_for(engine, "commit")
    def on_commit(conn):
        if recording["on"]:
            log.append(("-- COMMIT", None, 0.0))

    @event.listens_for(engine, "rollback")
    def on_rollback(conn):
        if recording["on"]:
            log.append(("-- ROLLBACK", None, 0.0))

    recording["on"] = True
    t0 = time.perf_counter()
    save()
    wall = time.perf_counter() - t0
    recording["on"] = False
    executed = [x for x in log if not x[0].startswith("--")]
    print(f"database: {dialect}; user {username}; sheet {sheet_id}"
          )
    print(f"\n== 1. one level save: {len(executed)} SQL statements, "
          f"{sum(1 for x in log if x[0] == '-- COMMIT')} commits, "
          f"{sum(x[2] for x in executed) * 1000:.2f} ms in the driver, {wall * 1000:.2f} ms "
          "wall (in process, no HTTP)")
    for i, (statement, params, dt) in enumerate(log, 1):
        one_line = re.sub(r"\s+", " ", statement).strip()
        print(f"{i:>2}. [{dt * 1000:6.2f} ms] {one_line}")
        if params:
            print(f"      params: {str(params)[:200]}")

    # ---- 2. query plans -------------------------------------------------------------------
    print("\n== 2. query plans")
    seen = set()
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, params, _ in executed:
                key = re.sub(r"\s+", " ", statement).strip()
                if key in seen or key.upper().startswith(("BEGIN", "PRAGMA", "COMMIT")):
                    continue
                seen.add(key)
                prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
                try:
                    cur.execute(prefix + statement, params)
                    rows = cur.fetchall()
                except Exception as exc:  # noqa: BLE001 - show what could not be explained
                    rows = [(f"(no plan: {exc})",)]
                    raw.rollback()
                print(f"-- {key[:160]}{'…' if len(key) > 160 else ''}")
                for row in rows:
                    print("     " + (str(row[-1]) if dialect == "sqlite" else str(row[0])))
            raw.rollback()
        finally:
            raw.close()

    # ---- 3. per-phase breakdown -----------------------------------------------------------
    phases: dict[str, float] = defaultdict(float)

    def timed(name, fn):
        @wraps(fn)
        def inner(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                phases[name] += time.perf_counter() - t
        return inner

    target = routes
    saved = (routes._load, target.begin_write, routes.operations.save_level,
             routes.view.build, target.render_template)
    routes._load = timed("scoped load (_load: sheet + columns + marks + raters)", routes._load)
    target.begin_write = timed("begin_write (COMMIT read txn, BEGIN IMMEDIATE)",
                               target.begin_write)
    routes.operations.save_level = timed("operations.save_level (load in write txn if not "
                                         "loaded, UPDATE, mark, audit)",
                                         routes.operations.save_level)
    routes.view.build = timed("view.build", routes.view.build)
    target.render_template = timed("render _save_response.html", target.render_template)
    commit_t = {"t": 0.0}

    @event.listens_for(db.session, "before_commit")
    def bc(session):
        commit_t["t"] = time.perf_counter()

    @event.listens_for(db.session, "after_commit")
    def ac(session):
        phases["commit (flush + COMMIT)"] += time.perf_counter() - commit_t["t"]

    sql = {"t": 0.0, "n": 0}

    @event.listens_for(engine, "after_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        sql["t"] += time.perf_counter() - conn.info["t0"]
        sql["n"] += 1

    t0 = time.perf_counter()
    for _ in range(args.saves):
        save()
    total = time.perf_counter() - t0
    n = args.saves
    print(f"\n== 3. {n} saves in process: {total / n * 1000:.2f} ms per save "
          f"({sql['n'] / n:.1f} statements, {sql['t'] / n * 1000:.2f} ms in the driver)")
    for name, t in phases.items():
        print(f"   {t / n * 1000:7.2f} ms  {name}")
    accounted = sum(v for k, v in phases.items() if not k.startswith("commit"))
    print(f"   {(total - accounted) / n * 1000:7.2f} ms  everything else (request, session "
          "cookie, user loader, form + CSRF, response; includes the commit above)")
    (routes._load, target.begin_write, routes.operations.save_level, routes.view.build,
     target.render_template) = saved
    sql["t"], sql["n"] = 0.0, 0
    t0 = time.perf_counter()
    for _ in range(n):
        client.get(f"/users/{user_id}")
    trivial = (time.perf_counter() - t0) / n
    print(f"   for comparison, {n} × trivial GET /users/<own id> in process: "
          f"{trivial * 1000:.2f} ms each ({sql['n'] / n:.1f} statements); "
          f"save / trivial = {total / n / trivial:.2f}")

    # ---- 4. cProfile -------------------------------------------------------------------
    for label, fn in (("level save", save),
                      ("trivial GET /users/<own id>",
                       lambda: client.get(f"/users/{user_id}"))):
        prof = cProfile.Profile()
        sql["t"], sql["n"] = 0.0, 0
        t0 = time.perf_counter()
        prof.enable()
        for _ in range(n):
            fn()
        prof.disable()
        per = (time.perf_counter() - t0) / n * 1000
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(f"\n== 4. cProfile of {n} × {label}: {per:.2f} ms each under the profiler, "
              f"{sql['n'] / n:.1f} statements each")
        text = out.getvalue()
        print(text[text.find("   ncalls"):].rstrip())
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top // 2)
        text = out.getvalue()
        print(f"-- the same, by own time (top {args.top // 2}):")
        print(text[text.find("   ncalls"):].rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
