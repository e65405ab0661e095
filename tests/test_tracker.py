"""The customer tracker end to end through the field API: every tracker state, headers, PWA."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from services.backend.embedded import EmbeddedServer
from tests.conftest import Api, World
from tests.tracking_helpers import approach, ensure_tracker, fix, notes, post_fixes, wait_for

SITE = (30.2650, -97.7440)  # customer 1 in the World fixture


def status_of(w: World, appt_id: int) -> str:
    return w.dispatcher.get(f"/api/v1/appointments/{appt_id}").json()["status"]


def tracker(api: Api, token: str) -> dict:
    r = api.anon.get(f"/api/v1/tracker/{token}")
    assert r.status_code == 200, r.text
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-robots-tag"] == "noindex"
    return r.json()


def test_scenario_confirm_on_my_way_arrive_start_complete(world: World, api: Api, server: EmbeddedServer) -> None:
    w, appt = world, world.appt1["id"]
    f1 = w.field1
    now = server.backend.clock.now()
    token = ensure_tracker(server, appt)

    # Scheduled: placeholder, tech first name only.
    t = tracker(api, token)
    assert t["state"] == "scheduled" and t["step"] == 0 and t["position"] is None and t["eta"] is None
    assert t["technician"] == {"first_name": "Marcus"}

    # Confirm → dispatched: name, photo, vehicle, company; still no location.
    assert f1.post(f"/api/v1/field/appointments/{appt}/confirm").status_code == 200
    post_fixes(f1, [fix(SITE, 0, -1500, now)])
    t = tracker(api, token)
    assert t["state"] == "dispatched" and t["position"] is None and t["map"] is None
    assert t["technician"]["vehicle"] == "White 2021 Ford F-150"

    # On my way → SMS with ETA and a working tracker link.
    assert f1.post(f"/api/v1/field/appointments/{appt}/on-my-way").status_code == 200
    sms = [n for n in notes(w.dispatcher, appt) if n["kind"] == "en_route"]
    assert len(sms) == 1 and sms[0]["channel"] == "sms" and sms[0]["to"] == "+15125550199"
    m = re.fullmatch(r"Your technician from (.+) is on the way — arriving around (\d{1,2}:\d\d [AP]M)\. "
                     r"Track them here: (http://\S+/tracker/([A-Za-z0-9_-]+))", sms[0]["body"])
    assert m, sms[0]["body"]
    assert m.group(4) == token and len(token) * 6 >= 128
    page = api.anon.get(m.group(3))
    assert page.status_code == 200 and "Marcus is on the way" in page.text
    t = tracker(api, token)
    assert t["state"] == "en_route" and t["position"] is not None
    assert t["eta"]["text"] == f"arriving around {m.group(2)}"
    assert t["map"]["car"] is not None and len(t["map"]["route"]) == 3

    # Positions approaching → automatic arrival (SMS fallback: no push subscription).
    post_fixes(f1, approach(SITE, now + timedelta(seconds=10)))
    assert status_of(w, appt) == "arrived"
    hist = w.dispatcher.get(f"/api/v1/appointments/{appt}").json()
    events = hist.get("history") or hist.get("status_history") or []
    assert any(e["to_status"] == "arrived" and e["source"] == "geofence" and e["actor"] == "system" for e in events)
    arrived = [n for n in notes(w.dispatcher, appt) if n["kind"] == "arrived"]
    assert len(arrived) == 1 and arrived[0]["body"] == "Marcus has arrived at your location."
    assert arrived[0]["channel"] == "sms"
    t = tracker(api, token)
    assert t["state"] == "arrived" and t["position"] is None and t["site"] == {"lat": SITE[0], "lng": SITE[1]}
    assert t["map"]["car"] is None and t["headline"] == "Your technician has arrived"

    # Start → no position, ever again.
    assert f1.post(f"/api/v1/field/appointments/{appt}/start").status_code == 200
    post_fixes(f1, [fix(SITE, 3, 3, now + timedelta(minutes=5))])
    t = tracker(api, token)
    assert t["state"] == "ended" and t["position"] is None and t["map"] is None and t["site"] is None
    assert t["eta"] is None

    # Complete → expired page, no technician data.
    assert f1.post(f"/api/v1/field/appointments/{appt}/complete").status_code == 200
    t = tracker(api, token)
    assert t["state"] == "expired" and t["technician"] is None and t["position"] is None and t["map"] is None
    page = api.anon.get(f"/tracker/{token}")
    assert page.status_code == 200 and "This appointment has been completed" in page.text
    assert "Marcus" not in page.text and "F-150" not in page.text
    assert api.anon.get(f"/tracker/{token}/photo").status_code == 404
    # Retried taps fire nothing twice.
    f1.post(f"/api/v1/field/appointments/{appt}/complete")
    kinds = [n["kind"] for n in notes(w.dispatcher, appt)]
    assert kinds.count("en_route") == 1 and kinds.count("arrived") == 1


def test_page_headers_csp_and_no_third_party(world: World, api: Api, server: EmbeddedServer) -> None:
    token = ensure_tracker(server, world.appt1["id"])
    r = api.anon.get(f"/tracker/{token}")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-robots-tag"] == "noindex"
    assert r.headers["cache-control"] == "no-store"
    html = r.text
    assert "<script>" not in html and " style=" not in html and "onclick" not in html
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("/") or s.startswith("tel:") for s in srcs), srcs
    assert api.anon.get("/static/tracker.js").status_code == 200
    sw = api.anon.get("/tracker/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"] and "showNotification" in sw.text
    man = api.anon.get(f"/tracker/{token}/manifest.webmanifest")
    assert man.status_code == 200 and man.headers["content-type"].startswith("application/manifest+json")
    mj = man.json()
    assert mj["start_url"] == f"/tracker/{token}" and mj["display"] == "standalone"
    for icon in mj["icons"]:
        img = api.anon.get(icon["src"])
        assert img.status_code == 200 and img.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_and_malformed_tokens_are_404(api: Api, world: World) -> None:
    for tok in ("x" * 32, "short", "../../etc/passwd", "A" * 100):
        assert api.anon.get(f"/api/v1/tracker/{tok}").status_code == 404
        r = api.anon.get(f"/tracker/{tok}")
        assert r.status_code in (404, 405) or tok.startswith("..")
    r = api.anon.get("/api/v1/tracker/" + "x" * 32)
    assert r.json()["error"]["code"] == "not_found"


def test_late_banner_with_call_button_and_resolution_on_arrival(world: World, api: Api, server: EmbeddedServer) -> None:
    w = world
    now = server.backend.clock.now()
    appt = w.schedule(w.cust1["id"], w.tech1["id"], start=now - timedelta(minutes=31))["id"]
    server.backend.company  # noqa: B018
    with server.backend.sessions() as s:
        c = server.backend.company(s)
        c.name, c.phone = "Mike's Contracting", "(512) 555-0142"
        s.commit()
    token = ensure_tracker(server, appt)
    t = wait_for(lambda: tracker(api, token)["late"])
    assert t["call_label"] == "Call Mike's Contracting" and t["tel"] == "tel:5125550142"
    assert t["message"].startswith("Your appointment was scheduled for ")
    page = api.anon.get(f"/tracker/{token}").text
    assert 'href="tel:5125550142"' in page and "We&#39;re checking on your technician now" in page
    for step in ("confirm", "on-my-way"):
        w.field1.post(f"/api/v1/field/appointments/{appt}/{step}")
    assert tracker(api, token)["late"] is not None
    post_fixes(w.field1, approach(SITE, now))
    assert status_of(w, appt) == "arrived"
    assert tracker(api, token)["late"] is None
    alerts = w.dispatcher.get("/api/v1/alerts", params={"open": "false"}).json()
    mine = [a for a in alerts if a["appointment_id"] == appt and a["kind"] == "late"]
    assert len(mine) == 1 and mine[0]["open"] is False


def test_bio_only_when_approved_and_partner_allows(world: World, api: Api, server: EmbeddedServer) -> None:
    w = world
    w.field1.put("/api/v1/field/bio", json={"bio": "Pending bio must never show."})
    appt = w.appt1["id"]
    w.field1.post(f"/api/v1/field/appointments/{appt}/confirm")
    token = ensure_tracker(server, appt)
    assert tracker(api, token)["technician"]["bio"] is None
    assert w.dispatcher.post(f"/api/v1/technicians/{w.tech1['id']}/bio/approve").status_code == 200
    assert tracker(api, token)["technician"]["bio"] == "Pending bio must never show."
    partner = w.schedule(w.cust1["id"], w.tech1["id"], source="partner")["id"]
    from models.tables import Appointment, Job

    with server.backend.sessions() as s:
        a = s.get(Appointment, partner)
        s.get(Job, a.job_id).bios_allowed = False
        s.commit()
    w.field1.post(f"/api/v1/field/appointments/{partner}/confirm")
    assert tracker(api, ensure_tracker(server, partner))["technician"]["bio"] is None


def test_push_subscription_endpoint(world: World, api: Api, server: EmbeddedServer) -> None:
    token = ensure_tracker(server, world.appt1["id"])
    sub = {"endpoint": "https://push.example.net/send/abc", "keys": {"p256dh": "B" * 87, "auth": "c" * 22}}
    r = api.anon.post(f"/api/v1/tracker/{token}/push-subscriptions", json=sub)
    assert r.status_code == 201, r.text
    assert api.anon.post(f"/api/v1/tracker/{token}/push-subscriptions", json=sub).status_code == 200
    bad = api.anon.post(f"/api/v1/tracker/{token}/push-subscriptions", json={**sub, "endpoint": "http://x.test/a"})
    assert bad.status_code == 422 and "endpoint" in bad.text
    assert api.anon.post("/api/v1/tracker/" + "z" * 32 + "/push-subscriptions", json=sub).status_code == 404


@pytest.mark.parametrize("state", ["cancelled"])
def test_cancelled_link_expires(world: World, api: Api, server: EmbeddedServer, state: str) -> None:
    appt = world.appt1["id"]
    token = ensure_tracker(server, appt)
    cur = world.dispatcher.get(f"/api/v1/appointments/{appt}")
    r = world.dispatcher.post(f"/api/v1/appointments/{appt}/status", json={"status": state, "reason": "Customer away"},
                              headers={"If-Match": cur.headers["etag"]})
    assert r.status_code == 200, r.text
    t = tracker(api, token)
    assert t["state"] == "expired" and t["technician"] is None
    assert "cancelled" in api.anon.get(f"/tracker/{token}").text
