"""Two real app servers on one database (the suite's: PostgreSQL under `.ci/run`), as a site
that grows past one machine runs them: a session started on one is valid on the other, a
level saved through one is read through the other, a file uploaded through one downloads
through the other — and the example nginx configuration in ``deploy/nginx.conf`` in front
of both serves the static files itself, balances the rest and passes the client's address.
"""

import http.cookiejar
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from factories import PASSWORD, create_person, create_user, csrf_in
from PIL import Image
from sheet_factories import create_batch, create_sheet_for
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.extensions import db
from portal.sheets.models import EvaluationSheet

pytestmark = pytest.mark.servers
ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


@pytest.fixture
def two_servers(app, tmp_path):
    """Two gunicorn processes (one sync worker each) on the suite's database and upload
    folder, with the same secret, trusting one proxy hop."""
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
           "UPLOAD_MAX_MB": "1", "SEED_DEMO": "0", "PORTAL_DATABASE_PREPARED": "1",
           "PROXY_COUNT": "1"}
    procs, urls, logs = [], [], []
    try:
        for n in range(2):
            port = free_port()
            log = tmp_path / f"server{n}.log"
            logs.append(log.open("wb"))
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "-k", "sync",
                 "-b", f"127.0.0.1:{port}", "app:app"],
                cwd=ROOT, env=env, stdout=logs[-1], stderr=subprocess.STDOUT))
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_up(urls[-1] + "/healthz", procs[-1], log)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
        for log in logs:
            log.close()


class Browser:
    """A cookie-keeping HTTP client, like one browser talking to whichever server answers."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str, **headers) -> tuple[int, str, dict]:
        return self._open(urllib.request.Request(url, headers=headers))

    def post(self, url: str, data: dict | bytes, content_type: str | None = None,
             **headers) -> tuple[int, str, dict]:
        body = data if isinstance(data, bytes) else urllib.parse.urlencode(data).encode()
        headers["Content-Type"] = content_type or "application/x-www-form-urlencoded"
        return self._open(urllib.request.Request(url, data=body, headers=headers))

    def _open(self, request) -> tuple[int, str, dict]:
        try:
            with self.opener.open(request, timeout=30) as response:
                raw = response.read()
                return response.status, raw.decode("utf-8", "replace"), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)

    def login(self, base: str, username: str, **headers) -> None:
        _, page, _ = self.get(base + "/login")
        status, _, _ = self.post(base + "/login", {"username": username, "password": PASSWORD,
                                                   "csrf_token": csrf_in(page)}, **headers)
        assert status == 200  # followed the redirect to the home page


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 40), (120, 20, 20)).save(out, "PNG")
    return out.getvalue()


def test_sessions_saves_and_uploads_work_whichever_server_answers(two_servers):
    a, b = two_servers
    batch = create_batch()
    sheet = create_sheet_for(batch)
    applicant = create_user("shenbao2", ["applicant"], person=create_person("周上传", seq=41))
    db.session.commit()

    # A session started on A is valid on B.
    rater = Browser()
    rater.login(a, "sup")
    status, home_b, _ = rater.get(b + "/")
    assert status == 200 and "陈督导" in home_b and 'action="/logout"' in home_b

    # A level saved through A (with the CSRF token of a page served by B) is read through B.
    _, page_b, _ = rater.get(f"{b}/sheets/{sheet.id}")
    version = re.search(r'id="version-supervisor" value="(\d+)"', page_b).group(1)
    status, _, _ = rater.post(f"{a}/sheets/{sheet.id}/columns/supervisor/items/3",
                              {"item-3": "B", "version": version},
                              **{"HX-Request": "true", "X-CSRFToken": csrf_in(page_b)})
    assert status == 200
    _, page_b, _ = rater.get(f"{b}/sheets/{sheet.id}")
    assert re.search(r'name="item-3" value="B"[^>]*checked', page_b)
    db.session.commit()  # end this test's read snapshot; see what the servers committed
    stored = db.session.scalars(select(EvaluationSheet)).one().column("supervisor").levels
    assert stored == {3: "B"}

    # A photo uploaded through A downloads through B, byte for byte.
    person_browser = Browser()
    person_browser.login(b, applicant.username)
    _, me_a, _ = person_browser.get(a + "/me")
    body, _, boundary = stream_encode_multipart(
        {"csrf_token": csrf_in(me_a), "photo": FileStorage(io.BytesIO(png()), "照片.png")},
        use_tempfile=False)
    status, _, _ = person_browser.post(a + "/me", body.read(),
                                       f"multipart/form-data; boundary={boundary}")
    assert status == 200
    db.session.commit()
    from portal.people.models import Person

    upload_id = db.session.get(Person, applicant.person_id).photo_upload_id
    assert upload_id
    request = urllib.request.Request(f"{b}/files/{upload_id}")
    with person_browser.opener.open(request, timeout=30) as response:
        assert response.read() == png()


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (scripts/ensure-test-tools.sh)")
def test_the_example_nginx_configuration_in_front_of_two_servers(two_servers, tmp_path, caplog):
    a, b = two_servers
    listen = free_port()
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    site = (site.replace("server 127.0.0.1:8000;", f"server {a[len('http://'):]};")
            .replace("server 127.0.0.1:8001;", f"server {b[len('http://'):]};")
            .replace("listen 80;", f"listen 127.0.0.1:{listen};")
            .replace("/opt/portal/", f"{ROOT}/"))
    (tmp_path / "portal.conf").write_text(site, encoding="utf-8")
    temp = tmp_path / "nginx-temp"
    temp.mkdir()
    main = f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/nginx-error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp_path}/nginx-access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {tmp_path}/portal.conf;
}}
"""
    (tmp_path / "nginx.conf").write_text(main, encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-c", str(tmp_path / "nginx.conf")],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen([NGINX, "-c", str(tmp_path / "nginx.conf"),
                              "-g", "daemon off;"], stderr=subprocess.DEVNULL)
    try:
        front = f"http://127.0.0.1:{listen}"
        wait_until_up(front + "/healthz", nginx, tmp_path / "nginx-error.log")
        client = Browser()
        # Static files come from nginx itself, not from an app server.
        status, css, headers = client.get(front + "/static/css/portal.css")
        assert status == 200 and css == (ROOT / "static/css/portal.css").read_text("utf-8")
        assert "X-Request-ID" not in headers  # the app would have added one
        # Everything else is proxied, with a request id from nginx and the client's address.
        status, page, headers = client.get(front + "/login", **{"X-Forwarded-For": "6.6.6.6"})
        assert status == 200 and "登录" in page and len(headers["X-Request-ID"]) == 32
        create_user("nginxuser", ["city"])
        db.session.commit()
        client.login(front, "nginxuser", **{"X-Forwarded-For": "6.6.6.6"})
        status, home, _ = client.get(front + "/")
        assert status == 200 and 'action="/logout"' in home
        # The login (and its lockout counting) saw the real client, not the forged address.
        from portal.auth.models import LoginAttempt

        db.session.commit()
        assert set(db.session.scalars(select(LoginAttempt.ip).where(
            LoginAttempt.username == "nginxuser"))) == {"127.0.0.1"}
        # Far beyond the upload limit: nginx refuses before the app is bothered.
        status, _, _ = client.post(front + "/me", b"x" * (12 * 1024 * 1024),
                                   "application/octet-stream")
        assert status == 413
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
