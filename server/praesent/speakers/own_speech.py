"""A seller's own speech on their own channel, the other side's speech cut out: what a voice
sample is made of where the role is known (a two-channel recording, a live call)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from praesent.asr.transcriber import Span

N = TypeVar("N", int, float)
Samples = npt.NDArray[np.float32]


def without_overlap(own: Iterable[tuple[N, N]], others: Iterable[tuple[N, N]]) -> list[tuple[N, N]]:
    """The ``own`` spans with every stretch of an ``others`` span cut out: where the other side
    speaks too, the own channel carries its echo or the overlap."""
    cuts = sorted(others)
    kept: list[tuple[N, N]] = []
    for start, end in own:
        for a, b in cuts:
            if b <= start or a >= end:
                continue
            if a > start:
                kept.append((start, a))
            start = max(start, b)
        if end > start:
            kept.append((start, end))
    return kept


class OwnSpeech:
    """Collects the seller's speech of a live call, up to ``limit`` samples, in memory only.

    Utterances arrive as the channels finish them. A seller utterance is taken once no later
    customer utterance can overlap it (the customer's channel has decided past its end); until
    then it waits, and so do the customer utterances it might still meet."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._pending: list[tuple[int, Samples]] = []  # (first sample, speech)
        self._others: list[tuple[int, int]] = []
        self._pieces: list[Samples] = []
        self.samples = 0

    @property
    def full(self) -> bool:
        return self.samples >= self._limit

    def add(self, own: Sequence[Span], others: Sequence[Span]) -> None:
        if self.full:
            return
        self._others += [(span.start_sample, span.end_sample) for span in others]
        # Waiting utterances count against the limit: memory stays bounded while the customer
        # holds a long utterance open.
        room = self._limit - self.samples - sum(audio.shape[0] for _, audio in self._pending)
        for span in own:
            if room <= 0:
                break
            skip = span.start_sample - span.audio_start_sample
            speech = span.audio[skip : skip + span.end_sample - span.start_sample][:room]
            if speech.shape[0]:
                self._pending.append((span.start_sample, speech))
                room -= speech.shape[0]

    def settle(self, others_from: int | None, own_from: int | None) -> None:
        """Take the waiting utterances that end by ``others_from``, where every later customer
        utterance starts (None: the call ended, or it has no customer channel). ``own_from`` is
        where every later seller utterance starts (None: unknown): customer utterances that end
        before it and before every waiting one can meet nothing any more."""
        waiting: list[tuple[int, Samples]] = []
        for start, speech in self._pending:
            end = start + speech.shape[0]
            if others_from is not None and end > others_from:
                waiting.append((start, speech))
                continue
            for a, b in without_overlap([(start, end)], self._others):
                take = min(b - a, self._limit - self.samples)
                if take > 0:
                    self._pieces.append(speech[a - start : a - start + take])
                    self.samples += take
        self._pending = waiting
        if self.full:
            self._pending, self._others = [], []
        elif own_from is not None:
            horizon = min([own_from, *(start for start, _ in self._pending)])
            self._others = [(a, b) for a, b in self._others if b > horizon]

    def take(self) -> list[Samples]:
        """The speech collected; it is handed over and no longer held here."""
        pieces, self._pieces, self._pending, self._others = self._pieces, [], [], []
        self.samples = 0
        return pieces
