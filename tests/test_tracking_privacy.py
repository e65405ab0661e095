"""Privacy: internal notes and a second customer's data never reach any tracker or portal response, in any state."""

from __future__ import annotations

from datetime import timedelta

import httpx

from models.tables import PortalSession
from services.backend.embedded import EmbeddedServer
from services.backend.security import new_token, token_hash
from tests.conftest import Api, World
from tests.tracking_helpers import approach, ensure_tracker, fix, post_fixes

SITE = (30.2650, -97.7440)
SECRET_NOTE = "SECRET-GATE-7731"
SECRET_CUST = "ZEBULON-OTHERCUSTOMER"


def portal_client(server: EmbeddedServer, customer_id: int) -> httpx.Client:
    token = new_token()
    now = server.backend.clock.now()
    with server.backend.sessions() as s:
        s.add(PortalSession(token_hash=token_hash(token), customer_id=customer_id, created_at=now,
                            expires_at=now + timedelta(days=1)))
        s.commit()
    return httpx.Client(base_url=server.url, timeout=15, cookies={"dispatch_portal": token})


def test_no_secret_in_any_tracker_or_portal_response(world: World, api: Api, server: EmbeddedServer) -> None:
    w = world
    d = w.dispatcher
    other = d.post("/api/v1/customers", json={
        "name": f"{SECRET_CUST} Smith", "phone": "+15125550177", "email": "zeb@example.com",
        "address": f"9 {SECRET_CUST} Rd", "city": "Austin", "state": "TX", "zip": "78704",
        "lat": 30.2660, "lng": -97.7450}).json()
    mine = w.schedule(w.cust1["id"], w.tech1["id"], internal_notes=f"Alarm code {SECRET_NOTE}",
                      description="Kitchen sink drips")["id"]
    theirs = w.schedule(other["id"], w.tech1["id"], internal_notes=f"{SECRET_NOTE} for {SECRET_CUST}",
                        description=f"{SECRET_CUST} water heater")["id"]
    w.schedule(other["id"], w.tech2["id"], internal_notes=SECRET_NOTE)
    token = ensure_tracker(server, mine)
    their_token = ensure_tracker(server, theirs)
    portal = portal_client(server, w.cust1["id"])
    now = server.backend.clock.now()
    f1 = w.field1

    def responses() -> list[tuple[str, str]]:
        """Every page and answer this customer (or anyone with their tracker link) can load, each with the status
        it must answer: their own → 200, the other customer's visit → 404 (as if it did not exist)."""
        out = []
        for p in (f"/tracker/{token}", f"/api/v1/tracker/{token}", f"/tracker/{token}/manifest.webmanifest"):
            r = api.anon.get(p)
            assert r.status_code == 200, (p, r.status_code)
            out.append((p, r.text))
        for p, status in (("/portal/schedule", 200), ("/api/v1/portal/schedule", 200),
                          (f"/api/v1/portal/visits/{mine}", 200), (f"/portal/visits/{mine}", 200),
                          (f"/api/v1/portal/visits/{theirs}", 404), (f"/portal/visits/{theirs}", 404)):
            r = portal.get(p)
            assert r.status_code == status, (p, r.status_code)
            out.append((p, r.text))
        return out

    seen_states = []

    def check(label: str) -> None:
        state = api.anon.get(f"/api/v1/tracker/{token}").json()["state"]
        seen_states.append(state)
        for path, body in responses():
            assert SECRET_NOTE not in body, (label, path)
            assert SECRET_CUST not in body, (label, path)
            assert "Elena" not in body, (label, path)  # another crew member
            assert their_token not in body, (label, path)  # the other customer's tracker link
        sched = portal.get("/api/v1/portal/schedule")
        assert sched.status_code == 200 and "Leak repair" in sched.text, "the portal session works"
        assert portal.get(f"/api/v1/portal/visits/{theirs}").status_code == 404

    def tap(appt_id: int, step: str) -> None:
        r = f1.post(f"/api/v1/field/appointments/{appt_id}/{step}")
        assert r.status_code == 200, (step, r.text)

    check("scheduled")
    tap(mine, "confirm")
    tap(theirs, "confirm")
    check("dispatched")
    post_fixes(f1, [fix(SITE, 0, -1500, now)])
    tap(mine, "on-my-way")
    check("en_route")
    post_fixes(f1, approach(SITE, now + timedelta(seconds=10)))
    check("arrived")
    tap(mine, "start")
    check("in_progress")
    tap(mine, "complete")
    check("complete")
    assert seen_states == ["scheduled", "dispatched", "en_route", "arrived", "ended", "expired"]
    # The tracker's scope is one appointment: the other customer's photo/manifest answer only to their token.
    assert api.anon.get(f"/tracker/{token}/photo").status_code == 404
    portal.close()
