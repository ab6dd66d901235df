"""A call without transcripts decides on its audio once per tick (PRAESENT_LIVE_TICK_MS): the
events are those of deciding on every message, the same samples in the same order. Voice activity
and the echo gate only (no Whisper, no server): fast."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from praesent.audio.fused import FusedSpeech
from praesent.audio.vad import SileroVad
from praesent.engines import load_fused
from praesent.evaluation import degrade
from praesent.evaluation.corpus import phonecall
from praesent.live.protocol import StreamFormat
from praesent.live.session import CallState
from praesent.settings import Settings
from tests.support import SHARED_DATA, shared

STREAM = StreamFormat(16_000, ("seller", "customer"))
MESSAGE = 800  # 50 ms, as the capture clients send
FOCUS_AT = (173, 401, 402)  # after these messages the overlay reports focus changes


def _events(
    vad: SileroVad,
    audio: np.ndarray,
    tick_samples: int,
    pcm: bool = False,
    fused: FusedSpeech | None = None,
) -> list[dict[str, Any]]:
    """``pcm``: messages handed in as the socket carries them (s16le), converted at the tick,
    and a third of the time the ticks wait for more audio, as when the audio threads are busy."""
    state = CallState(vad, STREAM, "en", tick_samples=tick_samples, fused=fused)
    events = []
    focused = True
    for index, begin in enumerate(range(0, audio.shape[1], MESSAGE)):
        piece = [audio[0, begin : begin + MESSAGE], audio[1, begin : begin + MESSAGE]]
        if pcm:
            data = np.round(np.stack(piece, axis=1) * 32768).astype("<i2").tobytes()
            busy = (index // 10) % 3 == 1
            due = state.buffer_pcm(data)
            if due and (not busy or state.pending_samples >= 4 * tick_samples):
                events += state.flush()[0]
        else:
            events += state.feed_audio(piece)[0]
        if index in FOCUS_AT:
            focused = not focused
            events += state.flush()[0] + state.feed_focus(focused)
    events += state.finish()[0] + state.close()
    return [{**event.to_dict(), "sample": event.sample} for event in events]


@pytest.mark.parametrize(
    ("tick_ms", "pcm"), [(100, False), (200, False), (330, False), (200, True)]
)
def test_a_tick_decides_what_every_message_decides(tick_ms: int, pcm: bool) -> None:
    shared("en-phonecall-2spk/sample.wav")
    call = phonecall(SHARED_DATA)
    # Echo of the customer in the seller's microphone: the gate's delay search and suppression
    # run too. As a 16-bit stream carries it.
    audio = degrade.echo(call.audio, -18, 60)
    audio = (np.round(np.clip(audio, -1, 1) * 32767) / 32768).astype(np.float32)
    vad = SileroVad()
    per_message = _events(vad, audio, 0)
    ticked = _events(vad, audio, tick_ms * 16, pcm)
    assert len(per_message) > 50
    assert {e["type"] for e in per_message} >= {"activity", "balance", "focus"}
    assert ticked == per_message


def test_fused_voice_activity_decides_the_same_per_tick_as_per_message() -> None:
    # Segmentation decides on a grid of the channel's samples, never on where messages or
    # ticks fall: the fused detector's events are as independent of the tick as Silero's.
    shared("en-phonecall-2spk/sample.wav")
    call = phonecall(SHARED_DATA)
    audio = degrade.echo(call.audio, -18, 60)
    audio = (np.round(np.clip(audio, -1, 1) * 32767) / 32768).astype(np.float32)
    vad = SileroVad()
    fused = load_fused(Settings())
    per_message = _events(vad, audio, 0, fused=fused)
    ticked = _events(vad, audio, 200 * 16, pcm=True, fused=fused)
    assert len(per_message) > 50
    assert ticked == per_message
