"""Benchmark the dashboards over HTTP (issue 8): the province's and a city's dashboard.

    .venv/bin/python bench/seed_dashboard.py --reset
    .venv/bin/python bench/run_dashboard.py                     # instance/bench_dashboard.db
    .venv/bin/python bench/run_dashboard.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench_dashboard

Starts the portal as deployed (``gunicorn -c deploy/gunicorn.conf.py`` through ``bench/run.py``'s
``start_server``) on 127.0.0.1, logs in ``bench_province`` and ``bench_city`` (成都市, the
largest city), and sends ``--requests`` GETs per endpoint from ``--clients`` concurrent
sessions (each request waits for the previous answer of its session), after
``--warmup`` unrecorded requests per session:

* ``trivial`` — GET /users/<own id>, the cheapest authenticated page (the baseline);
* ``province dashboard`` — GET /dashboard/ as the province (every figure of the province);
* ``city dashboard`` — GET /dashboard/ as 成都市;
* with ``--filters``: the province dashboard with a city and an occupation, as htmx sends it.

Each response is checked (200, the board present). The whole run is made twice: with the
dashboard memo (``portal/dashboards/memo.py``, as deployed: figures reused until the next
audited change) and without it (``DASHBOARD_CACHE_SECONDS=0``: every request computes every
figure) — the server is restarted between the two. Targets: province p95 ≤ 150 ms, city
p95 ≤ 100 ms.

``--before-each ACTION`` writes one audit event of ACTION before every dashboard request
(untimed): the cost of a view that follows such a change (the memo recomputes what that
action may change). ``--events 'sheet.level=3,sheet.finalise=0.1,…'`` writes audit events at those rates per
second while measuring, as raters and officers do on a busy day: each one makes the memo
recompute the figure families it may change (``portal.dashboards.memo.FAMILIES_OF``). The
events change no data and are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from run import Client, cpu_seconds, gunicorn_available, redact, start_server, stop_server  # noqa: E402,I001

TARGETS = {"province dashboard": 150.0, "city dashboard": 100.0}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench_dashboard.db'}")
    p.add_argument("--requests", type=int, default=200, help="recorded requests per endpoint")
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3, help="unrecorded requests per session")
    p.add_argument("--server", default="gunicorn-portal" if gunicorn_available() else "werkzeug")
    p.add_argument("--port", type=int, default=5079)
    p.add_argument("--modes", default="memo,no-memo")
    p.add_argument("--filters", action="store_true", help="also a filtered province board")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--before-each", default="",
                   help="write one audit event of this action before every dashboard request "
                        "(untimed): the cost of a view that follows such a change")
    p.add_argument("--events", default="",
                   help="while measuring, write audit events at these rates per second, e.g. "
                        "'sheet.level=5,sheet.finalise=0.1,application.approve=0.1' (a busy "
                        "day: each event makes the memo recompute the figures it may change)")
    return p.parse_args(argv)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, math.ceil(p * len(s)) - 1)] if s else float("nan")


def user_ids(database_url: str) -> dict[str, int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as c:
        users = dict(c.execute(text("SELECT username, id FROM user_account "
                                    "WHERE username IN ('bench_province', 'bench_city')")).all())
        chengdu = c.scalar(text("SELECT id FROM region WHERE name = '成都市'"))
        occupation = c.scalar(text("SELECT min(id) FROM occupation"))
    engine.dispose()
    if len(users) != 2:
        raise SystemExit("no bench users: seed with bench/seed_dashboard.py first")
    return {**users, "chengdu": chengdu, "occupation": occupation}


def phase(name, clients, path, n, warmup, pids, headers=None, marker=b'id="board"',
          before=None):
    """``before``: called (untimed) before each request — writes the event of
    ``--before-each``."""
    per = max(1, n // len(clients))
    lat: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def work(client):
        for i in range(warmup + per):
            if before is not None:
                before()
            t0 = time.perf_counter()
            status, body, _ = client.request("GET", path, headers=headers)
            dt = time.perf_counter() - t0
            ok = status == 200 and (marker is None or marker in body)
            with lock:
                if i >= warmup:
                    lat.append(dt)
                    if not ok:
                        errors.append(f"HTTP {status} {body[:80]!r}")

    cpu0, t0 = cpu_seconds(pids()), time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, cpu_seconds(pids()) - cpu0
    row = {"endpoint": name, "requests": len(lat), "p50_ms": round(pct(lat, .5) * 1000, 1),
           "p95_ms": round(pct(lat, .95) * 1000, 1), "p99_ms": round(pct(lat, .99) * 1000, 1),
           "max_ms": round(max(lat) * 1000, 1), "errors": len(errors),
           "srv_cpu_ms_per_req": round(cpu * 1000 / ((warmup + per) * len(clients)), 2),
           "req_s": round((warmup + per) * len(clients) / wall, 1)}
    if errors:
        print("   errors: " + " | ".join(sorted(set(errors))[:3]))
    return row


def parse_events(spec: str) -> dict[str, float]:
    """``'sheet.level=5,card.collect=0.05'`` → ``{'sheet.level': 5.0, 'card.collect': 0.05}``."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        action, _, rate = part.partition("=")
        out[action.strip()] = float(rate)
    return out


