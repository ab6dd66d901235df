"""The tray menu for each state of the agent (no tray, no Qt)."""

from __future__ import annotations

from praesent.agent.tray_menu import AgentStatus, MenuItem, menu_items, status_line

REPORT = "http://127.0.0.1:8000/sessions/abc/report"


def test_watching_offers_pause_and_quit_and_no_report_before_a_call() -> None:
    assert menu_items(AgentStatus()) == [
        MenuItem("Watching for calls"),
        MenuItem("Pause watching", "pause"),
        MenuItem("Quit", "quit"),
    ]


def test_paused_offers_resume() -> None:
    items = menu_items(AgentStatus(paused=True))
    assert items[0] == MenuItem("Paused: not watching for calls")
    assert [item.action for item in items] == [None, "resume", "quit"]


def test_a_call_shows_its_app_while_asking_and_while_coaching() -> None:
    assert status_line(AgentStatus(call="Zoom")) == "Zoom call: waiting for your answer"
    assert status_line(AgentStatus(call="Zoom", coaching=True)) == "Coaching: Zoom call"
    # Paused during a coached call: the call goes on until it ends, and the menu says so.
    coached_while_paused = AgentStatus(paused=True, call="Teams", coaching=True)
    assert menu_items(coached_while_paused)[0].label == "Coaching: Teams call"
    assert menu_items(coached_while_paused)[1] == MenuItem("Resume watching", "resume")


def test_the_last_report_is_offered_once_a_call_has_ended() -> None:
    items = menu_items(AgentStatus(last_report=REPORT))
    assert [item.label for item in items] == [
        "Watching for calls",
        "Open the last report",
        "Pause watching",
        "Quit",
    ]
    assert items[1].action == "open_report"
    # Only the status line is not clickable.
    assert [item.action is None for item in items] == [True, False, False, False]
