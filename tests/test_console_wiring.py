"""The whole console as app.run wires it: every panel in its dock, counts in tabs, the selection bus, settings,
portal preview from the grid, and the appointment card's job contacts, time on site and visit photos."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from console.wiring import wire
from tests.booking_support import form, jpeg_with_gps, portal_client
from tests.console_support import Console, local_day, token_of

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PANELS = {"Booking requests", "Late alerts", "Crew map", "Portal preview", "Bio approvals"}


@SQLITE
def test_every_panel_is_wired_live(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    from widgets import desktop_notify

    day = local_day(world.appt1["window_start"])
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=day)
    w = c.window
    try:
        made = wire(w, c.live)
        assert set(made) == PANELS
        for name, widget in made.items():
            assert w.docks[name].widget() is widget
        inbox, late, preview = made["Booking requests"], made["Late alerts"], made["Portal preview"]
        qtbot.waitUntil(lambda: inbox.model.rowCount() == 0 and late.loaded, timeout=8000)

        # A booking request from the portal: the inbox tab shows the unread count and a notification is raised.
        portal = portal_client(world, world.cust1["id"])
        r = portal.post("/portal/request", data=form(world), files=[("photos", ("p.jpg", jpeg_with_gps(),
                                                                                 "image/jpeg"))])
        assert r.status_code == 303, r.text
        qtbot.waitUntil(lambda: w.docks["Booking requests"].windowTitle() == "Booking requests (1)", timeout=5000)
        assert desktop_notify.history[-1][0] == "New booking request"
        assert w.docks["Booking requests"].toggleViewAction().text() == "Booking requests"

        # The watchdog raises LATE: the alerts tab counts it; selecting it selects the appointment in the grid.
        start = datetime.now(UTC) - timedelta(minutes=31)
        appt = world.schedule(world.cust2["id"], world.tech2["id"], start=start)
        qtbot.waitUntil(lambda: w.docks["Late alerts"].windowTitle().startswith("Late alerts ("), timeout=5000)
        qtbot.waitUntil(lambda: c.model.appointment(appt["id"]) is not None, timeout=5000)
        alert_id = late.model.items[0].id
        assert late.select_alert(alert_id)
        qtbot.waitUntil(lambda: w.view.selected_id == appt["id"], timeout=5000)
        assert desktop_notify.history[-1][0] == "Technician running late"

        # Preview in portal (the toolbar action) shows that appointment's customer view, read-only.
        opened: list[str] = []
        preview.previewOpened.connect(opened.append)
        w.actions_by_name["preview"].trigger()
        qtbot.waitUntil(lambda: bool(opened), timeout=15000)
        assert opened[-1].startswith("/portal/") or opened[-1].startswith("/tracker/")
    finally:
        c.close()


@SQLITE
def test_settings_menu_respects_the_role(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QDialogButtonBox

    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path)
    try:
        dlg = c.window.open_settings()
        qtbot.waitUntil(lambda: dlg.loaded != {}, timeout=5000)
        assert dlg.banner.isVisibleTo(dlg)  # a dispatcher reads, only admins change company-wide settings
        assert not dlg.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
        dlg.close()
        c.window.role = "admin"
        dlg = c.window.open_settings()
        qtbot.waitUntil(lambda: dlg.loaded != {}, timeout=5000)
        assert not dlg.banner.isVisibleTo(dlg)
        assert dlg.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
        dlg.close()
    finally:
        c.close()


@SQLITE
def test_card_job_contacts_time_on_site_and_photos(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                                   artifacts: Path) -> None:
    appt = world.appt1
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(appt["window_start"]))
    try:
        card = c.window.open_card(appt["id"])
        qtbot.waitUntil(lambda: bool(card.data), timeout=5000)
        assert card.on_site.text() == "Not on site yet."
        qtbot.waitUntil(lambda: card.contacts.empty.isVisibleTo(card.contacts), timeout=5000)
        assert "No photos from this visit yet." in card.photos.hint.text() or card.photos.model.rowCount() == 0

        # Adding a contact needs a name; then it reaches the backend (and its audit) and lists in the card.
        card.contacts.add()
        assert "name" in card.contacts.message.text()
        card.contacts.name.setText("Pat Landlord")
        card.contacts.relation.setText("landlord")
        card.contacts.phone.setText("+15125550177")
        card.contacts.mail.setChecked(False)
        card.contacts.add()
        qtbot.waitUntil(lambda: card.contacts.model.rowCount() == 1, timeout=5000)
        assert card.contacts.model.item(0).text() == "Pat Landlord (landlord) — +15125550177 — gets texts"
        listed = world.dispatcher.get(f"/api/v1/jobs/{appt['job_id']}/contacts").json()
        assert [(x["name"], x["notify_sms"], x["notify_email"]) for x in listed] == [("Pat Landlord", True, False)]

        # The technician starts the job: the card shows time on site once reloaded.
        for step in ("confirm", "on-my-way", "start"):
            r = world.field1.post(f"/api/v1/field/appointments/{appt['id']}/{step}", json={})
            assert r.status_code == 200, r.text
        card.reload()
        qtbot.waitUntil(lambda: card.on_site.text().startswith("On site since"), timeout=5000)
        card.resize(640, 1000)
        qtbot.wait(200)
        assert card.grab().save(str(artifacts / "appointment_card_contacts.png"))

        # Removing the contact stops their notifications.
        card.contacts.view.setCurrentIndex(card.contacts.model.index(0, 0))
        card.contacts.remove_selected()
        qtbot.waitUntil(lambda: card.contacts.model.rowCount() == 0, timeout=5000)
        assert world.dispatcher.get(f"/api/v1/jobs/{appt['job_id']}/contacts").json() == []
        card.close()
    finally:
        c.close()


@SQLITE
def test_card_chooses_which_visit_photos_the_customer_sees(qtbot: Any, qloop: Any, world: Any,
                                                           tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from tests.portal_helpers import add_visit_data
    from widgets.visit_photos import PHOTO_ID_ROLE

    appt = world.appt1
    ids = add_visit_data(world, appt["id"], appt["job_id"])
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(appt["window_start"]))
    try:
        card = c.window.open_card(appt["id"])
        photos = card.photos
        qtbot.waitUntil(lambda: photos.model.rowCount() == 2, timeout=5000)
        qtbot.waitUntil(lambda: all(not photos.model.item(r).icon().isNull() for r in range(2)), timeout=5000)
        by_id = {photos.model.item(r).data(PHOTO_ID_ROLE): photos.model.item(r) for r in range(2)}
        assert by_id[ids["shared_photo"]].checkState() == Qt.CheckState.Checked
        assert by_id[ids["private_photo"]].checkState() == Qt.CheckState.Unchecked
        by_id[ids["private_photo"]].setCheckState(Qt.CheckState.Checked)  # the dispatcher ticks it
        by_id[ids["shared_photo"]].setCheckState(Qt.CheckState.Unchecked)  # … and unticks the other

        def shared() -> list[int]:
            rows = world.dispatcher.get(f"/api/v1/appointments/{appt['id']}/photos").json()
            return [p["id"] for p in rows if p["shared_with_customer"]]

        qtbot.waitUntil(lambda: shared() == [ids["private_photo"]], timeout=5000)
        qtbot.waitUntil(lambda: photos.message.text() in ("Shared with the customer.",
                                                           "No longer shown to the customer."), timeout=5000)
        card.close()
    finally:
        c.close()


@SQLITE
def test_company_settings_changed_elsewhere_apply_live(qtbot: Any, qloop: Any, world: Any, tmp_path: Path) -> None:
    from tests.conftest import add_user
    from tests.qt_loop import js

    add_user(world.api.server, "ada@example.com", "adminpass1", "admin", "Ada Admin")
    admin = world.api.login("ada@example.com", "adminpass1")
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path)
    try:
        made = wire(c.window, c.live)
        crew = made["Crew map"]
        qtbot.waitUntil(lambda: crew.page_ready and crew.data_ready, timeout=15000)
        # Another console's admin sets the map tiles and the company's time zone.
        r = admin.patch("/api/v1/settings", json={"tile_url": "http://tiles.invalid/{z}/{x}/{y}.png",
                                                  "time_zone": "America/Denver"})
        assert r.status_code == 200, r.text
        qtbot.waitUntil(lambda: crew.tile_url == "http://tiles.invalid/{z}/{x}/{y}.png", timeout=5000)
        qtbot.waitUntil(lambda: crew.page_ready, timeout=15000)
        assert js(crew.view.page(), "document.documentElement.innerHTML.includes('tiles.invalid')") is True
        qtbot.waitUntil(lambda: c.live.tz == "America/Denver" and c.model.time_zone == "America/Denver",
                        timeout=5000)
        late = made["Late alerts"]
        qtbot.waitUntil(lambda: late.model.time_zone == "America/Denver", timeout=5000)
    finally:
        c.close()
