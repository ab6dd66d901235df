"""A system tray under Xvfb for the agent's tests: trayer (a freedesktop system tray from
Debian), the agent's icon docked in it, its menu opened with a right click."""

from __future__ import annotations

import subprocess

from tests.overlay.conftest import require
from tests.support import wait_until


def start_tray(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """trayer along the screen's top left; returns it and its panel window."""
    tray = subprocess.Popen(
        [require("trayer"), "--edge", "top", "--align", "left", "--widthtype", "request"],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: tray_window(env) is not None, 20, "the tray")
    holder = tray_window(env)
    assert holder is not None
    return tray, holder


def docked(env: dict[str, str], tray: str) -> str | None:
    """The agent's icon among the tray's windows: a window of class "praesent" (XEmbed puts it
    in a socket window of the tray's own)."""
    tree = subprocess.run(
        ["xwininfo", "-tree", "-id", tray], env=env, capture_output=True, text=True
    ).stdout
    for line in tree.splitlines():
        if '"praesent")' in line:
            return line.split()[0]
    return None


def tray_window(env: dict[str, str]) -> str | None:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--class", "trayer"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    return found[0] if found else None


def open_menu(env: dict[str, str], icon: str, keys: list[str]) -> None:
    """Right-click the icon: Qt opens the menu under the pointer; the keys choose an item."""
    # Near the icon's lower right corner: the menu opens beside it, the icon stays in sight.
    shown = set(_visible(env))
    subprocess.run(["xdotool", "mousemove", "--window", icon, "18", "20"], env=env, check=True)
    subprocess.run(["xdotool", "click", "3"], env=env, check=True)
    wait_until(lambda: bool(set(_visible(env)) - shown - {icon}), 20, "the tray menu")
    if keys:
        subprocess.run(["xdotool", "key", "--delay", "100", *keys], env=env, check=True)


def _visible(env: dict[str, str]) -> list[str]:
    """The agent's visible windows (its icon, its windows, an open menu), as hex ids."""
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--class", "^praesent$"],
        env=env,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [hex(int(w)) for w in found]
