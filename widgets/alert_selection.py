"""How the alert list drives the grid: a clicked alert (even the current one) selects its appointment and then its
technician; double-click or Enter opens the card; the panel picking its own first alert stays quiet; next alert."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QObject

if TYPE_CHECKING:
    from widgets.alert_model import AlertItem
    from widgets.late_alerts import LateAlertPanel


class AlertSelection(QObject):
    def __init__(self, panel: LateAlertPanel):
        super().__init__(panel)
        self.panel = panel
        self.quiet = False
        view = panel.view
        view.selectionModel().currentChanged.connect(self.current_changed)
        view.clicked.connect(self.show_on_grid)  # also when the clicked alert already was the current one
        view.activated.connect(self.activated)

    def current_changed(self, cur: QModelIndex, _prev: QModelIndex | None = None) -> None:
        self.panel._update_buttons()
        if not self.quiet:
            self.show_on_grid(cur)

    def set_quietly(self, row: int) -> None:
        """Make a row current without moving the grid (a first alert arriving must not steal the selection)."""
        self.quiet = True
        try:
            self.panel.view.setCurrentIndex(self.panel.model.index(row, 0))
        finally:
            self.quiet = False

    def select(self, alert_id: int) -> bool:
        row = self.panel.model.row_of(alert_id)
        if row is None:
            return False
        index = self.panel.model.index(row, 0)
        if self.panel.view.currentIndex() == index:
            self.show_on_grid(index)
        else:
            self.panel.view.setCurrentIndex(index)
        return True

    def show_on_grid(self, cur: QModelIndex) -> None:
        """Select the alert's appointment on the grid, then its technician (who keeps that selection)."""
        p = self.panel
        it = p.model.item(cur.row()) if cur.isValid() else None
        if it is None:
            return
        if it.appointment_id is not None:
            p.appointmentSelected.emit(it.appointment_id)
        tech_id = p.model.technician_id(it)
        if tech_id is not None:
            p.technicianSelected.emit(tech_id)

    def activated(self, index: QModelIndex) -> None:
        it = self.panel.model.item(index.row()) if index.isValid() else None
        if it is not None and it.appointment_id is not None:
            self.panel.appointmentActivated.emit(it.appointment_id)

    def next(self) -> AlertItem | None:
        """Move to the next open alert (wrapping round to the worst one) and return it."""
        p = self.panel
        n = p.model.rowCount()
        if not n:
            return None
        cur = p.view.currentIndex()
        p.view.setCurrentIndex(p.model.index((cur.row() + 1) % n if cur.isValid() else 0, 0))
        p.view.setFocus()
        return p.current()
