"""Stream the microphone (seller) and the system loopback (customer) to ``WS /v1/live``.

Frames leave every 40 ms of wall-clock time, each holding 40 ms of both channels; a source that
has nothing (a device is gone or late) contributes silence, so the session keeps its audio time
while a device is away and carries on when it returns.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from praesent.capture.sources import SAMPLE_RATE, LoopbackReader, SoundDeviceReader, Source

FRAME_MS = 40
FRAME = SAMPLE_RATE * FRAME_MS // 1000


@dataclass(frozen=True, slots=True)
class CaptureOptions:
    url: str = "ws://127.0.0.1:8000"
    token: str | None = None
    mic: str | None = None  # a sounddevice name or index; None: the default input
    # A SoundCard speaker or monitor name; None: the default speaker's loopback.
    call: str | None = None
    use_mic: bool = True
    use_call: bool = True
    # None: the seller's setting, else the server's default.
    language: str | None = None
    title: str = ""
    customer_informed: bool = False
    transcribe: bool = True
    seller: str | None = None  # names the seller on a server without accounts
    duration_s: float | None = None  # stop after this long (None: until Ctrl-C)


def _say(message: str) -> None:
    sys.stderr.write(f"praesent capture: {message}\n")
    sys.stderr.flush()


def list_devices() -> str:
    """The microphones (sounddevice) and the loopback sources (SoundCard), as text."""
    lines = ["microphones (--mic, sounddevice):"]
    try:
        import sounddevice

        for index, device in enumerate(sounddevice.query_devices()):
            if device["max_input_channels"] > 0:
                lines.append(f"  {index}: {device['name']}")
    except (ImportError, OSError) as error:
        lines.append(f"  unavailable: {error}")
    lines.append("call audio (--call, SoundCard loopback / monitor sources):")
    try:
        import soundcard

        default = soundcard.default_speaker().name
        for microphone in soundcard.all_microphones(include_loopback=True):
            mark = " (default speaker)" if microphone.name == default else ""
            loop = " [loopback]" if microphone.isloopback else ""
            lines.append(f"  {microphone.name}{loop}{mark}")
    except Exception as error:  # noqa: BLE001 - soundcard fails in many ways without a server
        lines.append(f"  unavailable: {error}")
    return "\n".join(lines)


def _interleave(blocks: list[np.ndarray[Any, Any]]) -> bytes:
    stacked = np.stack(blocks, axis=1)
    pcm: bytes = (np.clip(stacked, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    return pcm


# Audio kept for a resume: what the server did not hear of it is sent again (older is a gap).
BUFFER_FRAMES = 30_000 // FRAME_MS
RETRY_MAX_S = 2.0
RETRY_GIVE_UP_S = 180.0
_REFUSALS = {1003, 1007, 1008, 1009}  # close codes for bad input
FINAL_QUIET_S = 120.0  # after the stop, how long the server may say nothing before the final


@dataclass(slots=True)
class _Call:
    """What survives a dropped connection: the session, the last event seen, the audio."""

    session_id: str | None = None
    last_seq: int = 0
    produced: int = 0  # frames captured since the call began
    # The latest frames, sent or not: after a drop nobody knows which reached the server, so
    # they are all sent again and the server skips what it heard.
    frames: deque[bytes] = field(default_factory=lambda: deque(maxlen=BUFFER_FRAMES))
    next_frame: int = 0  # the first frame not yet handed to the current socket
    ready_count: int = 0  # sockets the server accepted
    refused: bool = False  # the server closed for bad input: retrying would not help


async def _capture_frames(
    options: CaptureOptions,
    sources: dict[str, Source],
    call: _Call,
    captured: asyncio.Event,
    stopping: asyncio.Event,
) -> None:
    """Take a frame of every source each 40 ms of wall-clock time, connected or not."""
    roles = list(sources)
    began = time.monotonic()
    while not stopping.is_set():
        if options.duration_s is not None and call.produced * FRAME >= options.duration_s * (
            SAMPLE_RATE
        ):
            break
        call.frames.append(_interleave([sources[role].take(FRAME) for role in roles]))
        call.produced += 1
        captured.set()
        ahead = began + call.produced * FRAME_MS / 1000 - time.monotonic()
        if ahead > 0:
            await asyncio.sleep(ahead)


async def _one_connection(
    options: CaptureOptions,
    roles: list[str],
    call: _Call,
    on_event: Callable[[dict[str, Any]], None],
    captured: asyncio.Event,
    capturing: asyncio.Task[None],
) -> dict[str, Any] | None:
    """Stream on one socket until the call ends (the final message) or the socket drops."""
    from websockets.asyncio.client import connect

    url = options.url.rstrip("/") + "/v1/live"
    headers = {"Authorization": f"Bearer {options.token}"} if options.token else None
    start: dict[str, Any] = {
        "type": "start",
        "sample_rate": SAMPLE_RATE,
        "sample_format": "s16le",
        "channels": roles,
        "language": options.language,
        "title": options.title or "praesent capture",
        "customer_informed": options.customer_informed,
        "transcribe": options.transcribe,
    }
    if options.seller is not None:
        start["seller"] = options.seller
    async with connect(url, additional_headers=headers, max_size=None) as socket:
        if call.session_id is not None:
            first = call.produced - len(call.frames)
            call.next_frame = first
            start["resume"] = {
                "session_id": call.session_id,
                "after_seq": call.last_seq,
                "audio_s": round(first * FRAME_MS / 1000, 3),
            }
        await socket.send(json.dumps(start))
        ready = asyncio.Event()

        async def receive() -> dict[str, Any] | None:
            async for message in socket:
                event: dict[str, Any] = json.loads(message)
                seq = event.get("seq")
                if isinstance(seq, int):
                    if seq <= call.last_seq:
                        continue  # seen before the connection dropped
                    call.last_seq = seq
                if event.get("type") == "ready":
                    call.session_id = str(event["session_id"])
                    call.ready_count += 1
                    ready.set()
                on_event(event)
                if event.get("type") == "final":
                    return event
            return None

        receiver = asyncio.create_task(receive())
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({receiver, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        while not receiver.done():
            while call.next_frame < call.produced:
                first = call.produced - len(call.frames)
                await socket.send(call.frames[max(call.next_frame, first) - first])
                call.next_frame = max(call.next_frame, first) + 1
            if capturing.done():
                await socket.send(json.dumps({"type": "stop"}))
                break
            captured.clear()
            got = asyncio.create_task(captured.wait())
            await asyncio.wait({got, receiver, capturing}, return_when=asyncio.FIRST_COMPLETED)
            got.cancel()
        # The server may still be transcribing: wait while it keeps saying something.
        while not receiver.done():
            heard = call.last_seq
            await asyncio.wait({receiver}, timeout=FINAL_QUIET_S)
            if not receiver.done() and call.last_seq == heard:
                _say("the server sent no final message")
                call.refused = True
                return None
        final = receiver.result()
        call.refused = socket.close_code in _REFUSALS
        return final


async def run_capture(
    options: CaptureOptions,
    sources: dict[str, Source],
    on_event: Callable[[dict[str, Any]], None],
    stopping: asyncio.Event,
) -> dict[str, Any] | None:
    """Send frames until ``stopping`` is set or ``duration_s`` passed; returns the final event.
    A dropped connection or a restarted server is resumed with backoff: the audio captured
    meanwhile (up to 30 s) is sent once the session goes on."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    call = _Call()
    captured = asyncio.Event()
    capturing = asyncio.create_task(
        _capture_frames(options, sources, call, captured, stopping), name="capture"
    )
    retries, lost_since = 0, 0.0
    try:
        while True:
            accepted = call.ready_count
            try:
                final = await _one_connection(
                    options, list(sources), call, on_event, captured, capturing
                )
                if final is not None or call.session_id is None or call.refused:
                    return final
            except (OSError, ConnectionClosed, InvalidStatus) as error:
                if call.session_id is None:
                    raise OSError(str(error)) from error
            if call.ready_count > accepted:
                retries, lost_since = 0, 0.0
            # The connection dropped before the call's end: carry on where it was.
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since > RETRY_GIVE_UP_S:
                _say("the server did not come back; giving up")
                return None
            delay = min(RETRY_MAX_S, 0.25 * 2**retries)
            retries += 1
            _say(f"connection lost; reconnecting in {delay:.1f} s")
            await asyncio.sleep(delay)
    finally:
        capturing.cancel()


