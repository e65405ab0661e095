"""The Insights panel: how the team is doing over a date range — key figures and six charts, each with its
numbers one click away and a CSV export. Loads through the API client in the background; never blocks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QEvent, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from models.insights import METRICS
from models.timefmt import DEFAULT_TIME_ZONE, clock_time
from services.api_client import ApiClient, ApiError
from widgets import insights_charts as charts
from widgets.insights_charts import ChartCard
from widgets.insights_model import (
    BACKUP_BY_TECHNICIAN,
    BY_TECHNICIAN,
    LATE_BY_GROUP,
    ON_SITE_BY_SERVICE,
    ON_TIME_BY_DAY,
    PRESETS,
    RESPONSE_BINS,
    fmt_min,
    fmt_pct,
    group_for,
    preset_range,
)
from widgets.tasks import TaskSet

QSS = {
    False: """
QFrame#InsightsCard, QFrame#InsightsTile { background: #FFFFFF; border: 1px solid #DDE3EA; border-radius: 8px; }
QLabel#InsightsCardTitle { font-weight: 700; font-size: 10.5pt; }
QLabel#TileValue { font-size: 20pt; font-weight: 700; color: #1F2933; }
QLabel#TileTitle { font-weight: 600; color: #3E4C59; }
QLabel#InsightsError { background: #FDECEA; color: #8A1C12; border: 1px solid #F3B8B0; border-radius: 6px;
                       padding: 6px 10px; }
""",
    True: """
QFrame#InsightsCard, QFrame#InsightsTile { background: #1D2127; border: 1px solid #2E343C; border-radius: 8px; }
QLabel#InsightsCardTitle { font-weight: 700; font-size: 10.5pt; color: #E4E8EE; }
QLabel#TileValue { font-size: 20pt; font-weight: 700; color: #F5F7FA; }
QLabel#TileTitle { font-weight: 600; color: #C9D1DA; }
QLabel#InsightsError { background: #4A2A17; color: #FFD9C7; border: 1px solid #D55E00; border-radius: 6px;
                       padding: 6px 10px; }
