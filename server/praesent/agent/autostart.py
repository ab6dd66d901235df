"""Start ``praesent agent`` at login: an XDG autostart entry on Linux (tested), the Run key on
Windows and a LaunchAgent on macOS (written against their documentation, not tested here)."""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from pathlib import Path

LABEL = "org.praesent.agent"


def command_line() -> list[str]:
    return [sys.executable, "-m", "praesent.agent"]


def xdg_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=praesent agent\n"
        "Comment=Offers to coach your calls; nothing is recorded unless you say yes\n"
        f"Exec={shlex.join(command)}\n"
        "X-GNOME-Autostart-enabled=true\n"
        "NoDisplay=true\n"
    )


def launch_agent_plist(command: list[str]) -> bytes:
    return plistlib.dumps(
        {"Label": LABEL, "ProgramArguments": command, "RunAtLoad": True, "KeepAlive": False}
    )


def _xdg_path() -> Path:
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "autostart" / "praesent-agent.desktop"


def _plist_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"


def install() -> str:
    """Write the entry for this operating system; returns where."""
    command = command_line()
    if sys.platform == "win32":  # pragma: no cover - not tested on this machine
        import winreg

        key = winreg.OpenKey(  # type: ignore[attr-defined,unused-ignore]
            winreg.HKEY_CURRENT_USER,  # type: ignore[attr-defined,unused-ignore]
            r"Software\Microsoft\Windows\CurrentVersion\Run",
            0,
            winreg.KEY_SET_VALUE,  # type: ignore[attr-defined,unused-ignore]
        )
        value = " ".join(f'"{part}"' for part in command)
        winreg.SetValueEx(key, "praesent agent", 0, winreg.REG_SZ, value)  # type: ignore[attr-defined,unused-ignore]
        return r"HKCU\Software\Microsoft\Windows\CurrentVersion\Run"
    if sys.platform == "darwin":  # pragma: no cover - not tested on this machine
        path = _plist_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(launch_agent_plist(command))
        return str(path)
    path = _xdg_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(xdg_entry(command), encoding="utf-8")
    return str(path)


def remove() -> str | None:
    """Remove the entry; returns what was removed (None: there was none)."""
    if sys.platform == "win32":  # pragma: no cover - not tested on this machine
        import winreg

        try:
            key = winreg.OpenKey(  # type: ignore[attr-defined,unused-ignore]
                winreg.HKEY_CURRENT_USER,  # type: ignore[attr-defined,unused-ignore]
                r"Software\Microsoft\Windows\CurrentVersion\Run",
                0,
                winreg.KEY_SET_VALUE,  # type: ignore[attr-defined,unused-ignore]
            )
            winreg.DeleteValue(key, "praesent agent")  # type: ignore[attr-defined,unused-ignore]
        except OSError:
            return None
        return "the Run key's value"
    path = _plist_path() if sys.platform == "darwin" else _xdg_path()
    if not path.exists():
        return None
    path.unlink()
    return str(path)
