"""Schema migrations on SQLite and PostgreSQL, embedded-mode durability settings, and the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from models.tables import Base
from services.backend.db import make_engine, upgrade_schema
from services.backend.embedded import EmbeddedServer
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_create_exactly_the_orm_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade_schema(engine)
    upgrade_schema(engine)  # idempotent: a second start changes nothing
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_embedded_sqlite_is_wal_with_full_sync(sqlite_url: str) -> None:
    srv = EmbeddedServer(make_settings(sqlite_url)).start()
    try:
        assert srv.url.startswith("http://127.0.0.1:")
        with srv.backend.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert httpx.get(srv.url + "/healthz").status_code == 200
    finally:
        srv.stop()
    # Stopped cleanly: the port no longer answers.
    try:
        httpx.get(srv.url + "/healthz", timeout=1)
        raise AssertionError("server still answering after stop()")
    except httpx.HTTPError:
        pass


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_help_explains_each_command() -> None:
    out = _run("--help").stdout
    for word in ("serve", "users", "simulate", "--demo", "--server"):
        assert word in out
    assert "--db" in _run("serve", "--help").stdout
    assert "--role" in _run("users", "add", "--help").stdout


def test_users_add_then_login_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'team.db'}"
    r = _run("users", "add", "--db", url, "--role", "admin", "--email", "boss@example.com", "--password", "s3cret-pw")
    assert r.returncode == 0, r.stderr
    dup = _run("users", "add", "--db", url, "--role", "admin", "--email", "boss@example.com", "--password", "s3cret-pw")
    assert dup.returncode != 0 and "already exists" in dup.stdout
    short = _run("users", "add", "--db", url, "--role", "dispatcher", "--email", "x@example.com", "--password", "123")
    assert short.returncode != 0 and "at least 8" in short.stdout
    srv = EmbeddedServer(make_settings(url)).start()
    try:
        r2 = httpx.post(srv.url + "/api/v1/auth/login", json={"email": "boss@example.com", "password": "s3cret-pw"})
        assert r2.status_code == 200 and r2.json()["user"]["role"] == "admin"
    finally:
        srv.stop()


def test_serve_demo_shows_todays_board(tmp_path: Path) -> None:
    """`python main.py serve --demo`, then the appointments endpoint with the demo dispatcher's token."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "main.py", "serve", "--demo", "--port", str(port), "--db", f"sqlite:///{tmp_path / 'd.db'}"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        token = None
        while time.monotonic() < deadline and token is None:
            try:
                r = httpx.post(base + "/api/v1/auth/login",
                               json={"email": "dispatcher@mikescontracting.example", "password": "demo1234"})
                if r.status_code == 200:
                    token = r.json()["token"]
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert token, "demo server did not come up with the demo dispatcher"
        appts = httpx.get(base + "/api/v1/appointments", headers={"Authorization": f"Bearer {token}"}).json()
        assert len(appts) >= 60
        assert len({a["technician_id"] for a in appts if a["technician_id"]}) >= 12
        techs = httpx.get(base + "/api/v1/technicians", headers={"Authorization": f"Bearer {token}"}).json()
        assert any(t["bio_status"] == "pending" for t in techs) and all(t["has_photo"] for t in techs)
    finally:
        proc.terminate()
        proc.wait(20)
