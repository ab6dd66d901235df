"""``praesent analyze`` as a user runs it: real recordings, the real model, real errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support import one_line, read_wav, shared, write_wav


def _praesent(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "praesent", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )


def _analyze(*args: str) -> dict[str, Any]:
    result = _praesent("analyze", *args, "--format", "json")
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    empty = folder / "empty.wav"
    empty.write_bytes(b"")
    text = folder / "notes.wav"
    text.write_text("Agenda: pricing, rollout, next steps.\n" * 50)
    truncated = folder / "truncated.wav"
    truncated.write_bytes(shared("de-read-1spk/test_de.wav").read_bytes()[:30_000])
    no_audio = folder / "subtitles.mkv"
    no_audio.write_text("1\n00:00:01,000 --> 00:00:02,000\nHello\n\n")
    mono = read_wav(shared("de-read-1spk/test_de.wav"))[:, 0]
    eight = write_wav(folder / "eight.wav", np.repeat(mono[:, None], 8, axis=1))
    return {
        "empty": empty,
        "text": text,
        "truncated": truncated,
        "no_audio": no_audio,
        "eight": eight,
    }


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty", "empty"),
        ("text", "not a readable audio file"),
        ("truncated", "truncated"),
        ("no_audio", "no audio stream"),
        ("eight", "has 8 channel"),
    ],
)
def test_bad_input_is_one_clear_line(bad_files: dict[str, Path], name: str, message: str) -> None:
    result = _praesent("analyze", str(bad_files[name]), "--channels", "seller,customer")
    assert result.returncode == 2
    assert result.stdout == ""
    assert one_line(result.stderr), result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(("diarizer", "missing"), [("none", "base"), ("embedded", "speakers")])
def test_missing_model_names_the_fix(tmp_path: Path, diarizer: str, missing: str) -> None:
    result = _praesent(
        "analyze",
        str(shared("de-read-1spk/test_de.wav")),
        "--mono",
        env={"PRAESENT_DATA_DIR": str(tmp_path), "PRAESENT_DIARIZER": diarizer},
    )
    assert result.returncode == 3
    assert one_line(result.stderr)
    assert f"praesent models pull {missing}" in result.stderr


def test_models_list_and_verify() -> None:
    listing = _praesent("models", "list")
    assert listing.returncode == 0
    assert "base" in listing.stdout and "tiny.en" in listing.stdout
    verify = _praesent("models", "verify")
    assert verify.returncode == 0
    assert "base     ok" in verify.stdout


def test_two_channel_call_as_text(phonecall_stereo: Path) -> None:
    result = _praesent("analyze", str(phonecall_stereo), "--format", "text")
    assert result.returncode == 0, result.stderr
    assert "seller share" in result.stdout
    assert re.search(r"customer: .*Yankee", result.stdout)


def test_german_language_is_detected() -> None:
    data = _analyze(str(shared("de-read-1spk/test_de.wav")), "--mono")
    assert data["language"] == "de"
    assert data["mode"] == "mono"
    # One voice on one channel: one speaker, the seller by the default rule (who speaks first).
    assert data["roles_from"] == "attribution" and data["seller_from"] == "first"
    assert [s["speaker"] for s in data["speakers"]] == ["S1"]


@pytest.mark.parametrize("command", [(), ("analyze",), ("models", "list"), ("serve",)])
def test_help_text_is_clean(command: tuple[str, ...]) -> None:
    result = _praesent(*command, "--help", env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    assert "Show this message and exit." in result.stdout
    assert "<bool>" not in result.stdout, result.stdout
    # Every flag of the command is listed with its own help, not a type artefact.
    for line in result.stdout.splitlines():
        assert not re.search(r"<\w+>", line), line
