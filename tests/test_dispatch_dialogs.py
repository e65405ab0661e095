"""The smart-dispatch dialogs against a real backend: the ranked list, Optimize day (apply, undo, a changed
appointment), skills and zones; screenshots light and dark under test-artifacts/."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PySide6 import QtWebEngineWidgets  # noqa: F401  (before any QApplication)
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from tests.conftest import Api, World, add_user
from tests.dialog_helpers import client_for, themed
from tests.qt_loop import js, wait_js, wait_until
from tests.test_dispatch_api import _crossed_day, _day
from widgets.optimize_dialog import OptimizeDialog
from widgets.skills_zones_editor import SkillsZonesEditor
from widgets.suggest_list import SuggestList

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "America/Chicago"


def shoot(w: QWidget, path: Path) -> None:
    for dark in (False, True):
        with themed(dark):
            w.repaint()
            QTest.qWait(150)
            w.grab().save(str(path.with_name(f"{path.stem}-{'dark' if dark else 'light'}.png")))


@pytest.fixture
def admin(api: Api, world: World) -> httpx.Client:
    add_user(api.server, "ada@example.com", "admin1234", "admin", "Ada Admin")
    return api.login("ada@example.com", "admin1234")


@SQLITE
def test_suggest_list_ranks_and_assigns(qtbot, api: Api, world: World, admin: httpx.Client,  # type: ignore[no-untyped-def]
                                        artifacts: Path) -> None:
    admin.post("/api/v1/skills", json={"name": "HVAC"})
    admin.put(f"/api/v1/technicians/{world.tech2['id']}/skills", json={"skills": ["HVAC"]})
    start = datetime.fromisoformat(world.appt1["window_start"]) + timedelta(hours=3)
    w = SuggestList(client_for(world.dispatcher, api.url), time_zone=TZ)
    qtbot.addWidget(w)
    w.resize(560, 320)
    w.show()
    with qtbot.waitSignal(w.loaded, timeout=10000):
        w.load(lat=30.27, lng=-97.75, window_start=start, window_end=start + timedelta(hours=1),
               required_skills=["HVAC"])
    assert [r["name"] for r in w.model.rows] == ["Elena Torres", "Marcus Reed"]
    assert w.status.text().startswith("Best: Elena Torres — free at ")
    assert w.current()["name"] == "Elena Torres"  # the top pick is selected
    assert "lacks HVAC" in w.model.data(w.model.index(1))
    shoot(w, artifacts / "suggest-list.png")
    with qtbot.waitSignal(w.chosen, timeout=2000) as sig:
        w.assign.click()
    assert sig.args == [world.tech2["id"]]
    with qtbot.waitSignal(w.loaded, timeout=10000):
        w.load(appointment_id=999999)
    assert w.status.text().startswith("Couldn't rank technicians: appointment_id: no appointment 999999")


@SQLITE
def test_optimize_dialog_apply_and_undo(qtbot, api: Api, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = _crossed_day(api, world)
    day = date.fromisoformat(_day(world))
    dlg = OptimizeDialog(client_for(world.dispatcher, api.url), [world.tech1, world.tech2], day, time_zone=TZ)
    qtbot.addWidget(dlg)
    dlg.show()
    assert not dlg.apply_btn.isEnabled()
    dlg.run_btn.click()
    wait_until(lambda: dlg.proposal is not None and dlg.run_btn.isEnabled(), 20, "a proposal")
    totals = dlg.totals.text()
    assert totals.startswith("Drive ") and "Visits at risk of missing their window 0 → 0" in totals
    moves = [dlg.moves.item(i).text() for i in range(dlg.moves.count())]
    assert any(m.startswith("Cy Far: Elena Torres → Marcus Reed") for m in moves)
    assert dlg.table.rowCount() == 2 and dlg.apply_btn.isEnabled()
    after = dlg.table.cellWidget([dlg.table.item(r, 0).text() for r in range(2)].index("Marcus Reed"), 2).text()
    assert "Cy Far" in after and "#0B6E4F" in after  # shown as moved
    shoot(dlg, artifacts / "optimize-dialog.png")
    # The Map tab: each technician's route after the plan, numbered stops; the plan before on request.
    dlg.tabs.setCurrentIndex(1)
    wait_until(lambda: dlg.route_map is not None and dlg.route_map.page_ready, 20, "the route map")
    assert wait_js(dlg.route_map.view.page(), "RoutePage.drawn", lambda n: n == 2) == 2
    assert js(dlg.route_map.view.page(), "document.querySelectorAll('.stop.moved').length") == 2
    dlg.show_before.setChecked(True)
    assert wait_js(dlg.route_map.view.page(), "document.querySelectorAll('path[stroke-dasharray]').length",
                   lambda n: n == 2) == 2
    dlg.route_map.view.page().runJavaScript("1")
    QTest.qWait(300)
    dlg.grab().save(str(artifacts / "optimize-dialog-map.png"))
    dlg.tabs.setCurrentIndex(0)
    # Apply asks first whether to text the customers, listing what changes for each; Cancel changes nothing.
    ask = dlg.apply()
    assert ask is not None and ask.text() == "Text the 2 customers whose visit changes?"
    assert "Cy Far: Elena Torres → Marcus Reed" in ask.detailedText()
    assert ask.defaultButton() is dlg.quiet_btn  # never texting is the default
    ask.button(ask.StandardButton.Cancel).click()
    assert dlg.message.text() == "Not applied. Nothing changed."
    assert world.dispatcher.get(f"/api/v1/appointments/{a['id']}").json()["technician_id"] == world.tech2["id"]
    sent = len(world.dispatcher.get("/api/v1/notifications", params={"appointment_id": a["id"]}).json())
    dlg.apply()
    dlg.text_btn.click()
    wait_until(lambda: dlg.message.text().startswith("Applied"), 15, "applied")
    assert dlg.message.text() == "Applied: 2 visits changed. Affected customers will get one text each."
    assert world.dispatcher.get(f"/api/v1/appointments/{a['id']}").json()["technician_id"] == world.tech1["id"]
    texts = world.dispatcher.get("/api/v1/notifications", params={"appointment_id": a["id"]}).json()[sent:]
    assert len([n for n in texts if n["to"] == "+15125550111"]) == 1  # Cy Far: one text, not one per field
    assert dlg.undo_btn.isEnabled()
    dlg.undo_btn.click()
    wait_until(lambda: dlg.message.text().startswith("Undone"), 15, "undone")
    assert dlg.message.text() == "Undone: 2 visits back where they were. Their customers get one text with the " \
        "time back."
    assert world.dispatcher.get(f"/api/v1/appointments/{a['id']}").json()["technician_id"] == world.tech2["id"]


@SQLITE
def test_optimize_dialog_explains_a_changed_appointment(qtbot, api: Api, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    a, b = _crossed_day(api, world)
    dlg = OptimizeDialog(client_for(world.dispatcher, api.url), [world.tech1, world.tech2],
                         date.fromisoformat(_day(world)), time_zone=TZ, technician_id=None)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.run_btn.click()
    wait_until(lambda: dlg.proposal is not None and dlg.run_btn.isEnabled(), 20, "a proposal")
    cur = world.dispatcher.get(f"/api/v1/appointments/{a['id']}")
    world.dispatcher.patch(f"/api/v1/appointments/{a['id']}", headers={"If-Match": cur.headers["ETag"]},
                           json={"window_start": (datetime.fromisoformat(cur.json()["window_start"])
                                                  + timedelta(minutes=10)).isoformat()})
    dlg.apply()
    dlg.quiet_btn.click()
    wait_until(lambda: "nothing was saved" in dlg.message.text(), 15, "the refusal")
    assert dlg.message.text().startswith("Cy Far's visit (")
    assert "was changed by Dana Dispatcher after this plan was made, so nothing was saved. Optimize again" \
        in dlg.message.text()
    assert not dlg.apply_btn.isEnabled()
    assert world.dispatcher.get(f"/api/v1/appointments/{b['id']}").json()["technician_id"] == world.tech1["id"]
    shoot(dlg, artifacts / "optimize-dialog-refused.png")


@SQLITE
def test_skills_and_zones_editor(qtbot, api: Api, world: World, admin: httpx.Client, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    admin.post("/api/v1/skills", json={"name": "Plumbing"})
    admin.patch("/api/v1/settings", json={"bookable_services": ["AC repair", "Drain cleaning"]})
    dlg = SkillsZonesEditor(client_for(admin, api.url), is_admin=True)
    qtbot.addWidget(dlg)
    dlg.show()
    wait_until(lambda: dlg.skill_list.count() == 1, 10, "skills")
    for name in ("HVAC", "EPA 608"):
        dlg.new_skill.setText(name)
        dlg.add_skill_btn.click()
        wait_until(lambda n=name: dlg.status.text() == f"Added the skill {n}.", 10, name)
    assert [dlg.skill_list.item(i).text().split(" — ")[0] for i in range(3)] == ["EPA 608", "HVAC", "Plumbing"]
    dlg.tabs.setCurrentIndex(1)
    dlg.tech_list.setCurrentRow([t["name"] for t in dlg.techs].index("Elena Torres"))
    for i in range(dlg.tech_checks.count()):
        if dlg.tech_checks.item(i).text() in ("HVAC", "EPA 608"):
            dlg.tech_checks.item(i).setCheckState(Qt.CheckState.Checked)
    dlg.save_tech.click()
    wait_until(lambda: dlg.status.text().startswith("Saved Elena Torres's skills"), 10, "tech skills")
    assert {t["name"]: t["skills"] for t in admin.get("/api/v1/technician-skills").json()}["Elena Torres"] == \
        ["EPA 608", "HVAC"]
    dlg.tabs.setCurrentIndex(2)
    dlg.service_list.setCurrentRow([s["service_type"] for s in dlg.services].index("AC repair"))
    for i in range(dlg.service_checks.count()):
        if dlg.service_checks.item(i).text() == "HVAC":
            dlg.service_checks.item(i).setCheckState(Qt.CheckState.Checked)
    dlg.save_service.click()
    wait_until(lambda: dlg.status.text() == "AC repair now needs: HVAC.", 10, "service skills")
    dlg.tabs.setCurrentIndex(3)
    dlg.zone_name.setText("North Austin")
    dlg.zone_zips.setText("78758, 787")
    dlg.zone_add.click()
    wait_until(lambda: dlg.status.text().startswith("Not saved"), 10, "refusal")
    assert "'787' is not a ZIP code" in dlg.status.text()
    dlg.zone_zips.setText("78758, 78727 78729")
    dlg.zone_add.click()
    wait_until(lambda: dlg.status.text() == "Added the zone North Austin.", 10, "zone")
    assert admin.get("/api/v1/zones").json()[0]["zips"] == ["78758", "78727", "78729"]
    # Draw its outline on the map, corner by corner (a click adds one), then save.
    wait_until(lambda: dlg.zone_map is not None and dlg.zone_map.page_ready, 20, "the zone map")
    page = dlg.zone_map.view.page()
    for lat, lng in ((30.40, -97.75), (30.45, -97.70), (30.38, -97.66), (30.30, -97.70)):
        js(page, f"(ZonePage.addPoint({lat}, {lng}), ZonePage.points.length)")
    wait_until(lambda: len(dlg.outline) == 4, 5, "four corners")
    dlg.undo_corner.click()
    wait_until(lambda: len(dlg.outline) == 3 and dlg.zone_outline.text() == "3 corners", 5, "undo a corner")
    dlg.zone_save.click()
    wait_until(lambda: dlg.status.text() == "Saved the zone North Austin.", 10, "outline saved")
    assert admin.get("/api/v1/zones").json()[0]["polygon"] == [[30.4, -97.75], [30.45, -97.7], [30.38, -97.66]]
    assert [z["name"] for z in admin.get("/api/v1/zones/locate", params={"lat": 30.41, "lng": -97.71}).json()] \
        == ["North Austin"]
    wait_js(page, "document.querySelectorAll('path.leaflet-interactive, path').length", lambda n: n >= 1)
    dlg.resize(820, 600)
    shoot(dlg, artifacts / "skills-zones-editor.png")
    dlg.tabs.setCurrentIndex(1)
    shoot(dlg, artifacts / "skills-zones-technicians.png")
    reader = SkillsZonesEditor(client_for(world.dispatcher, api.url), is_admin=False)
    qtbot.addWidget(reader)
    reader.show()
    wait_until(lambda: reader.skill_list.count() == 3, 10, "read-only load")
    assert reader.banner.isVisible() and not reader.add_skill_btn.isVisible() and reader.zone_name.isReadOnly()


def _hvac_world(admin: httpx.Client, world: World) -> datetime:
    """AC tune-ups need HVAC, which only Elena has; returns a free window's start two days ahead."""
    admin.patch("/api/v1/settings", json={"bookable_services": ["AC tune-up", "Leak repair"]})
    admin.post("/api/v1/skills", json={"name": "HVAC"})
    assert admin.put("/api/v1/service-skills", json={"service_type": "AC tune-up", "skills": ["HVAC"]}).is_success
    admin.put(f"/api/v1/technicians/{world.tech2['id']}/skills", json={"skills": ["HVAC"]})
    now = datetime.now(UTC)
    for client, lat, lng in ((world.field1, 30.40, -97.72), (world.field2, 30.27, -97.745)):  # Marcus up north
        r = client.post("/api/v1/field/positions", headers={"Idempotency-Key": f"p{lat}"}, json={"positions": [
            {"lat": lat, "lng": lng, "accuracy_m": 10, "recorded_at": (now - timedelta(minutes=1)).isoformat()}]})
        assert r.status_code in (200, 202), r.text
    return datetime.fromisoformat(world.appt1["window_start"]) + timedelta(days=2)


