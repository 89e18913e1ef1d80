"""Benchmark the registry search and export over HTTP (issue 5).

    .venv/bin/python bench/seed_registry.py --reset      # 50,000 persons, 80,000 cards
    .venv/bin/python bench/run_registry.py               # instance/bench_registry.db

Starts the portal as deployed (``gunicorn -c deploy/gunicorn.conf.py``, through
``bench/run.py``'s ``start_server``) on 127.0.0.1, logs one session in per client (each with
its own cookie), and for each client count of ``--clients`` runs, for ``--duration`` seconds
after ``--warmup`` seconds:

* ``trivial`` — GET /users/<own id>, the cheapest authenticated page (the baseline);
* ``name prefix`` — GET /registry/?name=<prefix> with ``HX-Request: true``, as the search box
  sends it while typing: 1- and 2-character prefixes of real names (a surname matches ~1,000
  rows of the province, a surname and a given character ~10–60), as the province officer and
  as the 成都市 officer;
* ``status`` — GET /registry/?status=即将到期 and ?status=待领取 (the quick filters), as the
  province and as the 成都市 officer.

Every response is checked (200 and the results partial). Then the export: ``--export-requests``
sequential GET /registry/export.xlsx?level=高级考评员 — exactly 10,000 rows in the seed — the
first one opened with openpyxl to count its rows. Targets: name-prefix and status search
p95 ≤ 50 ms, export of 10,000 rows ≤ 5 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from run import (  # noqa: E402
    Client,
    MemoryMonitor,
    cpu_seconds,
    gunicorn_available,
    load_phase,
    redact,
    start_server,
    stop_server,
)

TARGETS = {"search_p95_ms": 50.0, "export_s": 5.0}
HX = {"HX-Request": "true"}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench_registry.db'}")
    p.add_argument("--clients", default="1,4,8", help="comma-separated client counts")
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--server", default="gunicorn-portal" if gunicorn_available() else "werkzeug")
    p.add_argument("--port", type=int, default=5078)
    p.add_argument("--export-requests", type=int, default=3)
    p.add_argument("--app", default="app:app", help="WSGI app to serve (default: the portal)")
    p.add_argument("--json", help="also write the results to this file")
    return p.parse_args(argv)


@dataclass
class Session:
    client: Client
    user_id: int
    rng: random.Random


def bench_data(database_url: str) -> dict:
    """The bench users' ids and name prefixes to type (from the province and from 成都市)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as c:
        users = dict(c.execute(text(
            "SELECT username, id FROM user_account WHERE username LIKE 'bench_%'")).all())
        if "bench_province" not in users:
            raise SystemExit("no bench users: seed with bench/seed_registry.py first")
        chengdu = c.scalar(text("SELECT id FROM region WHERE name = '成都市'"))
        everyone = list(c.scalars(text("SELECT name FROM person ORDER BY id")))
        local = list(c.scalars(text("SELECT name FROM person WHERE region_id = :r ORDER BY id"),
                               {"r": chengdu}))
        counts = dict(c.execute(text("SELECT level, count(*) FROM card GROUP BY level")).all())
    engine.dispose()
    rng = random.Random(5)

    def prefixes(names):
        picked = rng.sample(names, 400)
        return [n[:1] if i % 2 else n[:2] for i, n in enumerate(picked)]

    return {"users": users, "province_prefixes": prefixes(everyone),
            "city_prefixes": prefixes(local), "senior_cards": counts.get("高级考评员", 0)}


def login(port: int, username: str, user_id: int, n: int) -> list[Session]:
    sessions = []
    for i in range(n):
        client = Client(port)
        client.login(username)
        sessions.append(Session(client, user_id, random.Random(i)))
    return sessions


def search(args: dict):
    """One search request as the search box sends it; an error string or None."""
    def request(s: Session) -> str | None:
        query = {k: (v(s) if callable(v) else v) for k, v in args.items()}
        status, body, _ = s.client.request("GET", "/registry/?" + urlencode(query), headers=HX)
        if status != 200 or b'id="registry-results"' not in body[:200]:
            return f"HTTP {status} {body[:80]!r}"
        return None
    return request


def trivial(s: Session) -> str | None:
    status, _, _ = s.client.request("GET", f"/users/{s.user_id}")
    return None if status == 200 else f"HTTP {status}"