def write_events(database_url: str, rates: dict[str, float], stop: threading.Event) -> dict:
    """Write audit events of each action at its rate per second until ``stop`` is set (what
    the memo sees when raters click and officers act); returns the counts, filled in as it
    goes. The events change no data: they only make the memo recompute real figures."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    written = dict.fromkeys(rates, 0)
    lock = threading.Lock()

    def loop(action: str, per_second: float):
        while not stop.wait(1 / per_second):
            with lock, engine.begin() as c:
                c.execute(text(
                    "INSERT INTO audit_event (at, action, entity_type, entity_id, ip) "
                    "VALUES (CURRENT_TIMESTAMP, :a, 'bench', '0', '')"), {"a": action})
            written[action] += 1

    for action, per_second in rates.items():
        threading.Thread(target=loop, args=(action, per_second), daemon=True).start()
    return written


def one_event(database_url: str, action: str):
    """A function writing one audit event of ``action`` (for ``--before-each``)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)

    def write():
        with engine.begin() as c:
            c.execute(text("INSERT INTO audit_event (at, action, entity_type, entity_id, ip) "
                           "VALUES (CURRENT_TIMESTAMP, :a, 'bench', '0', '')"), {"a": action})
    return write


def run_mode(mode: str, args, ids) -> dict:
    from run import tree_pids

    if mode == "no-memo":
        os.environ["DASHBOARD_CACHE_SECONDS"] = "0"
    else:
        os.environ.pop("DASHBOARD_CACHE_SECONDS", None)
    log = Path(tempfile.gettempdir()) / f"bench-dashboard-{mode}.log"
    proc = start_server(args.server, args.port, args.database_url, log)
    try:
        province = [Client(args.port) for _ in range(args.clients)]
        city = [Client(args.port) for _ in range(args.clients)]
        for c in province:
            c.login("bench_province")
        for c in city:
            c.login("bench_city")

        def pids():
            return tree_pids(proc.pid)

        phases = [("trivial GET /users/<own id>", province, f"/users/{ids['bench_province']}",
                   None, None),
                  ("province dashboard", province, "/dashboard/", None, b'id="board"'),
                  ("city dashboard", city, "/dashboard/", None, b'id="board"')]
        if args.filters:
            phases.append(("province, city+occupation (htmx)", province,
                           f"/dashboard/?city={ids['chengdu']}&occupation={ids['occupation']}",
                           {"HX-Request": "true"}, b'id="board"'))
        rows = []
        stop, rates = threading.Event(), parse_events(args.events)
        event_before = one_event(args.database_url, args.before_each) if args.before_each else None
        written = write_events(args.database_url, rates, stop) if rates else {}
        print(f"\n--- {mode} · {args.server} · {redact(args.database_url)} · {args.clients} "
              f"client(s) · {args.requests} requests per endpoint (+{args.warmup} warm-up "
              "per session)" + (f" · one {args.before_each} event before each dashboard request"
                                if args.before_each else ""))
        head = (f"{'endpoint':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
                f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'ratio p95':>9} {'srv CPU ms/req':>14}")
        print(head)
        print("-" * len(head))
        base = None
        for name, clients, path, headers, marker in phases:
            row = phase(name, clients, path, args.requests, args.warmup, pids, headers, marker,
                        before=event_before if name != "trivial GET /users/<own id>" else None)
            base = base or row["p95_ms"]
            row["ratio_p95"] = round(row["p95_ms"] / base, 1)
            rows.append(row)
            print(f"{name:<34} {row['requests']:>8} {row['req_s']:>7} {row['p50_ms']:>7} "
                  f"{row['p95_ms']:>7} {row['p99_ms']:>7} {row['max_ms']:>7} {row['errors']:>6} "
                  f"{row['ratio_p95']:>9} {row['srv_cpu_ms_per_req']:>14}", flush=True)
        stop.set()
        if rates:
            print("audit events written while measuring: " + ", ".join(
                f"{a} {n} ({rates[a]:g}/s)" for a, n in written.items()))
        checks = {f"{name} p95 ≤ {limit:g} ms": next(r["p95_ms"] <= limit and not r["errors"]
                                                   for r in rows if r["endpoint"] == name)
                  for name, limit in TARGETS.items()}
        print("targets: " + "; ".join(f"{k}: {'PASS' if v else 'FAIL'}" for k, v in checks.items()))
        return {"mode": mode, "rows": rows, "targets": checks, "events": written}
    finally:
        stop_server(proc)


def main(argv=None) -> int:
    args = parse_args(argv)
    ids = user_ids(args.database_url)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"database {redact(args.database_url)}; server {args.server}; load average before "
          f"start {load:.2f}; {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    results = [run_mode(m.strip(), args, ids) for m in args.modes.split(",") if m.strip()]
    if args.events or args.before_each:
        from sqlalchemy import create_engine, text

        engine = create_engine(args.database_url)
        with engine.begin() as c:
            c.execute(text("DELETE FROM audit_event WHERE entity_type = 'bench'"))
        engine.dispose()
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
