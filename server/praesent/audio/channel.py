"""One channel of a call: voice activity edges and the audio of each finished speech span."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from praesent.asr.transcriber import Span
from praesent.audio.vad import (
    FrameSplitter,
    SileroVad,
    SpeechEdge,
    SpeechTracker,
    VadOptions,
    VadStream,
)


@dataclass(slots=True)
class _Buffer:
    """Recent audio of the channel, starting at ``start`` (a sample index)."""

    start: int = 0
    chunks: list[npt.NDArray[np.float32]] = field(default_factory=list)
    length: int = 0

    def append(self, samples: npt.NDArray[np.float32]) -> None:
        self.chunks.append(samples)
        self.length += samples.shape[0]

    def slice(self, begin: int, end: int) -> npt.NDArray[np.float32]:
        joined = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)
        self.chunks = [joined]
        return joined[max(0, begin - self.start) : max(0, end - self.start)].copy()

    def drop_before(self, sample: int) -> None:
        cut = sample - self.start
        if cut <= 0 or not self.chunks:
            return
        joined = np.concatenate(self.chunks)
        cut = min(cut, joined.shape[0])
        self.chunks = [joined[cut:]]
        self.start += cut
        self.length = joined.shape[0] - cut


class ChannelListener:
    """Feeds a channel's samples through VAD; keeps only the audio an open span still needs."""

    def __init__(self, vad: SileroVad, options: VadOptions | None = None) -> None:
        self._vad = vad
        self._splitter = FrameSplitter()
        self._stream = VadStream()
        self._tracker = SpeechTracker(options)
        self._buffer = _Buffer()
        self._received = 0
        self._open_start: int | None = None
        self._finished: list[Span] = []

    @property
    def received_samples(self) -> int:
        return self._received

    @property
    def speaking(self) -> bool:
        return self._open_start is not None

    def watermark(self) -> int:
        """No edge reported later will carry an earlier sample."""
        return self._tracker.watermark()

    def push(self, samples: npt.NDArray[np.float32]) -> list[SpeechEdge]:
        self._buffer.append(samples)
        self._received += samples.shape[0]
        frames = self._splitter.push(samples)
        edges = self._tracker.push(self._vad.probabilities(frames, self._stream))
        self._take(edges)
        return edges

    def finish(self) -> list[SpeechEdge]:
        frames = self._splitter.flush()
        edges = self._tracker.push(self._vad.probabilities(frames, self._stream))
        edges += self._tracker.finish(self._received)
        self._take(edges)
        return edges

    def open_audio(self) -> tuple[int, npt.NDArray[np.float32]] | None:
        """The start and audio so far of the utterance still being spoken, if any."""
        if self._open_start is None:
            return None
        return self._open_start, self._buffer.slice(self._open_start, self._received)

    def pop_spans(self) -> list[Span]:
        spans, self._finished = self._finished, []
        return spans

    def _take(self, edges: list[SpeechEdge]) -> None:
        for edge in edges:
            if edge.kind == "start":
                self._open_start = edge.sample
            elif self._open_start is not None:
                end = min(edge.sample, self._received)
                audio = self._buffer.slice(self._open_start, end)
                self._finished.append(Span(self._open_start, end, audio))
                self._open_start = None
        keep_from = self._open_start if self._open_start is not None else self.watermark()
        self._buffer.drop_before(min(keep_from, self._received))
