"""BOLA matrix: customer A with customer B's ids gets 404 and nothing of B's, on every portal endpoint."""

from __future__ import annotations

import re

from tests.portal_helpers import add_visit_data, move, png, sign_in

# Every portal endpoint that takes an id, with the kind of id in each placeholder.
GETS = [
    "/api/v1/portal/visits/{appt}",
    "/api/v1/portal/visits/{appt}/photos/{photo}",
    "/api/v1/portal/appointments/{appt}/technician-photo",
    "/api/v1/portal/jobs/{job}/activity",
    "/api/v1/portal/notes/{note}/photo",
    "/api/v1/portal/documents/{estimate}",
    "/api/v1/portal/documents/{invoice}",
    "/portal/visits/{appt}",
    "/portal/documents/{invoice}",
    "/portal/documents/{invoice}/paid?session_id=x",
]
POSTS = [
    ("/api/v1/portal/change-requests", {"json": {"appointment_id": "{appt}", "message": "move it"}}),
    ("/api/v1/portal/appointments/{appt}/notes", {"json": {"text": "hello"}}),
    ("/api/v1/portal/appointments/{appt}/notes",
     {"data": {"text": "hi"}, "files": {"photo": ("a.png", b"", "image/png")}}),
    ("/api/v1/portal/appointments/{appt}/survey", {"json": {"score": 5}}),
    ("/api/v1/portal/documents/{estimate}/approve", {}),
    ("/api/v1/portal/documents/{invoice}/checkout", {}),
    ("/portal/visits/{appt}/note", {"data": {"text": "hi"}}),
    ("/portal/visits/{appt}/change", {"data": {"message": "hi"}}),
    ("/portal/visits/{appt}/survey", {"data": {"score": "5"}}),
    ("/portal/documents/{estimate}/approve", {}),
    ("/portal/documents/{invoice}/pay", {}),
]


def _fill(template: str, ids: dict[str, int]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)


def _fill_kwargs(kwargs: dict, ids: dict[str, int]) -> dict:
    out = dict(kwargs)
    if "json" in out:
        out["json"] = {k: (int(_fill(v, ids)) if isinstance(v, str) and v.startswith("{") else v)
                       for k, v in out["json"].items()}
    if "files" in out:
        out["files"] = {"photo": ("a.png", png(), "image/png")}
    return out


def test_customer_a_with_b_ids_gets_404_and_nothing_of_b(world) -> None:
    from models.tables import Technician

    b_appt = world.appt2
    with world.api.server.backend.sessions() as s:
        s.get(Technician, world.tech2["id"]).photo_png = png("#555")
        s.commit()
    move(world, b_appt["id"], "dispatched", "in_progress", "complete")
    b = add_visit_data(world, b_appt["id"], b_appt["job_id"], notes="Bob's secret summary text")
    b_client = sign_in(world, world.cust2)
    # B owns a note with a photo (made before completion on a second appointment).
    b_open = world.schedule(world.cust2["id"], world.tech2["id"])
    note = b_client.post(f"/api/v1/portal/appointments/{b_open['id']}/notes", data={"text": "Bob's note"},
                         files={"photo": ("p.png", png(), "image/png")}).json()
    ids = {"appt": b_appt["id"], "job": b_appt["job_id"], "photo": b["shared_photo"], "note": note["id"],
           "estimate": b["estimate"], "invoice": b["invoice"]}
    # Sanity: B can see every one of these.
    for path in GETS[:7]:
        assert b_client.get(_fill(path, ids)).status_code == 200, path

    a = sign_in(world, world.cust1)
    secrets = ["Bob", "Diaz", "200 Lamar", "secret summary", "Elena", "E-", "INV-"]
    for path in GETS:
        r = a.get(_fill(path, ids))
        assert r.status_code == 404, (path, r.status_code)
        for s in secrets:
            assert s not in r.text, (path, s)
    for path, kwargs in POSTS:
        r = a.post(_fill(path, ids), **_fill_kwargs(kwargs, ids))
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        for s in secrets:
            assert s not in r.text, (path, s)
    # Nothing of B's in A's own lists either.
    for path in ("/api/v1/portal/schedule", "/api/v1/portal/documents", "/api/v1/portal/change-requests",
                 "/portal/schedule"):
        r = a.get(path)
        assert r.status_code == 200
        for s in secrets:
            assert s not in r.text, (path, s)
    # And B's data was not changed by A's attempts.
    assert b_client.get(f"/api/v1/portal/documents/{b['estimate']}").json()["status"] == "open"
    assert b_client.get(f"/api/v1/portal/visits/{b_appt['id']}").json()["survey"] is None


def test_job_contact_sees_only_their_job(world) -> None:
    from datetime import UTC, datetime

    from models.tables import JobContact

    other = world.schedule(world.cust1["id"], world.tech1["id"], service_type="Panel upgrade")
    with world.api.server.backend.sessions() as s:
        s.add(JobContact(job_id=world.appt1["job_id"], name="Tina Tenant", email="tina@example.com",
                         created_at=datetime.now(UTC)))
        s.commit()
    world.api.anon.post("/api/v1/portal/magic-link", json={"email": "tina@example.com"})
    notes = world.dispatcher.get("/api/v1/notifications", params={"customer_id": world.cust1["id"]}).json()
    body = next(n["body"] for n in notes if n["kind"] == "portal_magic_link" and n["to"] == "tina@example.com")
    token = re.search(r"/portal/login/([\w\-]+)", body).group(1)
    import httpx

    c = httpx.Client(base_url=world.api.url)
    assert c.get(f"/portal/login/{token}").status_code == 303
    data = c.get("/api/v1/portal/schedule").json()
    seen = [x["id"] for k in ("today", "upcoming", "past") for x in data[k]]
    assert seen == [world.appt1["id"]]
    assert c.get(f"/api/v1/portal/visits/{other['id']}").status_code == 404
    c.close()