@SQLITE
def test_booking_accept_asks_who_is_best(qtbot, api: Api, world: World, admin: httpx.Client,  # type: ignore[no-untyped-def]
                                         artifacts: Path) -> None:
    from widgets.booking_actions import AcceptForm

    start = _hvac_world(admin, world)
    form = AcceptForm(client_for(world.dispatcher, api.url))
    qtbot.addWidget(form)
    form.show()
    request = {"id": 1, "customer_name": "Ann Lee", "service_type": "AC tune-up", "lat": 30.265, "lng": -97.744,
               "preferred_dates": [], "time_preference": "morning"}
    form.prepare(request, [world.tech1, world.tech2], TZ, start.isoformat(), (start + timedelta(hours=2)).isoformat())
    assert form.technician_id() is None
    dlg = form.who_is_best()
    assert dlg is not None
    wait_until(lambda: dlg.list.model.rows, 10, "the ranking")
    rows = dlg.list.model.rows
    assert [r["name"] for r in rows] == ["Elena Torres", "Marcus Reed"] and rows[0]["top_pick"]
    assert [w["message"] for w in rows[1]["warnings"]] == ["lacks HVAC"]  # the service's skill, asked by name
    assert rows[0]["reason"].startswith("nothing booked before it that day, 1 min drive; there when the window")
    dlg.list.resize(600, 300)
    dlg.grab().save(str(artifacts / "booking-accept-who-is-best.png"))
    dlg.list.assign.click()
    assert form.technician_id() == world.tech2["id"] and not dlg.isVisible()
    # A request without a map location can't be ranked by drive time: said in words, no dialog.
    form.prepare({**request, "lat": None, "lng": None}, [world.tech1, world.tech2], TZ)
    assert form.who_is_best() is None and "no map location" in form.error.text()


