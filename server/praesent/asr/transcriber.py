"""One Whisper model per process; utterances go in as audio, words with audio times come out."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from praesent.asr.hallucinations import is_invented
from praesent.asr.quality import QualityOptions, failure
from praesent.audio import SAMPLE_RATE
from praesent.errors import ModelError


@dataclass(frozen=True, slots=True)
class AsrOptions:
    # Where and in what precision Whisper runs (see praesent.asr.device).
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    # faster-whisper's default; greedy decoding (1) is faster but less stable on German compounds.
    beam_size: int = 5
    # Silence put between packed utterances so Whisper sees them as separate phrases.
    pack_gap_ms: int = 200
    # Utterances of one channel are packed up to this much audio: the room of one decoder window.
    pack_max_s: float = 28.0
    quality: QualityOptions = field(default_factory=QualityOptions)
    # Whisper's temperature fallback, for an utterance decoded again on its own.
    retry_temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


# A pack is done once a decoded segment ends this close to its last speech.
_TAIL = SAMPLE_RATE // 5
# A span counts as decoded when a one-window decode's text ended this close to its speech's end
# (what voice activity adds after the last word).
_REACHED = SAMPLE_RATE // 5
# The audio of one decoder window.
_WINDOW = 30 * SAMPLE_RATE
# Whisper's feature frames: 100 a second, 3000 a window.
_FRAMES_PER_S = 100
_FIT_STEP_FRAMES = 5 * _FRAMES_PER_S


class _SecondWindowError(Exception):
    """Raised by the encoder when a one-window decode would encode a second window."""


@dataclass(slots=True)
class AsrStats:
    """What speech-to-text did for one call: what its cost is made of."""

    speech_s: float = 0.0  # speech in the utterances transcribed
    audio_s: float = 0.0  # audio sent to the decoder (speech, context, packing gaps, retries)
    decodes: int = 0  # calls into Whisper for words (a pack or a retried utterance)
    windows: int = 0  # decoder windows that gave text (one encoder pass each, up to 30 s)
    fallbacks: int = 0  # windows decoded again at a higher temperature
    retries: int = 0  # utterances decoded again alone after failing the checks
    rejected: int = 0  # utterances dropped after failing twice
    language_passes: int = 0  # encoder passes spent on deciding the language

    def as_dict(self) -> dict[str, float | int]:
        return {
            "speech_s": round(self.speech_s, 2),
            "audio_s": round(self.audio_s, 2),
            "decodes": self.decodes,
            "windows": self.windows,
            "fallbacks": self.fallbacks,
            "retries": self.retries,
            "rejected": self.rejected,
            "language_passes": self.language_passes,
        }


@dataclass(frozen=True, slots=True)
class TimedWord:
    text: str
    start_sample: int
    end_sample: int
    probability: float


@dataclass(frozen=True, slots=True)
class Decoded:
    """The words of one span; ``rejected`` when its text failed the checks twice (the words are
    then dropped)."""

    words: list[TimedWord]
    rejected: bool = False
    retried: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    """An utterance of one channel: speech from ``start_sample`` to ``end_sample``; ``audio``
    begins at ``audio_start_sample`` (a little context before the speech)."""

    start_sample: int
    end_sample: int
    audio: npt.NDArray[np.float32]
    audio_start_sample: int


def _fit_frames(encoder_min_s: float | None) -> int:
    """The encoder frames a window is cut to at the least (0: never cut)."""
    if encoder_min_s is None or encoder_min_s >= 30:
        return 0
    return round(encoder_min_s * _FRAMES_PER_S)


@dataclass(frozen=True, slots=True)
class _Decoding:
    """How one decode differs from the transcriber's options (a live one's): the encoder frames
    a window is cut to at the least (0: Whisper's whole window), and its own beam size."""

    fit: int = 0
    beam_size: int | None = None


_WHOLE = _Decoding()


def _fitted(features: Any, least: int) -> Any:
    """A window's features without the padding beyond its audio, rounded up to 5 s and at least
    ``least`` frames. faster-whisper pads each window's features with zeros to 30 s (a frame of
    real audio is never zero in all its mel bands); the encoder's cost grows faster than its
    length: 20 s of the 30 take 38 % of its CPU."""
    frames = np.asarray(features)
    if frames.ndim == 2:
        frames = frames[None]
    heard = np.flatnonzero(np.any(frames[0] != 0, axis=0))
    content = int(heard[-1]) + 1 if heard.size else 0
    keep = max(least, -(-content // _FIT_STEP_FRAMES) * _FIT_STEP_FRAMES)
    return np.ascontiguousarray(frames[..., :keep]) if keep < frames.shape[-1] else features


class Transcriber:
    """Wraps faster-whisper's ``WhisperModel``; safe to share between threads."""

    def __init__(self, model_dir: Path, options: AsrOptions | None = None) -> None:
        from faster_whisper import WhisperModel

        self.options = options or AsrOptions()
        try:
            self._model = WhisperModel(
                str(model_dir),
                device=self.options.device,
                compute_type=self.options.compute_type,
                cpu_threads=self.options.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelError(f"the model in {model_dir} does not load: {error}") from None
        self._lock = threading.Lock()
        self.model_dir = model_dir
        # faster-whisper encodes each decoder window through ``encode``; wrapped, it can stop a
        # decode before its second window (``transcribe_window``).
        self._encode = self._model.encode
        self._model.encode = self._encode_window
        self._windows_left: int | None = None
        # Encoder frames a window is cut to where its audio is shorter (0: Whisper's whole window).
        self._fit_frames = 0
        # For ``transcribe_window``: the speech of each packed span, and where the decoded text
        # has reached so far (samples of the pack).
        self._speech: list[tuple[int, int]] = []
        self._reached = 0

    @property
    def loaded_on(self) -> tuple[str, str]:
        """The device and compute type CTranslate2 actually loaded the model with."""
        model = self._model.model
        return str(model.device), str(model.compute_type)

    def _encode_window(self, features: Any) -> Any:
        if self._windows_left is not None:
            if self._windows_left <= 0:
                if not self._inside_speech(self._reached):
                    raise _SecondWindowError
                # The last pack's text stopped inside an utterance: packed again, it would be
                # decoded twice; Whisper's own next window goes on from where it stopped.
                self._windows_left = None
            else:
                self._windows_left -= 1
        return self._encode(_fitted(features, self._fit_frames) if self._fit_frames else features)

    def _inside_speech(self, sample: int) -> bool:
        return any(start < sample < end - _REACHED for start, end in self._speech)

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def language_probabilities(
        self, audio: npt.NDArray[np.float32], stats: AsrStats | None = None
    ) -> dict[str, float]:
        """Whisper's probability of each language for ``audio`` (its first 30 s)."""
        if not self.multilingual:
            return {"en": 1.0}
        if stats is not None:
            stats.language_passes += 1
        with self._lock:
            _language, _probability, probabilities = self._model.detect_language(audio=audio)
        return {str(language): float(p) for language, p in probabilities}

    def transcribe_spans(
        self,
        spans: list[Span],
        language: str,
        stats: AsrStats | None = None,
        encoder_min_s: float | None = None,
        beam_size: int | None = None,
    ) -> list[Decoded]:
        """Transcribe several spans of one channel in one pass; returns the words of each span.

        The spans are packed into one buffer with short silences between them, so a decoder
        window holds as much speech as possible; word times are mapped back to each span. Each
        span's text is then judged on its own (``quality.failure``): one that fails is decoded
        again alone with Whisper's temperature fallback, and dropped if it fails again.

        With ``encoder_min_s``, the encoder sees each window's audio rounded up to 5 s and at
        least that long, not Whisper's 30 s of which the rest is padding (``_fitted``).
        ``beam_size``: this decode's, not the options' (1: greedy, as live finals of some
        languages are).
        """
        decoding = _Decoding(_fit_frames(encoder_min_s), beam_size)
        return self._transcribe(spans, language, stats, one_window=False, decoding=decoding)

    def transcribe_window(
        self, spans: list[Span], language: str, stats: AsrStats | None = None, last: bool = False
    ) -> list[Decoded]:
        """Like ``transcribe_spans`` for spans packed up to a window's room (``pack_max_s``),
        but with one encoder pass: where Whisper's text ends before the pack's last speech, only
        the spans it got through are returned (at least the first); the caller packs the rest
        again with the spans that follow, instead of Whisper encoding the pack's remainder as a
        window of its own. With ``last`` (no spans follow), a text that stops inside an utterance
        goes on into Whisper's next window: packed again, the utterance would be decoded twice."""
        return self._transcribe(spans, language, stats, one_window=True, last=last)

    def _transcribe(
        self,
        spans: list[Span],
        language: str,
        stats: AsrStats | None,
        one_window: bool,
        last: bool = False,
        decoding: _Decoding = _WHOLE,
    ) -> list[Decoded]:
        if not spans:
            return []
        if one_window and spans[0].audio.shape[0] > _WINDOW:
            # An utterance longer than a window: Whisper's own seek goes through it.
            return self._transcribe(spans[:1], language, stats, one_window=False, decoding=decoding)
        gap = np.zeros(round(self.options.pack_gap_ms * SAMPLE_RATE / 1000), dtype=np.float32)
        pieces: list[npt.NDArray[np.float32]] = []
        offsets: list[int] = []  # where each span starts in the packed buffer
        position = 0
        for span in spans:
            offsets.append(position)
            pieces.extend((span.audio, gap))
            position += span.audio.shape[0] + gap.shape[0]
        packed = np.concatenate(pieces)
        # Where each span's speech ends in the pack: what Whisper decodes after the last one is
        # silence.
        ends = [
            o + s.end_sample - s.audio_start_sample for o, s in zip(offsets, spans, strict=True)
        ]
        stats = stats if stats is not None else AsrStats()
        speech = [
            (o + s.start_sample - s.audio_start_sample, end)
            for o, s, end in zip(offsets, spans, ends, strict=True)
            if last
        ]
        found, stopped = self._words(
            packed,
            language,
            stats,
            speech_end=ends[-1],
            one_window=one_window,
            speech=speech,
            decoding=decoding,
        )
        if stopped is not None:
            done = sum(1 for end in ends if end <= stopped + _REACHED)
            if done == 0:
                # Whisper stopped inside the first span: that one is decoded alone, whole.
                return self._transcribe(
                    spans[:1], language, stats, one_window=False, decoding=decoding
                )
            spans = spans[:done]
        stats.speech_s += sum(span.end_sample - span.start_sample for span in spans) / SAMPLE_RATE
        words: list[list[TimedWord]] = [[] for _ in spans]
        for packed_start, packed_end, text, probability in found:
            middle = (packed_start + packed_end) // 2
            index = max(0, int(np.searchsorted(offsets, middle, side="right")) - 1)
            if index < len(spans):
                words[index].append(
                    _timed(
                        spans[index], offsets[index], packed_start, packed_end, text, probability
                    )
                )
        return [
            self.checked(span, found, language, stats, decoding)
            for span, found in zip(spans, words, strict=True)
        ]

    def checked(
        self,
        span: Span,
        words: list[TimedWord],
        language: str,
        stats: AsrStats | None = None,
        decoding: _Decoding = _WHOLE,
    ) -> Decoded:
        """``words`` decoded for ``span`` as they are, or decoded again, or dropped."""
        duration_s = (span.end_sample - span.start_sample) / SAMPLE_RATE
        if failure(_text(words), duration_s, self.options.quality) is None:
            return Decoded(words)
        stats = stats if stats is not None else AsrStats()
        stats.retries += 1
        again = [
            _timed(span, 0, start, end, text, probability)
            for start, end, text, probability in self._words(
                span.audio, language, stats, True, decoding=decoding
            )[0]
        ]
        if failure(_text(again), duration_s, self.options.quality) is None:
            return Decoded(again, retried=True)
        stats.rejected += 1
        return Decoded([], rejected=True, retried=True)

    def preview(
        self, audio: npt.NDArray[np.float32], language: str, encoder_min_s: float | None = None
    ) -> str:
        """A quick, rough text of an utterance still being spoken: greedy, no word times
        (``encoder_min_s`` as for ``transcribe_spans``)."""
        with self._lock:
            self._fit_frames = _fit_frames(encoder_min_s)
            try:
                segments, _info = self._model.transcribe(
                    audio,
                    language=language,
                    beam_size=1,
                    without_timestamps=True,
                    vad_filter=False,
                    condition_on_previous_text=False,
                    temperature=0.0,
                )
                texts = [s.text.strip() for s in segments if not is_invented(s.text)]
            finally:
                self._fit_frames = 0
        text = " ".join(text for text in texts if text)
        # A preview is shown as it is: one that loops or runs too fast is not shown at all.
        duration_s = audio.shape[0] / SAMPLE_RATE
        return "" if failure(text, duration_s, self.options.quality) else text

    def _words(
        self,
        audio: npt.NDArray[np.float32],
        language: str,
        stats: AsrStats,
        retry: bool = False,
        speech_end: int | None = None,
        one_window: bool = False,
        speech: list[tuple[int, int]] | None = None,
        decoding: _Decoding = _WHOLE,
    ) -> tuple[list[tuple[int, int, str, float]], int | None]:
        """The words Whisper hears in ``audio``. With ``speech_end``, decoding stops once a
        segment reaches it: Whisper would otherwise encode the rest after its last timestamp
        (the pack's trailing context and gap) as a window of its own, one more encoder pass.
        With ``one_window``, decoding stops before a second window, unless the first window's
        text ended inside one of the ``speech`` spans (start, end in ``audio``'s samples); then the
        sample where the first window's text ended comes back as well (else None)."""
        options = self.options
        stats.decodes += 1
        stats.audio_s += audio.shape[0] / SAMPLE_RATE
        windows: set[int] = set()
        fallbacks: set[int] = set()
        stopped: int | None = None
        reached = 0  # where the last decoded segment ended
        found: list[tuple[int, int, str, float]] = []
        with self._lock:
            self._windows_left = 1 if one_window else None
            self._speech, self._reached = speech or [], 0
            self._fit_frames = decoding.fit
            try:
                segments, _info = self._model.transcribe(
                    audio,
                    language=language,
                    task="transcribe",
                    beam_size=decoding.beam_size or options.beam_size,
                    word_timestamps=True,
                    vad_filter=False,
                    condition_on_previous_text=False,
                    # A pack joins separate utterances, so repeated short phrases ("yes", "okay")
                    # are normal there, not a decoding loop: judge fallbacks by log-probability,
                    # and each utterance afterwards on its own. One utterance decoded again alone
                    # gets Whisper's full fallback: a looping decode is redone at a higher
                    # temperature.
                    compression_ratio_threshold=options.quality.max_compression_ratio
                    if retry
                    else None,
                    temperature=list(options.retry_temperatures),
                )
                for segment in segments:
                    # Segments of one decoder window share its ``seek``; a window decoded above
                    # temperature 0 took the fallback.
                    windows.add(segment.seek)
                    if segment.temperature:
                        fallbacks.add(segment.seek)
                    reached = self._reached = round(segment.end * SAMPLE_RATE)
                    if is_invented(segment.text, segment.no_speech_prob, segment.avg_logprob):
                        continue
                    for word in segment.words or ():
                        found.append(
                            (
                                round(word.start * SAMPLE_RATE),
                                round(word.end * SAMPLE_RATE),
                                word.word.strip(),
                                float(word.probability),
                            )
                        )
                    if speech_end is not None and segment.end * SAMPLE_RATE >= speech_end - _TAIL:
                        break
            except _SecondWindowError:
                # faster-whisper goes on from the end of the last whole segment it decoded.
                stopped = reached
            finally:
                self._windows_left = None
                self._fit_frames = 0
        stats.windows += max(1, len(windows))
        stats.fallbacks += len(fallbacks)
        return [item for item in found if item[2]], stopped


def _text(words: list[TimedWord]) -> str:
    return " ".join(word.text for word in words)


def _timed(
    span: Span, offset: int, start: int, end: int, text: str, probability: float
) -> TimedWord:
    """A word decoded at ``start``-``end`` of a buffer in which ``span``'s audio begins at
    ``offset``, in the call's samples and inside the span's speech."""
    base = span.audio_start_sample - offset
    limit = span.end_sample
    begin = min(max(start + base, span.start_sample), limit)
    return TimedWord(text, begin, min(max(end + base, begin), limit), probability)
