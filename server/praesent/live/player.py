"""``praesent stream``: play a recording into the live socket in real time or faster."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import websockets
from websockets.asyncio.client import ClientConnection, connect

from praesent.analysis import ChannelRole
from praesent.audio import SAMPLE_RATE
from praesent.audio.decode import iter_blocks, probe
from praesent.errors import ChannelError, InputError

FRAME_MS = 50


def _frames(path: Path, picks: Sequence[int]) -> Iterator[bytes]:
    """Interleaved s16le frames of ``FRAME_MS`` holding the picked channels, in order."""
    frame = SAMPLE_RATE * FRAME_MS // 1000
    for block in iter_blocks(path, block_s=FRAME_MS / 1000 * 40):
        chosen = np.clip(block[list(picks)], -1.0, 1.0)
        pcm = (chosen.T * 32767.0).astype("<i2")
        for offset in range(0, pcm.shape[0], frame):
            yield pcm[offset : offset + frame].tobytes()


def plan_channels(path: Path, roles: Sequence[ChannelRole]) -> tuple[list[int], list[str]]:
    channels = probe(path).channels
    if len(roles) != channels:
        raise ChannelError(
            f"{path.name} has {channels} channel(s) but --channels names {len(roles)}"
        )
    picks = [index for index, role in enumerate(roles) if role is not None]
    return picks, [role for role in roles if role is not None]


async def stream_file(
    path: Path,
    roles: Sequence[ChannelRole],
    url: str,
    *,
    speed: float = 1.0,
    language: str | None = None,
    title: str | None = None,
    token: str | None = None,
    transcribe: bool = True,
    seller: str | None = None,
    on_event: Callable[[dict[str, Any]], None] = lambda _event: None,
) -> dict[str, Any]:
    """Stream the file; returns the final message. ``speed`` 0 sends as fast as possible;
    ``seller`` names the seller on a server without accounts (their voice profile learns)."""
    picks, names = plan_channels(path, roles)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        async with connect(
            url.rstrip("/") + "/v1/live", additional_headers=headers, max_size=None
        ) as socket:
            start: dict[str, Any] = {
                "type": "start",
                "sample_rate": SAMPLE_RATE,
                "sample_format": "s16le",
                "channels": names,
                "language": language,
                # No title given: the file's name; an empty one lets the calendar name the call.
                "title": path.name if title is None else title,
                "transcribe": transcribe,
            }
            if seller is not None:
                start["seller"] = seller
            await socket.send(json.dumps(start))
            receiver = asyncio.create_task(_receive(socket, on_event))
            await _send(socket, path, picks, speed, receiver)
            if not receiver.done():
                await socket.send(json.dumps({"type": "stop"}))
            return await receiver
    except websockets.exceptions.InvalidURI:
        raise InputError(f"--url {url}: not a ws:// or wss:// address") from None
    except (OSError, websockets.exceptions.InvalidHandshake) as error:
        raise InputError(f"cannot reach praesent at {url}: {error}") from None
    except websockets.exceptions.ConnectionClosed as error:
        # The server stopped or restarted mid-stream: a fact for the user, not a bug here.
        raise InputError(f"praesent at {url} closed the connection ({error})") from None


async def _send(
    socket: ClientConnection,
    path: Path,
    picks: Sequence[int],
    speed: float,
    receiver: asyncio.Task[dict[str, Any]],
) -> None:
    began = time.monotonic()
    sent_s = 0.0
    for frame in _frames(path, picks):
        if receiver.done():
            return
        await socket.send(frame)
        sent_s += len(frame) / (2 * len(picks) * SAMPLE_RATE)
        if speed > 0:
            ahead = sent_s / speed - (time.monotonic() - began)
            if ahead > 0:
                await asyncio.sleep(ahead)
        else:
            await asyncio.sleep(0)


async def _receive(
    socket: ClientConnection, on_event: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    async for message in socket:
        event: dict[str, Any] = json.loads(message)
        on_event(event)
        if event.get("type") == "final":
            return event
        if event.get("type") == "error":
            raise InputError(f"the server refused the stream: {event.get('message')}")
    raise InputError("the server closed the session before its final message")