@SQLITE
def test_new_appointment_asks_who_is_best(qtbot, api: Api, world: World, admin: httpx.Client,  # type: ignore[no-untyped-def]
                                          artifacts: Path) -> None:
    from widgets.new_appointment import NewAppointmentDialog

    start = _hvac_world(admin, world)
    company = {"time_zone": TZ, "bookable_services": ["AC tune-up", "Leak repair"]}
    dlg = NewAppointmentDialog(client_for(world.dispatcher, api.url), technicians=[world.tech1, world.tech2],
                               company=company, start=start)
    qtbot.addWidget(dlg)
    dlg.show()
    wait_until(lambda: dlg.map.page_ready, 20, "pin map page")
    assert dlg.who_is_best() is None and dlg.status.text().startswith("Place the job on the map first")
    dlg.customer.choose(world.cust1)
    wait_until(lambda: dlg.map.pin is not None, 5, "the customer's pin")
    dlg.service.setCurrentText("AC tune-up")
    best = dlg.who_is_best()
    assert best is not None
    wait_until(lambda: best.list.model.rows, 10, "the ranking")
    assert best.list.current()["name"] == "Elena Torres"
    assert best.list.status.text().startswith("Best: Elena Torres — ")
    best.grab().save(str(artifacts / "new-appointment-who-is-best.png"))
    best.list.assign.click()
    assert dlg.tech.currentData() == world.tech2["id"]
    wait_until(lambda: dlg.check_label.text() == "Elena Torres is free then.", 10, "the live check")
    dlg.close()
