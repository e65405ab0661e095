"""Insights charts (Qt Charts): a card per chart with its numbers one click away, CSV export, hover read-outs,
an empty state, and colours that follow the light or dark theme."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, QPointF, Qt, QTime, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.insights_model import Column, FigureTable, fmt_min, fmt_pct

Hover = Callable[[str | None], None]
# Okabe–Ito colours (readable with colour-blindness), as on the schedule.
BLUE, ORANGE, GREEN, RED = "#0072B2", "#E69F00", "#009E73", "#D55E00"
SKY, PURPLE, GREY = "#56B4E9", "#CC79A7", "#8C8C8C"
CAUSE_COLORS = {"arrived": GREEN, "reassigned": ORANGE, "rescheduled": SKY, "cancelled": GREY,
                "acknowledged": PURPLE, "open": RED}
THEMES = {False: {"bg": "#FFFFFF", "text": "#1F2933", "muted": "#5B6776", "grid": "#E3E8EE", "line": "#B8C2CC"},
          True: {"bg": "#1D2127", "text": "#E4E8EE", "muted": "#9AA4AF", "grid": "#2E343C", "line": "#4A525C"}}


class ChartCard(QFrame):
    """A titled chart with a read-out line, a Table/Chart switch, CSV export and an empty state."""

    exported = Signal(str)

    def __init__(self, title: str, columns: list[Column], file_stem: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("InsightsCard")
        self.file_stem, self.summary, self.dark, self.has_chart = file_stem, "", False, False
        self.model = FigureTable(columns, self)
        self.title = QLabel(title, objectName="InsightsCardTitle")
        self.readout = QLabel("", objectName="Muted", wordWrap=True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Two lines, whatever the text: a long read-out wraps instead of widening the card, and hovering
        # from bar to bar does not make the chart jump.
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.readout.setFixedHeight(2 * self.readout.fontMetrics().lineSpacing() + 2)
        self.title.setMinimumWidth(40)  # a narrow window clips the title rather than widening the card
        self.table_btn = QToolButton(text="Table", checkable=True, toolTip="Show the numbers behind this chart")
        self.table_btn.toggled.connect(self._show_table)
        self.csv_btn = QToolButton(text="Export CSV…", toolTip="Save these numbers as a CSV file")
        self.csv_btn.clicked.connect(self._ask_export)
        self.view = QChartView()
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(220)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(24)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.empty = QLabel("", objectName="EmptyState", alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.stack = QStackedWidget()
        for w in (self.view, self.table, self.empty):
            self.stack.addWidget(w)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.table_btn)
        head.addWidget(self.csv_btn)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.setSpacing(4)
        lay.addLayout(head)
        lay.addWidget(self.readout)
        lay.addWidget(self.stack, 1)

    # --- content --------------------------------------------------------------------------------------------
    def show_data(self, chart: QChart | None, rows: list[dict[str, Any]], summary: str, empty_text: str) -> None:
        """Show a chart and the rows behind it, or `empty_text` when there is nothing to draw."""
        self.model.set_rows(rows)
        self.summary = summary
        self.readout.setText(summary)
        self.has_chart = chart is not None
        self.table_btn.setEnabled(bool(rows))
        self.csv_btn.setEnabled(bool(rows))
        self.empty.setText(empty_text)
        if chart is not None:
            old = self.view.chart()
            style(chart, self.dark)
            self.view.setChart(chart)
            if old is not None and old is not chart:
                old.deleteLater()
        self._show_table(self.table_btn.isChecked() and bool(rows))

    def hover(self, text: str | None) -> None:
        """Hovering a point or bar shows its values in the read-out line (and a tooltip)."""
        self.readout.setText(text or self.summary)
        self.view.setToolTip(text or "")

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        self.view.setBackgroundBrush(QColor(THEMES[dark]["bg"]))
        chart = self.view.chart()
        if chart is not None:
            style(chart, dark)

    def _show_table(self, on: bool) -> None:
        self.table_btn.setText("Chart" if on else "Table")
        self.table_btn.setToolTip("Back to the chart" if on else "Show the numbers behind this chart")
        self.stack.setCurrentWidget(self.table if on else (self.view if self.has_chart else self.empty))

    # --- CSV ------------------------------------------------------------------------------------------------
    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, f"Export “{self.title.text()}” as CSV",
                                              str(Path.home() / f"{self.file_stem}.csv"), "CSV files (*.csv)")
        if path:
            self.export_csv(path)

    def export_csv(self, path: str) -> None:
        Path(path).write_text(self.model.csv_text(), encoding="utf-8")
        self.exported.emit(path)


def style(chart: QChart, dark: bool) -> None:
    """Colours of the theme for the chart's background, texts, axes, grid and legend."""
    t = THEMES[dark]
    chart.setBackgroundBrush(QColor(t["bg"]))
    chart.setBackgroundRoundness(0)
    chart.setPlotAreaBackgroundVisible(False)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.legend().setLabelColor(QColor(t["text"]))
    chart.legend().setShowToolTips(True)
    legend_font = QFont()
    legend_font.setPointSizeF(8.5)
    chart.legend().setFont(legend_font)
    small = QFont()
    small.setPointSizeF(8.5)
    for axis in chart.axes():
        axis.setTruncateLabels(False)
        axis.setLabelsColor(QColor(t["muted"]))
        axis.setLabelsFont(small)
        axis.setGridLineColor(QColor(t["grid"]))
        axis.setLinePenColor(QColor(t["line"]))
        axis.setTitleBrush(QColor(t["muted"]))
    for series in chart.series():
        if isinstance(series, QLineSeries) and series.property("average"):
            series.setPen(QPen(QColor(t["text"]), 1.5, Qt.PenStyle.DashLine))
        for bar_set in series.barSets() if hasattr(series, "barSets") else ():
            bar_set.setBorderColor(bar_set.color())  # no light outline around bars on a dark background


