"""Shared fixtures: a real backend on loopback over SQLite and PostgreSQL, signed-in HTTP clients, Qt setup."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

from services.backend.clock import OffsetClock  # noqa: E402
from services.backend.embedded import EmbeddedServer  # noqa: E402
from services.backend.settings import Settings  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PG_URL = os.environ.get("DISPATCH_TEST_PG_URL", "")  # e.g. postgresql://postgres:postgres@127.0.0.1/postgres


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def qloop(qapp: Any) -> Iterator[Any]:
    """The process's one qasync loop (tests/qt_loop.py), running inside Qt for this test."""
    from tests.qt_loop import qt_loop, release_loop

    loop = qt_loop()
    yield loop
    release_loop()


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    import sys

    mod = sys.modules.get("tests.qt_loop")
    if mod is not None:
        mod.close_loop()


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 with its production cost takes ~0.1 s per hash here; tests log in hundreds of times."""
    from argon2 import PasswordHasher

    from services.backend import security

    previous = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    yield
    security._hasher = previous


@pytest.fixture(autouse=True)
def _qt_loop_hygiene() -> Iterator[None]:
    """Tests that used the shared qasync loop without the fixture still leave it released."""
    yield
    import sys

    mod = sys.modules.get("tests.qt_loop")
    if mod is not None:
        mod.release_loop()


@pytest.fixture(autouse=True)
def _memory_keyring() -> Iterator[None]:
    """Tests never touch a real keyring: an in-memory backend stands in."""
    import keyring

    from console.secrets import MemoryKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(previous)


def _pg_database() -> Iterator[str]:
    import psycopg

    name = f"dispatch_test_{uuid.uuid4().hex[:10]}"
    admin = PG_URL
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: SQLite file, and PostgreSQL when DISPATCH_TEST_PG_URL is set."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'dispatch.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set DISPATCH_TEST_PG_URL; .ci/run does)")
    yield from _pg_database()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped when DISPATCH_TEST_PG_URL is not set)."""
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set DISPATCH_TEST_PG_URL; .ci/run does)")
    yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'dispatch.db'}"


def make_settings(db_url: str, **overrides: Any) -> Settings:
    base: dict[str, Any] = {"db_url": db_url, "watchdog_interval_s": 0.2, "outbox_interval_s": 0.2}
    base.update(overrides)
    return Settings(**base)


def watchdog_passes(server: EmbeddedServer, passes: int = 2, timeout: float = 15.0) -> None:
    """Wait until `passes` more watchdog passes have committed — with 2, at least one ran entirely after the call.
    "Nothing happened" tests wait on this instead of sleeping."""
    counter = server.backend.watchdog_passes
    assert counter.wait_for(counter.count + passes, timeout), f"no {passes} watchdog passes in {timeout} s"


class Api:
    """A signed-in HTTP client for tests, plus helpers to build a small world."""

    def __init__(self, server: EmbeddedServer):
        self.server = server
        self.url = server.url
        self.anon = httpx.Client(base_url=server.url, timeout=15)
        self.clients: list[httpx.Client] = [self.anon]

    def login(self, email: str, password: str) -> httpx.Client:
        r = self.anon.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert r.status_code == 200, r.text
        c = httpx.Client(base_url=self.url, timeout=15, headers={"Authorization": f"Bearer {r.json()['token']}"})
        self.clients.append(c)
        return c

    def close(self) -> None:
        for c in self.clients:
            c.close()


def add_user(server: EmbeddedServer, email: str, password: str, role: str, name: str) -> None:
    from models.tables import User
    from services.backend.security import hash_password

    with server.backend.sessions() as s:
        s.add(User(email=email, name=name, role=role, password_hash=hash_password(password),
                   created_at=datetime.now(UTC)))
        s.commit()


class World:
    """A dispatcher, two technicians with field-app logins, two customers and one appointment each."""

    def __init__(self, api: Api):
        self.api = api
        add_user(api.server, "dana@example.com", "dispatch123", "dispatcher", "Dana Dispatcher")
        self.dispatcher = api.login("dana@example.com", "dispatch123")
        d = self.dispatcher
        self.tech1 = d.post("/api/v1/technicians", json={
            "name": "Marcus Reed", "phone": "+15125550101", "email": "marcus@example.com", "password": "techpass1",
            "vehicle_year": 2021, "vehicle_make": "Ford", "vehicle_model": "F-150", "vehicle_color": "White"}).json()
        self.tech2 = d.post("/api/v1/technicians", json={
            "name": "Elena Torres", "phone": "+15125550102", "email": "elena@example.com",
            "password": "techpass2"}).json()
        self.field1 = api.login("marcus@example.com", "techpass1")
        self.field2 = api.login("elena@example.com", "techpass2")
        self.cust1 = d.post("/api/v1/customers", json={
            "name": "Ann Lee", "phone": "+15125550199", "email": "ann@example.com", "address": "100 Congress Ave",
            "city": "Austin", "state": "TX", "zip": "78701", "lat": 30.2650, "lng": -97.7440}).json()
        self.cust2 = d.post("/api/v1/customers", json={
            "name": "Bob Diaz", "phone": "+15125550198", "email": "bob@example.com", "address": "200 Lamar Blvd",
            "city": "Austin", "state": "TX", "zip": "78703", "lat": 30.2800, "lng": -97.7600}).json()
        self.appt1 = self.schedule(self.cust1["id"], self.tech1["id"])
        self.appt2 = self.schedule(self.cust2["id"], self.tech2["id"])

    def schedule(self, customer_id: int, tech_id: int | None, start: datetime | None = None,
                 hours: float = 2, **job: Any) -> dict[str, Any]:
        d = self.dispatcher
        j = d.post("/api/v1/jobs", json={"customer_id": customer_id, "service_type": "Leak repair",
                                         "description": "Kitchen sink drips", "internal_notes": "Gate 4821",
                                         **job})
        assert j.status_code == 201, j.text
        start = start or datetime.now(UTC) + timedelta(hours=1)
        a = d.post("/api/v1/appointments", json={
            "job_id": j.json()["id"], "technician_id": tech_id, "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=hours)).isoformat(),
            "allow_conflicts": True})  # the test places visits where it says, overlapping or not
        assert a.status_code == 201, a.text
        return a.json()


@pytest.fixture
def server(db_url: str) -> Iterator[EmbeddedServer]:
    srv = EmbeddedServer(make_settings(db_url), clock=OffsetClock()).start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: EmbeddedServer) -> Iterator[Api]:
    a = Api(server)
    yield a
    a.close()


@pytest.fixture
def world(api: Api) -> World:
    return World(api)
