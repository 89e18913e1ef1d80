"""The production start command: refuses a default secret, and with a proper one migrates a
new database once, starts gunicorn and serves without demo data."""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from test_scale_out import free_port, wait_until_up

pytestmark = pytest.mark.servers
ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "SEED_DEMO")}
    env.update(PORTAL_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path / 'prod.db'}",
               UPLOAD_FOLDER=str(tmp_path / "uploads"), **extra)
    return env


def test_production_start_refuses_the_default_secret(tmp_path):
    result = subprocess.run([sys.executable, "-m", "portal.serve", "--bind", "127.0.0.1:1"],
                            cwd=ROOT, env=production_env(tmp_path), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "拒绝以生产模式启动" in result.stderr and "SECRET_KEY" in result.stderr
    assert not (tmp_path / "prod.db").exists()  # nothing was started or migrated


def test_production_start_serves_a_migrated_database_without_demo_data(tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "portal.serve", "--bind", f"127.0.0.1:{port}",
             "--workers", "2"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env=production_env(tmp_path, SECRET_KEY="9f" * 24))
        try:
            wait_until_up(f"http://127.0.0.1:{port}/readyz", proc, log)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz") as response:
                assert json.load(response)["status"] == "ready"
            engine = create_engine(f"sqlite:///{tmp_path / 'prod.db'}")
            with engine.connect() as conn:
                assert conn.scalar(text("SELECT count(*) FROM user_account")) == 0
            engine.dispose()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    assert log.read_text().count("Running upgrade  -> ") == 1  # migrated once, not per worker
