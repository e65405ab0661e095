"""The Dispatch menu in the running console: Who is best for the selected (unassigned) visit assigns it, Optimize
day opens on the grid's day, Skills and zones by role; screenshots at 1920×1080 with the demo company."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QMessageBox, QToolBar

from console.dispatch_menu import install
from tests.console_support import Console, local_day, token_of
from tests.qt_loop import wait_js, wait_until

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _titles(menu: Any) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


@SQLITE
def test_dispatch_menu_assigns_the_unassigned_visit_to_who_is_best(qtbot: Any, qloop: Any, world: Any,
                                                                    tmp_path: Path) -> None:
    start = datetime.fromisoformat(world.appt1["window_start"]) + timedelta(hours=4)
    loose = world.schedule(world.cust1["id"], None, start=start)
    for client, lat, lng in ((world.field1, 30.45, -97.80), (world.field2, 30.266, -97.745)):
        client.post("/api/v1/field/positions", headers={"Idempotency-Key": f"p{lat}"}, json={"positions": [
            {"lat": lat, "lng": lng, "accuracy_m": 8, "recorded_at": datetime.now(UTC).isoformat()}]})
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(start.isoformat()))
    w = c.window
    try:
        dm = install(w, c.live)
        bar = [a for a in w.menuBar().actions() if a.text().replace("&", "") == "Dispatch"]
        assert len(bar) == 1 and _titles(bar[0].menu()) == [
            "Optimize day…", "Who is best for the selected visit…", "Assign on the map…",
            "Pin the selected visit in place", "Skills and zones…"]
        toolbar = w.findChild(QToolBar, "toolbar_main")
        assert dm.actions["optimize"] in toolbar.actions()
        assert "Ctrl+Shift+O" in dm.actions["optimize"].toolTip()
        # Nothing selected: said in words.
        assert dm.open_who_is_best() is None and "Select a visit on the schedule first" in w.banner.text.text()
        qtbot.waitUntil(lambda: c.model.appointment(loose["id"]) is not None, timeout=5000)
        # Right-click the unassigned visit: it is selected and the dispatch actions are offered.
        at = w.view.block_rect(loose["id"]).center().toPoint()
        w.view.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, w.view.mapToGlobal(at)))
        assert w.view.selected_id == loose["id"] and w.view.block_menu is not None
        assert [a.text().replace("&", "") for a in w.view.block_menu.actions()] == [
            "Who is best for the selected visit…", "Assign on the map…", "Pin the selected visit in place"]
        w.view.block_menu.close()
        dm.actions["best"].trigger()
        dlg = dm.dialog
        assert dlg is not None and "now with nobody (unassigned)" in dlg.findChildren(type(w.link_label))[0].text()
        wait_until(lambda: dlg.list.model.rows, 10, "the ranking")
        # Both are free in time; Marcus is already at Ann Lee's earlier that day, so no drive at all.
        best = dlg.list.current()
        assert best["name"] == "Marcus Reed" and best["top_pick"] and best["warnings"] == []
        assert best["reason"].startswith("free at ")
        assert " after Ann Lee, no drive; there when the window opens" in best["reason"]
        dlg.list.assign.click()
        qtbot.waitUntil(lambda: c.model.appointment(loose["id"]).technician_id == world.tech1["id"], timeout=5000)
        qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "Assigned Ann Lee to Marcus Reed.", timeout=5000)
        fresh = world.dispatcher.get(f"/api/v1/appointments/{loose['id']}").json()
        assert fresh["technician_id"] == world.tech1["id"] and fresh["updated_by"] == "Dana Dispatcher"
        # Pin it: Optimize day will leave it alone; the menu item shows the selected visit's pin.
        assert not dm.actions["pin"].isChecked()
        dm.actions["pin"].trigger()
        qtbot.waitUntil(lambda: w.statusBar().currentMessage().startswith("Pinned Ann Lee: Optimize day keeps"),
                        timeout=5000)
        assert world.dispatcher.get(f"/api/v1/appointments/{loose['id']}").json()["pinned"] is True
        assert c.model.appointment(loose["id"]).data["pinned"] and dm.actions["pin"].isChecked()
        w.view.select(world.appt1["id"])
        qtbot.waitUntil(lambda: not dm.actions["pin"].isChecked(), timeout=2000)  # follows the selection
        # Optimize day opens on the grid's day with every active technician to choose from.
        dm.actions["optimize"].trigger()
        opt = dm.dialog
        assert opt.day == c.model.day and opt.who.count() == 3 and opt.who.currentText() == "All technicians"
        opt.close()
        # A dispatcher reads skills and zones; only administrators change them.
        dm.actions["skills"].trigger()
        ed = dm.dialog
        assert ed.banner.isVisibleTo(ed) and not ed.add_skill_btn.isVisibleTo(ed)
        ed.close()
    finally:
        c.close()


@SQLITE
def test_optimize_the_demo_day_screenshots(qtbot: Any, qloop: Any, server: Any, tmp_path: Path,
                                           artifacts: Path) -> None:
    from console.local_auth import local_dispatcher_token
    from console.wiring import wire
    from services.backend.demo import seed_if_empty

    seed_if_empty(server.backend)
    c = Console(qtbot, server.url, local_dispatcher_token(server.backend), tmp_path, size=(1920, 1080))
    try:
        wire(c.window, c.live)
        dm = install(c.window, c.live)
        c.window.role = "admin"
        qtbot.waitUntil(lambda: len(c.model.appts) > 10, timeout=5000)
        pin = next(a for a in sorted(c.model.appts.values(), key=lambda a: a.id) if a.status == "scheduled")
        c.window.view.select(pin.id)
        dm.toggle_pin()
        qtbot.waitUntil(lambda: bool(c.model.appointment(pin.id).data.get("pinned")), timeout=5000)
        tb = c.window.findChild(QToolBar, "toolbar_main")
        assert tb.widgetForAction(dm.actions["optimize"]).isVisible()  # the toolbar button, on a shown window
        assert c.window.grab().save(str(artifacts / "console-dispatch-menu.png"))
        dlg = dm.open_optimize()
        dlg.run_btn.click()  # the technicians' own work: never more visits at risk, never a costlier day
        wait_until(lambda: dlg.proposal is not None and dlg.run_btn.isEnabled(), 60, "a proposal")
        t = dlg.proposal["totals"]

        def cost(x: dict[str, Any]) -> float:  # the optimizer's terms, in minutes of driving
            return x["drive_min"] + x["late_min"] + 30 * x["at_risk"] + 2 * x["overtime_min"]

        assert t["after"]["at_risk"] <= t["before"]["at_risk"]
        assert cost(t["after"]) <= cost(t["before"]) + 2
        dlg.proposal = None
        dlg.unassigned.setChecked(True)  # and the unassigned visits placed where they fit
        dlg.run_btn.click()
        wait_until(lambda: dlg.proposal is not None and dlg.run_btn.isEnabled(), 60, "a proposal")
        placed = [m for m in dlg.proposal["moves"] if m["from_technician_id"] is None]
        assert placed and f"{len(placed)} unassigned visit" in dlg.totals.text()
        assert all(m["words"].startswith(f"{m['label']}: Unassigned → ") for m in placed)
        assert dlg.table.rowCount() == len(c.live.store.active_technicians())
        dlg.resize(1600, 1000)
        qtbot.wait(200)
        assert dlg.grab().save(str(artifacts / "optimize-demo-day.png"))
        dlg.tabs.setCurrentIndex(1)
        wait_until(lambda: dlg.route_map is not None and dlg.route_map.page_ready, 20, "the route map")
        stops = sum(1 for t in dlg.proposal["technicians"] for v in t["after"] if v.get("site"))
        assert wait_js(dlg.route_map.view.page(), "RoutePage.drawn", lambda n: n == stops) == stops
        qtbot.wait(300)
        assert dlg.grab().save(str(artifacts / "optimize-demo-day-map.png"))
        if dlg.proposal["changes"]:
            ask = dlg.apply()
            assert isinstance(ask, QMessageBox)
            ask.button(QMessageBox.StandardButton.Cancel).click()
        dlg.close()
        ed = dm.open_skills_zones()
        wait_until(lambda: ed.tech_list.count() > 0, 10, "skills and zones")
        ed.tabs.setCurrentIndex(1)
        assert [s["name"] for s in ed.skills] == ["Electrical", "EPA 608", "HVAC", "Plumbing"]
        assert all(t["skills"] for t in ed.techs)  # every demo technician has a trade
        assert ed.grab().save(str(artifacts / "skills-zones-demo.png"))
        ed.close()
        # The demo's zones filter the board; the demo's unassigned work gets a ranked "who is best".
        f = dm.filter
        qtbot.waitUntil(lambda: len(f.zones) == 3 and len(f.skills) == 4, timeout=5000)
        south = next(z.id for z in f.zones if z.name == "South")
        f.actions_[south].setChecked(True)
        f.actions_["Electrical"].setChecked(True)
        shown = {c.model.lanes[r].tech_id for r in c.window.view._vis}
        electricians = {t["technician_id"] for t in f.techs if "Electrical" in t["skills"]}
        assert shown == electricians | {None} and 0 < len(electricians) < len(f.techs)
        crew = c.window.panels["Crew map"]  # the map follows the same filter
        assert crew.diff.tech_ids == electricians and crew.diff.site_match is not None
        qtbot.waitUntil(lambda: bool(crew.diff.techs) and set(crew.diff.techs) <= electricians, timeout=5000)
        qtbot.wait(300)
        dim = [a for a in c.model.appts.values() if not c.window.view.matches(a)]
        assert dim and all(not a.data["address"].rstrip().endswith(("78704", "78741", "78745")) for a in dim)
        c.window.repaint()
        assert c.window.grab().save(str(artifacts / "console-filter-south-electrical.png"))
        f.set_choice(set(), set())
        loose = next(a for a in c.model.appts.values() if a.technician_id is None and a.status == "scheduled")
        c.window.view.select(loose.id)
        best = dm.open_who_is_best()
        wait_until(lambda: best.list.model.rows, 10, "the demo ranking")
        best.resize(640, 640)
        qtbot.wait(100)
        assert best.grab().save(str(artifacts / "who-is-best-demo.png"))
        best.close()
    finally:
        c.close()


@SQLITE
def test_schedule_filters_by_skill_and_zone(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                            artifacts: Path) -> None:
    from tests.conftest import add_user

    add_user(world.api.server, "ada@example.com", "admin1234", "admin", "Ada Admin")
    admin = world.api.login("ada@example.com", "admin1234")
    admin.post("/api/v1/skills", json={"name": "HVAC"})
    admin.post("/api/v1/skills", json={"name": "Plumbing"})
    admin.put(f"/api/v1/technicians/{world.tech2['id']}/skills", json={"skills": ["HVAC"]})
    admin.post("/api/v1/zones", json={"name": "Downtown", "polygon": [  # around Ann Lee, not Bob Diaz
        [30.26, -97.75], [30.27, -97.75], [30.27, -97.735], [30.26, -97.735]]})
    admin.post("/api/v1/zones", json={"name": "Clarksville", "zips": ["78703"]})
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path,
                day=local_day(world.appt1["window_start"]))
    w = c.window
    try:
        dm = install(w, c.live)
        f = dm.filter
        qtbot.waitUntil(lambda: f.skills == ["HVAC"] and len(f.zones) == 2, timeout=5000)  # skills someone has
        assert f.label == "Skills & zones" and f.text() == "Skills && zones" and f.isVisible()
        modes = set()
        for width in (1600, 900, 1600):  # after the status filter whether the bar takes one row or two
            w.resize(width, 900)
            qtbot.wait(150)
            row = w.bar.row2 if w.bar.two_rows else w.bar.row1
            assert row.indexOf(f) == row.indexOf(w.bar.status_btn) + 1 and row.indexOf(f) > 0
            modes.add(w.bar.two_rows)
        assert modes == {True, False}

        def lanes() -> list[Any]:
            return [c.model.lanes[r].tech_id for r in w.view._vis]

        assert set(lanes()) == {None, world.tech1["id"], world.tech2["id"]}
        f.actions_["HVAC"].setChecked(True)  # technicians with HVAC (and the Unassigned lane)
        assert set(lanes()) == {None, world.tech2["id"]} and f.label == "HVAC"
        # The technician filter of the bar still applies on top, and changing it keeps the skill filter.
        w.bar.search.setText("a")
        assert set(lanes()) == {None, world.tech2["id"]}
        w.bar.search.setText("")
        f.actions_["HVAC"].setChecked(False)
        assert set(lanes()) == {None, world.tech1["id"], world.tech2["id"]}
        downtown = next(z.id for z in f.zones if z.name == "Downtown")
        f.actions_[downtown].setChecked(True)  # visits elsewhere dim
        ann, bob = c.model.appointment(world.appt1["id"]), c.model.appointment(world.appt2["id"])
        assert w.view.matches(ann) and not w.view.matches(bob) and f.label == "Downtown"
        w.grab().save(str(artifacts / "schedule-zone-filter.png"))
        f.set_choice(set(), set())
        assert w.view.matches(bob) and f.label == "Skills & zones" and not f.clear_action.isEnabled()
    finally:
        c.close()


@SQLITE
def test_assign_on_the_map_with_the_conflict_check(qtbot: Any, qloop: Any, world: Any, tmp_path: Path,
                                                   artifacts: Path) -> None:
    from tests.qt_loop import js, wait_js

    # An unassigned visit at the very time both technicians are booked: each would overlap.
    loose = world.schedule(world.cust1["id"], None, start=datetime.fromisoformat(world.appt1["window_start"]))
    for client, lat, lng in ((world.field1, 30.40, -97.72), (world.field2, 30.28, -97.76)):
        client.post("/api/v1/field/positions", headers={"Idempotency-Key": f"p{lat}"}, json={"positions": [
            {"lat": lat, "lng": lng, "accuracy_m": 8, "recorded_at": datetime.now(UTC).isoformat()}]})
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(loose["window_start"]))
    w = c.window
    try:
        dm = install(w, c.live)
        assert dm.open_assign_map() is None and "then assign it on the map" in w.banner.text.text()
        qtbot.waitUntil(lambda: c.model.appointment(loose["id"]) is not None, timeout=5000)
        w.view.select(loose["id"])
        dm.actions["map"].trigger()
        dlg = dm.dialog
        wait_until(lambda: dlg.answer is not None and dlg.page_ready, 20, "the ranking and the map")
        assert dlg.answer["site"] == {"lat": 30.265, "lng": -97.744}
        assert {s["name"]: s["from"] for s in dlg.answer["suggestions"]} == {
            "Marcus Reed": {"lat": 30.265, "lng": -97.744}, "Elena Torres": {"lat": 30.28, "lng": -97.76}}
        labels = wait_js(dlg.view.page(), "Array.from(document.querySelectorAll('.tech')).map(e => e.innerText)",
                         lambda v: v and len(v) == 2)
        assert all("can be there at" in t and "⚠" in t for t in labels)  # both overlap: warned on the map too
        assert js(dlg.view.page(), "document.querySelectorAll('.leaflet-tooltip.job').length") == 1
        # Clicking Elena on the map selects her in the list.
        assert js(dlg.view.page(), f"AssignPage.click({world.tech2['id']})") is True
        qtbot.waitUntil(lambda: dlg.list.current()["name"] == "Elena Torres", timeout=3000)
        assert js(dlg.view.page(), "document.querySelector('.tech.selected').innerText").startswith(
            f"{dlg.list.current()['rank']}. Elena Torres")
        dlg.resize(1280, 760)
        qtbot.wait(300)
        dlg.grab().save(str(artifacts / "assign-on-the-map.png"))
        # Assign: the conflict check asks first; Cancel leaves it unassigned.
        dlg.list.assign.click()
        qtbot.waitUntil(lambda: dm.ask is not None and dm.ask.isVisible(), timeout=5000)
        assert dm.ask.text() == "Assigning Ann Lee to Elena Torres clashes with their schedule:"
        assert dm.ask.informativeText().startswith("•  Overlaps Bob Diaz ")
        dm.ask.button(QMessageBox.StandardButton.Cancel).click()
        assert w.statusBar().currentMessage() == "Ann Lee was not assigned."
        assert world.dispatcher.get(f"/api/v1/appointments/{loose['id']}").json()["technician_id"] is None
        # Again, and this time "anyway".
        dm.ask = None
        dm.assign(loose["id"], world.tech2["id"])
        qtbot.waitUntil(lambda: dm.ask is not None and dm.ask.isVisible(), timeout=5000)
        dm.assign_anyway.click()
        qtbot.waitUntil(lambda: w.statusBar().currentMessage() == "Assigned Ann Lee to Elena Torres.", timeout=5000)
        assert world.dispatcher.get(f"/api/v1/appointments/{loose['id']}").json()["technician_id"] == \
            world.tech2["id"]
    finally:
        c.close()
