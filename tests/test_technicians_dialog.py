"""File → Technicians… against a real backend: a dispatcher adds a technician who can then sign in to the field
app, edits a phone number, sees the server's refusal under the field it names, takes a technician off the team
(signed out at once) and brings them back; another console's edit shows up live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from console.live import LiveSync
from services.event_stream import LinkState
from tests.conftest import World
from tests.dialog_helpers import client_for
from tests.qt_loop import run, spin_until
from widgets.schedule_model import ScheduleModel
from widgets.technicians_dialog import TechniciansDialog

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the endpoints run on both elsewhere


def _row(dlg: TechniciansDialog, name: str) -> list[Any]:
    r = next(i for i, t in enumerate(dlg.model.rows) if t["name"] == name)
    return [dlg.model.index(r, c).data() for c in range(dlg.model.columnCount())]


@SQLITE
def test_dispatcher_runs_the_team_from_the_console(qtbot, world: World, artifacts: Path) -> None:  # type: ignore[no-untyped-def]
    api = client_for(world.dispatcher, world.api.url)
    live = LiveSync(api, ScheduleModel("America/Chicago"))
    run(live.start())
    spin_until(lambda: live.stream.state == LinkState.LIVE and len(live.store.technicians) == 2, 10, "live store")
    dlg = TechniciansDialog(api, live.store)
    qtbot.addWidget(dlg)
    dlg.show()
    try:
        assert [t["name"] for t in dlg.model.rows] == ["Elena Torres", "Marcus Reed"]
        assert _row(dlg, "Marcus Reed")[3] == "Can sign in" and "White 2021 Ford F-150" in _row(dlg, "Marcus Reed")
        assert not dlg.edit_btn.isEnabled()

        # Add a technician with a field-app sign-in.
        dlg.add()
        form = dlg.form
        assert form is not None and not form.save_btn.isEnabled()  # a name first
        form.name.setText("Nate Sullivan")
        form.phone.setText("(512) 555-0177")
        form.email.setText("nate@example.com")
        form.password.setText("wrench123")
        form.year.setValue(2022)
        form.make.setText("Ram")
        form.grab().save(str(artifacts / "technician_form_add.png"))
        form.save_btn.click()
        spin_until(lambda: any(t["name"] == "Nate Sullivan" for t in dlg.model.rows), 10, "new row")
        assert not form.isVisible()
        assert _row(dlg, "Nate Sullivan")[1:4] == ["(512) 555-0177", "nate@example.com", "Can sign in"]
        assert dlg.selected()["name"] == "Nate Sullivan"  # type: ignore[index]
        nate = world.api.login("nate@example.com", "wrench123")
        assert nate.get("/api/v1/field/appointments").status_code == 200
        spin_until(lambda: live.model.lane_row_for_tech(dlg.selected()["id"]) is not None, 5,  # type: ignore[index]
                   "a lane on the board")

        # Edit: a refused email is shown under the field, nothing changes; then a phone number is saved.
        dlg.select(world.tech1["id"])
        dlg.edit_selected()
        form = dlg.form
        assert form is not None and form.email.text() == "marcus@example.com"
        form.email.setText("elena@example.com")  # Elena signs in with it
        form.save_btn.click()
        spin_until(lambda: form.errors["email"].isVisible(), 10, "the email's error")
        assert form.isVisible() and form.save_btn.isEnabled()
        assert form.status.text() == "Not saved: see the field marked in red."
        assert world.dispatcher.get(f"/api/v1/technicians/{world.tech1['id']}").json()["email"] == "marcus@example.com"
        form.email.setText("marcus@example.com")
        form.phone.setText("+15125550111")
        assert form.changes() == {"phone": "+15125550111"}  # only what changed is sent
        form.save_btn.click()
        spin_until(lambda: _row(dlg, "Marcus Reed")[1] == "(512) 555-0111", 10, "the new phone")
        assert world.field1.get("/api/v1/field/appointments").status_code == 200  # still signed in

        # Pair phone… for the selected technician goes to the console's own dialog.
        dlg.select(world.tech1["id"])
        with qtbot.waitSignal(dlg.pairPhoneRequested, timeout=1000) as asked:
            dlg.pair_btn.click()
        assert asked.args == [world.tech1["id"]]

        # Take Marcus off the team: confirmed, signed out at once; then brought back.
        assert dlg.active_btn.text() == "&Take off the team…"
        dlg.toggle_active()
        assert dlg.confirm is not None and "Marcus Reed" in dlg.confirm.text()
        ok = next(b for b in dlg.confirm.buttons() if dlg.confirm.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole)
        ok.click()
        spin_until(lambda: _row(dlg, "Marcus Reed")[5] == "Off the team", 10, "off the team")
        assert dlg.model.rows[-1]["name"] == "Marcus Reed" and _row(dlg, "Marcus Reed")[3] == "No sign-in"
        assert world.field1.get("/api/v1/field/appointments").status_code == 401
        dlg.resize(900, 420)
        dlg.grab().save(str(artifacts / "technicians_dialog.png"))
        dlg.select(world.tech1["id"])
        assert dlg.active_btn.text() == "&Bring back" and not dlg.pair_btn.isEnabled()
        dlg.toggle_active()
        spin_until(lambda: _row(dlg, "Marcus Reed")[5] == "Active", 10, "back on the team")
        assert world.api.login("marcus@example.com", "techpass1").get("/api/v1/field/appointments").status_code == 200

        # Nate, with nothing booked, leaves the team: his empty row leaves the board (Marcus kept his: a visit).
        nate_id = next(t["id"] for t in dlg.model.rows if t["name"] == "Nate Sullivan")
        run(api.update_technician(nate_id, active=False))
        spin_until(lambda: live.model.lane_row_for_tech(nate_id) is None, 10, "Nate's empty row gone")
        assert live.model.lane_row_for_tech(world.tech1["id"]) is not None

        # Another console renames Elena: the row follows through the event stream.
        r = world.dispatcher.patch(f"/api/v1/technicians/{world.tech2['id']}", json={"name": "Elena Torres-Ruiz"})
        assert r.status_code == 200
        spin_until(lambda: any(t["name"] == "Elena Torres-Ruiz" for t in dlg.model.rows), 10, "live rename")
    finally:
        dlg.close()
        run(live.stop())
        run(api.aclose())


def test_opened_before_the_first_load_it_fills_when_the_store_loads(qtbot) -> None:  # type: ignore[no-untyped-def]
    from console.store import Store

    store = Store(ScheduleModel("America/Chicago"))
    dlg = TechniciansDialog(None, store)  # type: ignore[arg-type]  # nothing is sent in this test
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.empty.isVisible() and not dlg.table.isVisible()
    store.load(company=None, technicians=[{"id": 1, "name": "Tyler Brooks", "phone": "+15125550100",
                                           "active": True, "can_sign_in": False}],
               day=store.today(), appointments=[], positions=[])
    assert [t["name"] for t in dlg.model.rows] == ["Tyler Brooks"] and dlg.table.isVisible()
    assert _row(dlg, "Tyler Brooks")[1:4] == ["(512) 555-0100", "—", "No sign-in"]