def run(args) -> dict:
    data = bench_data(args.database_url)
    log_path = Path(tempfile.gettempdir()) / "bench-registry-server.log"
    proc = start_server(args.server, args.port, args.database_url, log_path, args.app)
    monitor = MemoryMonitor(proc.pid)
    monitor.start()
    results = {"server": args.server, "app": args.app, "database": redact(args.database_url),
               "duration_s": args.duration, "phases": [], "export": {}}
    try:
        counts = [int(x) for x in args.clients.split(",") if x.strip()]
        province = login(args.port, "bench_province", data["users"]["bench_province"], max(counts))
        city = login(args.port, "bench_city", data["users"]["bench_city"], max(counts))
        pp, cp = data["province_prefixes"], data["city_prefixes"]
        phases = [
            ("trivial GET /users/<own id>", province, trivial),
            ("name prefix · province", province, search({"name": lambda s: s.rng.choice(pp)})),
            ("name prefix · 成都市", city, search({"name": lambda s: s.rng.choice(cp)})),
            ("status 即将到期 · province", province, search({"status": "即将到期"})),
            ("status 待领取 · province", province, search({"status": "待领取"})),
            ("status 即将到期 · 成都市", city, search({"status": "即将到期"})),
            ("status 待领取 · 成都市", city, search({"status": "待领取"})),
        ]
        for n in counts:
            print(f"\n--- {n} client(s), {args.duration:g} s per phase (+{args.warmup:g} s warm-up)")
            head = (f"{'endpoint':<30} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
                    f"{'p99 ms':>7} {'max ms':>7} {'errors':>6} {'ratio':>6} {'srv CPU ms/req':>14}")
            print(head)
            print("-" * len(head))
            base = None
            for name, sessions, fn in phases:
                r = load_phase(name, sessions[:n], fn, args.duration, args.warmup, monitor)
                base = base or r.rate
                row = {"clients": n, "endpoint": name, "requests": r.requests,
                       "req_s": round(r.rate, 1), "p50_ms": round(r.pct(0.5) * 1000, 1),
                       "p95_ms": round(r.pct(0.95) * 1000, 1),
                       "p99_ms": round(r.pct(0.99) * 1000, 1),
                       "max_ms": round(max(r.latencies) * 1000, 1), "errors": len(r.errors),
                       "ratio": round(r.rate / base, 2) if base else None,
                       "server_cpu_ms_per_req": round(r.server_cpu * 1000 / r.requests, 2)
                       if r.requests else None}
                results["phases"].append(row)
                print(f"{name:<30} {r.requests:>8} {r.rate:>7.0f} {row['p50_ms']:>7.1f} "
                      f"{row['p95_ms']:>7.1f} {row['p99_ms']:>7.1f} {row['max_ms']:>7.1f} "
                      f"{len(r.errors):>6} {row['ratio']:>6} {row['server_cpu_ms_per_req']:>14}",
                      flush=True)
                if r.errors:
                    print("   errors: " + " | ".join(sorted(set(r.errors))[:3]))

        # ---- the export of 10,000 rows ---------------------------------------------------
        monitor.phase = "export"
        s = province[0]
        times, rows, size = [], None, 0
        cpu0 = cpu_seconds(monitor.pids)
        for i in range(args.export_requests):
            t0 = time.perf_counter()
            status, body, _ = s.client.request(
                "GET", "/registry/export.xlsx?" + urlencode({"level": "高级考评员"}))
            times.append(time.perf_counter() - t0)
            if status != 200 or not body.startswith(b"PK"):
                raise RuntimeError(f"export: HTTP {status} {body[:120]!r}")
            if i == 0:
                from openpyxl import load_workbook

                ws = load_workbook(io.BytesIO(body), read_only=True).active
                rows = sum(1 for r in ws.iter_rows(min_row=5, values_only=True) if r[0])
                size = len(body)
        cpu = (cpu_seconds(monitor.pids) - cpu0) / args.export_requests
        results["export"] = {"rows": rows, "bytes": size, "seconds": [round(t, 2) for t in times],
                             "server_cpu_s": round(cpu, 2)}
        print(f"\nexport of {rows:,} rows ({size / 2**20:.1f} MiB XLSX), "
              f"{args.export_requests} sequential: " + ", ".join(f"{t:.2f} s" for t in times)
              + f"; server CPU {cpu:.2f} s each")
        time.sleep(0.3)
        results["peak_rss_mb"] = round(monitor.peak / 2**20, 1)
        results["peak_rss_by_phase_mb"] = {k: round(v / 2**20, 1)
                                           for k, v in monitor.peaks.items()}
        print(f"server memory: peak RSS {monitor.peak / 2**20:.0f} MB (sum over the process "
              "tree); per phase: " + ", ".join(f"{k} {v / 2**20:.0f}"
                                               for k, v in monitor.peaks.items()))
    finally:
        monitor.stop.set()
        monitor.join()
        stop_server(proc)

    search_rows = [r for r in results["phases"] if not r["endpoint"].startswith("trivial")]
    checks = {}
    for n in sorted({r["clients"] for r in search_rows}):
        worst = max(r["p95_ms"] for r in search_rows if r["clients"] == n)
        errors = sum(r["errors"] for r in results["phases"] if r["clients"] == n)
        checks[f"search p95 ≤ 50 ms at {n} client(s) (worst {worst} ms)"] = (
            worst <= TARGETS["search_p95_ms"] and not errors)
    export_max = max(results["export"]["seconds"])
    checks[f"export of {results['export']['rows']:,} rows ≤ 5 s (max {export_max} s)"] = (
        export_max <= TARGETS["export_s"] and results["export"]["rows"] == 10_000)
    results["targets"] = checks
    print("targets: " + "; ".join(f"{k}: {'PASS' if ok else 'FAIL'}" for k, ok in checks.items()))
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(f"database {redact(args.database_url)}; server {args.server}; app {args.app}; "
          f"load average before "
          f"start {load:.2f}; {os.cpu_count()} CPUs; python {sys.version.split()[0]}")
    results = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
