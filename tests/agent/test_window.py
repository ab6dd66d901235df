"""``praesent agent`` with its windows under Xvfb and a window manager (openbox): a full-screen
window stands for the call app; the prompt appears over it, is answered through its page's
endpoint, and the overlay window opens above the call app and stays there (the window manager's
"above" state) when the call app is raised; after the call the tray icon's menu opens the
report in the browser. Screenshots of both go to the test's folder, and to
``docs/img`` when ``PRAESENT_AGENT_SCREENSHOTS`` names a folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.agent.test_agent_linux import RATE, Feed, Lines, _player, _recorder, _stop
from tests.agent.tray_host import docked, open_menu, start_tray
from tests.live_server import ServerProcess, free_port
from tests.overlay.conftest import pactl, pulse_server, require
from tests.support import wait_until


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Xvfb with openbox and PulseAudio; yields the environment naming both."""
    # Xvfb picks a free display itself and writes its number to the pipe.
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        [require("Xvfb"), "-displayfd", str(write_end), "-screen", "0", "1280x800x24"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    wm: subprocess.Popen[bytes] | None = None
    try:
        with os.fdopen(read_end) as numbers:
            display = f":{numbers.readline().strip()}"
        env_x = {**os.environ, "DISPLAY": display}
        wm = subprocess.Popen([require("openbox")], env=env_x, stderr=subprocess.DEVNULL)
        wait_until(lambda: "window id" in _root(env_x, "_NET_SUPPORTING_WM_CHECK"), 20, "openbox")
        with pulse_server(tmp_path) as pulse:
            for name in ("call", "mic"):
                pactl(pulse, "load-module", "module-null-sink", f"sink_name={name}")
            pactl(pulse, "set-default-sink", "call")
            pactl(pulse, "set-default-source", "mic.monitor")
            yield {**pulse, "DISPLAY": display}
    finally:
        _stop(*([wm] if wm is not None else []), xvfb)


def _shot(env: dict[str, str], path: Path) -> Path:
    subprocess.run([require("import"), "-window", "root", str(path)], env=env, check=True)
    target = os.environ.get("PRAESENT_AGENT_SCREENSHOTS")
    if target:
        shutil.copy(path, Path(target) / path.name)
    return path


def _root(env: dict[str, str], atom: str) -> str:
    return subprocess.run(
        ["xprop", "-root", atom], env=env, capture_output=True, text=True, check=False
    ).stdout


def _windows(env: dict[str, str], name: str) -> list[str]:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", name],
        env=env,
        capture_output=True,
        text=True,
    )
    return found.stdout.split()


