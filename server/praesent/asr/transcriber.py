"""One Whisper model per process; utterances go in as audio, words with audio times come out."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from praesent.asr.hallucinations import is_invented
from praesent.audio import SAMPLE_RATE
from praesent.errors import ModelError


@dataclass(frozen=True, slots=True)
class AsrOptions:
    compute_type: str = "int8"
    cpu_threads: int = 2
    # faster-whisper's default; greedy decoding (1) is faster but less stable on German compounds.
    beam_size: int = 5
    # Silence put between packed utterances so Whisper sees them as separate phrases.
    pack_gap_ms: int = 200
    # Utterances of one channel are packed up to this much audio per decoder window.
    pack_max_s: float = 28.0


@dataclass(frozen=True, slots=True)
class TimedWord:
    text: str
    start_sample: int
    end_sample: int
    probability: float


@dataclass(frozen=True, slots=True)
class Span:
    """An utterance of one channel: speech from ``start_sample`` to ``end_sample``; ``audio``
    begins at ``audio_start_sample`` (a little context before the speech)."""

    start_sample: int
    end_sample: int
    audio: npt.NDArray[np.float32]
    audio_start_sample: int


class Transcriber:
    """Wraps faster-whisper's ``WhisperModel``; safe to share between threads."""

    def __init__(self, model_dir: Path, options: AsrOptions | None = None) -> None:
        from faster_whisper import WhisperModel

        self.options = options or AsrOptions()
        try:
            self._model = WhisperModel(
                str(model_dir),
                device="cpu",
                compute_type=self.options.compute_type,
                cpu_threads=self.options.cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as error:
            raise ModelError(f"the model in {model_dir} does not load: {error}") from None
        self._lock = threading.Lock()
        self.model_dir = model_dir

    @property
    def multilingual(self) -> bool:
        return bool(self._model.model.is_multilingual)

    def detect_language(self, audio: npt.NDArray[np.float32]) -> str:
        if not self.multilingual:
            return "en"
        language, _probability, _all = self._model.detect_language(audio=audio)
        return str(language)

    def transcribe_spans(self, spans: list[Span], language: str) -> list[list[TimedWord]]:
        """Transcribe several spans of one channel in one pass; returns the words of each span.

        The spans are packed into one buffer with short silences between them, so a decoder
        window holds as much speech as possible; word times are mapped back to each span.
        """
        if not spans:
            return []
        gap = np.zeros(round(self.options.pack_gap_ms * SAMPLE_RATE / 1000), dtype=np.float32)
        pieces: list[npt.NDArray[np.float32]] = []
        offsets: list[int] = []  # where each span starts in the packed buffer
        position = 0
        for span in spans:
            offsets.append(position)
            pieces.extend((span.audio, gap))
            position += span.audio.shape[0] + gap.shape[0]
        packed = np.concatenate(pieces)
        words: list[list[TimedWord]] = [[] for _ in spans]
        for packed_start, packed_end, text, probability in self._words(packed, language):
            middle = (packed_start + packed_end) // 2
            index = max(0, int(np.searchsorted(offsets, middle, side="right")) - 1)
            base = spans[index].audio_start_sample - offsets[index]
            limit = spans[index].end_sample
            start = min(max(packed_start + base, spans[index].start_sample), limit)
            end = min(max(packed_end + base, start), limit)
            words[index].append(TimedWord(text, start, end, probability))
        return words

    def preview(self, audio: npt.NDArray[np.float32], language: str) -> str:
        """A quick, rough text of an utterance still being spoken: greedy, no word times."""
        with self._lock:
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
        return " ".join(text for text in texts if text)

    def _words(
        self, audio: npt.NDArray[np.float32], language: str
    ) -> list[tuple[int, int, str, float]]:
        options = self.options
        with self._lock:
            segments, _info = self._model.transcribe(
                audio,
                language=language,
                task="transcribe",
                beam_size=options.beam_size,
                word_timestamps=True,
                vad_filter=False,
                condition_on_previous_text=False,
                # A pack joins separate utterances, so repeated short phrases ("yes", "okay")
                # are normal there, not a decoding loop: judge fallbacks by log-probability.
                compression_ratio_threshold=None,
            )
            found: list[tuple[int, int, str, float]] = []
            for segment in segments:
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
        return [item for item in found if item[2]]