def capture_main(options: CaptureOptions) -> int:
    """Run a capture session; 0 when the server confirmed it, 2 when it could not start."""
    sources: dict[str, Source] = {}
    if options.use_mic:
        sources["seller"] = Source("microphone", lambda: SoundDeviceReader(options.mic), _say)
    if options.use_call:
        sources["customer"] = Source("call audio", lambda: LoopbackReader(options.call), _say)
    if not sources:
        _say("nothing to capture: leave --mic or --call on")
        return 2
    for source in sources.values():
        source.start()

    def show(event: dict[str, Any]) -> None:
        if event.get("type") in ("ready", "final", "error", "cue", "warning"):
            sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
            sys.stdout.flush()
        if event.get("type") == "warning" and event.get("kind") == "echo":
            if event.get("active"):
                _say("your microphone hears the call (echo): use a headset")
            else:
                _say("the echo is gone")
        if event.get("type") == "warning" and event.get("kind") == "voices" and event.get("active"):
            _say("your microphone hears people talking around you: your talk time may read high")
        if event.get("type") == "ready":
            page = options.url.replace("ws", "http", 1).rstrip("/")
            _say(f"live; the overlay for this call: {page}/?session={event['session_id']}")

    async def main() -> dict[str, Any] | None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        return await run_capture(options, sources, show, stopping)

    try:
        final = asyncio.run(main())
    except OSError as error:
        _say(f"cannot reach praesent at {options.url}: {error}")
        return 2
    finally:
        for source in sources.values():
            source.stop()
    return 0 if final is not None else 1
