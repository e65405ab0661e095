"""The New appointment dialog and the availability editor against a real backend, with screenshots."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6 import QtWebEngineWidgets  # noqa: F401  (before any QApplication)
from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from services.api_client import ApiClient
from tests.conftest import Api, World, add_user
from tests.dialog_helpers import client_for, themed
from tests.fakeservers import FakeHttp
from tests.qt_loop import js, run, wait_until
from widgets.availability_editor import AvailabilityEditor
from widgets.new_appointment import NO_LOCATION, NewAppointmentDialog

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TZ = "America/Chicago"
DAY = date(2030, 6, 5)
COMPANY = {"time_zone": TZ, "bookable_services": ["Drain cleaning", "Water heater flush", "AC tune-up"]}


def at(h: int, m: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, h, m, tzinfo=ZoneInfo(TZ))


def shoot(w: QWidget, path: Path, dark: bool) -> None:
    with themed(dark):
        w.repaint()
        QTest.qWait(400)  # let the restyle and the map page repaint before the picture
        w.grab().save(str(path))


def new_dialog(api: ApiClient, world: World, **kw: Any) -> NewAppointmentDialog:
    techs = [world.tech1, world.tech2]
    dlg = NewAppointmentDialog(api, technicians=techs, company=COMPANY, tile_url="", **kw)
    dlg.show()
    wait_until(lambda: dlg.map.page_ready, 20, "pin map page")
    return dlg


@SQLITE
def test_book_a_new_customer_with_a_pin_and_a_contact(qtbot, api: Api, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.dispatcher, api.url)
    dlg = new_dialog(client, world, technician_id=world.tech2["id"], start=at(9))
    qtbot.addWidget(dlg)
    try:
        assert dlg.location.text() == NO_LOCATION
        assert dlg.problem() == "Find the customer, or create a new one."
        assert dlg.minimumSizeHint().height() <= 680 and dlg.minimumSizeHint().width() <= 1240  # fits 1280×720
        qtbot.keyClicks(dlg.customer.search, "Zoe Park")
        wait_until(lambda: dlg.customer.searches >= 1, 10, "customer search")
        assert "No customer matches" in dlg.customer.hint.text()
        dlg.customer.new_btn.click()
        assert dlg.customer.fields["name"].text() == "Zoe Park"  # carried over from the search
        for key, text in (("phone", "512 555 0177"), ("email", "zoe@example.com"), ("address", "12 Elm St"),
                          ("city", "Austin"), ("state", "TX"), ("zip", "78702")):
            qtbot.keyClicks(dlg.customer.fields[key], text)
        assert dlg.address.text() == "12 Elm St, Austin, TX 78702"  # the job address defaults to the customer's
        dlg.service.setCurrentText("Water heater flush")
        dlg.description.setPlainText("No hot water since Sunday")
        dlg.notes.setPlainText("Dog in the yard")
        for key, text in (("name", "Pat Landlord"), ("relation", "landlord"), ("phone", "512-555-0188")):
            dlg.contact_fields[key].setText(text)
        dlg.add_contact()
        assert dlg.contact_list.count() == 1
        # Place the pin by clicking the (tile-less) map, as a dispatcher would.
        dlg.map.view.page().runJavaScript("PinPage.map.fire('click', {latlng: L.latLng(30.2711, -97.7123)})")
        wait_until(lambda: dlg.map.pin is not None, 10, "pin placed")
        assert dlg.location.text().startswith("Pinned at 30.27110, -97.71230 — placed on the map")
        wait_until(lambda: dlg.checks >= 1, 10, "live conflict check")
        assert dlg.check_label.text() == "Elena Torres is free then."
        dlg.resize(1180, 800)
        shoot(dlg, artifacts / "new_appointment_light.png", dark=False)
        shoot(dlg, artifacts / "new_appointment_dark.png", dark=True)
        dlg.resize(1240, 680)  # what a 1280×720 screen leaves
        assert dlg.height() == 680
        shoot(dlg, artifacts / "new_appointment_small_light.png", dark=False)
        with qtbot.waitSignal(dlg.created, timeout=15000):
            dlg.save_btn.click()
        appt = dlg.appointment
        assert appt is not None and appt["technician_id"] == world.tech2["id"] and appt["status"] == "scheduled"
        full = world.dispatcher.get(f"/api/v1/appointments/{appt['id']}").json()
        assert full["customer_name"] == "Zoe Park" and full["customer_phone"] == "+15125550177"
        assert full["address"] == "12 Elm St, Austin, TX 78702" and full["service_type"] == "Water heater flush"
        assert (full["site_lat"], full["site_lng"]) == (30.2711, -97.7123)
        assert full["internal_notes"] == "Dog in the yard"
        assert full["window_start"].startswith("2030-06-05T14:00:00")  # 9:00 AM Chicago
        contacts = world.dispatcher.get(f"/api/v1/jobs/{appt['job_id']}/contacts").json()
        assert [(c["name"], c["phone"]) for c in contacts] == [("Pat Landlord", "512-555-0188")]
        cust = world.dispatcher.get(f"/api/v1/customers/{full['customer_id']}").json()
        assert (cust["lat"], cust["lng"]) == (30.2711, -97.7123)
    finally:
        dlg.close()
        run(client.aclose())


@SQLITE
def test_conflict_is_shown_then_booked_anyway(qtbot, api: Api, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    world.schedule(world.cust2["id"], world.tech1["id"], start=at(9), hours=2)
    client = client_for(world.dispatcher, api.url)
    dlg = new_dialog(client, world, technician_id=world.tech1["id"], start=at(10), duration_min=60)
    qtbot.addWidget(dlg)
    try:
        qtbot.keyClicks(dlg.customer.search, "555 0199")  # Ann Lee's phone, typed with spaces
        wait_until(lambda: dlg.customer.results.count() == 1, 10, "customer found by phone")
        item = dlg.customer.results.item(0).text()
        assert item.startswith("Ann Lee · (512) 555-0199\n100 Congress Ave, Austin, TX 78701\nNext: ")
        dlg.customer.results.setCurrentRow(0)
        assert dlg.address.text() == "100 Congress Ave, Austin, TX 78701"
        assert dlg.map.pin == (30.265, -97.744)  # the customer's location on file
        dlg.service.setCurrentIndex(0)
        wait_until(lambda: dlg.checks >= 1, 10, "live conflict check")
        assert "Overlaps Bob Diaz 9:00–11:00 AM by 1 h" in dlg.check_label.text()
        assert run(dlg.save()) is None  # asked first: nothing saved
        assert dlg.conflicts.isVisible()
        assert dlg.conflicts.title.text() == "Marcus Reed has a conflict at that time. Book anyway?"
        assert "Overlaps Bob Diaz 9:00–11:00 AM by 1 h" in dlg.conflicts.body.text()
        assert len(world.dispatcher.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json()) == 1
        dlg.resize(1180, 800)
        shoot(dlg, artifacts / "new_appointment_conflict_light.png", dark=False)
        shoot(dlg, artifacts / "new_appointment_conflict_dark.png", dark=True)
        assert not dlg.save_btn.isVisible()  # one choice at a time: the panel's Cancel or Book anyway
        dlg.conflicts.cancel_btn.click()
        assert not dlg.conflicts.isVisible() and "Not booked" in dlg.status.text() and dlg.save_btn.isVisible()
        run(dlg.save())
        with qtbot.waitSignal(dlg.created, timeout=15000):
            dlg.conflicts.anyway_btn.click()
        day = world.dispatcher.get("/api/v1/appointments", params={"date": DAY.isoformat()}).json()
        assert sorted(a["customer_name"] for a in day) == ["Ann Lee", "Bob Diaz"]
        assert dlg.appointment is not None and dlg.appointment["technician_id"] == world.tech1["id"]
    finally:
        dlg.close()
        run(client.aclose())


@SQLITE
def test_address_lookup_and_the_no_location_fallback(qtbot, api: Api, world: World) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.dispatcher, api.url)
    dlg = new_dialog(client, world, start=at(13))
    qtbot.addWidget(dlg)
    fake = FakeHttp(lambda *a: (200, [
        {"display_name": "500 Main St, Austin, TX", "lat": "30.2701", "lon": "-97.7401"},
        {"display_name": "500 Main St, Round Rock, TX", "lat": "30.5083", "lon": "-97.6789"}]))
    try:
        dlg.address.setText("500 Main St")
        run(dlg.find_address())
        assert dlg.status.text() == ("No geocoder is set up. Set a geocoder in Settings → Map and ETA, or place the "
                                     "pin on the map.")
        assert dlg.location.text() == NO_LOCATION
        add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
        admin = api.login("boss@example.com", "admin-pass-1")
        admin.patch("/api/v1/settings", json={"geocoder": "nominatim", "nominatim_url": fake.url})
        run(dlg.find_address())
        assert dlg.candidates.isVisible() and dlg.candidates.count() == 2
        assert dlg.map.pin == (30.2701, -97.7401)
        dlg.candidates.setCurrentRow(1)
        assert dlg.map.pin == (30.5083, -97.6789)
        assert js(dlg.map.view.page(), "PinPage.pin()") == [30.5083, -97.6789]
        assert "found: 500 Main St, Round Rock, TX" in dlg.location.text()
        # Booked unassigned with an existing customer and no pin: allowed, and the job has no coordinates.
        dlg.map.clear_pin()
        dlg._update_location()
        assert dlg.location.text() == NO_LOCATION
        dlg.customer.choose(world.cust2)
        dlg.address.setText("9 Quiet Lane")
        dlg._on_address_edited("")
        dlg.map.clear_pin()
        dlg._update_location()
        dlg.service.setCurrentText("Leak check")
        appt = run(dlg.save())
        assert appt is not None and appt["technician_id"] is None
        full = world.dispatcher.get(f"/api/v1/appointments/{appt['id']}").json()
        assert full["site_lat"] is None and full["address"] == "9 Quiet Lane"
    finally:
        fake.close()
        dlg.close()
        run(client.aclose())


@SQLITE
def test_availability_editor_saves_hours_and_time_off(qtbot, api: Api, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = api.login("boss@example.com", "admin-pass-1")
    client = client_for(admin, api.url)
    tech = world.tech1
    ed = AvailabilityEditor(client, tech, time_zone=TZ, is_admin=True)
    qtbot.addWidget(ed)
    ed.show()
    try:
        run(ed.load())
        assert "Hours not set" in ed.week_total.text() and not ed.days[0][0].isChecked()
        works, start, end, _ = ed.days[0]
        works.setChecked(True)
        start.setTime(QTime(7, 30))
        end.setTime(QTime(16, 0))
        ed.copy_monday()
        ed.days[5][0].setChecked(True)  # Saturday mornings
        ed.days[5][2].setTime(QTime(12, 0))
        ed.days[5][1].setTime(QTime(8, 0))
        assert run(ed.save_hours()) is True
        hours = world.dispatcher.get(f"/api/v1/technicians/{tech['id']}/hours").json()
        assert [(d["start"], d["end"]) for d in hours["days"]] == [("07:30", "16:00")] * 5 + [("08:00", "12:00"),
                                                                                             (None, None)]
        assert ed.week_total.text() == "46 h 30 min a week."
        ed.off_from.setDateTime(QDateTime(QDate(2030, 6, 7), QTime(13, 0)))
        ed.off_to.setDateTime(QDateTime(QDate(2030, 6, 7), QTime(15, 0)))
        ed.reason.setText("dentist")
        assert run(ed.add_time_off()) is True
        ed.all_day.setChecked(True)
        ed.off_from.setDate(QDate(2030, 7, 1))
        ed.off_to.setDate(QDate(2030, 7, 5))
        ed.reason.setText("vacation")
        assert run(ed.add_time_off()) is True
        assert [ed.off_list.item(i).text() for i in range(ed.off_list.count())] == [
            "Fri, Jun 7, 1:00–3:00 PM · dentist", "Mon, Jul 1 – Fri, Jul 5 (all day) · vacation"]
        offs = world.dispatcher.get(f"/api/v1/technicians/{tech['id']}/time-off").json()
        assert offs[1]["starts_at"].startswith("2030-07-01T05:00:00") and offs[1]["ends_at"].startswith(
            "2030-07-06T05:00:00")
        check = world.dispatcher.post("/api/v1/appointments/check", json={
            "technician_id": tech["id"], "window_start": "2030-06-07T14:00:00-05:00",
            "window_end": "2030-06-07T17:00:00-05:00"}).json()
        assert [c["message"] for c in check["conflicts"]] == ["Marcus is off 1:00–3:00 PM: dentist",
                                                              "Outside Marcus's hours (ends 4:00 PM)"]
        ed.resize(760, 680)
        shoot(ed, artifacts / "availability_editor_light.png", dark=False)
        shoot(ed, artifacts / "availability_editor_dark.png", dark=True)
        ed.off_list.setCurrentRow(0)
        assert run(ed.remove_selected()) is True and ed.off_list.count() == 1
        ed.days[0][2].setTime(QTime(6, 0))  # Monday now ends before it starts
        assert run(ed.save_hours()) is False and "Monday" in ed.status.text()
    finally:
        ed.close()
        run(client.aclose())


@SQLITE
def test_availability_editor_is_read_only_for_dispatchers(qtbot, api: Api, world: World) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.dispatcher, api.url)
    ed = AvailabilityEditor(client, world.tech1, time_zone=TZ, is_admin=False)
    qtbot.addWidget(ed)
    ed.show()
    try:
        run(ed.load())
        assert ed.banner.isVisible() and not ed.save_hours_btn.isEnabled() and not ed.add_btn.isEnabled()
        assert not ed.days[0][0].isEnabled()
    finally:
        ed.close()
        run(client.aclose())


@SQLITE
def test_settings_dialog_chooses_the_geocoder(qtbot, api: Api, world: World) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QComboBox, QLineEdit

    from console.settings_dialog import SettingsDialog

    add_user(api.server, "boss@example.com", "admin-pass-1", "admin", "Mike Boss")
    admin = api.login("boss@example.com", "admin-pass-1")
    client = client_for(admin, api.url)
    dlg = SettingsDialog(client, is_admin=True)
    qtbot.addWidget(dlg)
    dlg.show()
    try:
        run(dlg.load())
        geo, email, token, country = (dlg.fields[k] for k in ("geocoder", "geocoder_email", "mapbox_token", "country"))
        assert isinstance(geo, QComboBox) and geo.currentData() == "none"
        assert isinstance(country, QLineEdit) and country.text() == "US"
        geo.setCurrentIndex(geo.findData("mapbox"))
        assert isinstance(email, QLineEdit) and isinstance(token, QLineEdit)
        email.setText("ops@mikes.example")
        token.setText("pk.test-token")
        country.setText("ZZ")
        assert run(dlg.save()) is False and dlg.errors["country"].isVisible()
        country.setText("CA")
        assert run(dlg.save()) is True
        saved = admin.get("/api/v1/settings").json()
        assert (saved["geocoder"], saved["geocoder_email"], saved["country"]) == ("mapbox", "ops@mikes.example", "CA")
        assert saved["secrets_set"]["mapbox_token"] and "pk.test-token" not in admin.get("/api/v1/settings").text
    finally:
        dlg.close()
        run(client.aclose())
