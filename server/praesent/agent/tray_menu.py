"""What the tray icon's menu shows for the agent's state: a pure function, tested without a tray.

The tray glue (:mod:`praesent.agent.tray`) only turns these items into a Qt menu and calls the
action of the item that was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Action = Literal["open_report", "pause", "resume", "quit"]


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """The agent's state as the seller sees it."""

    paused: bool = False
    call: str | None = None  # the app's label ("Zoom") while a call is on
    coaching: bool = False  # the seller said yes for the call now on
    last_report: str | None = None  # the report of the last coached call that ended


@dataclass(frozen=True, slots=True)
class MenuItem:
    label: str
    action: Action | None = None  # None: a line of text, not clickable


def status_line(status: AgentStatus) -> str:
    """The menu's first line and the icon's tooltip."""
    if status.call is not None and status.coaching:
        return f"Coaching: {status.call} call"
    if status.call is not None:
        return f"{status.call} call: waiting for your answer"
    if status.paused:
        return "Paused: not watching for calls"
    return "Watching for calls"


def menu_items(status: AgentStatus) -> list[MenuItem]:
    items = [MenuItem(status_line(status))]
    if status.last_report is not None:
        items.append(MenuItem("Open the last report", "open_report"))
    items.append(
        MenuItem("Resume watching", "resume")
        if status.paused
        else MenuItem("Pause watching", "pause")
    )
    items.append(MenuItem("Quit", "quit"))
    return items
