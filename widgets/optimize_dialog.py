""""Optimize day…": pick one technician or all (and whether to place unassigned work), see the plan before and
after side by side with times, the totals and what moves for whom, then Apply it as one batch — asking whether
to text the affected customers (each at most once; nobody unless the dispatcher says so) — or Undo it."""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from models.availability import duration_words
from models.timefmt import DEFAULT_TIME_ZONE, clock_time, parse_iso
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

LATE, LATE_DARK = "#B4461B", "#F5B27A"
MOVED, MOVED_DARK = "#0B6E4F", "#5FD3A5"


def totals_text(t: dict[str, Any]) -> str:
    """'Drive 412 → 298 min (−28 %) · Visits at risk of missing their window 5 → 1'."""
    b, a = t["before"], t["after"]
    pct = f" ({(a['drive_min'] - b['drive_min']) / b['drive_min'] * 100:+.0f} %)" if b["drive_min"] else ""
    ot = (f" · Overtime {b.get('overtime_min', 0):.0f} → {a.get('overtime_min', 0):.0f} min"
          if b.get("overtime_min") or a.get("overtime_min") else "")
    return (f"Drive {b['drive_min']:.0f} → {a['drive_min']:.0f} min{pct.replace('-', '−')} · "
            f"Visits at risk of missing their window {b['at_risk']} → {a['at_risk']}{ot}")


def visits_html(legs: list[dict[str, Any]], tz: str, moved: set[int], locked: list[dict[str, Any]],
                dark: bool = False) -> str:
    """One line per visit: arrival time, customer, lateness; moved ones in green, late ones in orange."""
    late_c, moved_c = (LATE_DARK, MOVED_DARK) if dark else (LATE, MOVED)
    lines = [f"<span style='color:gray'>{clock_time(parse_iso(v['window_start']), tz)} {escape(v['label'])} · "
             f"{escape(v['status'].replace('_', ' '))} (stays)</span>" for v in locked]
    for v in legs:
        text = f"{clock_time(parse_iso(v['arrive_at']), tz)} {escape(v['label'])}"
        if v.get("pinned"):
            text += " 📌"
        if v["late_min"]:
            text += f" <span style='color:{late_c}'>⚠ {duration_words(v['late_min'])} past the window</span>"
        if v["appointment_id"] in moved:
            text = f"<b style='color:{moved_c}'>{text}</b>"
        lines.append(text)
    return "<br>".join(lines) or "<span style='color:gray'>No visits</span>"


