"""With the server unreachable the card opens from what the console holds, marked possibly stale with the time of
the last update, every server action disabled with the reason, nothing invented; it reloads when the link returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.backend.embedded import EmbeddedServer
from tests.console_support import Console, local_day, run, token_of
from widgets import card_offline


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_card_offline_from_store_then_live_again(qtbot: Any, qloop: Any, world: Any, server: Any,
                                                  tmp_path: Path, artifacts: Path) -> None:
    c = Console(qtbot, world.api.url, token_of(world.dispatcher), tmp_path, day=local_day(world.appt1["window_start"]))
    again = None
    try:
        aid = world.appt1["id"]
        server.stop()
        qtbot.waitUntil(lambda: c.window.link_state == "offline", timeout=8000)
        assert c.live.store.offline and c.live.store.offline_since is not None
        card = c.window.open_card(aid)
        qtbot.waitUntil(lambda: card.offline and bool(card.data), timeout=3000)
        assert "Ann Lee" in card.title.text() and "Leak repair" in card.title.text()
        assert "(512) 555-0199" in card.customer_box.text()  # phones formatted for display (tel: link stays E.164)
        assert card.date_edit.date().year() != 2000 and card.tech_combo.currentText() == "Marcus Reed"
        assert "Offline since" in card.notice_text.text() and "may be out of date" in card.notice_text.text()
        assert "last update arrived" in card.notice_text.text()
        assert "possibly stale" in card.updated_label.text()
        for w in card_offline.server_controls(card):
            assert not w.isEnabled(), w
        assert "can't be reached" in card.save_btn.toolTip()
        held = c.live.store.appointment(aid) or {}
        assert "history" not in held and card.history.text() == card_offline.LATER  # not "No status changes yet"
        assert card.grab().save(str(artifacts / "card_offline.png"))
        # An appointment the console doesn't hold: says so, shows no form (no "Jan 1, 2000", no Save).
        other = c.window.open_card(999_999)
        qtbot.waitUntil(lambda: other.offline, timeout=3000)
        assert "isn’t among what this console holds" in other.title.text()
        assert not other.when_box.isVisibleTo(other) and not other.save_btn.isEnabled()
        other.close()
        # Moving a block while offline sends nothing and says why.
        c.window.request_move(aid, True, world.tech2["id"], -1.0)
        assert "server can't be reached" in c.window.banner.text.text()
        assert c.model.appointment(aid).technician_id == world.tech1["id"]  # type: ignore[union-attr]
        # The server returns: the card loads the real appointment and its actions come back.
        again = EmbeddedServer(server.settings, clock=server.backend.clock, port=server.port).start()
        qtbot.waitUntil(lambda: c.window.link_state == "live", timeout=8000)
        qtbot.waitUntil(lambda: not card.offline and card.save_btn.isEnabled(), timeout=5000)
        qtbot.waitUntil(lambda: card.history.text() != card_offline.LATER, timeout=5000)  # the full appointment
        assert "Gate 4821" in card.notes.text()
        assert card.banner.isEnabled() and not card.notice.isVisible()
        assert "possibly stale" not in card.updated_label.text()
        card.close()
    finally:
        run(qtbot, c.live.stream.stop())
        c.close()
        if again is not None:
            again.stop()


def test_panel_actions_disabled_offline_with_the_reason(qtbot: Any) -> None:
    from PySide6.QtWidgets import QPushButton

    from console.offline_guard import REASON, OfflineGuard
    from console.store import Store
    from widgets.schedule_model import ScheduleModel

    store = Store(ScheduleModel("America/Chicago"))
    ack, call = QPushButton("Acknowledge"), QPushButton("Call tech")
    ack.setToolTip("Tell the other dispatchers you are handling this")
    restored: list[int] = []
    guard = OfflineGuard(store)
    guard.add([ack, call], lambda: restored.append(1))
    store.set_link("live", None, None)
    assert ack.isEnabled() and not restored
    store.set_link("offline", None, None)
    assert not ack.isEnabled() and not call.isEnabled() and ack.toolTip() == REASON
    ack.setEnabled(True)  # the panel refreshes its buttons (a selection changed) while offline
    assert not ack.isEnabled()
    store.set_link("reconnecting", None, None)
    assert not ack.isEnabled()
    store.set_link("live", None, None)
    assert restored == [1] and ack.toolTip() == "Tell the other dispatchers you are handling this"
    ack.setEnabled(True)
    assert ack.isEnabled()
