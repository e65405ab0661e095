"""A list view of same-height rows where a changed row repaints only itself."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtWidgets import QAbstractItemView, QListView

Index = QModelIndex | QPersistentModelIndex


class RowListView(QListView):
    """QListView for rows of one height (`uniformItemSizes`): one changed row repaints its own rectangle.

    QListView answers any dataChanged by repainting every visible row; with painted cards and a stream of
    changes to single rows that is most of a list's cost. A single changed row goes straight to
    QAbstractItemView (its rectangle, editors, accessibility); ranges and variable-height lists keep
    QListView's handling.
    """

    def dataChanged(self, topLeft: Index, bottomRight: Index, roles: Sequence[int] = ()) -> None:
        if topLeft == bottomRight and topLeft.isValid() and self.uniformItemSizes():
            QAbstractItemView.dataChanged(self, topLeft, bottomRight, list(roles))
            return
        super().dataChanged(topLeft, bottomRight, list(roles))