def test_the_prompt_and_the_overlay_window_stay_above_a_full_screen_call(
    desktop: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    server = ServerProcess(tmp_path / "data", port=free_port()).start()
    # The call app: a full-screen window of its own.
    canvas = tmp_path / "call.png"
    subprocess.run(
        [
            require("convert"),
            "-size",
            "1280x800",
            "xc:#3a3f47",
            "-fill",
            "white",
            "-pointsize",
            "40",
            "-gravity",
            "center",
            "-annotate",
            "0",
            "Video call (full screen)",
            str(canvas),
        ],
        check=True,
    )
    call_window = subprocess.Popen(
        [require("display"), "-title", "Video call", "-geometry", "1280x800+0+0", str(canvas)],
        env=desktop,
    )
    wait_until(lambda: bool(_windows(desktop, "Video call")), 20, "the call window")
    # Where the seller left the overlay window last time.
    (tmp_path / "state").mkdir()
    place = {"x": 700, "y": 60, "width": 400, "height": 260}
    (tmp_path / "state" / "agent.json").write_text(json.dumps({"window": place}))
    # A tray, and a "browser" that notes the address it is asked to open.
    tray, holder = start_tray(desktop)
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {tmp_path / "opened"}\n')
    browser.chmod(0o755)
    agent = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "praesent.agent",
            "--url",
            server.ws,
            "--window",
            "--no-transcribe",
            "--state",
            str(tmp_path / "state"),
        ],
        env={**desktop, "QTWEBENGINE_DISABLE_SANDBOX": "1", "BROWSER": str(browser)},
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "agent.err").open("w"),
        text=True,
    )
    assert agent.stdout is not None
    lines = Lines(agent.stdout)
    feed = Feed(_player(desktop, "zoom", "call"))
    recorder = _recorder(desktop, "zoom")
    try:
        lines.next("watching", 60)
        lines.next("prompt")
        _prompt_shown(desktop, tmp_path)
        _shot(desktop, tmp_path / "agent-prompt.png")
        # Closing the prompt's window (Alt+F4, the window manager's close) declines this call.
        window = _windows(desktop, "coach this call")[0]
        subprocess.run(["xdotool", "windowactivate", "--sync", window], env=desktop, check=True)
        subprocess.run(["xdotool", "key", "alt+F4"], env=desktop, check=True)
        assert lines.next("answer")[1]["coach"] is False
        wait_until(lambda: not _windows(desktop, "coach this call"), 20, "the prompt hidden")
        _stop(recorder)
        lines.next("call_ended")
        # The next call in the same app is asked again (nothing was remembered).
        recorder = _recorder(desktop, "zoom")
        lines.next("prompt")
        _prompt_shown(desktop, tmp_path)
        # Answer with the keyboard in the prompt's own window: back to "remember" and the consent
        # box, tick both, forward to "Coach this call", Enter. The page posts the answer.
        window = _windows(desktop, "coach this call")[0]
        subprocess.run(["xdotool", "windowactivate", "--sync", window], env=desktop, check=True)
        keys = ["shift+Tab", "space", "shift+Tab", "space", "Tab", "Tab", "Return"]
        subprocess.run(["xdotool", "key", "--delay", "150", *keys], env=desktop, check=True)
        _, answer = lines.next("answer")
        assert answer == {"type": "answer", "coach": True, "customer_informed": True}
        lines.next("ready")
        wait_until(lambda: bool(_windows(desktop, "^praesent$")), 30, "the overlay window")
        overlay = _windows(desktop, "^praesent$")
        call = _windows(desktop, "Video call")
        subprocess.run(["xdotool", "windowactivate", "--sync", call[0]], env=desktop, check=False)
        state = subprocess.run(
            ["xprop", "-id", overlay[0], "_NET_WM_STATE"],
            env=desktop,
            capture_output=True,
            text=True,
        ).stdout
        assert "_NET_WM_STATE_ABOVE" in state, state
        # The window manager's stacking, bottom to top: the overlay above the raised call.
        stacking = [
            int(w, 16)
            for w in _root(desktop, "_NET_CLIENT_LIST_STACKING")
            .split("#")[1]
            .replace(",", " ")
            .split()
        ]
        assert stacking.index(int(overlay[0])) > stacking.index(int(call[0])), stacking
        geometry = subprocess.run(
            ["xdotool", "getwindowgeometry", overlay[0]],
            env=desktop,
            capture_output=True,
            text=True,
        ).stdout
        position = geometry.split("Position: ")[1].split()[0].split(",")
        width, height = (int(v) for v in geometry.split("Geometry: ")[1].split()[0].split("x"))
        assert width >= 400 and height >= 260, geometry  # the remembered size
        assert abs(int(position[0]) - 700) <= 40 and abs(int(position[1]) - 60) <= 60, geometry
        # Moved by the seller: the new place is remembered for the next call.
        subprocess.run(["xdotool", "windowmove", overlay[0], "300", "400"], env=desktop, check=True)
        saved = tmp_path / "state" / "agent.json"
        wait_until(lambda: json.loads(saved.read_text())["window"]["y"] > 300, 20, "the new place")
        # The window's place and the remembered answer live in the same file: neither is lost.
        assert json.loads(saved.read_text())["apps"] == {"zoom": "always"}
        threading_wait(3.0)
        _shot(desktop, tmp_path / "agent-overlay.png")
        feed.play(np.zeros(RATE, np.int16))
        _stop(recorder)
        _, final = lines.next("final")
        threading_wait(2.0)
        _shot(desktop, tmp_path / "agent-ended.png")
        # The tray's menu now offers the report (its second item): the browser gets its address.
        icon = docked(desktop, holder)
        assert icon is not None
        open_menu(desktop, icon, ["Down", "Return"])
        opened = tmp_path / "opened"
        wait_until(lambda: opened.exists() and opened.read_text().strip() != "", 20, "a browser")
        assert opened.read_text().strip() == final["report_url"]
    finally:
        _stop(recorder, feed.player, tray)
        agent.terminate()
        agent.wait(timeout=30)
        call_window.terminate()
        call_window.wait(timeout=10)
        server.stop()
    assert agent.returncode == 0
    assert "Traceback" not in (tmp_path / "agent.err").read_text()


def threading_wait(seconds: float) -> None:
    """The overlay page connects and draws its first cues: a picture, not a synchronisation."""
    threading.Event().wait(seconds)


def _prompt_shown(env: dict[str, str], tmp_path: Path) -> None:
    wait_until(lambda: bool(_windows(env, "coach this call")), 30, "the prompt window")
    # The page paints a moment after the window maps.
    wait_until(lambda: _painted(env, tmp_path), 30, "the prompt painted")


def _painted(env: dict[str, str], tmp_path: Path) -> bool:
    """The prompt's window shows its heading (not a blank web view): some light pixels."""
    window = _windows(env, "coach this call")
    if not window:
        return False
    probe = tmp_path / "probe.png"
    done = subprocess.run(
        ["import", "-window", window[0], str(probe)], env=env, capture_output=True
    )
    if done.returncode != 0:
        return False
    mean = subprocess.run(
        ["convert", str(probe), "-format", "%[fx:mean]", "info:"], capture_output=True, text=True
    ).stdout
    return 0.05 < float(mean or 0) < 0.6
