"""Technician bios: unapproved never shown, approved shown, never for partners that disallow bios; the panels."""

from __future__ import annotations

import asyncio

import pytest

from models.tables import Company
from services.api_client import ApiClient
from tests.portal_helpers import sign_in
from tests.qt_loop import run as run_on_qt
from tests.qt_portal_support import dress_up, until


def _bio(c, appt_id: int):
    return c.get(f"/api/v1/portal/visits/{appt_id}").json()["technician"]["bio"]


def test_bio_visibility_rules(world) -> None:
    d = world.dispatcher
    c = sign_in(world, world.cust1)
    partner = world.schedule(world.cust1["id"], world.tech1["id"], source="partner",
                             source_partner="HomeShield Warranty", bios_allowed=False)
    assert world.field1.put("/api/v1/field/bio", json={"bio": "Plumber for 12 years."}).status_code == 200
    assert _bio(c, world.appt1["id"]) is None  # pending: never shown
    assert "Plumber for 12 years" not in c.get("/portal/schedule").text
    assert d.post(f"/api/v1/technicians/{world.tech1['id']}/bio/approve").status_code == 200
    assert _bio(c, world.appt1["id"]) == "Plumber for 12 years."
    assert "Plumber for 12 years" in c.get("/portal/schedule").text
    assert _bio(c, partner["id"]) is None  # the job source partner disallows bios
    # A new submission stays pending; customers keep seeing the approved one; a rejection never shows.
    world.field1.put("/api/v1/field/bio", json={"bio": "Unreviewed text!"})
    assert _bio(c, world.appt1["id"]) == "Plumber for 12 years."
    r = d.post(f"/api/v1/technicians/{world.tech1['id']}/bio/reject", json={"reason": "Keep it professional"})
    assert r.status_code == 200
    assert "Unreviewed" not in c.get(f"/api/v1/portal/visits/{world.appt1['id']}").text
    with world.api.server.backend.sessions() as s:
        s.get(Company, 1).show_bios = False
        s.commit()
    assert _bio(c, world.appt1["id"]) is None


def test_bio_approvals_panel(world, qloop, artifacts) -> None:
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("UI test runs once")
    from tests.console_support import loaded_live
    from widgets.bio_approvals import BioApprovals

    dress_up(world)
    world.field1.put("/api/v1/field/bio", json={"bio": "I fix water heaters and love old houses."})
    world.field2.put("/api/v1/field/bio", json={"bio": "Ten years of HVAC. Shoe covers always."})
    counts: list[int] = []

    async def scenario() -> None:
        api = ApiClient(world.api.url)
        await api.login("dana@example.com", "dispatch123")
        live = await loaded_live(api)
        w = BioApprovals(api, live.store)
        w.countChanged.connect(counts.append)
        w.start()
        w.resize(1000, 520)
        w.show()
        await until(lambda: counts and counts[-1] == 2, what="two pending bios")
        assert w.model.rowCount() == 2
        await until(lambda: w.current is not None and w.current in w.photos, what="photo loaded")
        assert "Shoe covers" in w.preview.text() or "water heaters" in w.preview.text()
        assert not w.reject_btn.isEnabled()  # a reason is needed to reject
        assert w.grab().save(str(artifacts / "bio_approvals_panel.png"))
        first = w.current
        w.approve_btn.click()
        await until(lambda: counts[-1] == 1, what="count after approve")
        w.reason.setText("Please leave out personal details")
        assert w.reject_btn.isEnabled()
        second = w.current
        w.reject_btn.click()
        await until(lambda: counts[-1] == 0, what="count after reject")
        assert w.empty.isVisible()
        techs = {t["id"]: t for t in await api.technicians()}
        assert techs[first]["bio_status"] == "approved" and techs[second]["bio_status"] == "rejected"
        assert techs[second]["bio_reject_reason"] == "Please leave out personal details"
        notes = [n for n in await api.notifications(limit=50) if n["kind"] == "bio_decision"]
        assert len(notes) == 2  # both technicians were told
        w.close()
        # (the shared httpx client closes with the process; qasync has no running loop at teardown)

    run_on_qt(scenario(), 60)


def test_portal_preview_panel(world, qloop, artifacts) -> None:
    if "sqlite" not in world.api.server.settings.db_url:
        pytest.skip("UI test runs once")
    from tests.test_portal_webengine import _rich_schedule
    from widgets.portal_preview import PortalPreview

    data = _rich_schedule(world)
    opened: list[str] = []

    async def scenario() -> None:
        api = ApiClient(world.api.url)
        await api.login("dana@example.com", "dispatch123")
        w = PortalPreview(api)
        w.previewOpened.connect(opened.append)
        w.resize(1280, 900)
        w.show()
        w.search.setText("Ann")
        w._search()
        await until(lambda: w.results_model.rowCount() > 0 and w.results.isVisible(), what="search results")
        w._pick(w.results_model.index(0, 0))
        await until(lambda: "/portal/schedule" in opened, what="schedule preview")
        text: list[str] = []
        w.view.page().runJavaScript("document.body.innerText", 0, text.append)
        await until(lambda: text, what="page text")
        assert "Preview — actions disabled" in text[0] and "My Schedule" in text[0]
        await asyncio.sleep(0.8)
        assert w.grab().save(str(artifacts / "portal_preview_panel.png"))
        w.show_appointment(data["past"]["id"])
        await until(lambda: f"/portal/visits/{data['past']['id']}" in opened, what="visit preview")
        w.show_appointment(data["live"]["id"])
        await until(lambda: any(p.startswith("/tracker/") for p in opened), what="tracker preview (en route)")
        w.desktop_btn.click()
        assert w.view.maximumWidth() > 390
        w.close()
        # (the shared httpx client closes with the process; qasync has no running loop at teardown)

    run_on_qt(scenario(), 90)
