"""The real ``praesent`` command on a pseudo-terminal (as a person runs it: rich draws its progress
bar there) and on pipes (as scripts run it): the figures it prints, and one line of error, never a
traceback, for the usual mistakes."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live_server import process_env
from tests.support import ROOT, one_line

DEMO = ROOT / "client" / "demo" / "phonecall-2ch.wav"
MODES = ("terminal", "pipes")
# Colours, cursor moves and the like that rich writes to a terminal.
_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[@-Z\\-_])")


@dataclass(frozen=True)
class Run:
    returncode: int
    out: str  # on a terminal: everything the terminal showed, escape codes removed
    err: str
    seconds: float

    @property
    def shown(self) -> str:
        return self.out + self.err


def _env(data_dir: Path, extra: dict[str, str] | None) -> dict[str, str]:
    # The data dir holds the database only; the models stay where `make` put them (as for the
    # servers of tests/live_server.py).
    env = process_env(data_dir, {"TERM": "xterm-256color"})
    return {**env, **(extra or {})}


def _on_terminal(args: list[str], env: dict[str, str], timeout: float) -> Run:
    """Run with stdin, stdout and stderr on one pseudo-terminal of 120 x 40, as in a shell."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    began = time.monotonic()
    process = subprocess.Popen(args, stdin=child, stdout=child, stderr=child, env=env)
    os.close(child)
    chunks: list[bytes] = []
    try:
        while True:
            left = timeout - (time.monotonic() - began)
            if left <= 0 or not select.select([main], [], [], left)[0]:
                process.kill()
                process.wait()
                pytest.fail(f"{args} ran over {timeout} s: {b''.join(chunks)[-2000:]!r}")
            try:
                chunk = os.read(main, 65536)
            except OSError as error:  # EIO: the child closed the terminal
                if error.errno != errno.EIO:
                    raise
                break
            if not chunk:
                break
            chunks.append(chunk)
        returncode = process.wait(timeout=timeout)
    finally:
        os.close(main)
    text = _ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")
    return Run(returncode, text, "", time.monotonic() - began)


def _on_pipes(args: list[str], env: dict[str, str], timeout: float) -> Run:
    began = time.monotonic()
    result = subprocess.run(
        args,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr, time.monotonic() - began)


# praesent(mode, *args, env=..., timeout=...): the command run on a terminal or on pipes.
Praesent = Callable[..., Run]


@pytest.fixture
def praesent(tmp_path: Path) -> Praesent:
    def run(mode: str, *args: str, env: dict[str, str] | None = None, timeout: float = 600) -> Run:
        command = [sys.executable, "-m", "praesent", *args]
        runner = _on_terminal if mode == "terminal" else _on_pipes
        return runner(command, _env(tmp_path / "data", env), timeout)

    return run


def _mistake(run: Run) -> str:
    """The one line of a user's mistake (exit 2, nothing but that line, no traceback)."""
    assert run.returncode == 2, run.shown
    assert "Traceback" not in run.shown, run.shown
    assert one_line(run.shown), run.shown
    line = run.shown.strip()
    assert line.startswith("praesent: error: "), line
    return line


@pytest.mark.slow
def test_analyze_on_a_terminal_shows_progress_and_the_figures(praesent: Praesent) -> None:
    run = praesent("terminal", "analyze", str(DEMO), "--format", "text", "--language", "english")
    assert run.returncode == 0, run.shown
    assert "Traceback" not in run.shown
    # The bar as it was drawn: the label and the seconds of the 30 s call.
    assert "analysing" in run.shown
    assert re.search(r"\b\d+/30 s\b", run.shown), run.shown
    assert "duration 30.0 s, language en" in run.shown
    figures = re.search(
        r"seller (\d+\.\d) s, customer (\d+\.\d) s, seller share (\d+) %, overlap (\d+\.\d) s",
        run.shown,
    )
    assert figures, run.shown
    seller, customer, share, overlap = (float(value) for value in figures.groups())
    assert abs(seller - 11.9) <= 0.2 and abs(customer - 12.1) <= 0.2, figures.group(0)
    assert share == 50 and abs(overlap - 2.0) <= 0.3, figures.group(0)
    assert re.search(r"customer: .*Yankee", run.shown)


