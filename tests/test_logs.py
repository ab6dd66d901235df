"""JSON log lines (PRAESENT_LOG_FORMAT=json): the formatter with its context ids in this process,
and a real `praesent serve` whose whole log, uvicorn's lines included, is JSON lines that name
the session they are about and keep the token out."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from praesent import logs
from praesent.api.log_redaction import RedactSecrets
from tests.live_server import ServerProcess
from tests.support import json_log_lines, read_wav

TOKEN = "log-test-token-3f9c1e"
CALL_S = 8.0
FRAME = 800  # 50 ms at 16 kHz


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger of its own that writes JSON lines, as `configure` sets the root logger up."""
    stream = io.StringIO()
    logger = logging.getLogger("praesent.tests.logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    out = logs.handler("json", stream, [RedactSecrets()])
    logger.addHandler(out)
    yield logger, stream
    logger.removeHandler(out)


def test_json_lines_carry_the_context_ids_into_tasks_and_threads(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = captured

    async def session_work() -> None:
        with logs.about_session("s-1"):
            # A task started here and a worker thread from it (as the server runs the store's
            # calls) inherit the session.
            await asyncio.create_task(anyio.to_thread.run_sync(logger.info, "in a thread"))
            try:
                raise ValueError("bad frame")
            except ValueError:
                logger.exception("the session failed")
        logger.info("after the session")

    def job_work() -> None:
        logs.job_id.set("j-1")
        logger.warning("job %s: ümlauts stay %s", "j-1", "readable")

    asyncio.run(session_work())
    thread = threading.Thread(target=job_work)
    thread.start()
    thread.join()
    # As uvicorn logs a socket: the path with its query in the arguments.
    logger.info('%s - "WebSocket %s" [accepted]', "127.0.0.1:5", f"/v1/live?token={TOKEN}")
    lines = json_log_lines(stream.getvalue())
    assert [line["message"] for line in lines] == [
        "in a thread",
        "the session failed",
        "after the session",
        "job j-1: ümlauts stay readable",
        '127.0.0.1:5 - "WebSocket /v1/live?token=[redacted]" [accepted]',
    ]
    assert [line.get("session_id") for line in lines] == ["s-1", "s-1", None, None, None]
    assert [line.get("job_id") for line in lines] == [None, None, None, "j-1", None]
    assert lines[1]["level"] == "ERROR" and lines[1]["logger"] == "praesent.tests.logs"
    assert lines[1]["exception"].startswith("Traceback (most recent call last):")
    assert lines[1]["exception"].endswith("ValueError: bad frame")
    assert "exception" not in lines[0]
    assert "ümlauts" in stream.getvalue()  # UTF-8, not \\u escapes
    assert TOKEN not in stream.getvalue()


def _start(transcribe: bool = False) -> str:
    return json.dumps(
        {
            "type": "start",
            "sample_rate": 16_000,
            "sample_format": "s16le",
            "channels": ["seller", "customer"],
            "language": "en",
            "transcribe": transcribe,
        }
    )


async def _calls(server: ServerProcess, call: Path) -> tuple[str, dict[str, Any], int, str, int]:
    """A call's first seconds without transcripts, then an observer reads its log; a second call
    is under way when the server stops, and is handed over."""
    pcm = np.ascontiguousarray(read_wav(call)[: round(CALL_S * 16_000)], dtype="<i2")
    frames = [pcm[offset : offset + FRAME].tobytes() for offset in range(0, len(pcm), FRAME)]
    live = f"{server.ws}/v1/live?token={TOKEN}"
    async with connect(live, max_size=None) as socket:
        await socket.send(_start())
        session_id = str(json.loads(await socket.recv())["session_id"])
        for frame in frames:
            await socket.send(frame)
        await socket.send(json.dumps({"type": "stop"}))
        final = [json.loads(message) async for message in socket][-1]
    url = f"{server.ws}/v1/sessions/{session_id}/events?token={TOKEN}"
    async with connect(url, max_size=None) as observer:
        observed = len([message async for message in observer])
    async with connect(live, max_size=None) as socket:
        await socket.send(_start())
        second_id = str(json.loads(await socket.recv())["session_id"])
        for frame in frames[:40]:
            await socket.send(frame)
        stopping = asyncio.create_task(asyncio.to_thread(server.stop))
        with contextlib.suppress(ConnectionClosed):
            async for _ in socket:
                pass
        await stopping
        assert socket.close_code is not None
        return session_id, final, observed, second_id, socket.close_code


def test_serve_logs_json_lines_that_name_the_session(
    tmp_path: Path, phonecall_stereo: Path
) -> None:
    server = ServerProcess(tmp_path, PRAESENT_LOG_FORMAT="json", PRAESENT_API_TOKEN=TOKEN)
    try:
        session_id, final, observed, second_id, close_code = asyncio.run(
            _calls(server.start(), phonecall_stereo)
        )
    finally:
        if server.process is not None and server.process.poll() is None:
            server.stop()
    text = server.log.read_text(encoding="utf-8")
    lines = json_log_lines(text)
    assert final["type"] == "final" and final["status"] == "finished"
    assert close_code == 1012  # the second call goes on elsewhere
    assert observed > 2  # ready ... final
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "uvicorn.access", "praesent", "praesent.live.manager"} <= loggers
    messages = [line["message"] for line in lines]
    assert "Application shutdown complete." in messages
    # Every line that speaks of the session carries its id, the observer's socket too.
    about = [line for line in lines if session_id in line["message"]]
    assert all(line.get("session_id") == session_id for line in about), about
    manager = [line["message"] for line in about if line["logger"] == "praesent.live.manager"]
    assert manager[0].startswith(f"session {session_id} started: seller,customer at 16000 Hz")
    assert manager[0].endswith("transcripts off")
    assert manager[-1] == f"session {session_id} finalised: finished after {CALL_S:.1f} s"
    assert any("/events?token=[redacted]" in line["message"] for line in about)
    # Handed over on SIGTERM, outside any connection's context.
    [handed] = [line for line in lines if line["message"].startswith(f"session {second_id} hand")]
    assert handed["session_id"] == second_id, handed
    # No line claims another session; the token is nowhere.
    assert {line["session_id"] for line in lines if "session_id" in line} == {
        session_id,
        second_id,
    }
    assert "token=[redacted]" in text and TOKEN not in text
    print(f"{len(lines)} JSON lines, {len(about)} about the session, loggers {sorted(loggers)}")
