"""The late-alert panel: open alerts worst first with live minutes overdue, and two-click actions on each."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from models.enums import AlertKind
from models.timefmt import clock_time, parse_iso_or_none
from services.api_client import ApiClient, ApiError
from widgets.alert_dialogs import (
    CallTechDialog,
    MessageTechDialog,
    ReassignDialog,
    RescheduleDialog,
    ResolveDialog,
    _Busy,
    describe_error,
)
from widgets.alert_model import AlertItem, AlertModel
from widgets.alert_selection import AlertSelection
from widgets.desktop_notify import notify_desktop
from widgets.row_list import RowListView
from widgets.tasks import TaskSet, next_turn

if TYPE_CHECKING:
    from console.store import Store

log = logging.getLogger(__name__)
SOUND_KEY = "alerts/sound"
ROW_H = 66  # compact: three tight lines, so a short dock still lists four or five alerts
KIND_COLORS = {"late": "#D55E00", "booking_stale": "#8A5A00", "customer_note": "#0072B2",
               "change_request": "#6A3D9A", "estimate_approved": "#007A5A"}


#: Card colours for light and dark palettes (the kind colour stays the same: it is the signal).
LIGHT_INK = {"bg": "#FFFFFF", "late_bg": "#FFF4EC", "selected_bg": "#E4F0FB", "border": "#D5DBE1",
             "selected_border": "#2B6CB0", "acked_late_badge": "#F2E6DE", "acked_badge": "#E8ECF0",
             "acked": "#1D7A46", "new": "#B42318", "title": "#1F2933", "text": "#3E4650", "muted": "#5B6573"}
DARK_INK = {"bg": "#23272E", "late_bg": "#3A2A20", "selected_bg": "#1E3A5A", "border": "#3A414B",
            "selected_border": "#5AA0E6", "acked_late_badge": "#4A3A30", "acked_badge": "#3A414B",
            "acked": "#5BC58A", "new": "#FF8A7A", "title": "#E6EAEE", "text": "#C3CAD2", "muted": "#9AA4AF"}


class AlertDelegate(QStyledItemDelegate):
    """Paints an alert as a card: coloured badge and minutes, customer, address, tech · window · fix · ETA."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(max(320, option.rect.width()), ROW_H)

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        model = index.model()
        it: AlertItem | None = index.data(AlertModel.ItemRole)
        if it is None or not isinstance(model, AlertModel):
            return
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect.adjusted(6, 4, -6, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        acked = bool(it.alert.get("acknowledged_by"))
        color = QColor(KIND_COLORS.get(it.kind, "#5B6573"))
        dark = option.palette.color(QPalette.ColorRole.Window).lightness() < 128
        ink = DARK_INK if dark else LIGHT_INK
        bg = QColor(ink["late_bg"] if it.kind == "late" and not acked else ink["bg"])
        if selected:
            bg = QColor(ink["selected_bg"])
        p.setPen(QPen(QColor(ink["selected_border"] if selected else ink["border"]), 2 if selected else 1))
        p.setBrush(bg)
        p.drawRoundedRect(r, 6, 6)
        p.fillRect(QRect(r.left(), r.top() + 1, 5, r.height() - 1), color)
        x = r.left() + 14
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(7.5, base.pointSizeF() - 0.5))
        # line 1: badge, title, acknowledgement
        badge = model.badge(it)
        p.setFont(bold)
        fm = QFontMetrics(bold)
        bw = fm.horizontalAdvance(badge) + 14
        brect = QRect(x, r.top() + 4, bw, fm.height() + 2)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color if not acked else QColor(ink["acked_late_badge"] if it.kind == "late" else ink["acked_badge"]))
        p.drawRoundedRect(brect, 4, 4)
        p.setPen(QColor("#FFFFFF") if not acked else color)
        p.drawText(brect, Qt.AlignmentFlag.AlignCenter, badge)
        ack = model.ack_text(it)
        p.setFont(small)
        sfm = QFontMetrics(small)
        aw = sfm.horizontalAdvance(ack) + 12
        arect = QRect(r.right() - aw - 8, r.top() + 4, aw, fm.height() + 2)
        p.setPen(QColor(ink["acked"] if acked else ink["new"]))
        p.drawText(arect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, ack)
        p.setFont(bold)
        p.setPen(QColor(ink["title"]))
        trect = QRect(brect.right() + 10, brect.top(), arect.left() - brect.right() - 16, brect.height())
        p.drawText(trect, Qt.AlignmentFlag.AlignVCenter, fm.elidedText(model.title(it), Qt.TextElideMode.ElideRight,
                                                                         trect.width()))
        # line 2: address; line 3: tech · window · last fix · ETA
        p.setFont(base)
        bfm = QFontMetrics(base)
        line_h = bfm.height() - 1
        y2 = brect.bottom() + 2
        p.setPen(QColor(ink["text"]))
        w = r.right() - x - 8
        p.drawText(QRect(x, y2, w, line_h), Qt.AlignmentFlag.AlignVCenter,
                   bfm.elidedText(model.address(it) or str(it.alert.get("message", "")), Qt.TextElideMode.ElideRight,
                                  w))
        p.setPen(QColor(ink["muted"]))
        p.drawText(QRect(x, y2 + line_h, w, line_h), Qt.AlignmentFlag.AlignVCenter,
                   bfm.elidedText(model.details(it), Qt.TextElideMode.ElideRight, w))
        p.restore()


