"""Benchmark the running portal over HTTP (issue 4): level save, sheet page, PDFs, memory.

    .venv/bin/python bench/run.py --database-url sqlite:////work/main/instance/bench.db
    .venv/bin/python bench/run.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/portal_bench

Seed the database first with ``bench/seed_large.py``. For each server model asked for
(``--server gunicorn-sync,gunicorn-gthread,werkzeug``) this script starts the server itself
as a subprocess on 127.0.0.1, logs in one session per client (each with its own session cookie
and CSRF token) as the raters of the ``BENCH-OPEN`` batch, and then runs, in this order:

(a) ``trivial``: GET /users/<own id> — the cheapest authenticated, scoped page the app has
    (login_required + user loader + one scoped SELECT + a small template). There is no health
    endpoint; this is the baseline the ratio is taken against.
(b) ``level save``: POST /sheets/<id>/columns/<role>/items/<n>. Each client owns one column
    of an open sheet, keeps the column version from each response, and cycles items 1..15,
    always choosing a level different from the stored one, so every request is a real write.
(c) ``sheet page``: GET /sheets/<id> of final sheets the client's user may see.
(d) ``sheet PDF``: GET /sheets/<id>/pdf, sequential (one client), ``--pdf-requests`` times.
(e) ``batch PDF``: GET /sheets/batch/<id>/pdf of the 30-sheet batch, sequential, 3 times.

(a)–(c) run for ``--duration`` seconds each with ``--clients`` concurrent clients (threads,
http.client keep-alive connections) after ``--warmup`` seconds that are not recorded.
The server's memory (RSS summed over its process tree) is polled every 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PASSWORD = "Bench@2026"  # noqa: S105 - the benchmark users' password (bench/seed_large.py)
SERVERS = {
    "gunicorn-sync": ["-m", "gunicorn", "-w", "2", "-k", "sync"],
    "gunicorn-gthread": ["-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4"],
    # the settings the portal deploys with (deploy/gunicorn.conf.py)
    "gunicorn-portal": ["-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
    "werkzeug": None,  # werkzeug.serving.run_simple(threaded=True): one process, threads
}
PAGE = os.sysconf("SC_PAGE_SIZE")
CLK = os.sysconf("SC_CLK_TCK")
TARGETS = {"save_p95_ms": 25.0, "save_ratio": 0.40, "sheet_pdf_s": 0.5, "batch_pdf_s": 10.0,
           "memory_mb": 300.0}


def gunicorn_available() -> bool:
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def parse_args(argv=None):
    default_servers = "gunicorn-portal" if gunicorn_available() else "werkzeug"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("DATABASE_URL")
                   or f"sqlite:///{ROOT / 'instance' / 'bench.db'}")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per load phase")
    p.add_argument("--warmup", type=float, default=2.0, help="unrecorded seconds per phase")
    p.add_argument("--server", default=default_servers,
                   help=f"comma-separated, from {', '.join(SERVERS)} (default {default_servers})")
    p.add_argument("--port", type=int, default=5077)
    p.add_argument("--app", default="app:app",
                   help="WSGI app to serve (default app:app, the portal as deployed)")
    p.add_argument("--pdf-requests", type=int, default=20)
    p.add_argument("--batch-pdf-requests", type=int, default=3)
    p.add_argument("--json", help="also write the results to this file")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- HTTP client


class Client:
    """One browser: a keep-alive connection, its cookies and its CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.reconnects = 0

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection the server closed: reconnect once. The request
                # never reached the application, so a retried POST is not a double write.
                self.conn.close()
                self.reconnects += 1
                if attempt == 2:
                    raise
        for header in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "expires=Thu, 01 Jan 1970" in header or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return resp.status, data, resp

    def login(self, username: str) -> None:
        status, body, _ = self.request("GET", "/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body) or \
            re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        if status != 200 or not token:
            raise RuntimeError(f"login page: HTTP {status}")
        form = urlencode({"csrf_token": token.group(1).decode(), "username": username,
                          "password": PASSWORD}).encode()
        status, body, resp = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "/password" in (resp.getheader("Location") or ""):
            raise RuntimeError(f"login as {username} failed: HTTP {status}")

    def page_token(self, body: bytes) -> None:
        m = re.search(rb'"X-CSRFToken": "([^"]+)"', body)
        if not m:
            raise RuntimeError("no CSRF token on the page")
        self.csrf = m.group(1).decode()


# --------------------------------------------------------------------------- server


def tree_pids(root: int) -> list[int]:
    """``root`` and its descendants (scans /proc; called every 2 s, not every poll)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_bytes(pids: list[int]) -> dict[int, int]:
    """RSS per process of ``pids`` (those still alive)."""
    out = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                out[pid] = int(f.read().split()[1]) * PAGE
        except OSError:
            pass
    return out


def pss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / CLK


class MemoryMonitor(threading.Thread):
    """Peak RSS of the server's process tree, polled every 100 ms, per phase and overall."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.pids = tree_pids(root)
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self.peak = 0
        self.peak_split: dict[int, int] = {}
        self.peak_pss = 0
        self.stop = threading.Event()

    def run(self) -> None:
        last_scan = time.monotonic()
        while not self.stop.wait(0.1):
            if time.monotonic() - last_scan > 2:
                self.pids, last_scan = tree_pids(self.root), time.monotonic()
            split = rss_bytes(self.pids)
            rss = sum(split.values())
            if rss > self.peak:
                self.peak, self.peak_split = rss, split
            self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss)
            if rss > 0.9 * self.peak:  # PSS costs more to read: only near the RSS peak
                self.peak_pss = max(self.peak_pss, pss_bytes(self.pids))


