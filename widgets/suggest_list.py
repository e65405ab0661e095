"""The ranked "who is best" list: each technician's can-be-there-at, the reason in words and warnings; the top
pick highlighted. Reusable wherever a dispatcher picks a technician (LATE reassign, booking accept, new
appointment, unassigned work): give it the API client and what to place, or plain data from `POST
/dispatch/suggest`, and listen to `chosen(technician_id)`."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from models.timefmt import DEFAULT_TIME_ZONE, clock_time, parse_iso
from services.api_client import ApiClient, ApiError
from widgets.tasks import TaskSet

Index = QModelIndex | QPersistentModelIndex
TOP_LIGHT, TOP_DARK = "#DDF3E6", "#1E4A33"
WARN_LIGHT, WARN_DARK = "#A5470D", "#F5B27A"
DataRole = Qt.ItemDataRole.UserRole + 1


class SuggestModel(QAbstractListModel):
    """Suggestions in rank order (as the server ranked them)."""

    def __init__(self, tz: str = DEFAULT_TIME_ZONE):
        super().__init__()
        self.tz = tz
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def text(self, s: dict[str, Any]) -> str:
        warn = "; ".join(w["message"] for w in s.get("warnings") or [])
        head = f"{s['name']} — can be there at {clock_time(parse_iso(s['arrive_at']), self.tz)}"
        return head + f"\n{s['reason']}" + (f"\n⚠ {warn}" if warn else "")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, Qt.ItemDataRole.ToolTipRole):
            return ("Top pick: " if s.get("top_pick") else "") + self.text(s)
        if role == DataRole:
            return s
        return None


class SuggestDelegate(QStyledItemDelegate):
    """Three lines per technician: name and arrival, reason, warnings; a green band and badge for the top pick."""

    def __init__(self, model: SuggestModel, dark: bool = False):
        super().__init__()
        self.model, self.dark = model, dark

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        s = index.data(DataRole)
        lines = 3 if s and s.get("warnings") else 2
        return QSize(320, 12 + lines * (option.fontMetrics.height() + 3))

    def paint(self, p: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        s = index.data(DataRole)
        pal = option.palette
        dark = pal.color(QPalette.ColorRole.Base).lightness() < 128
        r = option.rect.adjusted(4, 2, -4, -2)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        top = bool(s.get("top_pick"))
        p.setBrush(QColor(TOP_DARK if dark else TOP_LIGHT) if top else pal.color(QPalette.ColorRole.Base))
        border = pal.color(QPalette.ColorRole.Highlight) if selected else \
            QColor("#2E8B57") if top else pal.color(QPalette.ColorRole.Mid)
        p.setPen(QPen(border, 2.5 if selected else 1))
        p.drawRoundedRect(r, 6, 6)
        text = pal.color(QPalette.ColorRole.Text)
        fm = option.fontMetrics
        lh = fm.height() + 3
        x, y, w = r.left() + 10, r.top() + 5, r.width() - 20
        bold = QFont(option.font)
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(text)
        name = f"{s['rank']}. {s['name']}"
        p.drawText(QRect(x, y, w, lh), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        when = f"can be there at {clock_time(parse_iso(s['arrive_at']), self.model.tz)}"
        if s.get("top_pick"):
            when = "★ Top pick · " + when
        p.drawText(QRect(x, y, w, lh), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        p.setFont(option.font)
        p.drawText(QRect(x, y + lh, w, lh), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   fm.elidedText(s["reason"], Qt.TextElideMode.ElideRight, w))
        warns = s.get("warnings") or []
        if warns:
            p.setPen(QColor(WARN_DARK if dark else WARN_LIGHT))
            line = "⚠ " + " · ".join(wn["message"] for wn in warns)
            p.drawText(QRect(x, y + 2 * lh, w, lh), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(line, Qt.TextElideMode.ElideRight, w))
        p.restore()


class SuggestList(QWidget):
    """The ranked list with a status line and an "Assign" button; `chosen(tech_id)` on Assign, double-click or
    Enter."""

    chosen = Signal(int)
    loaded = Signal()

    def __init__(self, api: ApiClient | None = None, *, time_zone: str = DEFAULT_TIME_ZONE,
                 assign_text: str = "Assign", parent: QWidget | None = None):
        super().__init__(parent)
        self.api, self.tz = api, time_zone
        self.tasks = TaskSet()
        self.model = SuggestModel(time_zone)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(SuggestDelegate(self.model))
        self.view.setUniformItemSizes(False)
        self.view.setSpacing(2)
        self.view.setAccessibleName("Technicians ranked for this job")
        self.view.doubleClicked.connect(lambda _i: self._choose())
        self.view.activated.connect(lambda _i: self._choose())
        self.status = QLabel("", wordWrap=True, objectName="Muted")
        self.assign = QPushButton(assign_text)
        self.assign.setEnabled(False)
        self.assign.clicked.connect(self._choose)
        self.view.selectionModel().currentChanged.connect(lambda *_: self.assign.setEnabled(self.current() is not None))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.status)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.assign, 0, Qt.AlignmentFlag.AlignRight)

    def set_suggestions(self, answer: dict[str, Any]) -> None:
        """Show an answer of `POST /dispatch/suggest`; the top pick is selected."""
        self.tz = answer.get("time_zone") or self.tz
        self.model.tz = self.tz
        rows = answer.get("suggestions") or []
        self.model.set_rows(rows)
        top = next((i for i, s in enumerate(rows) if s.get("top_pick")), None)
        if not rows:
            self.status.setText("No technician to suggest.")
        elif top is None:
            self.status.setText("No technician can take it without a problem; each one's warnings are listed.")
        else:
            self.status.setText(f"Best: {rows[top]['name']} — {rows[top]['reason']}.")
        if rows:
            self.view.setCurrentIndex(self.model.index(top if top is not None else 0))
        self.loaded.emit()

    def load(self, **what: Any) -> None:
        """Ask the server (the arguments of `ApiClient.suggest`) and show the answer."""
        assert self.api is not None
        self.status.setText("Finding who can be there first…")
        self.assign.setEnabled(False)
        self.tasks.spawn(self._load(what))

    async def _load(self, what: dict[str, Any]) -> None:
        assert self.api is not None
        try:
            answer = await self.api.suggest(**what)
        except ApiError as exc:
            self.model.set_rows([])
            self.status.setText(f"Couldn't rank technicians: {exc.message}")
            self.loaded.emit()
            return
        self.set_suggestions(answer)

    def current(self) -> dict[str, Any] | None:
        i = self.view.currentIndex()
        return self.model.rows[i.row()] if i.isValid() else None

    def _choose(self) -> None:
        s = self.current()
        if s is not None:
            self.chosen.emit(int(s["technician_id"]))

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.tasks.cancel()
        super().closeEvent(event)


class WhoIsBestDialog(QDialog):
    """"Who is best?" for a job being booked: the ranked list in a small dialog; `picked(tech_id)` on Assign."""

    picked = Signal(int)

    def __init__(self, api: ApiClient, heading: str, *, time_zone: str = DEFAULT_TIME_ZONE,
                 assign_text: str = "Choose", parent: QWidget | None = None, **what: Any):
        super().__init__(parent)
        self.setWindowTitle("Who is best?")
        self.resize(620, 460)
        lay = QVBoxLayout(self)
        head = QLabel(heading, wordWrap=True)
        head.setTextFormat(Qt.TextFormat.PlainText)
        head.setStyleSheet("font-weight: 600;")
        lay.addWidget(head)
        self.list = SuggestList(api, time_zone=time_zone, assign_text=assign_text)
        self.list.chosen.connect(self._chosen)
        lay.addWidget(self.list, 1)
        self.list.load(**what)

    def _chosen(self, tech_id: int) -> None:
        self.picked.emit(tech_id)
        self.accept()

    def done(self, result: int) -> None:
        self.list.tasks.cancel()
        super().done(result)
