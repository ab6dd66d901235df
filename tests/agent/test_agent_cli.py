"""``praesent agent``'s own options: the autostart entry, a malformed --app, no sound server."""

from __future__ import annotations

import configparser
import shlex
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from praesent.cli import app

runner = CliRunner()


def test_autostart_entry_is_written_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    installed = runner.invoke(app, ["agent", "--install-autostart"])
    assert installed.exit_code == 0, installed.output
    entry = tmp_path / "autostart" / "praesent-agent.desktop"
    assert installed.output.strip() == f"installed: {entry}"
    parsed = configparser.ConfigParser(interpolation=None)
    parsed.read(entry)
    desktop = parsed["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert shlex.split(desktop["Exec"]) == [sys.executable, "-m", "praesent.agent"]
    removed = runner.invoke(app, ["agent", "--remove-autostart"])
    assert removed.exit_code == 0 and not entry.exists()
    again = runner.invoke(app, ["agent", "--remove-autostart"])
    assert again.output.strip() == "no autostart entry was installed"


@pytest.mark.parametrize(
    "value", ["no-equals-sign", "x=(unclosed", "Bad Key=zoom", "k=" + "a" * 300]
)
def test_a_malformed_app_is_a_usage_error(value: str) -> None:
    result = runner.invoke(app, ["agent", "--no-window", "--app", value])
    assert result.exit_code == 2, result.output
    assert "--app" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_without_a_sound_server_it_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'nothing-here'}")
    result = runner.invoke(app, ["agent", "--no-window", "--state", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot watch the sound server" in result.output
    assert "Traceback" not in result.output