def _chart() -> QChart:
    c = QChart()
    c.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    c.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    return c


def _percent_axis(values: list[float], top: float = 100.0) -> QValueAxis:
    """Percent up to `top`, zoomed to the tens below the lowest value when everything is high (85–100 %
    differences matter to a dispatcher and vanish on a full scale); a little headroom keeps 100 % points whole."""
    lo = max(0, int((min(values, default=0) - 5) // 10) * 10)
    step = 10 if top - lo <= 50 else 20
    ax = QValueAxis()
    ax.setRange(lo, top + (top - lo) * 0.03)
    ax.setTickType(QValueAxis.TickType.TicksDynamic)
    ax.setTickAnchor(lo)
    ax.setTickInterval(step)
    ax.setLabelFormat("%.0f %%")
    return ax


def _elide(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _msecs(day: date) -> float:
    return float(QDateTime(day, QTime(0, 0)).toMSecsSinceEpoch())


def on_time_line(groups: list[dict[str, Any]], hover: Hover) -> QChart | None:
    """On time % per day or week: within the window, and within the window + 15 min."""
    shown = [g for g in groups if g["scored"]]
    if not shown:
        return None
    chart = _chart()
    x = QDateTimeAxis()
    x.setFormat("MMM d")
    x.setTickCount(min(8, max(2, len(groups))))
    days = [date.fromisoformat(g["key"]) for g in groups]
    x.setRange(QDateTime(days[0], QTime(0, 0)), QDateTime(days[-1], QTime(0, 0)))
    y = _percent_axis([g[k] for g in shown for k in ("on_time_pct", "on_time_15_pct")])
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    by_x = {_msecs(date.fromisoformat(g["key"])): g for g in shown}
    for key, name, color, width in (("on_time_15_pct", "Within +15 min", ORANGE, 1.6),
                                    ("on_time_pct", "Within the window", BLUE, 2.4)):
        s = QLineSeries(name=name)
        s.setPen(QPen(QColor(color), width))
        s.setPointsVisible(True)
        s.setMarkerSize(6)
        for g in shown:
            s.append(QPointF(_msecs(date.fromisoformat(g["key"])), g[key]))
        chart.addSeries(s)
        s.attachAxis(x)
        s.attachAxis(y)

        def on_hover(point: QPointF, state: bool, label: str = name, field: str = key) -> None:
            g = by_x.get(min(by_x, key=lambda k: abs(k - point.x()))) if state and by_x else None
            hover(None if g is None else f"{g['label']}: {fmt_pct(g[field])} {label.lower()} "
                                         f"({g[field.replace('_pct', '')]} of {g['scored']} visits)")
        s.hovered.connect(on_hover)
    if len(groups) == 1:
        x.setRange(QDateTime(days[0], QTime(0, 0)).addDays(-1), QDateTime(days[0], QTime(0, 0)).addDays(1))
    return chart


def tech_bars(groups: list[dict[str, Any]], average: float | None, hover: Hover) -> QChart | None:
    """On time % per technician, worst at the top, coloured against the company average (dashed line)."""
    rows = sorted((g for g in groups if g["on_time_pct"] is not None and g["technician_id"] is not None),
                  key=lambda g: (-g["on_time_pct"], g["label"]))
    if not rows:
        return None
    chart = _chart()
    below, above = QBarSet("Below average"), QBarSet("Above average")
    below.setColor(QColor(RED))
    above.setColor(QColor(BLUE))
    for g in rows:
        low = average is not None and g["on_time_pct"] < average
        below.append(g["on_time_pct"] if low else 0)
        above.append(0 if low else g["on_time_pct"])
    series = QHorizontalStackedBarSeries()
    series.append(below)
    series.append(above)
    series.setBarWidth(0.7)
    chart.addSeries(series)
    names = QBarCategoryAxis()
    names.append([g["label"] for g in rows])
    x = _percent_axis([g["on_time_pct"] for g in rows] + ([average] if average is not None else []))
    chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(names)
    series.attachAxis(x)

    def on_hover(state: bool, i: int) -> None:
        g = rows[i] if state and 0 <= i < len(rows) else None
        hover(None if g is None else f"{g['label']}: {fmt_pct(g['on_time_pct'])} on time "
                                     f"({g['on_time']} of {g['scored']}), {g['late_alerts']} LATE alerts")
    for s in (below, above):
        s.hovered.connect(on_hover)
    if average is not None:
        line = QLineSeries(name=f"Company {fmt_pct(average)}")
        line.setProperty("average", True)
        line.append(average, -0.5)
        line.append(average, len(rows) - 0.5)
        chart.addSeries(line)
        line.attachAxis(x)
        line.attachAxis(names)
    return chart


def _category_axis(labels: list[str]) -> QBarCategoryAxis:
    ax = QBarCategoryAxis()
    ax.append(labels)
    if len(labels) > 10:
        ax.setLabelsAngle(-90)
    return ax


def causes_stack(groups: list[dict[str, Any]], causes: list[dict[str, Any]], hover: Hover) -> QChart | None:
    """LATE alerts per day or week, stacked by how they ended."""
    if not any(g["late_alerts"] for g in groups):
        return None
    chart = _chart()
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignRight)
    series = QStackedBarSeries()
    series.setBarWidth(0.8)
    for c in causes:
        s = QBarSet(c["label"])
        s.setColor(QColor(CAUSE_COLORS.get(c["cause"], GREY)))
        s.append([float(g[f"late_{c['cause']}"]) for g in groups])
        series.append(s)

        def on_hover(state: bool, i: int, label: str = c["label"], cause: str = c["cause"]) -> None:
            g = groups[i] if state and 0 <= i < len(groups) else None
            hover(None if g is None else f"{g['label']}: {g[f'late_{cause}']} of {g['late_alerts']} LATE alerts "
                                         f"— {label.lower()}")
        s.hovered.connect(on_hover)
    chart.addSeries(series)
    x = _category_axis([_short(g["label"]) for g in groups])
    y = QValueAxis()
    y.setLabelFormat("%d")
    y.setMin(0)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)
    y.applyNiceNumbers()
    return chart


def _short(label: str) -> str:
    """'Tue, Nov 3' → 'Nov 3'; 'Week of Nov 2' → 'Nov 2'."""
    return label.split(", ", 1)[-1].removeprefix("Week of ")


def histogram(bins: list[dict[str, Any]], hover: Hover) -> QChart | None:
    """Booking requests by time to the first contractor response."""
    total = sum(b["requests"] for b in bins)
    if not total:
        return None
    chart = _chart()
    s = QBarSet("Booking requests")
    s.setColor(QColor(BLUE))
    s.append([float(b["requests"]) for b in bins])
    series = QBarSeries()
    series.append(s)
    series.setBarWidth(0.9)
    chart.addSeries(series)
    chart.legend().hide()
    x = _category_axis([b["bucket"] for b in bins])
    x.setLabelsAngle(0)
    y = QValueAxis()
    y.setLabelFormat("%d")
    y.setMin(0)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    chart.addAxis(y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(x)
    series.attachAxis(y)
    y.applyNiceNumbers()

    def on_hover(state: bool, i: int) -> None:
        b = bins[i] if state and 0 <= i < len(bins) else None
        hover(None if b is None else f"{b['bucket']}: {b['requests']} of {total} requests "
                                     f"({100 * b['requests'] / total:.0f} %)")
    s.hovered.connect(on_hover)
    return chart


def service_bars(rows: list[dict[str, Any]], hover: Hover) -> QChart | None:
    """Minutes on site per service type: average and median."""
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["avg_min"])
    chart = _chart()
    series = QHorizontalBarSeries()
    for key, name, color in (("median_min", "Median", SKY), ("avg_min", "Average", BLUE)):
        s = QBarSet(name)
        s.setColor(QColor(color))
        s.append([float(r[key] or 0) for r in rows])
        series.append(s)

        def on_hover(state: bool, i: int) -> None:
            r = rows[i] if state and 0 <= i < len(rows) else None
            hover(None if r is None else f"{r['service_type']}: average {fmt_min(r['avg_min'])}, median "
                                         f"{fmt_min(r['median_min'])}, 90 % within {fmt_min(r['p90_min'])} "
                                         f"({r['visits']} visits)")
        s.hovered.connect(on_hover)
    chart.addSeries(series)
    names = QBarCategoryAxis()
    names.append([_elide(r["service_type"]) for r in rows])
    x = QValueAxis()
    x.setLabelFormat("%d min")
    x.setMin(0)
    chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(names)
    series.attachAxis(x)
    x.applyNiceNumbers()
    return chart


def backup_bars(groups: list[dict[str, Any]], hover: Hover) -> QChart | None:
    """Share of field-app status changes a dispatcher made instead of the technician, highest at the top."""
    rows = sorted((g for g in groups if g["status_changes"] and g["technician_id"] is not None),
                  key=lambda g: (g["backup_pct"], g["label"]))
    if not rows:
        return None
    chart = _chart()
    s = QBarSet("Status changes made by dispatch")
    s.setColor(QColor(PURPLE))
    s.append([float(g["backup_pct"]) for g in rows])
    series = QHorizontalBarSeries()
    series.append(s)
    series.setBarWidth(0.7)
    chart.addSeries(series)
    chart.legend().hide()
    names = QBarCategoryAxis()
    names.append([g["label"] for g in rows])
    top = max(10.0, min(100.0, (int(max(g["backup_pct"] for g in rows)) // 10 + 1) * 10.0))
    x = _percent_axis([0.0], top)
    chart.addAxis(names, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(names)
    series.attachAxis(x)

    def on_hover(state: bool, i: int) -> None:
        g = rows[i] if state and 0 <= i < len(rows) else None
        hover(None if g is None else f"{g['label']}: dispatch made {g['backup_changes']} of "
                                     f"{g['status_changes']} field-app status changes ({fmt_pct(g['backup_pct'])})")
    s.hovered.connect(on_hover)
    return chart