@pytest.mark.slow
def test_analyze_on_pipes_prints_json_and_nothing_else(praesent: Praesent) -> None:
    run = praesent("pipes", "analyze", str(DEMO))
    assert run.returncode == 0, run.err
    assert run.err == ""  # no progress bar, no escape codes in a log
    data = json.loads(run.out)
    assert data["duration_s"] == 30.0 and data["language"] == "en"
    assert abs(data["roles"]["seller"]["talk_s"] - 11.9) <= 0.2
    assert abs(data["roles"]["customer"]["talk_s"] - 12.1) <= 0.2


@pytest.mark.parametrize("mode", MODES)
def test_a_missing_recording(praesent: Praesent, mode: str) -> None:
    line = _mistake(praesent(mode, "analyze", "no-such-call.wav"))
    assert line == "praesent: error: no-such-call.wav: no such file"


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_language_names_the_codes(praesent: Praesent, mode: str) -> None:
    line = _mistake(praesent(mode, "analyze", str(DEMO), "--language", "klingon"))
    assert "--language: unknown language 'klingon'" in line
    assert "auto, de or en" in line


@pytest.mark.parametrize("mode", MODES)
def test_an_unknown_language_in_the_environment(praesent: Praesent, mode: str) -> None:
    run = praesent(mode, "analyze", str(DEMO), env={"PRAESENT_LANGUAGE": "german-ish"})
    assert "PRAESENT_LANGUAGE: unknown language 'german-ish'" in _mistake(run)


@pytest.mark.parametrize("mode", MODES)
def test_a_missing_output_folder_fails_before_the_analysis(
    praesent: Praesent, mode: str, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "dir" / "x.pdf"
    # No model where this run looks for one: had it loaded the model (the analysis begun)
    # before checking the folder, it would say the model is missing instead.
    no_models = {"PRAESENT_MODELS_DIR": str(tmp_path / "no-models")}
    args = ("report", str(DEMO), "--format", "pdf", "--output", str(target))
    run = praesent(mode, *args, env=no_models)
    line = _mistake(run)
    assert line == f"praesent: error: --output: the folder {target.parent} does not exist"
    assert "analysing" not in run.shown
    assert not target.parent.exists()


def test_a_pdf_is_not_written_to_a_terminal(praesent: Praesent) -> None:
    """On a terminal a PDF would be bytes on the screen: refused before any analysis. (On pipes
    the PDF goes to stdout, as a script asks.)"""
    # Without models: had the analysis begun before the refusal, it would say so instead.
    no_models = {"PRAESENT_MODELS_DIR": "/nonexistent/praesent-models"}
    run = praesent("terminal", "report", str(DEMO), "--format", "pdf", env=no_models)
    line = _mistake(run)
    assert line == "praesent: error: a PDF does not belong on a terminal; use --output"
    assert "analysing" not in run.shown and "%PDF" not in run.shown


@pytest.mark.parametrize("mode", MODES)
def test_a_taken_port(praesent: Praesent, mode: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = praesent(mode, "serve", "--port", str(port), timeout=120)
    line = _mistake(run)
    assert line == (
        f"praesent: error: cannot listen on 127.0.0.1:{port}: the port is taken by another "
        "program (choose another with --port or PRAESENT_PORT)"
    )
    assert "listening" not in run.shown


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ("serve", "--port", "99999"),
            {},
            "cannot listen on 127.0.0.1:99999: a port is 1 to 65535",
        ),
        (("serve",), {"PRAESENT_PORT": "eighty"}, "PRAESENT_PORT: Input should be a valid integer"),
        (("stream", str(DEMO), "--url", "localhost:8000"), {}, "--url localhost:8000: not a ws://"),
        (("report", str(DEMO), "--output", "/"), {}, "--output: / is a folder; name a file in it"),
        (("models", "list"), {"PRAESENT_CPU_THREADS": "many"}, "PRAESENT_CPU_THREADS: "),
        # A value of 100 KB is named by its first characters: still one line.
        (("models", "list"), {"PRAESENT_CPU_THREADS": "x" * 100_000}, "(got 'xxxxxxxxxxx"),
        (
            ("serve",),
            {"PRAESENT_LIVE_GREEDY_LANGUAGES": "en,klingon"},
            "PRAESENT_LIVE_GREEDY_LANGUAGES: unknown language 'klingon'",
        ),
    ],
)
def test_other_mistakes_are_one_line(
    praesent: Praesent, mode: str, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    line = _mistake(praesent(mode, *args, env=env, timeout=120))
    assert message in line
    assert len(line) < 300, line[:300]