def start_server(kind: str, port: int, database_url: str, log_path: Path,
                 wsgi_app: str = "app:app") -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SEED_DEMO": "0",
           "PYTHONUNBUFFERED": "1"}
    if kind == "werkzeug":
        module, _, attr = wsgi_app.partition(":")
        code = (f"from werkzeug.serving import run_simple; from {module} import {attr}; "
                f"run_simple('127.0.0.1', {port}, {attr}, threaded=True)")
        cmd = [str(VENV_PYTHON), "-c", code]
    else:
        cmd = [str(VENV_PYTHON), *SERVERS[kind], "-b", f"127.0.0.1:{port}", "--timeout", "300",
               wsgi_app]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} exited with {proc.returncode}; see {log_path}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/login")
            if c.getresponse().status == 200:
                c.close()
                time.sleep(1.0)  # let every worker finish booting
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise RuntimeError(f"{kind} did not answer within 90 s; see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# --------------------------------------------------------------------------- bench data


@dataclass
class BenchData:
    open_sheets: list[int]
    lead: tuple[int, str, int]  # (user id, username, organisation id)
    sup: tuple[int, str]
    pdf_batch: int
    final_for: dict[int, list[int]] = field(default_factory=dict)  # user id -> sheet ids


def load_bench_data(database_url: str) -> BenchData:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as c:
        batch = c.execute(text(
            "SELECT id, site_lead_id, supervisor_id FROM evaluation_batch "
            "WHERE number = 'BENCH-OPEN'")).one_or_none()
        if batch is None:
            raise SystemExit("no BENCH-OPEN batch: seed the database with bench/seed_large.py")
        open_sheets = list(c.scalars(text(
            "SELECT id FROM evaluation_sheet WHERE batch_id = :b ORDER BY id"), {"b": batch[0]}))
        lead = c.execute(text("SELECT id, username, organisation_id FROM user_account "
                              "WHERE id = :u"), {"u": batch[1]}).one()
        sup = c.execute(text("SELECT id, username FROM user_account WHERE id = :u"),
                        {"u": batch[2]}).one()
        pdf_batch = c.scalar(text("SELECT id FROM evaluation_batch "
                                  "WHERE number = 'BENCH-PDF30'"))
        lead_final = list(c.scalars(text(
            "SELECT s.id FROM evaluation_sheet s JOIN evaluation_batch b ON b.id = s.batch_id "
            "WHERE b.organisation_id = :o AND s.finalised_at IS NOT NULL"), {"o": lead[2]}))
        sup_final = list(c.scalars(text(
            "SELECT s.id FROM evaluation_sheet s JOIN evaluation_batch b ON b.id = s.batch_id "
            "WHERE b.supervisor_id = :u AND s.finalised_at IS NOT NULL"), {"u": sup[0]}))
    engine.dispose()
    return BenchData(open_sheets, tuple(lead), tuple(sup), pdf_batch,
                     {lead[0]: lead_final, sup[0]: sup_final})


# --------------------------------------------------------------------------- load phases


@dataclass
class Rater:
    client: Client
    user_id: int
    sheet_id: int
    role: str
    version: int = 0
    levels: dict[int, str] = field(default_factory=dict)
    step: int = 0


VERSION_RE = r'id="version-{role}" value="(\d+)"'
CHECKED_RE = re.compile(rb'id="r-(\w+)-(\d+)-([ABCD])"\s+checked')


def read_column(rater: Rater, body: bytes) -> None:
    m = re.search(VERSION_RE.format(role=rater.role).encode(), body)
    if not m:
        raise RuntimeError(f"sheet {rater.sheet_id}: no version field for {rater.role}")
    rater.version = int(m.group(1))
    rater.levels = {int(n): lv.decode() for role, n, lv in CHECKED_RE.findall(body)
                    if role.decode() == rater.role}


def save_request(rater: Rater):
    item = rater.step % 15 + 1
    level = "B" if rater.levels.get(item) == "A" else "A"
    body = urlencode({f"item-{item}": level, "version": rater.version}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
               "X-CSRFToken": rater.client.csrf}
    return item, level, body, headers


@dataclass
class PhaseResult:
    name: str
    clients: int
    latencies: list[float]
    errors: list[str]
    duration: float
    server_cpu: float
    client_cpu: float

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.duration if self.duration else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        s = sorted(self.latencies)
        return s[max(0, math.ceil(p * len(s)) - 1)]


def load_phase(name: str, raters: list[Rater], one_request, duration: float, warmup: float,
               monitor: MemoryMonitor) -> PhaseResult:
    """``one_request(rater) -> (status, error or None)``; all raters concurrently."""
    monitor.phase = name
    start_gate = threading.Barrier(len(raters) + 1)
    latencies: list[list[float]] = [[] for _ in raters]
    errors: list[list[str]] = [[] for _ in raters]
    window: dict[str, float] = {}

    def work(i: int, rater: Rater) -> None:
        start_gate.wait()
        begin, end = window["begin"], window["end"]
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            try:
                error = one_request(rater)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
                error = f"{type(exc).__name__}: {exc}"
            t1 = time.perf_counter()
            if begin <= t0 and t1 <= end:
                latencies[i].append(t1 - t0)
                if error:
                    errors[i].append(error)

    threads = [threading.Thread(target=work, args=(i, r), daemon=True)
               for i, r in enumerate(raters)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    window["begin"], window["end"] = now + warmup, now + warmup + duration
    start_gate.wait()
    time.sleep(warmup)
    cpu0, ccpu0 = cpu_seconds(monitor.pids), time.process_time()
    time.sleep(max(0.0, window["end"] - time.perf_counter()))
    cpu1, ccpu1 = cpu_seconds(monitor.pids), time.process_time()
    for t in threads:
        t.join()
    return PhaseResult(name, len(raters), [x for lst in latencies for x in lst],
                       [x for lst in errors for x in lst], duration, cpu1 - cpu0, ccpu1 - ccpu0)


def sequential(name: str, rater: Rater, paths: list[str], monitor: MemoryMonitor) -> PhaseResult:
    monitor.phase = name
    latencies, errors = [], []
    cpu0, ccpu0, t_start = cpu_seconds(monitor.pids), time.process_time(), time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        status, body, resp = rater.client.request("GET", path)
        latencies.append(time.perf_counter() - t0)
        if status != 200 or not body.startswith(b"%PDF"):
            errors.append(f"HTTP {status} {body[:80]!r}")
    elapsed = time.perf_counter() - t_start
    return PhaseResult(name, 1, latencies, errors, elapsed, cpu_seconds(monitor.pids) - cpu0,
                       time.process_time() - ccpu0)


def bench_server(kind: str, args, data: BenchData) -> dict:
    log_path = Path(tempfile.gettempdir()) / f"bench-server-{kind}.log"
    print(f"\n=== server: {kind}  (log: {log_path})", flush=True)
    t = time.perf_counter()
    proc = start_server(kind, args.port, args.database_url, log_path, args.app)
    print(f"started in {time.perf_counter() - t:.1f} s, pid {proc.pid}", flush=True)
    monitor = MemoryMonitor(proc.pid)
    monitor.start()
    try:
        return run_phases(kind, args, data, monitor)
    finally:
        monitor.stop.set()
        monitor.join()
        stop_server(proc)


def run_phases(kind: str, args, data: BenchData, monitor: MemoryMonitor) -> dict:
    if args.clients > 2 * len(data.open_sheets):
        raise SystemExit(f"at most {2 * len(data.open_sheets)} clients (open columns)")
    monitor.phase = "login"
    raters: list[Rater] = []
    t = time.perf_counter()
    for i in range(args.clients):
        role = ("site_lead", "supervisor")[i % 2]
        user_id, username = (data.lead[:2] if role == "site_lead" else data.sup)
        client = Client(args.port)
        client.login(username)
        rater = Rater(client, user_id, data.open_sheets[i // 2], role)
        status, body, _ = client.request("GET", f"/sheets/{rater.sheet_id}")
        if status != 200:
            raise RuntimeError(f"GET /sheets/{rater.sheet_id} as {username}: HTTP {status}")
        client.page_token(body)
        read_column(rater, body)
        raters.append(rater)
    print(f"logged in {len(raters)} clients in {time.perf_counter() - t:.1f} s", flush=True)
    results: list[PhaseResult] = []

    def trivial(r: Rater):
        status, body, _ = r.client.request("GET", f"/users/{r.user_id}")
        return None if status == 200 else f"HTTP {status}"

    def save(r: Rater):
        item, level, body, headers = save_request(r)
        status, resp_body, _ = r.client.request(
            "POST", f"/sheets/{r.sheet_id}/columns/{r.role}/items/{item}", body, headers)
        if status == 200:
            m = re.search(VERSION_RE.format(role=r.role).encode(), resp_body)
            if m:
                r.version = int(m.group(1))
                r.levels[item] = level
                r.step += 1
                return None
            return "200 without a version field"
        # Refused (409 stale) or failed: count it, then re-read the column and carry on.
        snippet = re.sub(rb"\s+", b" ", resp_body[:120]).decode(errors="replace")
        _, page, _ = r.client.request("GET", f"/sheets/{r.sheet_id}")
        read_column(r, page)
        return f"HTTP {status} {snippet}"

    rng = random.Random(4)

    def sheet_page(r: Rater):
        sheet_id = rng.choice(data.final_for[r.user_id])
        status, body, _ = r.client.request("GET", f"/sheets/{sheet_id}")
        return None if status == 200 else f"HTTP {status} (sheet {sheet_id})"

    for name, fn in (("trivial GET /users/<own id>", trivial), ("level save POST", save),
                     ("sheet page GET /sheets/<id>", sheet_page)):
        result = load_phase(name, raters, fn, args.duration, args.warmup, monitor)
        results.append(result)
        print(f"  {name}: {result.requests} requests, {result.rate:.0f}/s, "
              f"p95 {result.pct(0.95) * 1000:.1f} ms, errors {len(result.errors)}", flush=True)

    first = raters[0]
    finals = rng.sample(data.final_for[first.user_id], args.pdf_requests)
    result = sequential("sheet PDF GET /sheets/<id>/pdf", first,
                        [f"/sheets/{s}/pdf" for s in finals], monitor)
    results.append(result)
    print(f"  sheet PDF: p50 {result.pct(0.5):.2f} s, max {max(result.latencies):.2f} s",
          flush=True)
    result = sequential("batch PDF (30 sheets)", first,
                        [f"/sheets/batch/{data.pdf_batch}/pdf"] * args.batch_pdf_requests,
                        monitor)
    results.append(result)
    print("  batch PDF: " + ", ".join(f"{x:.2f} s" for x in result.latencies), flush=True)
    monitor.phase = "end"
    time.sleep(0.3)
    pss = pss_bytes(tree_pids(monitor.root))
    return report(kind, args, results, monitor, pss,
                  sum(r.client.reconnects for r in raters))


# --------------------------------------------------------------------------- report


def report(kind, args, results: list[PhaseResult], monitor: MemoryMonitor, pss: int,
           reconnects: int) -> dict:
    trivial = results[0]
    app_label = "" if args.app == "app:app" else (
        f" · app {args.app} (PROTOTYPE, FASTSAVE={os.environ.get('FASTSAVE', 'light')})")
    print(f"\n--- {kind}{app_label} · {redact(args.database_url)} · {args.clients} clients · "
          f"{args.duration:g} s per load phase (+{args.warmup:g} s warm-up)")
    head = (f"{'endpoint':<32} {'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
            f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} {'ratio':>6} "
            f"{'srv CPU ms/req':>14} {'client CPU %':>12}")
    print(head)
    print("-" * len(head))
    rows = []
    for r in results:
        load = r is not results[3] and r is not results[4]
        ratio = r.rate / trivial.rate if load and trivial.rate else None
        row = {
            "endpoint": r.name, "clients": r.clients, "requests": r.requests,
            "req_s": round(r.rate, 1) if load else None,
            "p50_ms": round(r.pct(0.5) * 1000, 1), "p95_ms": round(r.pct(0.95) * 1000, 1),
            "p99_ms": round(r.pct(0.99) * 1000, 1),
            "max_ms": round(max(r.latencies) * 1000, 1) if r.latencies else None,
            "errors": len(r.errors), "ratio": round(ratio, 2) if ratio is not None else None,
            "server_cpu_ms_per_req": round(r.server_cpu * 1000 / r.requests, 2)
            if r.requests else None,
            "client_cpu_pct": round(100 * r.client_cpu / r.duration, 1) if r.duration else None,
        }
        rows.append(row)
        print(f"{r.name:<32} {r.clients:>7} {r.requests:>8} "
              f"{(f'{r.rate:.0f}' if load else '—'):>8} {row['p50_ms']:>8.1f} "
              f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f} "
              f"{len(r.errors):>6} {(f'{ratio:.2f}' if ratio is not None else '—'):>6} "
              f"{row['server_cpu_ms_per_req']:>14} {row['client_cpu_pct']:>12}")
    for r in results:
        if r.errors:
            shown = sorted(set(r.errors))[:5]
            print(f"errors in {r.name}: {len(r.errors)}, e.g. " + " | ".join(shown))
    save, pdf, batch = results[1], results[3], results[4]
    peak_mb = monitor.peak / 2**20
    print(f"\nsheet PDF ({pdf.requests} sequential): p50 {pdf.pct(0.5):.3f} s, "
          f"p95 {pdf.pct(0.95):.3f} s, max {max(pdf.latencies):.3f} s")
    print(f"batch PDF of 30 sheets ({batch.requests} sequential): "
          + ", ".join(f"{x:.2f} s" for x in batch.latencies))
    print(f"server memory: peak RSS (sum over the process tree, 100 ms polls) {peak_mb:.0f} MB; "
          "per phase: " + ", ".join(f"{k} {v / 2**20:.0f}" for k, v in monitor.peaks.items())
          + f"; PSS at the end {pss / 2**20:.0f} MB; peak PSS {monitor.peak_pss / 2**20:.0f} MB")
    print("  at the peak: " + ", ".join(
        f"{'parent' if pid == monitor.root else 'child'} {pid} {v / 2**20:.0f} MB"
        for pid, v in sorted(monitor.peak_split.items())))
    if reconnects:
        print(f"keep-alive reconnects (idle connections closed by the server): {reconnects}")
    checks = [
        ("level save p95 ≤ 25 ms", save.pct(0.95) * 1000 <= TARGETS["save_p95_ms"]),
        ("level save ≥ 40 % of trivial req/s",
         trivial.rate > 0 and save.rate / trivial.rate >= TARGETS["save_ratio"]),
        ("level save without errors", not save.errors),
        ("sheet PDF ≤ 0.5 s (every request)", max(pdf.latencies) <= TARGETS["sheet_pdf_s"]),
        ("batch PDF (30) ≤ 10 s (every request)",
         max(batch.latencies) <= TARGETS["batch_pdf_s"]),
        ("peak server RSS ≤ 300 MB", peak_mb <= TARGETS["memory_mb"]),
        ("peak server PSS ≤ 300 MB", monitor.peak_pss / 2**20 <= TARGETS["memory_mb"]),
    ]
    print("targets: " + "; ".join(f"{name}: {'PASS' if ok else 'FAIL'}" for name, ok in checks))
    return {"server": kind, "app": args.app + app_label, "database": redact(args.database_url), "clients": args.clients,
            "duration_s": args.duration, "rows": rows, "peak_rss_mb": round(peak_mb, 1),
            "peak_rss_by_phase_mb": {k: round(v / 2**20, 1) for k, v in monitor.peaks.items()},
            "pss_end_mb": round(pss / 2**20, 1),
            "peak_pss_mb": round(monitor.peak_pss / 2**20, 1),
            "peak_rss_split_mb": {str(k): round(v / 2**20, 1)
                                  for k, v in monitor.peak_split.items()},
            "sheet_pdf_s": [round(x, 3) for x in pdf.latencies],
            "batch_pdf_s": [round(x, 3) for x in batch.latencies],
            "targets": {name: ok for name, ok in checks}}


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


def main(argv=None) -> int:
    args = parse_args(argv)
    kinds = [k.strip() for k in args.server.split(",") if k.strip()]
    for kind in kinds:
        if kind not in SERVERS:
            raise SystemExit(f"unknown server {kind!r}; choose from {', '.join(SERVERS)}")
        if kind.startswith("gunicorn") and not gunicorn_available():
            raise SystemExit("gunicorn is not installed: pip install -e .")
    data = load_bench_data(args.database_url)
    try:
        load1 = os.getloadavg()[0]
    except OSError:
        load1 = float("nan")
    print(f"database {redact(args.database_url)}; open sheets {len(data.open_sheets)}; "
          f"final sheets visible to {data.lead[1]}: {len(data.final_for[data.lead[0]])}, "
          f"to {data.sup[1]}: {len(data.final_for[data.sup[0]])}; "
          f"load average before start {load1:.2f}; {os.cpu_count()} CPUs; python "
          f"{sys.version.split()[0]}")
    results = [bench_server(kind, args, data) for kind in kinds]
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
