"""A writer killed with SIGKILL mid-stream loses nothing it committed, and nothing half-written."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from praesent.store import EventStore, migrate

WRITER = Path(__file__).with_name("crash_writer.py")
BATCH = 5
LINE_TIMEOUT_S = 60.0


class _Writer:
    """The writer process with its stdout read on a thread, so waiting for a line can time out."""

    def __init__(self, url: str, session_id: str, batches: int, mode: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), url, session_id, str(BATCH), str(batches), mode],
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.strip())
        self._lines.put(None)

    def line(self) -> str:
        line = self._lines.get(timeout=LINE_TIMEOUT_S)
        assert line is not None, f"writer exited early with {self.process.wait()}"
        return line

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=LINE_TIMEOUT_S) == -signal.SIGKILL


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'praesent.db'}"
    migrate(url)
    yield url


def test_kill_inside_a_transaction(sqlite_url: str) -> None:
    with EventStore(sqlite_url) as store:
        session_id = store.create_session("killed mid-call", "de", customer_informed=True).id
    writer = _Writer(sqlite_url, session_id, batches=40, mode="hold")
    try:
        committed = [writer.line() for _ in range(40)]
        assert committed[-1] == "committed 200"
        # Batch 41 (seqs 201-205) is inserted but not committed when the kill comes.
        assert writer.line() == "holding"
    finally:
        writer.kill()

    with EventStore(sqlite_url) as reopened:
        events = reopened.events_after(session_id, 0)
        assert [e.seq for e in events] == list(range(1, 201))
        assert events[-1].payload == {"seq": 200}
        session = reopened.get_session(session_id)
        assert session is not None
        assert (session.status, session.last_seq) == ("live", 200)
        assert [s.id for s in reopened.unfinished_sessions()] == [session_id]
        # The server's recovery step: close it as interrupted; then the log is sealed.
        reopened.finalise(session_id, "interrupted", {"events": 200}, session.started_at)
        assert reopened.unfinished_sessions() == []


def test_kill_while_appending_at_full_speed(sqlite_url: str) -> None:
    with EventStore(sqlite_url) as store:
        session_id = store.create_session("killed at speed", "en", customer_informed=True).id
    writer = _Writer(sqlite_url, session_id, batches=0, mode="run")
    try:
        for _ in range(100):
            last_reported = writer.line()
    finally:
        writer.kill()
    assert last_reported == "committed 500"

    with EventStore(sqlite_url) as reopened:
        seqs = [e.seq for e in reopened.events_after(session_id, 0)]
        # Every reported commit is there; commits after the last report may be too, but only
        # whole batches and with no gap.
        assert len(seqs) >= 500
        assert len(seqs) % BATCH == 0
        assert seqs == list(range(1, len(seqs) + 1))
        session = reopened.get_session(session_id)
        assert session is not None
        assert session.last_seq == len(seqs)
        assert [s.id for s in reopened.unfinished_sessions()] == [session_id]