""",
}


class Tile(QFrame):
    """One key figure: a big value, what it is, and a line of detail; the tooltip says how it is counted."""

    def __init__(self, title: str, metric: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("InsightsTile")
        self.value = QLabel("—", objectName="TileValue")
        self.caption = QLabel(title, objectName="TileTitle")
        self.detail = QLabel("", objectName="Muted", wordWrap=True)
        self.setToolTip(METRICS[metric].explain)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 10)
        lay.setSpacing(0)
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.detail)
        lay.addStretch(1)

    def set_figure(self, value: str, detail: str) -> None:
        self.value.setText(value)
        self.detail.setText(detail)


class InsightsPanel(QWidget):
    """Date range (presets or custom), technician and service filters; `loaded` once figures are on screen."""

    loaded = Signal()

    def __init__(self, api: ApiClient, parent: QWidget | None = None, *,
                 today: Callable[[str], date] | None = None, debounce_ms: int = 250):
        super().__init__(parent)
        self.api = api
        self.tasks = TaskSet()
        self.tz = DEFAULT_TIME_ZONE
        self._today = today or (lambda tz: datetime.now(ZoneInfo(tz)).date())
        self._generation = 0
        self.result: dict[str, Any] | None = None
        self.by_tech: dict[str, Any] | None = None
        self.dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        self.timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self.timer.timeout.connect(self.reload)
        self._build()
        self.set_dark(self.dark)

    # --- construction ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.preset = QComboBox(toolTip="Which days to look at (in the company's time zone)")
        for key, label in PRESETS:
            self.preset.addItem(label, key)
        self.first, self.last = QDateEdit(calendarPopup=True), QDateEdit(calendarPopup=True)
        for edit in (self.first, self.last):
            edit.setDisplayFormat("ddd, MMM d, yyyy")
            edit.dateChanged.connect(self._dates_edited)
        self.tech = QComboBox(toolTip="Only the visits of one technician")
        self.tech.addItem("All technicians", None)
        self.service = QComboBox(toolTip="Only one service type")
        self.service.addItem("All services", None)
        self.refresh_btn = QPushButton("Refresh")
        self.refresh_btn.clicked.connect(self.reload)
        self.status = QLabel("", objectName="Muted")
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.tech.currentIndexChanged.connect(lambda _i: self.timer.start())
        self.service.currentIndexChanged.connect(lambda _i: self.timer.start())
        bar = QHBoxLayout()
        title = QLabel("Insights", objectName="StatusTitle")
        bar.addWidget(title)
        bar.addSpacing(16)
        for w in (self.preset, self.first, QLabel("to"), self.last, self.tech, self.service, self.refresh_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.status)
        self.error = QLabel("", objectName="InsightsError", wordWrap=True)
        self.error.hide()
        self.tiles = {
            "on_time": Tile("On time", "on_time_pct"), "late": Tile("LATE alerts", "late_alerts"),
            "booking": Tile("Booking response (median)", "booking_median_min"),
            "visits": Tile("Visits completed", "completed"), "drive": Tile("Drive time (average)", "drive_avg_min"),
            "backup": Tile("Backup statusing", "backup_pct"), "survey": Tile("Survey score", "stars_avg")}
        tiles = QHBoxLayout()
        for t in self.tiles.values():
            tiles.addWidget(t, 1)
        self.cards = {
            "on_time": ChartCard("On time per day", ON_TIME_BY_DAY, "on-time-per-day"),
            "tech": ChartCard("On time per technician", BY_TECHNICIAN, "by-technician"),
            "late": ChartCard("How LATE alerts ended", LATE_BY_GROUP, "late-alerts"),
            "booking": ChartCard("Booking response time", RESPONSE_BINS, "booking-response"),
            "on_site": ChartCard("Time on site by service", ON_SITE_BY_SERVICE, "time-on-site"),
            "backup": ChartCard("Backup statusing by technician", BACKUP_BY_TECHNICIAN, "backup-statusing")}
        for card in self.cards.values():
            card.exported.connect(lambda path: self.status.setText(f"Saved {path}"))
        grid = QGridLayout()
        grid.setSpacing(10)
        for i, card in enumerate(self.cards.values()):
            grid.addWidget(card, i // 3, i % 3)
        for r in range(2):
            grid.setRowStretch(r, 1)
        body = QWidget()
        col = QVBoxLayout(body)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(tiles)
        col.addLayout(grid, 1)
        scroll = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 12)
        lay.addLayout(bar)
        lay.addWidget(self.error)
        lay.addWidget(scroll, 1)
        self.preset.blockSignals(True)  # start() loads once the company's time zone is known
        self.preset.setCurrentIndex(self.preset.findData("30"))
        self.preset.blockSignals(False)

    # --- filters ---------------------------------------------------------------------------------------------
    def today(self) -> date:
        return self._today(self.tz)

    def _preset_chosen(self, _index: int) -> None:
        key = self.preset.currentData()
        if key != "custom":
            first, last = preset_range(key, self.today())
            self._set_dates(first, last)
        self.timer.start()

    def _set_dates(self, first: date, last: date) -> None:
        for edit, day in ((self.first, first), (self.last, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _dates_edited(self, _d: QDate) -> None:
        first, last = self.range()
        if first > last:  # keep the range the right way round
            self._set_dates(*((last, last) if self.sender() is self.last else (first, first)))
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData("custom"))
        self.preset.blockSignals(False)
        self.timer.start()

    def set_range(self, first: date, last: date) -> None:
        """Show a custom range (and load it)."""
        self._set_dates(first, last)
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.findData("custom"))
        self.preset.blockSignals(False)
        self.timer.start()

    def range(self) -> tuple[date, date]:
        return self.first.date().toPython(), self.last.date().toPython()  # type: ignore[return-value]

    # --- loading ---------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Load the company's time zone and the filter lists, then the figures."""
        self.tasks.spawn(self._start())

    async def _start(self) -> None:
        try:
            company, techs = await asyncio.gather(self.api.company(), self.api.technicians())
        except ApiError as exc:
            self._fail(exc)
            return
        self.tz = company.get("time_zone") or DEFAULT_TIME_ZONE
        for t in sorted(techs, key=lambda t: t["name"]):
            self.tech.addItem(t["name"], t["id"])
        self._add_services(company.get("bookable_services") or [])
        if self.preset.currentData() != "custom":
            self._set_dates(*preset_range(self.preset.currentData(), self.today()))
        self.reload()

    def _add_services(self, names: list[str]) -> None:
        have = {self.service.itemText(i) for i in range(1, self.service.count())}
        for name in sorted(set(names) - have):
            self.service.addItem(name, name)

    def reload(self) -> None:
        self.timer.stop()
        self._generation += 1
        self.status.setText("Loading…")
        self.refresh_btn.setEnabled(False)
        self.tasks.spawn(self._load(self._generation))

    async def _load(self, generation: int) -> None:
        first, last = self.range()
        tech, service = self.tech.currentData(), self.service.currentData()
        try:
            by_time, by_tech = await asyncio.gather(
                self.api.insights(first, last, group_by=group_for(first, last), technician_id=tech,
                                  service_type=service),
                self.api.insights(first, last, group_by="technician", technician_id=tech, service_type=service))
        except ApiError as exc:
            if generation == self._generation:
                self._fail(exc)
            return
        if generation != self._generation:  # the filters changed while this was on its way
            return
        self.error.hide()
        self.refresh_btn.setEnabled(True)
        self.status.setText(f"Updated {clock_time(datetime.now(ZoneInfo(self.tz)), self.tz)}")
        self.show_result(by_time, by_tech)
        self.loaded.emit()

    def _fail(self, exc: ApiError) -> None:
        self.refresh_btn.setEnabled(True)
        self.status.setText("")
        self.error.setText(f"Couldn't load the insights: {exc.message}")
        self.error.show()

    # --- showing ---------------------------------------------------------------------------------------------
    def show_result(self, by_time: dict[str, Any], by_tech: dict[str, Any]) -> None:
        self.result, self.by_tech = by_time, by_tech
        t, groups, people = by_time["totals"], by_time["groups"], by_tech["groups"]
        self._add_services([s["service_type"] for s in by_time["on_site_by_service"]])
        self._tiles(t)
        weekly = by_time["group_by"] == "week"
        c = self.cards
        c["on_time"].title.setText("On time per week" if weekly else "On time per day")
        c["on_time"].show_data(charts.on_time_line(groups, c["on_time"].hover), groups,
                               f"{fmt_pct(t['on_time_pct'])} within the window, {fmt_pct(t['on_time_15_pct'])} "
                               f"within +15 min · {t['scored']} visits scored", "No visits were due in this period.")
        c["tech"].show_data(charts.tech_bars(people, t["on_time_pct"], c["tech"].hover), people,
                            f"Company {fmt_pct(t['on_time_pct'])} (dashed line); red bars are below it. "
                            "Hover a bar for details.",
                            "No visits were due in this period.")
        c["late"].show_data(charts.causes_stack(groups, by_time["late_causes"], c["late"].hover),
                            [g for g in groups if g["late_alerts"]] or [],
                            f"{t['late_alerts']} LATE alerts · {t['late_open']} still open · average "
                            f"{fmt_min(t['late_overdue_avg_min'])} overdue",
                            "No LATE alerts in this period.")
        b = by_time["booking"]
        c["booking"].show_data(charts.histogram(b["histogram"], c["booking"].hover), b["histogram"],
                               f"Requests by time to the first answer · median {fmt_min(b['median_min'])} · "
                               f"90 % within {fmt_min(b['p90_min'])} · "
                               f"{fmt_pct(t['bookings_within_reminder_pct'])} before the 48-hour reminder"
                               + (" · all technicians (the office answers requests)"
                                  if by_time["technician_id"] is not None else ""),
                               "No booking requests in this period.")
        svc = by_time["on_site_by_service"]
        c["on_site"].show_data(charts.service_bars(svc, c["on_site"].hover), svc,
                               f"Average {fmt_min(t['on_site_avg_min'])} on site over {t['on_site_visits']} visits",
                               "No visits were clocked out in this period.")
        c["backup"].show_data(charts.backup_bars(people, c["backup"].hover), people,
                              f"{t['backup_changes']} of {t['status_changes']} field-app status changes made by "
                              f"dispatch ({fmt_pct(t['backup_pct'])})", "No field-app status changes in this period.")

    def _tiles(self, t: dict[str, Any]) -> None:
        tiles = self.tiles
        tiles["on_time"].set_figure(fmt_pct(t["on_time_pct"]), f"{t['on_time']} of {t['scored']} visits · +15 min: "
                                                          f"{fmt_pct(t['on_time_15_pct'])}")
        tiles["late"].set_figure(f"{t['late_alerts']}", f"avg {fmt_min(t['late_overdue_avg_min'])} overdue · "
                                                 f"{t['late_open']} still open")
        tiles["booking"].set_figure(fmt_min(t["booking_median_min"]),
                              f"{fmt_pct(t['bookings_within_reminder_pct'])} answered within 48 h · "
                              f"{t['bookings']} requests")
        tiles["visits"].set_figure(f"{t['completed']}", f"{t['paused']} paused for a follow-up · {t['cancelled']} "
                                                 f"cancelled · of {t['visits']} visits")
        tiles["drive"].set_figure(fmt_min(t["drive_avg_min"]), f"median {fmt_min(t['drive_median_min'])} · on site "
                                                         f"avg {fmt_min(t['on_site_avg_min'])}")
        tiles["backup"].set_figure(fmt_pct(t["backup_pct"]), f"{t['backup_changes']} of {t['status_changes']} "
                                                       "field-app changes made by dispatch")
        stars = "—" if t["stars_avg"] is None else f"{t['stars_avg']:.2f} ★"
        tiles["survey"].set_figure(stars, f"{t['surveys_stars']} ratings" + (
            f" · NPS {t['nps']:+d} ({t['surveys_nps']})" if t["nps"] is not None else ""))

    # --- theme -----------------------------------------------------------------------------------------------
    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self._restyling = True  # a style sheet re-polishes the palette: not a theme switch
        self.setStyleSheet(QSS[dark])
        self._restyling = False
        for card in self.cards.values():
            card.set_dark(dark)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """Follow the application's theme when it switches (the palette changes)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and not getattr(self, "_restyling", False):
            dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
            if dark != self.dark:
                self.set_dark(dark)

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.tasks.cancel()
        super().closeEvent(event)
