"""Appointment search on any date, customer search with visit summaries, phone numbers (models/phones.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models import phones
from tests.conftest import Api, World, add_user


def test_phone_helpers() -> None:
    assert phones.to_e164("(512) 555-0199") == "+15125550199"
    assert phones.to_e164("+44 20 7946 0958") == "+442079460958"
    assert phones.to_e164("12") is None and phones.to_e164("") is None
    assert phones.display("+15125550199") == "(512) 555-0199"
    assert phones.display("+442079460958") == "+44 20 7946 0958"
    assert phones.display("+442079460958", "GB") == "020 7946 0958"
    assert phones.display("call me") == "call me"
    assert phones.search_digits("512.555.0199") == "5125550199"
    assert phones.search_digits("+1 512 555 0199") == "5125550199"
    assert phones.search_digits("0199") == "0199"
    assert phones.search_digits("Congress 100") is None and phones.search_digits("12") is None
    assert phones.region_ok("ca") and not phones.region_ok("XX")


def _customer(world: World, name: str, phone: str, address: str, **kw: str) -> dict:  # type: ignore[type-arg]
    r = world.dispatcher.post("/api/v1/customers", json={"name": name, "phone": phone, "address": address, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def test_customers_are_stored_in_e164_and_bad_numbers_refused(world: World) -> None:
    c = _customer(world, "Barbara Miller", "512.555.0142", "7 Oak St")
    assert c["phone"] == "+15125550142"
    r = world.dispatcher.post("/api/v1/customers", json={"name": "X", "phone": "12"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "phone"


def test_appointment_search_finds_any_date_nearest_first(api: Api, world: World) -> None:
    d = world.dispatcher
    now = datetime.now(UTC)
    barb = _customer(world, "Barbara Miller", "(512) 555-0142", "7 Oak Street", city="Austin", zip="78704")
    old = world.schedule(barb["id"], world.tech1["id"], start=now - timedelta(days=400))
    soon = world.schedule(barb["id"], world.tech2["id"], start=now + timedelta(days=2), service_type="Water heater")
    later = world.schedule(barb["id"], None, start=now + timedelta(days=90))
    recent = world.schedule(barb["id"], world.tech1["id"], start=now - timedelta(days=1))
    hits = d.get("/api/v1/appointments/search", params={"q": "barbara"}).json()
    assert hits["total"] == 4
    assert [h["id"] for h in hits["items"]] == [recent["id"], soon["id"], later["id"], old["id"]]
    first = hits["items"][0]
    assert first["customer_name"] == "Barbara Miller" and first["phone_display"] == "(512) 555-0142"
    assert first["status_label"] == "Scheduled" and first["address"] == "7 Oak Street"
    for q in ("512-555-0142", "+1 512 555 0142", "5550142", "(512)5550142"):
        assert d.get("/api/v1/appointments/search", params={"q": q}).json()["total"] == 4, q
    assert [h["id"] for h in d.get("/api/v1/appointments/search", params={"q": "water heater"}).json()["items"]] \
        == [soon["id"]]
    assert d.get("/api/v1/appointments/search", params={"q": "oak barbara"}).json()["total"] == 4
    assert d.get("/api/v1/appointments/search", params={"q": "78704"}).json()["total"] == 4
    assert d.get("/api/v1/appointments/search", params={"q": "oak zzz"}).json()["total"] == 0
    assert d.get("/api/v1/appointments/search", params={"q": "100%"}).json()["total"] == 0  # % is literal
    page = d.get("/api/v1/appointments/search", params={"q": "barbara", "limit": 2, "offset": 2}).json()
    assert page["total"] == 4 and [h["id"] for h in page["items"]] == [later["id"], old["id"]]
    assert d.get("/api/v1/appointments/search", params={"q": ""}).json() == {"query": "", "total": 0, "items": []}
    assert d.get("/api/v1/appointments/search", params={"q": "x", "limit": 0}).status_code == 422
    assert world.field1.get("/api/v1/appointments/search", params={"q": "barbara"}).status_code == 403


def test_customer_search_shows_past_and_upcoming_visits(api: Api, world: World) -> None:
    d = world.dispatcher
    now = datetime.now(UTC)
    barb = _customer(world, "Barbara Miller", "(512) 555-0142", "7 Oak Street")
    for days in (-30, -20, -10, -5):
        world.schedule(barb["id"], world.tech1["id"], start=now + timedelta(days=days))
    nxt = world.schedule(barb["id"], world.tech2["id"], start=now + timedelta(days=3), service_type="Tune-up")
    gone = world.schedule(barb["id"], None, start=now + timedelta(days=4))
    d.post(f"/api/v1/appointments/{gone['id']}/status", json={"status": "cancelled"},
           headers={"If-Match": f'"{gone["version"]}"'})
    found = d.get("/api/v1/customers", params={"q": "555 0142"}).json()
    assert [c["name"] for c in found] == ["Barbara Miller"]
    c = found[0]
    assert c["phone"] == "+15125550142" and c["phone_display"] == "(512) 555-0142"
    v = c["visits"]
    assert (v["past"], v["upcoming"]) == (4, 1)
    assert [x["id"] for x in v["next"]] == [nxt["id"]] and v["next"][0]["technician_name"] == "Elena Torres"
    assert v["next"][0]["service_type"] == "Tune-up" and len(v["recent"]) == 3
    assert v["recent"][0]["window_start"] > v["recent"][1]["window_start"]  # newest past first
    assert [x["name"] for x in d.get("/api/v1/customers", params={"q": "oak"}).json()] == ["Barbara Miller"]
    everyone = d.get("/api/v1/customers").json()
    assert {x["name"] for x in everyone} >= {"Ann Lee", "Bob Diaz", "Barbara Miller"}
    ann = next(x for x in everyone if x["name"] == "Ann Lee")
    assert ann["visits"]["upcoming"] == 1 and ann["visits"]["past"] == 0


@pytest.mark.parametrize("country, shown", [("US", "+44 20 7946 0958"), ("GB", "020 7946 0958")])
def test_phone_display_follows_the_company_country(api: Api, world: World, country: str, shown: str) -> None:
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = api.login("boss@example.com", "admin-pass-1")
    assert admin.patch("/api/v1/settings", json={"country": country}).status_code == 200
    _customer(world, "Nigel Brown", "+44 20 7946 0958", "1 High St")
    hits = world.dispatcher.get("/api/v1/customers", params={"q": "nigel"}).json()
    assert hits[0]["phone_display"] == shown
    bad = admin.patch("/api/v1/settings", json={"country": "XX"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "country"
