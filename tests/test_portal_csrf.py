"""CSRF protection of the cookie-authenticated portal: every state-changing request without the session's token
is refused (403, API error format) and changes nothing; every form of every page carries the token; and in
a real browser (Debian's chromium through Playwright) the pages still work while a page of another origin on
the same site, which SameSite=Lax lets through, is refused."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.backend import csrf
from services.backend.portal_auth import COOKIE
from tests.booking_support import form, portal_client
from tests.portal_helpers import add_visit_data, magic_token, move

FORM = re.compile(r"<form\b[^>]*\bmethod=\"post\"[^>]*>(.*?)</form>", re.S)
HIDDEN = re.compile(r'<input type="hidden" name="csrf_token" value="([0-9a-f]*)">')


def _bare(world: Any, customer_id: int) -> tuple[httpx.Client, str]:
    """A client holding a session cookie that sends no CSRF token by itself (what a forged request is)."""
    helper = portal_client(world, customer_id)
    session = helper.cookies[COOKIE]
    c = httpx.Client(base_url=world.api.url, timeout=15, cookies={COOKIE: session})
    world.api.clients.append(c)
    return c, csrf.token_for(session)


def _state_changes(world: Any) -> list[tuple[str, str, dict[str, Any]]]:
    appt, job = world.appt1["id"], world.appt1["job_id"]
    docs = add_visit_data(world, appt, job)
    req = portal_client(world, world.cust1["id"]).post("/api/v1/portal/booking-requests", json={
        "service_type": "Leak repair", "preferred_dates": [form(world)["preferred_dates"][0]],
        "time_preference": "morning"}).json()
    return [
        ("POST", "/api/v1/portal/change-requests", {"json": {"appointment_id": appt, "message": "Later?"}}),
        ("POST", f"/api/v1/portal/appointments/{appt}/notes", {"json": {"text": "Gate code 1234"}}),
        ("POST", f"/api/v1/portal/appointments/{appt}/notes", {"data": {"text": "Gate code 1234"},
                                                                "files": {"photo": ("a.txt", b"x", "text/plain")}}),
        ("POST", f"/api/v1/portal/appointments/{appt}/survey", {"json": {"score": 5}}),
        ("POST", f"/api/v1/portal/documents/{docs['estimate']}/approve", {}),
        ("POST", f"/api/v1/portal/documents/{docs['invoice']}/checkout", {}),
        ("POST", "/api/v1/portal/booking-requests", {"json": {"service_type": "Drain"}}),
        ("POST", f"/api/v1/portal/booking-requests/{req['id']}/cancel", {}),
        ("PUT", "/api/v1/portal/preferences", {"json": {"sms": False}}),
        ("POST", "/api/v1/portal/logout", {}),
        ("POST", f"/portal/visits/{appt}/note", {"data": {"text": "Gate code 1234"}}),
        ("POST", f"/portal/visits/{appt}/change", {"data": {"message": "Later?"}}),
        ("POST", f"/portal/visits/{appt}/survey", {"data": {"score": "5"}}),
        ("POST", f"/portal/documents/{docs['estimate']}/approve", {}),
        ("POST", f"/portal/documents/{docs['invoice']}/pay", {}),
        ("POST", "/portal/request", {"data": form(world)}),
        ("POST", f"/portal/requests/{req['id']}/cancel", {}),
        ("POST", f"/portal/requests/{req['id']}/accept-counter", {}),
        ("POST", f"/portal/requests/{req['id']}/decline-counter", {}),
        ("POST", "/portal/preferences", {"data": {"quiet_hours_start": "", "quiet_hours_end": ""}}),
        ("POST", "/portal/logout", {}),
        ("POST", "/portal/login", {"data": {"address": "ann@example.com"}}),
    ]


def test_every_state_change_without_the_token_is_refused_and_changes_nothing(world) -> None:
    changes = _state_changes(world)
    c, token = _bare(world, world.cust1["id"])
    before = c.get(f"/api/v1/portal/visits/{world.appt1['id']}").json()
    prefs = c.get("/api/v1/portal/preferences").json()
    for method, path, kwargs in changes:
        for headers in ({}, {csrf.HEADER: "0" * 64}, {"Origin": "https://attacker.example"}):
            r = c.request(method, path, headers=headers, **kwargs)
            assert r.status_code == 403, (method, path, headers, r.status_code, r.text[:200])
            err = r.json()["error"]
            assert err["code"] == "forbidden" and "Reload the page" in err["message"], (path, err)
            assert err["details"][0]["field"] == "csrf_token"
    # Nothing happened: still signed in, no note, no change request, no survey, preferences as they were.
    after = c.get(f"/api/v1/portal/visits/{world.appt1['id']}").json()
    assert after["notes"] == before["notes"] == [] and after["survey"] == before["survey"]
    assert c.get("/api/v1/portal/change-requests").json() == []
    assert c.get("/api/v1/portal/preferences").json() == prefs
    # With the session's token (a form's hidden field, or the header) the same requests go through.
    ok = c.post("/api/v1/portal/change-requests", json={"appointment_id": world.appt1["id"], "message": "Later?"},
                headers={csrf.HEADER: token})
    assert ok.status_code == 201, ok.text
    page = c.post(f"/portal/visits/{world.appt1['id']}/change", data={"message": "Or Friday", "csrf_token": token})
    assert page.status_code == 303, page.text
    assert len(c.get("/api/v1/portal/change-requests").json()) == 2


def test_another_sessions_token_does_not_work(world) -> None:
    ann, _ = _bare(world, world.cust1["id"])
    _, bobs = _bare(world, world.cust2["id"])
    r = ann.put("/api/v1/portal/preferences", json={"sms": False}, headers={csrf.HEADER: bobs})
    assert r.status_code == 403


def test_requests_without_a_session_cookie_are_unaffected(world) -> None:
    anon = world.api.anon
    assert anon.post("/api/v1/portal/magic-link", json={"email": "ann@example.com"}).status_code == 202
    assert anon.post("/portal/login", data={"address": "ann@example.com"}).status_code == 202
    assert anon.post("/api/v1/portal/change-requests", json={"appointment_id": 1, "message": "x"}).status_code == 401


def test_every_form_and_page_carries_the_sessions_token(world) -> None:
    appt = world.appt1["id"]
    docs = add_visit_data(world, appt, world.appt1["job_id"])
    c, token = _bare(world, world.cust1["id"])
    r = c.post("/portal/request", data={**form(world), "csrf_token": token})
    assert r.status_code == 303, r.text
    status_page = r.headers["location"].split("?")[0]
    move(world, appt, "dispatched", "en_route", "arrived", "in_progress", "complete")  # opens the survey
    pages = ["/portal/schedule", f"/portal/visits/{appt}", f"/portal/documents/{docs['estimate']}",
             f"/portal/documents/{docs['invoice']}", "/portal/request", status_page, "/portal/requests",
             "/portal/preferences"]
    forms = 0
    for path in pages:
        html = c.get(path).text
        assert f'<meta name="csrf-token" content="{token}">' in html, path
        for body in FORM.findall(html):
            assert HIDDEN.findall(body) == [token], (path, body[:200])
            forms += 1
    assert forms >= 8  # sign out on every page, survey, note, estimate approval, booking form, …
    # A signed-out page rendered for a stale cookie still carries that cookie's token.
    stale = httpx.Client(base_url=world.api.url, cookies={COOKIE: "expired-session"})
    login = stale.get("/portal").text
    assert HIDDEN.findall(login) == [csrf.token_for("expired-session")]
    assert stale.post("/portal/login", data={"address": "x@example.com"}).status_code == 403
    stale.close()


# --- in a real browser --------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def attacker_site() -> Iterator[dict[str, Any]]:
    """A page on another origin of the same site (127.0.0.1, another port) whose form posts to the portal."""
    state: dict[str, Any] = {"html": ""}

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = state["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{httpd.server_address[1]}/"
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_in_chromium_forms_work_and_a_forged_form_is_refused(world, attacker_site, artifacts: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed (tools/test.sh installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    base = world.api.url
    appt = world.appt1["id"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{base}/portal/login/{magic_token(world, world.cust1)}")
        assert page.url.endswith("/portal/schedule")

        # The real notification-preferences form: quiet hours saved.
        page.goto(f"{base}/portal/preferences")
        page.fill("input[name=quiet_hours_start]", "21:00")
        page.fill("input[name=quiet_hours_end]", "07:00")
        with page.expect_navigation():
            page.locator("form.prefs button[type=submit]").click()
        assert page.url.endswith("/portal/preferences?saved=1")
        page.screenshot(path=str(artifacts / "portal_preferences_saved_csrf.png"))

        # The real change-request form on the visit page.
        page.goto(f"{base}/portal/visits/{appt}")
        page.fill("#change-msg", "Could you come after 3 PM?")
        with page.expect_navigation():
            page.locator(f"form[action='/portal/visits/{appt}/change'] button[type=submit]").click()
        assert "done=change" in page.url

        # A page on another port of the same host: SameSite=Lax sends the cookie, the token check refuses.
        attacker_site["html"] = (
            f'<form id="f" method="post" action="{base}/portal/visits/{appt}/change">'
            '<input name="message" value="Cancel everything, forged"></form>'
            '<script>document.getElementById("f").submit()</script>')
        with page.expect_navigation(url=f"{base}/portal/visits/{appt}/change") as nav:
            page.goto(attacker_site["url"])
        response = nav.value
        assert response is not None and response.status == 403
        assert "did not come from this site" in page.content()
        browser.close()
    messages = [c["message"] for c in world.dispatcher.get("/api/v1/alerts").json()
                if c["kind"] == "change_request"]
    assert len(messages) == 1 and "after 3 PM" in messages[0] and "forged" not in " ".join(messages)
    prefs = portal_client(world, world.cust1["id"]).get("/api/v1/portal/preferences").json()
    assert (prefs["quiet_hours_start"], prefs["quiet_hours_end"]) == ("21:00", "07:00")