class LateAlertPanel(QWidget):
    """Open alerts, worst first, with Acknowledge / Call / Message / Reassign / Reschedule / Resolve."""

    countChanged = Signal(int)
    notify = Signal(str, str)
    appointmentSelected = Signal(int)
    appointmentActivated = Signal(int)  # double-click or Enter on an alert: open its appointment's card
    technicianSelected = Signal(int)

    def __init__(self, api: ApiClient, store: Store, parent: QWidget | None = None, tick_ms: int = 5000):
        super().__init__(parent)
        self.api = api
        self.store = store
        self.model = AlertModel(store, self)
        self.loaded = False
        self.dialog: Any = None

        title = QLabel("Alerts")
        f = title.font()
        f.setPointSizeF(f.pointSizeF() + 2)
        f.setBold(True)
        title.setFont(f)
        self.count_label = QLabel("")
        self.count_label.setStyleSheet("color: palette(placeholder-text);")
        self.sound_box = QCheckBox("Sound")
        self.sound_box.setToolTip("Play a sound when a technician is reported LATE")
        self.sound_box.setChecked(QSettings().value(SOUND_KEY, False, type=bool))
        self.sound_box.toggled.connect(lambda on: QSettings().setValue(SOUND_KEY, on))
        head = QHBoxLayout()
        head.addWidget(title)
        head.addWidget(self.count_label)
        head.addStretch(1)
        head.addWidget(self.sound_box)

        self.view = RowListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(AlertDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # cards elide, never scroll
        self.view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.view.setAccessibleName("Open alerts")
        self.view.setStyleSheet("QListView { background: palette(window); border: none; }")
        self.selection = AlertSelection(self)  # the list drives the grid and opens cards
        self.empty = QLabel("No open alerts.\nEvery technician is on time.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: palette(placeholder-text); font-size: 11pt; background: palette(window);")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)

        self.ack_btn = QPushButton("Acknowledge")
        self.ack_btn.setToolTip("Tell the other dispatchers you are handling this")
        self.call_btn = QPushButton("Call tech")
        self.msg_btn = QPushButton("Message tech")
        self.reassign_btn = QPushButton("Reassign…")
        self.reschedule_btn = QPushButton("Reschedule…")
        self.resolve_btn = QPushButton("Resolve…")
        self.ack_btn.clicked.connect(self.on_acknowledge)
        self.call_btn.clicked.connect(self.on_call)
        self.msg_btn.clicked.connect(self.on_message)
        self.reassign_btn.clicked.connect(self.on_reassign)
        self.reschedule_btn.clicked.connect(self.on_reschedule)
        self.resolve_btn.clicked.connect(self.on_resolve)
        self.buttons = [self.ack_btn, self.call_btn, self.msg_btn, self.reassign_btn, self.reschedule_btn,
                        self.resolve_btn]
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for b in self.buttons[:3]:
            row1.addWidget(b)
        for b in self.buttons[3:]:
            row2.addWidget(b)
        self.ack_btn.setStyleSheet("font-weight: 600;")
        self.busy = _Busy()
        self.tasks = TaskSet(lambda text: self.busy.done(text, error=True))

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        lay.addLayout(head)
        lay.addWidget(self.stack, 1)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addWidget(self.busy)

        self.model.rowsInserted.connect(self._on_count)
        self.model.rowsRemoved.connect(self._on_count)
        self.model.modelReset.connect(self._on_count)
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self.model.tick)
        self.timer.start()
        self.notify.connect(self._desktop_notify)
        self._on_count()
        self._update_buttons()

    # --- following the store ----------------------------------------------------------------------------
    def start(self) -> None:
        st = self.store
        st.reset.connect(next_turn(self, self.reload))
        st.alertChanged.connect(self._on_alert)
        st.appointmentChanged.connect(lambda a: self._on_appointment(int(a["id"])))
        st.appointmentRemoved.connect(self._on_appointment)
        st.positionChanged.connect(self.model.technician_changed)
        st.technicianChanged.connect(lambda t: self.model.technician_changed(int(t["id"])))
        st.timeZoneChanged.connect(lambda _tz: self.model.tick())
        if st.loaded:
            self.reload()

    def reload(self) -> None:
        """Every open alert the store holds (start-up, reconnect, Refresh)."""
        current = self.current()
        self.model.set_all([AlertItem(a) for a in self.store.open_alerts()])
        self.loaded = True
        row = self.model.row_of(current.id) if current is not None else None
        if self.model.items:
            self.selection.set_quietly(row or 0)
        self._update_buttons()

    def _on_alert(self, alert: dict[str, Any]) -> None:
        alert_id = int(alert["id"])
        if not alert.get("open", True):
            self.model.remove(alert_id)
            self._update_buttons()
            return
        first = self.model.rowCount() == 0
        if self.model.upsert(AlertItem(alert)) == "inserted" and alert.get("kind") == AlertKind.LATE:
            it = self.model.items[self.model.row_of(alert_id) or 0]
            who = self.model._field(it, "technician_name") or "A technician"
            where = self.model._field(it, "customer_name") or "a customer"
            self.notify.emit("Technician running late", f"{who} has not arrived at {where}. {alert.get('message', '')}")
        if first:
            self.selection.set_quietly(0)
        self._update_buttons()

    def _on_appointment(self, appt_id: int) -> None:
        if self.model.appointment_changed(appt_id):  # only an appointment with an alert here
            self._update_buttons()

    async def appointment_of(self, it: AlertItem) -> dict[str, Any]:
        """The alert's appointment for an action: the store's, or fetched once when it is on another day."""
        appt = self.model.appt(it)
        if appt is not None:
            return appt
        assert it.appointment_id is not None
        it.fetched = await self.api.appointment(it.appointment_id)
        return it.fetched

    # --- selection --------------------------------------------------------------------------------------------
    def current(self) -> AlertItem | None:
        idx = self.view.currentIndex()
        return self.model.item(idx.row()) if idx.isValid() else None

    def select_alert(self, alert_id: int) -> bool:
        return self.selection.select(alert_id)

    def _on_current(self, cur: QModelIndex, prev: QModelIndex) -> None:
        self.selection.current_changed(cur, prev)

    def _on_count(self, *_: Any) -> None:
        n = self.model.rowCount()
        late = sum(1 for it in self.model.items if it.kind == "late")
        self.count_label.setText(f"{n} open" + (f" · {late} late" if late else ""))
        self.stack.setCurrentWidget(self.view if n else self.empty)
        self.countChanged.emit(n)

    def _update_buttons(self) -> None:
        it = self.current()
        busy = self.tasks.busy and self.busy.bar.isVisible()
        has_appt = bool(it and it.appointment_id is not None)
        has_tech = bool(it and self.model.technician_id(it) is not None)
        self.ack_btn.setEnabled(bool(it) and not busy and not (it and it.alert.get("acknowledged_by")))
        self.call_btn.setEnabled(has_tech and not busy)
        self.msg_btn.setEnabled(has_tech and not busy)
        self.reassign_btn.setEnabled(has_appt and not busy)
        self.reschedule_btn.setEnabled(has_appt and not busy)
        self.resolve_btn.setEnabled(bool(it) and not busy)

    # --- actions (async API; the buttons and dialogs call these) ---------------------------------------------
    async def _act(self, working: str, verb: str, coro: Any) -> Any:
        self.busy.working(working)
        for b in self.buttons:
            b.setEnabled(False)
        try:
            out = await coro
        except ApiError as exc:
            self.busy.done(describe_error(verb, exc), error=True)
            self._update_buttons()
            raise
        self.busy.done()
        self._update_buttons()
        return out

    async def acknowledge(self, alert_id: int) -> dict[str, Any]:
        out = await self._act("Acknowledging…", "acknowledge", self.api.acknowledge_alert(alert_id))
        self.store.apply_alert(out)
        self.busy.done(f"Acknowledged — other dispatchers see {out.get('acknowledged_by')} is on it.")
        self._update_buttons()
        return out

    async def resolve(self, alert_id: int, note: str) -> dict[str, Any]:
        out = await self._act("Resolving…", "resolve the alert", self.api.resolve_alert(alert_id, note))
        self.store.apply_alert(out)
        self.busy.done("Alert resolved.")
        self._update_buttons()
        return out

    async def message_tech(self, appt_id: int, message: str) -> dict[str, Any]:
        out = await self._act("Sending message…", "send the message", self.api.message_tech(appt_id, message))
        self.busy.done("Message queued — it goes out by SMS now.")
        return out

    def _applied(self, appt: dict[str, Any]) -> None:
        """An appointment the API answered: into the store (every panel and the grid follow)."""
        for it in self.model.items:
            if it.appointment_id == int(appt["id"]) and it.fetched is not None:
                it.fetched = appt
        self.store.upsert_appointment(appt)
        self.model.appointment_changed(int(appt["id"]))

    async def _patch(self, appt_id: int, working: str, verb: str, **changes: Any) -> dict[str, Any]:
        it = next(i for i in self.model.items if i.appointment_id == appt_id)
        version = int((await self.appointment_of(it))["version"])
        try:
            out = await self._act(working, verb, self.api.patch_appointment(appt_id, version, **changes))
        except ApiError as exc:
            current = (exc.details or {}).get("current") if isinstance(exc.details, dict) else None
            if exc.status == 412 and current:
                self._applied(current)
                self.busy.done(describe_error(verb, exc), error=True)
            raise
        self._applied(out)
        return out

    async def reassign(self, appt_id: int, technician_id: int, allow_conflicts: bool = False) -> dict[str, Any]:
        out = await self._patch(appt_id, "Reassigning…", "reassign", technician_id=technician_id,
                                allow_conflicts=allow_conflicts)
        self.busy.done(f"Reassigned to {out.get('technician_name')}; both technicians are told.")
        if out.get("technician_id") is not None:
            self.technicianSelected.emit(int(out["technician_id"]))
        return out

    async def reschedule(self, appt_id: int, start: datetime, end: datetime, allow_conflicts: bool = False
                         ) -> dict[str, Any]:
        out = await self._patch(appt_id, "Rescheduling…", "reschedule", window_start=start, window_end=end,
                                allow_conflicts=allow_conflicts)
        self.busy.done("Rescheduled; the technician is told.")
        return out

    async def candidates(self, appt_id: int, current_tech: int | None) -> dict[str, Any]:
        """The other active technicians ranked for this visit (when each can really be there, why, warnings)."""
        others = [int(t["id"]) for t in self.store.active_technicians() if int(t["id"]) != current_tech]
        if not others:
            return {"suggestions": []}
        return await self.api.suggest(appointment_id=appt_id, technician_ids=others)

    def _spawn_action(self, coro: Any) -> None:
        async def go() -> None:
            try:
                await coro
            except ApiError:
                pass  # shown in words by _act

        self.tasks.spawn(go())

    # --- button handlers --------------------------------------------------------------------------------------
    def on_acknowledge(self) -> None:
        it = self.current()
        if it is not None:
            self._spawn_action(self.acknowledge(it.id))

    def _with_appointment(self, action: Callable[[AlertItem, dict[str, Any]], None]) -> None:
        """Run a button's action with the current alert's appointment (fetched first when on another day)."""
        it = self.current()
        if it is None or it.appointment_id is None:
            return
        appt = self.model.appt(it)
        if appt is not None:
            action(it, appt)
            return

        async def fetch() -> None:
            action(it, await self.appointment_of(it))

        self.tasks.spawn(fetch(), "load the appointment")

    def on_call(self) -> None:
        def call(it: AlertItem, a: dict[str, Any]) -> None:
            tech = self.store.technicians.get(self.model.technician_id(it) or -1, {})
            name = a.get("technician_name") or "Technician"
            if not tech.get("phone"):
                self.busy.done(f"{name} has no phone number on file.", error=True)
                return
            self._show(CallTechDialog(name, str(tech["phone"]), self))

        self._with_appointment(call)

    def on_message(self) -> None:
        def message(it: AlertItem, a: dict[str, Any]) -> None:
            appt_id = int(a["id"])
            start = parse_iso_or_none(a.get("window_start"))
            when = clock_time(start, self.store.time_zone) if start else "the scheduled time"
            draft = (f"{a.get('customer_name')} at {a.get('address')} expected you at {when}. "
                     "What's your ETA? Call dispatch if you're held up.")
            self._show(MessageTechDialog(a.get("technician_name") or "Technician", draft,
                                         lambda msg: self.message_tech(appt_id, msg), self))

        self._with_appointment(message)

    def on_reassign(self) -> None:
        def reassign(_it: AlertItem, a: dict[str, Any]) -> None:
            appt_id = int(a["id"])
            current = a.get("technician_id")
            self._show(ReassignDialog(a, self.store.time_zone, lambda: self.candidates(appt_id, current),
                                      lambda tid, anyway: self.reassign(appt_id, tid, anyway), self))

        self._with_appointment(reassign)

    def on_reschedule(self) -> None:
        def reschedule(_it: AlertItem, a: dict[str, Any]) -> None:
            appt_id = int(a["id"])
            self._show(RescheduleDialog(a, self.store.time_zone,
                                        lambda s, e, anyway: self.reschedule(appt_id, s, e, anyway), self))

        self._with_appointment(reschedule)

    def on_resolve(self) -> None:
        it = self.current()
        if it is None:
            return
        alert_id = it.id
        self._show(ResolveDialog(f"{self.model.badge(it)}: {self.model.title(it)}",
                                 lambda note: self.resolve(alert_id, note), self))

    def _show(self, dialog: Any) -> None:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # --- desktop notification ---------------------------------------------------------------------------------
    def _desktop_notify(self, title: str, text: str) -> None:
        notify_desktop(title, text, warning=True, sound=self.sound_box.isChecked())

    def shutdown(self) -> None:
        self.timer.stop()
        self.tasks.cancel()
