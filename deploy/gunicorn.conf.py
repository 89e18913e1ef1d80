"""gunicorn settings for serving the portal (a file, not a module of ``portal``: the master must
not import the app): ``gunicorn -c deploy/gunicorn.conf.py``.

Chosen by measurement (bench/README.md, SQLite and PostgreSQL, 8 clients):

* the ``sync`` worker, ``WEB_CONCURRENCY`` of them (default 2, one per core). ``gthread``
  threads wait in SQLite's busy handler and cost more CPU per save; one process under one
  GIL halves the throughput.
* no ``preload_app``: a preloaded master holds a third copy of the app and Python's reference
  counting copies the "shared" pages into each worker anyway (measured: more memory, not
  less). The database is brought up to date once, in a separate process, before any worker
  starts (:func:`on_starting`), so two workers never race to migrate a new database.
* ``gc.freeze`` after the app is loaded was tried: no faster within the noise, +30 MB RSS.
"""

import os
import subprocess
import sys

wsgi_app = "app:app"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))  # a 100-sheet batch PDF: ~12 s


def on_starting(server) -> None:
    """Migrate (and seed the demo when asked) once, in a child process, then tell the
    workers (through the environment they inherit) that the database is ready."""
    subprocess.run([sys.executable, "-c", "import app"], check=True)  # noqa: S603
    os.environ["PORTAL_DATABASE_PREPARED"] = "1"

