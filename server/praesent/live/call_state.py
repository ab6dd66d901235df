"""The synchronous heart of a live call: audio and transcripts in, core events out.

``CallState`` owns everything that decides events: the channels' voice activity, the echo gate,
the merger and the conversation core. It never waits on speech-to-text: finished utterances are
handed out as jobs (``FinalJob``, ``PartialJob``) and their words come back later as facts.
It knows no event loop, threads or sockets; ``LiveSession`` and ``AudioRounds`` drive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from praesent.analysis import utterance_fact
from praesent.asr.transcriber import Span, TimedWord
from praesent.audio import SAMPLE_RATE
from praesent.audio.channel import ChannelListener
from praesent.audio.echo import EchoGate
from praesent.audio.fused import FusedSpeech
from praesent.audio.vad import SileroVad
from praesent.audio.vad_batch import VadRequest
from praesent.core.conversation import Conversation
from praesent.core.events import Event
from praesent.core.facts import Fact, FocusChanged, Role
from praesent.live.merger import ActivityMerger
from praesent.live.protocol import Resampler, Samples, StreamFormat, split_pcm
from praesent.speakers.own_speech import OwnSpeech

_TICK_SAMPLES = SAMPLE_RATE // 2
# Preview an open utterance after a second of new speech, less often as it grows (each preview
# decodes it again), and only its last few seconds.
_PARTIAL_EVERY_SAMPLES = SAMPLE_RATE
_PARTIAL_GROWTH = 0.25
_PARTIAL_MAX_SAMPLES = 8 * SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class FinalJob:
    role: Role
    span: Span


@dataclass(frozen=True, slots=True)
class PartialJob:
    role: Role
    start_sample: int
    audio: Samples


class CallState:
    """Everything a live call decides, fed audio and transcripts, returning core events."""

    def __init__(
        self,
        vad: SileroVad,
        stream: StreamFormat,
        language: str,
        seller_speech: OwnSpeech | None = None,
        tick_samples: int = 0,
        fused: FusedSpeech | None = None,
    ) -> None:
        """``tick_samples``: audio is buffered and decided on once this much (at 16 kHz) has
        come (0: every message at once). What is decided is the same either way; a tick saves
        the per-call cost of voice activity and the echo gate on small pieces. ``fused``: speech
        decided by Silero and segmentation together (``PRAESENT_VAD=fused``)."""
        self.roles: tuple[Role, ...] = stream.channels
        self._vad = vad
        # Only the seller can act on voices around them (a quieter place, a headset's mic).
        self._listeners = {
            role: ChannelListener(vad, fused=fused, background_voices=role == "seller")
            for role in self.roles
        }
        self._resamplers = {role: Resampler(stream.sample_rate) for role in self.roles}
        # The microphone hears the call from the speakers when the seller wears no headset.
        self._echo = EchoGate() if len(self.roles) == 2 else None
        self._echo_warned = False
        self._voices_warned = False
        self._merger = ActivityMerger(self.roles, _TICK_SAMPLES)
        self.conversation = Conversation(language=language)
        self.samples = 0  # decided on: through the echo gate and voice activity
        self.received = 0  # taken in (the gate holds some back while it searches for echo)
        self._last_partial = dict.fromkeys(self.roles, 0)
        # The seller's own speech for their voice profile (a call with a seller channel).
        self.seller_speech = seller_speech if "seller" in self.roles else None
        self._tick = tick_samples
        self._pending: list[list[Samples]] = [[] for _ in self.roles]
        self._pending_samples = 0
        self._stream = stream
        # Messages as they came (interleaved s16le), converted at the tick.
        self._pending_pcm: list[bytes] = []
        self._pending_pcm_samples = 0  # at 16 kHz

    def feed_audio(self, channels: Sequence[Samples]) -> tuple[list[Event], list[FinalJob]]:
        return self.flush() if self.buffer(channels) else ([], [])

    def buffer(self, channels: Sequence[Samples]) -> bool:
        """Take one message's audio; True when a tick's worth waits for ``flush``."""
        self._convert_pcm()
        self._take(channels)
        return self._pending_samples >= self._tick

    def buffer_pcm(self, data: bytes) -> bool:
        """``buffer`` for a message as it came (interleaved s16le, whole samples): converted at
        the tick, in one piece where no resampler needs the messages apart."""
        self._pending_pcm.append(data)
        frames = len(data) // self._stream.bytes_per_frame
        samples = frames * SAMPLE_RATE // self._stream.sample_rate
        self._pending_pcm_samples += samples
        self.received += samples  # exact once converted (a resampler holds some back)
        return self.pending_samples >= self._tick

    @property
    def pending_samples(self) -> int:
        """Audio taken in and not yet decided on (at 16 kHz)."""
        return self._pending_samples + self._pending_pcm_samples

    def _convert_pcm(self) -> None:
        if not self._pending_pcm:
            return
        self.received -= self._pending_pcm_samples
        pcm, self._pending_pcm, self._pending_pcm_samples = self._pending_pcm, [], 0
        channels = len(self.roles)
        if self._stream.sample_rate == SAMPLE_RATE:
            self._take(split_pcm(b"".join(pcm), channels))
        else:
            for data in pcm:
                self._take(split_pcm(data, channels))

    def _take(self, channels: Sequence[Samples]) -> None:
        for pieces, role, samples in zip(self._pending, self.roles, channels, strict=True):
            pieces.append(self._resamplers[role].convert(samples))
        self._pending_samples += self._pending[0][-1].shape[0]
        self.received += self._pending[0][-1].shape[0]

    def flush(self) -> tuple[list[Event], list[FinalJob]]:
        """Decide on the audio buffered for the tick now: before anything that is not audio
        (focus, a transcript, a pinned language, the end) takes effect where it would have
        without the tick."""
        requests = self.prepare()
        if requests is None:
            return [], []
        return self.complete([self._vad.probabilities(*request) for request in requests])

    def prepare(self) -> list[VadRequest] | None:
        """``flush`` in two halves, so that the calls deciding together share one inference of
        voice activity (``BatchedVad``): each channel's frames and stream (None: no audio)..."""
        self._convert_pcm()
        if self._pending_samples == 0:
            return None
        audio = [
            pieces[0] if len(pieces) == 1 else np.concatenate(pieces) for pieces in self._pending
        ]
        self._pending = [[] for _ in self.roles]
        self._pending_samples = 0
        if self._echo is not None:
            audio = self._echo.push(audio)
        return self._frames(audio)

    def complete(
        self, probabilities: Sequence[npt.NDArray[np.float32]]
    ) -> tuple[list[Event], list[FinalJob]]:
        """...and the frames' speech probabilities, per channel as ``prepare`` gave them."""
        return self.conversation.feed_many(self._heard(probabilities)), self._pop_jobs()

    def echo_change(self) -> tuple[bool, float | None] | None:
        """(True, delay in ms) when the seller's microphone starts hearing the call from the
        speakers, (False, None) when it no longer does; None when nothing changed."""
        if self._echo is None or "seller" not in self.roles:
            return None
        delay_ms = self._echo.hearing_ms[self.roles.index("seller")]
        if (delay_ms is not None) == self._echo_warned:
            return None
        self._echo_warned = delay_ms is not None
        return self._echo_warned, delay_ms

    def voices_change(self) -> bool | None:
        """True when the seller's microphone starts hearing people talk around them, False
        when it no longer does; None when nothing changed."""
        seller = self._listeners.get("seller")
        if seller is None or seller.voices is None or seller.voices.heard == self._voices_warned:
            return None
        self._voices_warned = seller.voices.heard
        return self._voices_warned

    def _frames(self, audio: Sequence[Samples]) -> list[VadRequest]:
        listeners = [self._listeners[role] for role in self.roles]
        return [
            (listener.frames(samples), listener.stream)
            for listener, samples in zip(listeners, audio, strict=True)
        ]

    def _heard(self, probabilities: Sequence[npt.NDArray[np.float32]]) -> list[Fact]:
        for role, heard in zip(self.roles, probabilities, strict=True):
            listener = self._listeners[role]
            self._merger.push(role, listener.take(heard), listener.watermark())
        self.samples = min(listener.received_samples for listener in self._listeners.values())
        return self._merger.release()

    def _listen(self, audio: Sequence[Samples]) -> list[Fact]:
        requests = self._frames(audio)
        return self._heard([self._vad.probabilities(*request) for request in requests])

    def _pop_jobs(self, ended: bool = False) -> list[FinalJob]:
        spans = {role: self._listeners[role].pop_spans() for role in self.roles}
        if self.seller_speech is not None:
            self._collect_seller_speech(spans, ended)
        return [FinalJob(role, span) for role in self.roles for span in spans[role]]

    def _collect_seller_speech(self, spans: dict[Role, list[Span]], ended: bool) -> None:
        assert self.seller_speech is not None
        customer = self._listeners.get("customer")
        self.seller_speech.add(spans["seller"], spans.get("customer", []))
        if ended:
            self.seller_speech.settle(None, None)
        else:
            self.seller_speech.settle(
                None if customer is None else customer.settled_sample(),
                self._listeners["seller"].settled_sample(),
            )

    def feed_focus(self, focused: bool) -> list[Event]:
        # It takes effect where every channel's activity is known, after the facts due by then
        # (a later sample would put it ahead of speech edges still held by the merger).
        events = self.conversation.feed_many(self._merger.release_with_tick())
        return events + self.conversation.feed(FocusChanged(self._merger.safe_sample(), focused))

    def feed_words(
        self, role: Role, span: Span, words: Sequence[TimedWord], language: str | None
    ) -> list[Event]:
        # The transcript takes effect at the audio time it became known.
        utterance = utterance_fact(role, span, words, language, self._merger.safe_sample())
        if utterance is None:
            return []
        events = self.conversation.feed(utterance)
        return events + self.conversation.feed_many(self._merger.release_with_tick())

    def tentative_jobs(self) -> list[FinalJob]:
        """Open utterances whose speech has just stopped, as they would close (see
        ``ChannelListener.pop_tentative``)."""
        jobs = []
        for role in self.roles:
            span = self._listeners[role].pop_tentative()
            if span is not None:
                jobs.append(FinalJob(role, span))
        return jobs

    def partial_due(self) -> PartialJob | None:
        """An open utterance with a second of new speech since its last partial, if any."""
        for role in self.roles:
            listener = self._listeners[role]
            length = listener.open_samples()  # checked every frame: no copy until one is due
            if length == 0:
                self._last_partial[role] = 0
                continue
            if not listener.speaking:
                # Paused: it may be about to close, and its final must not wait for a preview.
                continue
            due = max(_PARTIAL_EVERY_SAMPLES, int(_PARTIAL_GROWTH * length))
            if length - self._last_partial[role] >= due:
                self._last_partial[role] = length
                open_audio = listener.open_audio(_PARTIAL_MAX_SAMPLES)
                assert open_audio is not None
                start, audio = open_audio
                return PartialJob(role, start, audio)
        return None

    def finish(self) -> tuple[list[Event], list[FinalJob]]:
        flushed, flushed_jobs = self.flush()
        facts: list[Fact] = []
        if self._echo is not None:
            facts = self._listen(self._echo.finish())
        for role in self.roles:
            listener = self._listeners[role]
            self._merger.push(role, listener.finish(), listener.received_samples)
        jobs = flushed_jobs + self._pop_jobs(ended=True)
        end = max(listener.received_samples for listener in self._listeners.values())
        self.samples = end
        return flushed + self.conversation.feed_many(facts + self._merger.finish(end)), jobs

    def close(self) -> list[Event]:
        return self.conversation.finish(self.samples)