class OptimizeDialog(QDialog):
    """The proposal and its application; `applied(result)` after a batch is saved (or undone)."""

    applied = Signal(dict)

    def __init__(self, api: ApiClient, technicians: list[dict[str, Any]], day: date, *,
                 time_zone: str = DEFAULT_TIME_ZONE, technician_id: int | None = None, tile_url: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.day, self.tz = api, day, time_zone
        self.tasks = TaskSet()
        self.proposal: dict[str, Any] | None = None
        self.undo: dict[str, Any] | None = None
        self.setWindowTitle(f"Optimize day — {day.strftime('%A, %B')} {day.day}")
        self.resize(1100, 720)
        root = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.who = QComboBox()
        self.who.setAccessibleName("Technicians to optimize")
        self.who.addItem("All technicians", None)
        for t in sorted(technicians, key=lambda t: t["name"]):
            self.who.addItem(t["name"], t["id"])
        if technician_id is not None:
            self.who.setCurrentIndex(max(0, self.who.findData(technician_id)))
        self.unassigned = QCheckBox("Assign unassigned work")
        self.unassigned.setToolTip("Also place unassigned visits of this day where they fit best")
        self.run_btn = QPushButton("Optimize")
        self.run_btn.setDefault(True)
        self.run_btn.clicked.connect(self.optimize)
        bar.addWidget(QLabel("Optimize"))
        bar.addWidget(self.who, 1)
        bar.addWidget(self.unassigned)
        bar.addWidget(self.run_btn)
        root.addLayout(bar)
        self.totals = QLabel("Choose who to optimize and press Optimize. Nothing changes until you apply.",
                             wordWrap=True)
        self.totals.setStyleSheet("font-size: 14px; font-weight: 600; padding: 4px 0;")
        root.addWidget(self.totals)
        split = QSplitter(Qt.Orientation.Vertical)
        self.tabs = QTabWidget()
        self.tile_url = tile_url
        self.route_map: Any = None  # built when the Map tab is first shown (a web page)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Technician", "Before", "After"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for c in (1, 2):
            self.table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.tabs.addTab(self.table, "Before and after")
        map_box = QWidget()
        self.map_lay = QVBoxLayout(map_box)
        self.map_lay.setContentsMargins(0, 4, 0, 0)
        self.show_before = QCheckBox("Also show the routes before (dashed)")
        self.show_before.toggled.connect(lambda _on: self._draw_map())
        self.map_lay.addWidget(self.show_before)
        self.tabs.addTab(map_box, "Map")
        self.tabs.currentChanged.connect(lambda i: self._draw_map() if i == 1 else None)
        split.addWidget(self.tabs)
        moves_box = QWidget()
        ml = QVBoxLayout(moves_box)
        ml.setContentsMargins(0, 0, 0, 0)
        ml.addWidget(QLabel("What moves for whom"))
        self.moves = QListWidget()
        self.moves.setAccessibleName("What moves for whom")
        ml.addWidget(self.moves)
        split.addWidget(moves_box)
        split.setSizes([480, 160])
        root.addWidget(split, 1)
        self.message = QLabel("", wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        root.addWidget(self.message)
        foot = QHBoxLayout()
        foot.addStretch(1)
        self.ask: QMessageBox | None = None
        self.undo_btn = QPushButton("Undo")
        self.undo_btn.setEnabled(False)
        self.undo_btn.clicked.connect(self.revert)
        self.apply_btn = QPushButton("Apply")
        self.apply_btn.setEnabled(False)
        self.apply_btn.clicked.connect(self.apply)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        for b in (self.undo_btn, self.apply_btn, close):
            foot.addWidget(b)
        root.addLayout(foot)

    # --- actions ------------------------------------------------------------------------------------------------
    def optimize(self) -> None:
        tech = self.who.currentData()
        self._busy("Optimizing… (a few seconds for a full day)")
        self.tasks.spawn(self._optimize([tech] if tech is not None else None, self.unassigned.isChecked()))

    async def _optimize(self, techs: list[int] | None, unassigned: bool) -> None:
        try:
            p = await self.api.optimize_day(self.day, technician_ids=techs, include_unassigned=unassigned)
        except ApiError as exc:
            self._done(f"Couldn't optimize: {exc.message}")
            return
        self.show_proposal(p)
        self._done("")

    def show_proposal(self, p: dict[str, Any]) -> None:
        """Fill the before/after table, totals and moves from an answer of `POST /dispatch/optimize`."""
        self.proposal = p
        self.tz = p.get("time_zone") or self.tz
        placed = sum(1 for m in p["moves"] if m.get("from_technician_id") is None)
        self.totals.setText(totals_text(p["totals"]) + (
            f" · {placed} unassigned visit{'s' if placed != 1 else ''} placed (counted after, not before)"
            if placed else ""))
        self._fill_table()
        self.moves.clear()
        for m in p["moves"]:
            self.moves.addItem(m["words"])
        for u in p.get("unplaced") or []:
            self.moves.addItem(f"{u['label']}: stays unassigned (no technician fits it well)")
        notes = list(p.get("notes") or [])
        if not p["moves"]:
            notes.insert(0, "The current plan is already the best found: nothing to change.")
        self.message.setText(" ".join(notes))
        self.apply_btn.setEnabled(bool(p["changes"]))
        self._draw_map()

    def _fill_table(self) -> None:
        """Each technician's visits before and after, in colours that read on the current theme."""
        p = self.proposal
        if p is None:
            return
        moved = {m["appointment_id"] for m in p["moves"]}
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        self.table.setRowCount(len(p["technicians"]))
        for r, t in enumerate(p["technicians"]):
            self.table.setItem(r, 0, QTableWidgetItem(t["name"]))
            for c, key in ((1, "before"), (2, "after")):
                lab = QLabel(visits_html(t[key], self.tz, moved if key == "after" else set(), t.get("locked", []),
                                         dark=dark))
                lab.setTextFormat(Qt.TextFormat.RichText)
                lab.setMargin(4)
                self.table.setCellWidget(r, c, lab)
        self.table.resizeRowsToContents()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() == QEvent.Type.PaletteChange:  # light/dark switched: recolour the plan
            self._fill_table()
        super().changeEvent(event)

    def _draw_map(self) -> None:
        """Each technician's route after the plan on the Map tab (built the first time it is shown)."""
        if self.tabs.currentIndex() != 1 or self.proposal is None:
            return
        if self.route_map is None:
            from widgets.route_map import RouteMap

            self.route_map = RouteMap(self.tile_url)
            self.map_lay.addWidget(self.route_map, 1)
        self.route_map.show_plan(self.proposal, self.tz, both=self.show_before.isChecked())

    def apply(self) -> QMessageBox | None:
        """Ask whether to text the customers whose visit changes (listed with the change), then save the batch."""
        if not self.proposal or not self.proposal["changes"]:
            return None
        moves = self.proposal["moves"]
        n = len(moves)
        ask = QMessageBox(QMessageBox.Icon.Question, "Text the customers?",
                          f"Text the {n} customer{'s' if n != 1 else ''} whose visit changes?", parent=self)
        ask.setInformativeText("Each gets one text with their new time or technician; nobody else is texted.")
        ask.setDetailedText("\n".join(m["words"] for m in moves))
        self.text_btn = ask.addButton("Apply and text them", QMessageBox.ButtonRole.YesRole)
        self.quiet_btn = ask.addButton("Apply without texting", QMessageBox.ButtonRole.NoRole)
        ask.addButton(QMessageBox.StandardButton.Cancel)
        ask.setDefaultButton(self.quiet_btn)
        ask.buttonClicked.connect(self._answered)
        self.ask = ask
        ask.open()
        return ask

    def _answered(self, button: Any) -> None:
        if button not in (self.text_btn, self.quiet_btn) or not self.proposal:
            self.message.setText("Not applied. Nothing changed.")
            return
        self._busy("Saving the plan…")
        self.tasks.spawn(self._apply(self.proposal["changes"], button is self.text_btn, undoing=False))

    def revert(self) -> None:
        if self.undo is None:
            return
        self._busy("Undoing…")
        # Customers who were texted about the change are texted again that it is back; the others were never told.
        self.tasks.spawn(self._apply(self.undo["changes"], bool(self.undo.get("notify_customers")), undoing=True))

    async def _apply(self, changes: list[dict[str, Any]], notify: bool, *, undoing: bool) -> None:
        try:
            result = await self.api.apply_plan(changes, notify)
        except ApiError as exc:
            if exc.status == 412:
                self._done(exc.message)
                self.apply_btn.setEnabled(False)
            else:
                self._done(f"Nothing was saved: {exc.message}")
            return
        n = len(result["saved"])
        if undoing:
            self.undo = None
            told = "Their customers get one text with the time back." if notify else "No customer was texted."
            self._done(f"Undone: {n} visit{'s' if n != 1 else ''} back where they were. {told}")
            self.apply_btn.setEnabled(False)
        else:
            self.undo = result["undo"]
            told = "Affected customers will get one text each." if notify else "No customer was texted."
            self._done(f"Applied: {n} visit{'s' if n != 1 else ''} changed. {told}")
            self.apply_btn.setEnabled(False)
        self.undo_btn.setEnabled(self.undo is not None)
        self.applied.emit(result)

    # --- state --------------------------------------------------------------------------------------------------
    def _busy(self, text: str) -> None:
        self.message.setText(text)
        for b in (self.run_btn, self.apply_btn, self.undo_btn):
            b.setEnabled(False)

    def _done(self, text: str) -> None:
        if text:
            self.message.setText(text)
        self.run_btn.setEnabled(True)
        self.undo_btn.setEnabled(self.undo is not None)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.tasks.cancel()
        super().closeEvent(event)

    def reject(self) -> None:
        self.tasks.cancel()
        super().reject()
