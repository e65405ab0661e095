"""Pair phone… in the console: what it says when phones cannot reach the server, the field app's one-time QR
code (and the phone pairing with it), a Traccar Client device id, revoking; the row-header entry point."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QMenu

from console.local_auth import local_dispatcher_token
from services.api_client import ApiClient
from tests.console_support import Console
from tests.field_helpers import Phone
from tests.qt_loop import run as run_on_qt
from tests.qt_portal_support import until
from widgets.pair_phone import PairPhoneDialog, device_row

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE
def test_unreachable_server_gets_advice_not_a_qr_code(world: Any, qloop: Any, artifacts: Path) -> None:
    async def scenario() -> None:
        api = ApiClient(world.api.url)
        await api.login("dana@example.com", "dispatch123")
        dlg = PairPhoneDialog(api, world.tech1["id"], "Marcus Reed")
        dlg.show()
        await until(lambda: "cannot reach" in dlg.access_label.text(), what="access verdict")
        text = dlg.access_label.text()
        assert "this computer only" in text and "main.py serve" in text and "DISPATCH_EMBEDDED_HOST" in text
        assert dlg.field_qr.pixmap().isNull() and "could not open it" in dlg.field_qr.text()
        assert not dlg.new_code_btn.isEnabled() and not dlg.add_device_btn.isEnabled()
        assert dlg.grab().save(str(artifacts / "pair_phone_unreachable.png"))
        dlg.close()

    run_on_qt(scenario(), 30)


@SQLITE
def test_qr_pairing_traccar_device_and_revoke(world: Any, api: Any, qloop: Any, artifacts: Path) -> None:
    backend = world.api.server.backend
    backend.public_url = "https://dispatch.example.test"
    phone = Phone(world.api.url)

    async def scenario() -> None:
        client = ApiClient(world.api.url)
        await client.login("dana@example.com", "dispatch123")
        dlg = PairPhoneDialog(client, world.tech1["id"], "Marcus Reed")
        dlg.confirm = lambda text: "Traccar Client" in text
        dlg.resize(760, 820)
        dlg.show()
        await until(lambda: dlg.new_code_btn.isEnabled(), what="reachable")
        assert "https://dispatch.example.test" in dlg.access_label.text()
        dlg.new_code_btn.click()
        await until(lambda: not dlg.field_qr.pixmap().isNull(), what="pairing QR code")
        link = dlg.link_edit.text()
        assert link.startswith("https://dispatch.example.test/field/pair/")
        assert dlg.expiry.text().startswith("Works once · expires in 9:") or dlg.expiry.text().endswith("10:00")
        assert dlg.grab().save(str(artifacts / "pair_phone_field_app.png"))
        # The phone scans it (here: the same path on the plain-http test server, whose cookies are then not
        # marked Secure) and is signed in.
        backend.public_url = world.api.url
        assert phone.pair(world.api.url + "/" + link.split("/", 3)[3]).status_code == 303
        backend.public_url = "https://dispatch.example.test"
        dlg.refresh_devices()
        await until(lambda: "Paired" in dlg.field_qr.text(), what="paired notice")
        assert dlg.model.rowCount() == 1 and dlg.link_edit.text() == ""
        dlg.tabs.setCurrentIndex(1)
        dlg.add_device_btn.click()
        await until(lambda: dlg.device_edit.text() and dlg.model.rowCount() == 2, what="Traccar device id")
        assert dlg.server_edit.text() == "https://dispatch.example.test/osmand"
        assert not dlg.traccar_qr.pixmap().isNull() and dlg.model.rowCount() == 2
        assert dlg.grab().save(str(artifacts / "pair_phone_traccar.png"))
        device = dlg.device_edit.text()
        assert api.anon.get("/osmand", params={"id": device, "lat": 30.26, "lon": -97.74}).status_code == 200
        dlg.refresh_devices()
        await until(lambda: "Traccar Client" in dlg.model.item(0, 2).text(), what="last fix source")
        dlg.table.selectRow(0)
        assert dlg.revoke_btn.isEnabled()
        dlg.revoke_btn.click()
        def state_of_traccar() -> str:
            rows = [r for r in range(dlg.model.rowCount()) if dlg.model.item(r, 0).text().startswith("Traccar")]
            return dlg.model.item(rows[0], 4).text()

        await until(lambda: state_of_traccar() == "Revoked by Dana Dispatcher", what="revoked")
        assert api.anon.get("/osmand", params={"id": device, "lat": 30.26, "lon": -97.74}).status_code == 404
        assert dlg.grab().save(str(artifacts / "pair_phone_devices.png"))
        dlg.close()

    try:
        run_on_qt(scenario(), 60)
    finally:
        phone.close()


def test_plain_http_is_reachable_but_warns_about_gps() -> None:
    from models.field_access import assess

    a = assess("http://192.168.1.20:8000")
    assert a.reachable and not a.secure and "plain http://" in a.problem
    assert assess("https://dispatch.example.com").problem == ""
    assert not assess("http://0.0.0.0:8000").reachable and not assess("http://localhost:8000").reachable


def test_device_rows_say_when_and_where_the_last_fix_came_from() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    row = device_row({"kind": "traccar", "kind_label": "Traccar Client", "label": "Van phone", "hint": "Q9x2",
                      "created_at": "2026-11-30T14:00:00Z", "last_fix_at": "2026-11-30T14:57:00Z",
                      "last_fix_source_label": "Traccar Client", "battery_pct": 63.6, "charging": True,
                      "revoked": False}, now)
    assert row == ["Traccar Client: Van phone (id …Q9x2)", row[1], "3 min ago · Traccar Client", "64 % ⚡", "Active"]


@SQLITE
def test_row_header_menu_opens_pair_phone(qtbot: Any, qloop: Any, world: Any, server: Any, tmp_path: Path) -> None:
    from widgets.schedule_grid import GUTTER, HEADER, ROW_H

    c = Console(qtbot, server.url, local_dispatcher_token(server.backend), tmp_path)
    try:
        view = c.view
        row = c.model.lane_row_for_tech(world.tech1["id"])
        pos = view._vis_pos[row]
        y = HEADER + pos * ROW_H + ROW_H // 2
        asked: list[int] = []
        view.pairPhoneRequested.connect(asked.append)
        view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(GUTTER // 2, y),
                                                view.mapToGlobal(QPoint(GUTTER // 2, y))))
        menu = next(m for m in view.findChildren(QMenu) if m.isVisible())
        assert [a.text() for a in menu.actions()] == ["Pair phone…"]
        menu.actions()[0].trigger()
        menu.close()
        assert asked == [world.tech1["id"]]
        qtbot.waitUntil(lambda: any(isinstance(w, PairPhoneDialog) and w.isVisible()
                                    for w in c.window.findChildren(PairPhoneDialog)), timeout=5000)
        dlg = c.window.findChildren(PairPhoneDialog)[0]
        assert dlg.windowTitle() == "Pair phone — Marcus Reed"
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.close()
    finally:
        c.close()


@SQLITE
def test_card_shows_the_technicians_notes_and_sends_the_dispatchers(qtbot: Any, qloop: Any, world: Any,
                                                                    tmp_path: Path, artifacts: Path) -> None:
    from tests.console_support import local_day, token_of

    appt = world.appt1
    r = world.field1.post(f"/api/v1/field/appointments/{appt['id']}/notes", json={"text": "Replaced the P-trap"})
    assert r.status_code == 201
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(appt["window_start"]))
    try:
        card = c.window.open_card(appt["id"])
        notes = card.team_notes
        qtbot.waitUntil(lambda: "Replaced the P-trap" in notes.list.text(), timeout=5000)
        assert "Marcus Reed" in notes.list.text() and "technician" in notes.list.text()
        notes.add()
        assert "Type the note first" in notes.message.text()
        notes.edit.setText("Customer asks you to call before arriving")
        notes.add()
        qtbot.waitUntil(lambda: "call before arriving" in notes.list.text(), timeout=5000)
        seen = world.field1.get(f"/api/v1/field/appointments/{appt['id']}").json()["team_notes"]
        assert [(n["author_name"], n["text"]) for n in seen][-1] == ("Dana Dispatcher",
                                                                     "Customer asks you to call before arriving")
        card.resize(640, 1100)
        card.body.parentWidget().parentWidget().parentWidget().ensureWidgetVisible(notes)
        qtbot.wait(200)
        assert card.grab().save(str(artifacts / "appointment_card_team_notes.png"))
        card.close()
    finally:
        c.close()


@SQLITE
def test_bio_approvals_show_the_new_photo_from_the_field_app(world: Any, qloop: Any) -> None:
    import io

    from PIL import Image

    from tests.console_support import loaded_live
    from widgets.bio_approvals import BioApprovals

    buf = io.BytesIO()
    Image.new("RGB", (800, 600), "#aa5500").save(buf, "JPEG")
    r = world.field1.put("/api/v1/field/profile/photo", files={"photo": ("me.jpg", buf.getvalue(), "image/jpeg")})
    assert r.status_code == 200

    async def scenario() -> None:
        api = ApiClient(world.api.url)
        await api.login("dana@example.com", "dispatch123")
        live = await loaded_live(api)
        w = BioApprovals(api, live.store)
        w.start()
        w.show()
        await until(lambda: world.tech1["id"] in w.photos, what="the pending photo")
        assert w.photos[world.tech1["id"]].width() == 512  # the headshot sent for approval (no approved one yet)
        assert w.heading.text() == "Marcus Reed — new bio and photo"
        w.close()

    run_on_qt(scenario(), 30)
