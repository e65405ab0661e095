"""Sign-in throttling over real HTTP: per account and per client address, 429 with Retry-After and growing
waits, unknown accounts answered the same way, reset by a successful sign-in, shared by replicas through the
database (the sign-in-link throttle included), and the locked-accounts endpoints."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from models.tables import AuditLog
from services.backend.clock import OffsetClock
from services.backend.embedded import EmbeddedServer
from tests.conftest import add_user, make_settings

LOGIN = "/api/v1/auth/login"


def attempt(client: httpx.Client, email: str, password: str = "wrong-password") -> httpx.Response:
    return client.post(LOGIN, json={"email": email, "password": password})


def shape(r: httpx.Response) -> tuple[int, str, str | None]:
    """What an attacker can compare between two answers."""
    return r.status_code, r.text, r.headers.get("retry-after")


@pytest.fixture
def staff(api) -> Any:
    add_user(api.server, "dana@example.com", "dispatch123", "dispatcher", "Dana Dispatcher")
    add_user(api.server, "ada@example.com", "admin-pass1", "admin", "Ada Admin")
    add_user(api.server, "sam@example.com", "sam-pass-1", "dispatcher", "Sam Spade")
    return api


def test_wrong_passwords_lock_the_account_with_growing_waits(staff) -> None:
    anon, clock = staff.anon, staff.server.backend.clock
    codes = [attempt(anon, "sam@example.com").status_code for _ in range(5)]
    assert codes == [401] * 5
    locked = attempt(anon, "sam@example.com")
    assert locked.status_code == 429
    err = locked.json()["error"]
    assert err["code"] == "rate_limited" and "Too many sign-in attempts" in err["message"]
    first_wait = int(locked.headers["Retry-After"])
    assert 25 <= first_wait <= 30
    # The right password does not get through a lock either.
    assert attempt(anon, "sam@example.com", "sam-pass-1").status_code == 429
    # Another account from the same address is not affected.
    assert attempt(anon, "dana@example.com", "dispatch123").status_code == 200

    clock.advance(seconds=first_wait + 1)
    assert attempt(anon, "sam@example.com").status_code == 401  # one more try after the wait…
    second = attempt(anon, "sam@example.com")
    assert second.status_code == 429
    second_wait = int(second.headers["Retry-After"])
    assert second_wait >= 2 * first_wait - 2  # …and the next wait is twice as long
    clock.advance(seconds=second_wait + 1)
    assert attempt(anon, "sam@example.com").status_code == 401
    third_wait = int(attempt(anon, "sam@example.com").headers["Retry-After"])
    assert third_wait >= 2 * second_wait - 2


def test_a_successful_sign_in_resets_the_account(staff) -> None:
    anon = staff.anon
    assert [attempt(anon, "sam@example.com").status_code for _ in range(4)] == [401] * 4
    assert attempt(anon, "sam@example.com", "sam-pass-1").status_code == 200
    assert [attempt(anon, "sam@example.com").status_code for _ in range(4)] == [401] * 4
    assert attempt(anon, "sam@example.com", "sam-pass-1").status_code == 200


def test_unknown_accounts_are_answered_exactly_like_real_ones(staff) -> None:
    anon = staff.anon
    real = [shape(attempt(anon, "sam@example.com")) for _ in range(7)]
    ghost = [shape(attempt(anon, "nobody-here@example.com")) for _ in range(7)]
    assert [s[0] for s in real] == [401] * 5 + [429] * 2
    assert [s[:2] for s in real] == [s[:2] for s in ghost]
    assert [s[2] is None for s in real] == [s[2] is None for s in ghost]  # Retry-After on the same answers
    assert "sam@example.com" not in "".join(s[1] for s in real)


def test_the_client_address_is_throttled_across_accounts(staff) -> None:
    anon = staff.anon
    answers = [attempt(anon, f"guess{i}@example.com").status_code for i in range(20)]
    assert answers == [401] * 20  # each account is new: only the address counter adds up
    sprayed = attempt(anon, "guess-next@example.com")
    assert sprayed.status_code == 429 and int(sprayed.headers["Retry-After"]) > 0
    assert attempt(anon, "dana@example.com", "dispatch123").status_code == 429  # the address is locked


def test_a_burst_of_parallel_guesses_gets_no_more_than_the_limit(staff) -> None:
    def one(_: int) -> int:
        with httpx.Client(base_url=staff.url, timeout=30) as c:
            return attempt(c, "sam@example.com").status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(one, range(24)))
    assert codes.count(401) == 5 and codes.count(429) == 19


def test_replicas_share_the_throttle(db_url: str) -> None:
    """Two backends on one database: failures on either count toward one lock; sign-in links too."""
    a = EmbeddedServer(make_settings(db_url, run_background_jobs=False), clock=OffsetClock()).start()
    b = EmbeddedServer(make_settings(db_url, run_background_jobs=False), clock=OffsetClock()).start()
    try:
        add_user(a, "sam@example.com", "sam-pass-1", "dispatcher", "Sam Spade")
        with httpx.Client(base_url=a.url, timeout=15) as ca, httpx.Client(base_url=b.url, timeout=15) as cb:
            codes = [attempt(c, "sam@example.com").status_code for c in (ca, cb, ca, cb, ca)]
            assert codes == [401] * 5
            assert attempt(cb, "sam@example.com", "sam-pass-1").status_code == 429
            assert attempt(ca, "sam@example.com", "sam-pass-1").status_code == 429
            links = [c.post("/api/v1/portal/magic-link", json={"email": "who@example.com"}).status_code
                     for c in (ca, cb, ca, cb, ca, cb)]
            assert links == [202] * 5 + [429]
    finally:
        a.stop()
        b.stop()


def test_sign_in_link_requests_share_the_mechanism(world) -> None:
    anon = world.api.anon
    codes = [anon.post("/api/v1/portal/magic-link", json={"email": "ann@example.com"}).status_code
             for _ in range(6)]
    assert codes == [202] * 5 + [429]
    r = anon.post("/api/v1/portal/magic-link", json={"email": "ann@example.com"})
    assert r.status_code == 429 and 800 <= int(r.headers["Retry-After"]) <= 900
    assert "15 minutes" in r.json()["error"]["message"]
    world.api.server.backend.clock.advance(minutes=16)
    assert anon.post("/api/v1/portal/magic-link", json={"email": "ann@example.com"}).status_code == 202


def test_dispatchers_see_locked_accounts_and_an_admin_unlocks(staff) -> None:
    anon = staff.anon
    dispatcher = staff.login("dana@example.com", "dispatch123")
    admin = staff.login("ada@example.com", "admin-pass1")
    assert dispatcher.get("/api/v1/users/locked").json() == []
    for _ in range(6):
        attempt(anon, "sam@example.com")
        attempt(anon, "ghost@example.com")
    locked = dispatcher.get("/api/v1/users/locked").json()
    assert [u["email"] for u in locked] == ["sam@example.com"]  # unknown accounts are never listed
    sam = locked[0]
    assert sam["name"] == "Sam Spade" and sam["failed_attempts"] == 5 and sam["retry_after_s"] > 0
    assert sam["last_address"] == "127.0.0.1" and sam["locked_until"].endswith("Z")

    refused = dispatcher.post(f"/api/v1/users/{sam['id']}/unlock")
    assert refused.status_code == 403 and "administrators" in refused.json()["error"]["message"]
    assert attempt(anon, "sam@example.com", "sam-pass-1").status_code == 429
    assert admin.post("/api/v1/users/999999/unlock").status_code == 404
    done = admin.post(f"/api/v1/users/{sam['id']}/unlock")
    assert done.status_code == 200 and done.json()["was_locked"] is True
    assert dispatcher.get("/api/v1/users/locked").json() == []
    assert attempt(anon, "sam@example.com", "sam-pass-1").status_code == 200
    with staff.server.backend.sessions() as s:
        audit = s.scalars(select(AuditLog).where(AuditLog.action == "user.unlocked")).all()
        assert [(a.target_id, a.actor_name, a.details["failed_attempts"]) for a in audit] == \
            [(sam["id"], "Ada Admin", 5)]
    tech_view = anon.get("/api/v1/users/locked")
    assert tech_view.status_code == 401
