"""What every screenshot script shares: a portal on a throwaway demo database served on a free
port, Debian's Chromium, a logged-in page, and a PNG of a PDF's first page.

    from shots import chromium, demo_app, log_in, pdf_png, serve
"""

import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

DEMO_PASSWORD = "Demo@2026"  # noqa: S105 - the demo accounts' documented password


def demo_app():
    """A portal app on a new SQLite demo database and upload folder in a temporary directory
    (the environment is set before the app is imported, so nothing else is touched)."""
    tmp = Path(tempfile.mkdtemp(prefix="portal-shots-"))
    os.environ.update(DATABASE_URL=f"sqlite:///{tmp / 'demo.db'}",
                      UPLOAD_FOLDER=str(tmp / "uploads"), SECRET_KEY=os.urandom(16).hex())
    from portal import create_app
    from portal.setup import prepare_database

    app = create_app()
    prepare_database(app)
    return app


def serve(app):
    """Serve ``app`` in a background thread on a free port: (server, base URL)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def chromium(pw):
    """Debian's Chromium, headless (never a downloaded browser)."""
    return pw.chromium.launch(executable_path="/usr/bin/chromium",
                              args=["--no-sandbox", "--disable-gpu",
                                    "--disable-background-networking"])


def log_in(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log ``page`` in through the login form, as a user does."""
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def pdf_png(pdf: Path, prefix: Path, dpi: int = 60) -> None:
    """Render the first page of ``pdf`` to ``prefix``-1.png with pdftoppm (poppler-utils)."""
    pdftoppm = shutil.which("pdftoppm")
    if not pdftoppm:
        print("pdftoppm not found (apt-get install poppler-utils): no PNG of the PDF")
        return
    subprocess.run([pdftoppm, "-r", str(dpi), "-png", "-f", "1", "-l", "1",  # noqa: S603
                    str(pdf), str(prefix)], check=True)
