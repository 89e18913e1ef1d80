"""The production start command::

    PORTAL_ENV=production SECRET_KEY=… DATABASE_URL=postgresql+psycopg://… \\
        .venv/bin/python -m portal.serve [--demo] [--bind 127.0.0.1:8000] [--workers 2]

Checks the configuration first (production mode refuses a default secret or debug, with a
message saying what to set), then replaces itself with gunicorn and ``deploy/gunicorn.conf.py``
(which migrates the database once, then starts the workers). No demo data unless ``--demo``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gunicorn_command(bind: str, workers: int) -> list[str]:
    """The gunicorn command line this launcher runs (after its checks)."""
    return [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind", bind, "--workers", str(workers)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.serve",
                                     description="以生产方式启动（gunicorn）")
    parser.add_argument("--demo", action="store_true", help="空库时生成演示数据")
    parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args(argv)
    os.environ.setdefault("PORTAL_ENV", "production")
    os.environ["SEED_DEMO"] = "1" if args.demo else os.environ.get("SEED_DEMO", "0")

    from portal import create_app
    from portal.ops.production import UnsafeConfiguration

    try:
        create_app()
    except UnsafeConfiguration as exc:
        print(exc, file=sys.stderr)
        return 2
    if shutil.which("gunicorn") is None and not (Path(sys.executable).parent / "gunicorn").exists():
        print("找不到 gunicorn：请先 pip install -e . / gunicorn is not installed", file=sys.stderr)
        return 2
    os.chdir(ROOT)
    command = gunicorn_command(args.bind, args.workers)
    os.execv(command[0], command)  # noqa: S606 - replace this process with the server
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
