from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from praesent.audio.channel import ChannelListener
from praesent.audio.echo import EchoGate
from praesent.audio.vad import SileroVad
from praesent.evaluation.corpus import BuiltCall, phonecall
from tests.support import SHARED_DATA, shared

Segments = list[tuple[float, float]]


@pytest.fixture(scope="session")
def vad() -> SileroVad:
    return SileroVad()


@pytest.fixture(scope="session")
def call() -> BuiltCall:
    """The phone call on two channels (seller Diane left, customer Sheila right)."""
    shared("en-phonecall-2spk/sample.wav")
    return phonecall(SHARED_DATA)


def activity(
    vad: SileroVad, audio: npt.NDArray[np.float32], echo: bool = True, block: int = 1600
) -> tuple[list[Segments], EchoGate | None]:
    """Speech segments per channel as ``analyze`` and the live socket find them: the echo gate,
    then voice activity, fed in 100 ms blocks."""
    # As a 16-bit recording holds it: the gate's decisions must not hang on float precision.
    audio = (np.round(np.clip(audio, -1, 1) * 32767) / 32768).astype(np.float32)
    gate = EchoGate() if echo else None
    listeners = [ChannelListener(vad), ChannelListener(vad)]
    edges: list[list[int]] = [[], []]

    def feed(channels: list[npt.NDArray[np.float32]], final: bool) -> None:
        for index, samples in enumerate(channels):
            found = listeners[index].push(samples) if samples.shape[0] else []
            if final:
                found += listeners[index].finish()
            edges[index] += [edge.sample for edge in found]

    for start in range(0, audio.shape[1], block):
        chunk = [audio[0, start : start + block], audio[1, start : start + block]]
        feed(gate.push(chunk) if gate else chunk, final=False)
    feed(gate.finish() if gate else [np.zeros(0, np.float32)] * 2, final=True)
    segments = [
        [(a / 16000, b / 16000) for a, b in zip(found[::2], found[1::2], strict=True)]
        for found in edges
    ]
    return segments, gate


def talk_s(segments: Segments) -> float:
    return sum(end - start for start, end in segments)


Events = dict[str, list[tuple[str, float]]]
EVENT_KINDS = ("interruptions", "backchannels", "early_starts")


def activity_events(segments: list[Segments], duration_s: float) -> Events:
    """The interruptions, backchannels and early starts the core finds in the two channels'
    speech (seller, customer) alone, as a call without transcripts has them."""
    from praesent.analysis import call_facts
    from praesent.audio.vad import SpeechEdge
    from praesent.core.conversation import Conversation
    from praesent.core.summary import summarise

    edges = [
        (
            role,
            [
                SpeechEdge(k, round(t * 16000))
                for a, b in found
                for k, t in (("start", a), ("stop", b))
            ],
        )
        for role, found in zip(("seller", "customer"), segments, strict=True)
    ]
    end = round(duration_s * 16000)
    conversation = Conversation(language="en")
    events = conversation.feed_many(call_facts(edges, [], end)) + conversation.finish(end)
    summary = summarise(events, duration_s).to_dict()
    return {
        kind: sorted((str(e["by"]), float(e["at_s"])) for e in summary[kind])  # type: ignore[index,union-attr]
        for kind in EVENT_KINDS
    }


def unmatched(found: Events, clean: Events, within_s: float) -> list[tuple[str, str, float]]:
    """Events of ``found`` with none of the same kind, by the same role, within ``within_s`` in
    ``clean``."""
    return [
        (kind, by, at)
        for kind in EVENT_KINDS
        for by, at in found[kind]
        if not any(who == by and abs(t - at) <= within_s for who, t in clean[kind])
    ]
