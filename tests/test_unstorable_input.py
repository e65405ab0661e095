"""Input the databases cannot store is refused as bad input, never a 500: NUL characters and unpaired
surrogates in bodies, query strings and paths (PostgreSQL stores neither), and values that collide with a
unique column. NUL characters (PostgreSQL) and the letter-case email clash (SQLite) were server errors the API
fuzzer found."""

from __future__ import annotations

import json


def test_nul_characters_in_a_body_are_a_422_naming_the_field(world) -> None:
    r = world.api.anon.post("/api/v1/auth/login", json={"email": "dana\x00@example.com", "password": "x"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == "email"
    r = world.dispatcher.post("/api/v1/customers", json={"name": "Ann\x00Lee"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "name", r.text


def test_unpaired_surrogates_in_a_body_are_a_422(world) -> None:
    raw = json.dumps({"name": "Ann", "address": "\ud800 Main St"})  # a lone surrogate, valid JSON escape
    r = world.dispatcher.post("/api/v1/customers", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "address", r.text


def test_nul_characters_in_a_query_are_a_422_and_in_a_path_a_404(world) -> None:
    r = world.dispatcher.get("/api/v1/customers", params={"q": "Ann\x00"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "q", r.text
    from tests.booking_support import portal_client

    portal = portal_client(world, world.cust1["id"])
    assert portal.get("/portal/uploads/abc%00def/thumbnail").status_code == 404
    assert world.api.anon.get("/tracker/abc%00def").status_code == 404


def test_an_email_taken_in_another_letter_case_is_a_409(world) -> None:
    d = world.dispatcher
    body = {"name": "Øyvind Berg", "email": "Øyvind@example.com", "password": "techpass9"}
    assert d.post("/api/v1/technicians", json=body).status_code == 201
    again = d.post("/api/v1/technicians", json=body)
    assert again.status_code == 409, again.text
    assert again.json()["error"]["code"] == "conflict"
    assert d.get("/healthz").status_code == 200
