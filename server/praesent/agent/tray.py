"""The agent's icon in the desktop's system tray (Qt's QSystemTrayIcon, in the Qt application that
pywebview runs on Linux), with the menu of :func:`praesent.agent.tray_menu.menu_items`.

Qt widgets live on the GUI thread, which pywebview's loop owns. The :class:`Tray` object is made
on that thread before the loop starts; the agent's thread talks to it through Qt signals, which
Qt delivers on the thread the object belongs to (a queued connection).
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QCoreApplication, QObject, Qt, pyqtSignal, pyqtSlot
from PyQt6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PyQt6.QtWidgets import QMenu, QSystemTrayIcon

from praesent.agent.runner import emit
from praesent.agent.tray_menu import Action, AgentStatus, menu_items, status_line

ICON_PX = 64
_COLOURS = {"watching": "#2f9e8f", "paused": "#8a919c", "coaching": "#d9534f"}


def _icon(kind: str) -> QIcon:
    """A round badge with a "p", drawn here: no image file to ship or find."""
    pixmap = QPixmap(ICON_PX, ICON_PX)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(_COLOURS[kind]))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(2, 2, ICON_PX - 4, ICON_PX - 4)
    painter.setPen(QColor("white"))
    font = painter.font()
    font.setPixelSize(ICON_PX * 5 // 8)
    font.setBold(True)
    painter.setFont(font)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, "p")
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """Make it on the GUI thread; call :meth:`show` and :meth:`update` from any thread."""

    _show_requested = pyqtSignal()
    _status_changed = pyqtSignal(object)
    _hide_requested = pyqtSignal()

    def __init__(self, on_action: Callable[[Action], None]) -> None:
        super().__init__()
        # The tray names the icon after the application (X11's WM_CLASS), not "__main__.py".
        QCoreApplication.setApplicationName("praesent")
        self._on_action = on_action
        self._icon: QSystemTrayIcon | None = None
        self._menu: QMenu | None = None
        self._status = AgentStatus()
        self._show_requested.connect(self._show)
        self._status_changed.connect(self._update)
        self._hide_requested.connect(self._hide)

    def show(self) -> None:
        self._show_requested.emit()

    def update(self, status: AgentStatus) -> None:
        self._status_changed.emit(status)

    def hide(self) -> None:
        self._hide_requested.emit()

    @pyqtSlot()
    def _show(self) -> None:
        # Without a tray (no _NET_SYSTEM_TRAY_S0 owner on X11, no StatusNotifier host) nothing
        # changes: the agent runs as before, its windows appear for calls only.
        if self._icon is not None or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        self._menu = QMenu()
        self._icon = QSystemTrayIcon()
        self._icon.setContextMenu(self._menu)
        self._update(self._status)
        self._icon.show()
        emit({"type": "tray", "shown": True})

    @pyqtSlot(object)
    def _update(self, status: AgentStatus) -> None:
        self._status = status
        if self._icon is None or self._menu is None:
            return
        kind = "coaching" if status.coaching else "paused" if status.paused else "watching"
        self._icon.setIcon(_icon(kind))
        self._icon.setToolTip(f"praesent: {status_line(status)}")
        self._menu.clear()
        for item in menu_items(status):
            action = QAction(item.label, self._menu)
            if item.action is None:
                action.setEnabled(False)
            else:
                action.triggered.connect(self._trigger(item.action))
            self._menu.addAction(action)

    def _trigger(self, action: Action) -> Callable[[], None]:
        return lambda: self._on_action(action)

    @pyqtSlot()
    def _hide(self) -> None:
        if self._icon is not None:
            self._icon.hide()
