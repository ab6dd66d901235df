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
from collections.abc import Callable
from dataclasses import dataclass
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
    language: str = "auto"
    title: str = ""
    customer_informed: bool = False
    transcribe: bool = True
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


async def run_capture(
    options: CaptureOptions,
    sources: dict[str, Source],
    on_event: Callable[[dict[str, Any]], None],
    stopping: asyncio.Event,
) -> dict[str, Any] | None:
    """Send frames until ``stopping`` is set or ``duration_s`` passed; returns the final event."""
    from websockets.asyncio.client import connect

    roles = list(sources)
    url = options.url.rstrip("/") + "/v1/live"
    headers = {"Authorization": f"Bearer {options.token}"} if options.token else None
    final: dict[str, Any] | None = None
    async with connect(url, additional_headers=headers, max_size=None) as socket:
        await socket.send(
            json.dumps(
                {
                    "type": "start",
                    "sample_rate": SAMPLE_RATE,
                    "sample_format": "s16le",
                    "channels": roles,
                    "language": options.language,
                    "title": options.title or "praesent capture",
                    "customer_informed": options.customer_informed,
                    "transcribe": options.transcribe,
                }
            )
        )

        async def receive() -> dict[str, Any] | None:
            async for message in socket:
                event: dict[str, Any] = json.loads(message)
                on_event(event)
                if event.get("type") == "final":
                    return event
            return None

        receiver = asyncio.create_task(receive())
        began = time.monotonic()
        sent = 0
        while not stopping.is_set() and not receiver.done():
            if options.duration_s is not None and sent * FRAME >= options.duration_s * SAMPLE_RATE:
                break
            await socket.send(_interleave([sources[role].take(FRAME) for role in roles]))
            sent += 1
            ahead = began + sent * FRAME_MS / 1000 - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
        if not receiver.done():
            await socket.send(json.dumps({"type": "stop"}))
        try:
            final = await asyncio.wait_for(receiver, timeout=120)
        except TimeoutError:
            _say("the server sent no final message")
    return final


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
        if event.get("type") in ("ready", "final", "error", "cue"):
            sys.stdout.write(json.dumps(event, ensure_ascii=False) + "\n")
            sys.stdout.flush()
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
