"""The prompt and the overlay in their own always-on-top windows (pywebview: Qt WebEngine on
Linux, WebView2 on Windows, WKWebView on macOS), reusing the overlay page ``praesent serve``
serves. The overlay window is at least 320 x 200, keeps its place between calls, and floats
above a full-screen call app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import threading
import urllib.request
import webbrowser
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from praesent.agent.memory import Memory, Place
from praesent.agent.runner import Agent, AgentOptions, CallCalendar, Platform
from praesent.agent.tray_menu import Action, AgentStatus

if TYPE_CHECKING:
    from praesent.agent.tray import Tray

MIN_SIZE = (320, 200)
PROMPT_SIZE = (420, 250)
_IDLE = (
    "<!doctype html><title>praesent</title><body style='font:14px system-ui;"
    "background:#1d2430;color:#f2f4f7'>praesent is waiting for a call.</body>"
)


class WebviewDisplay:
    def __init__(self, memory: Memory) -> None:
        import webview

        self._webview: Any = webview
        self._memory = memory
        place = memory.window or Place(40, 40, 360, 240)
        window = webview.create_window(
            "praesent",
            html=_IDLE,
            x=place.x,
            y=place.y,
            width=max(place.width, MIN_SIZE[0]),
            height=max(place.height, MIN_SIZE[1]),
            min_size=MIN_SIZE,
            on_top=True,
            hidden=True,
        )
        assert window is not None
        self.overlay: Any = window
        self.overlay.events.moved += self._moved
        self.overlay.events.resized += self._resized
        # Both windows live as long as the agent and are hidden when not needed: Qt ends the
        # application when its last window is destroyed.
        prompt = webview.create_window(
            "praesent: coach this call?",
            html=_IDLE,
            width=PROMPT_SIZE[0],
            height=PROMPT_SIZE[1],
            min_size=MIN_SIZE,
            on_top=True,
            hidden=True,
        )
        assert prompt is not None
        self._prompt: Any = prompt
        self._prompt_url: str | None = None
        self.quitting = False
        # Closing a window hides it instead: closing the prompt declines this call (as "Not this
        # call"), closing the overlay leaves the call coached and the agent running.
        prompt.events.closing += self._prompt_closing
        window.events.closing += self._overlay_closing

    def _prompt_closing(self) -> bool:
        if self.quitting:
            return True
        url, self._prompt_url = self._prompt_url, None
        if url is not None:
            threading.Thread(target=decline, args=(url,), daemon=True).start()
        threading.Thread(target=self._prompt.hide, daemon=True).start()
        return False

    def _overlay_closing(self) -> bool:
        if self.quitting:
            return True
        threading.Thread(target=self.overlay.hide, daemon=True).start()
        return False

    def _moved(self, x: int, y: int) -> None:
        w = self._memory.window or Place(x, y, 360, 240)
        self._memory.place_window(Place(x, y, w.width, w.height))

    def _resized(self, width: int, height: int) -> None:
        w = self._memory.window or Place(40, 40, width, height)
        self._memory.place_window(Place(w.x, w.y, width, height))

    def show_prompt(self, url: str) -> None:
        self._prompt_url = url
        self._prompt.load_url(url)
        self._prompt.show()

    def close_prompt(self) -> None:
        self._prompt_url = None
        self._prompt.hide()
        self._prompt.load_html(_IDLE)

    def show_overlay(self, url: str) -> None:
        self.overlay.load_url(url)
        self.overlay.show()

    def quit(self) -> None:
        """Close both windows for good: the web view's loop ends with the last one."""
        self.quitting = True
        self._prompt.destroy()
        self.overlay.destroy()


def decline(prompt_url: str) -> None:
    """Answer "not this call" through the prompt's own endpoint (its token in the address)."""
    base, _, token = prompt_url.partition("?token=")
    body = json.dumps({"coach": False, "customer_informed": False, "remember": False}).encode()
    request = urllib.request.Request(
        f"{base}/answer",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Praesent-Agent": token},
    )
    with contextlib.suppress(OSError):  # the call ended meanwhile (410) or the agent is gone
        urllib.request.urlopen(request, timeout=5).close()


def run_with_windows(
    options: AgentOptions, platform: Platform, calendar: CallCalendar | None = None
) -> int:
    import webview

    if os.name == "posix" and os.geteuid() == 0:
        # Chromium refuses its sandbox as root (a container, a test under Xvfb).
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    memory = Memory.load(options.memory_path)
    display = WebviewDisplay(memory)
    stopping_set = threading.Event()
    loop_ready: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    gui: Literal["qt"] | None = "qt" if os.name == "posix" and not _is_mac() else None
    last_report: list[str] = []

    def on_status(status: AgentStatus) -> None:
        if status.last_report is not None:
            last_report[:] = [status.last_report]
        if tray is not None:
            tray.update(status)

    agent = Agent(options, platform, display, calendar, memory, on_status)

    def on_action(action: Action) -> None:
        """The tray menu's choice, on the GUI thread."""
        if action in ("pause", "resume"):
            agent.set_paused(action == "pause")
        elif action == "quit":
            stop()  # as SIGTERM: a call in progress is finalised, then the windows close
        elif last_report:
            report = last_report[0]
            threading.Thread(target=webbrowser.open, args=(report,), daemon=True).start()

    # The tray icon lives in pywebview's Qt application (Linux); made here, on the GUI thread.
    tray = _tray(on_action) if gui == "qt" else None

    def agent_thread() -> None:
        async def main() -> None:
            stopping = asyncio.Event()
            loop_ready.append((asyncio.get_running_loop(), stopping))
            if stopping_set.is_set():
                stopping.set()
            await agent.run(stopping)

        if tray is not None:
            tray.show()
        asyncio.run(main())
        if tray is not None:
            tray.hide()
        display.quit()

    def stop(*_: object) -> None:
        stopping_set.set()
        for loop, stopping in loop_ready:
            if not loop.is_closed():  # the agent may have ended already
                loop.call_soon_threadsafe(stopping.set)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    worker = threading.Thread(target=agent_thread, name="agent")
    webview.start(worker.start, gui=gui)
    # The seller closed the windows: the call in progress is finalised before the agent ends.
    stop()
    worker.join()
    return 0


def _tray(on_action: Callable[[Action], None]) -> Tray | None:
    try:
        from praesent.agent.tray import Tray
    except ImportError:  # no Qt widgets: no tray icon, the agent runs as before
        return None
    return Tray(on_action)


def _is_mac() -> bool:
    import sys

    return sys.platform == "darwin"
