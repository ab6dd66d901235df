"""The agent's tray icon under Xvfb with a real tray host (trayer, a freedesktop system tray): the
icon docks in the tray; its menu, opened with a right click and chosen from with the keyboard,
pauses the agent (a call then starts no prompt), resumes it (the next call prompts), and quits it
(the call in progress is ended first). A screenshot of the open menu goes to the test's folder, and
to ``docs`` when ``PRAESENT_AGENT_SCREENSHOTS`` names a folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.agent.test_agent_linux import Feed, Lines, _player, _recorder, _stop
from tests.agent.test_window import desktop  # noqa: F401 - the fixture
from tests.agent.tray_host import docked, open_menu, start_tray
from tests.overlay.conftest import require
from tests.support import wait_until


def _shot(env: dict[str, str], path: Path) -> None:
    """The screen's top left corner: the tray with the icon and its open menu."""
    subprocess.run(
        [require("import"), "-window", "root", "-crop", "360x130+0+0", "+repage", str(path)],
        env=env,
        check=True,
    )
    target = os.environ.get("PRAESENT_AGENT_SCREENSHOTS")
    if target:
        shutil.copy(path, Path(target) / path.name)


def test_the_tray_icon_pauses_resumes_and_quits_the_agent(
    desktop: dict[str, str],  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    tray, holder = start_tray(desktop)
    agent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "praesent.agent",
            "--url",
            "ws://127.0.0.1:9",
            "--window",
            "--state",
            str(tmp_path / "state"),
        ],
        env={**desktop, "QTWEBENGINE_DISABLE_SANDBOX": "1"},
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "agent.err").open("w"),
        text=True,
    )
    assert agent.stdout is not None
    lines = Lines(agent.stdout)
    feed = Feed(_player(desktop, "zoom", "call"))
    recorder: subprocess.Popen[bytes] | None = None
    try:
        lines.each({"watching", "tray"}, 60)
        wait_until(lambda: docked(desktop, holder) is not None, 20, "the icon docked")
        icon = docked(desktop, holder)
        assert icon is not None
        open_menu(desktop, icon, [])
        _shot(desktop, tmp_path / "agent-tray.png")
        subprocess.run(["xdotool", "key", "Down", "Return"], env=desktop, check=True)
        lines.next("paused")
        recorder = _recorder(desktop, "zoom")
        _, skipped = lines.next("skipped")
        assert skipped["reason"] == "paused"
        _stop(recorder)
        lines.next("call_ended")
        open_menu(desktop, icon, ["Down", "Return"])
        lines.next("resumed")
        recorder = _recorder(desktop, "zoom")
        lines.next("prompt")
        open_menu(desktop, icon, ["Down", "Down", "Return"])
        lines.next("call_ended")
        agent.wait(timeout=30)
    finally:
        _stop(*([recorder] if recorder is not None else []), feed.player)
        if agent.poll() is None:
            agent.terminate()
            agent.wait(timeout=30)
        _stop(tray)
    assert agent.returncode == 0
    assert [event["type"] for _, event in lines.seen].count("prompt") == 1, lines.seen
    assert "Traceback" not in (tmp_path / "agent.err").read_text()
