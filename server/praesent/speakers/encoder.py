"""Speaker embeddings: the Resemblyzer GE2E voice encoder (3-layer LSTM over 40 mel bands, a
256-d embedding) run in numpy from its checkpoint, or a user's ONNX model of waveform in,
embedding out. Both give L2-normalised float32 vectors, compared by cosine similarity."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from threadpoolctl import threadpool_limits

from praesent.errors import ModelError
from praesent.speakers.checkpoint import load_legacy_checkpoint
from praesent.speakers.onnx import open_session

SAMPLE_RATE = 16_000
# Resemblyzer's front end: 25 ms windows every 10 ms, 40 mel bands, 1.6 s partials.
_N_FFT = 400
_HOP = 160
_N_MELS = 40
_PARTIAL_FRAMES = 160
# Resemblyzer cuts 1.3 overlapping partials per second; praesent cuts them end to end, which
# halves the cost (0.5 GFLOP per partial) and separated the phone call's speakers as well.
_PARTIALS_PER_S = SAMPLE_RATE / (_PARTIAL_FRAMES * _HOP)
_MIN_COVERAGE = 0.75
_TARGET_DBFS = -30.0
_LAYERS = 3


class SpeakerEncoder(Protocol):
    """Waveforms (16 kHz float32) in, one L2-normalised embedding per waveform out."""

    dimension: int

    def embed(self, waveforms: Sequence[np.ndarray]) -> np.ndarray: ...


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa computes it."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, log_step = min_log_hz / f_sp, np.log(6.4) / 27.0
    mels = hz / f_sp
    above = hz >= min_log_hz
    mels[above] = min_log_mel + np.log(hz[above] / min_log_hz) / log_step
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, log_step = min_log_hz / f_sp, np.log(6.4) / 27.0
    hz = mels * f_sp
    above = mels >= min_log_mel
    hz[above] = min_log_hz * np.exp(log_step * (mels[above] - min_log_mel))
    return hz


def mel_filterbank(sample_rate: int = SAMPLE_RATE, n_fft: int = _N_FFT) -> np.ndarray:
    """Slaney-normalised triangular filters, shape (mels, n_fft // 2 + 1)."""
    fft_hz = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    low, high = _hz_to_mel(np.array([0.0, sample_rate / 2.0]))
    mel_edges = np.linspace(float(low), float(high), _N_MELS + 2)
    mel_hz = _mel_to_hz(mel_edges)
    widths = np.diff(mel_hz)
    ramps = mel_hz[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_hz[2:] - mel_hz[:-2]))[:, None]
    result: np.ndarray = weights.astype(np.float32)
    return result


def mel_frames(waveform: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """Power mel spectrogram (frames, 40): centred, reflect-padded Hann STFT like librosa."""
    padded = np.pad(waveform, _N_FFT // 2, mode="reflect")
    count = 1 + (padded.shape[0] - _N_FFT) // _HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, _N_FFT)[::_HOP][:count]
    window = np.hanning(_N_FFT + 1)[:-1].astype(np.float32)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    result: np.ndarray = (power @ filters.T).astype(np.float32)
    return result


def _normalise_volume(waveform: np.ndarray) -> np.ndarray:
    """Raise quiet speech to -30 dBFS, never lower it (Resemblyzer's preprocessing)."""
    rms = float(np.sqrt(np.mean(np.square(waveform, dtype=np.float64))))
    if rms <= 0.0:
        return waveform
    change_db = _TARGET_DBFS - 20.0 * np.log10(rms)
    return waveform * np.float32(10 ** (change_db / 20)) if change_db > 0 else waveform


def partial_starts(frame_count: int) -> list[int]:
    """Where to cut 1.6 s partials (Resemblyzer's rule); the last one needs 75 % cover."""
    step = round((SAMPLE_RATE / _PARTIALS_PER_S) / _HOP)
    starts = list(range(0, max(1, frame_count - _PARTIAL_FRAMES + step + 1), step))
    coverage = (frame_count - starts[-1]) / _PARTIAL_FRAMES
    if coverage < _MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def _sigmoid(x: np.ndarray) -> np.ndarray:
    result: np.ndarray = 0.5 * (np.tanh(0.5 * x) + 1.0)
    return result


class VoiceEncoder:
    """The GE2E encoder of Resemblyzer 0.1.4, weights read from its legacy torch checkpoint."""

    dimension = 256

    def __init__(self, checkpoint: Path) -> None:
        state = load_legacy_checkpoint(checkpoint).get("model_state")
        if not isinstance(state, dict):
            raise ModelError(f"{checkpoint.name}: no model_state in the checkpoint")
        try:
            self._layers = [
                (
                    np.ascontiguousarray(state[f"lstm.weight_ih_l{layer}"].T),
                    np.ascontiguousarray(state[f"lstm.weight_hh_l{layer}"].T),
                    state[f"lstm.bias_ih_l{layer}"] + state[f"lstm.bias_hh_l{layer}"],
                )
                for layer in range(_LAYERS)
            ]
            self._linear_w = np.ascontiguousarray(state["linear.weight"].T)
            self._linear_b = state["linear.bias"]
        except KeyError as error:
            raise ModelError(f"{checkpoint.name}: missing weight {error}") from None
        self._filters = mel_filterbank()

    def _forward(self, mels: np.ndarray) -> np.ndarray:
        """(batch, frames, 40) -> (batch, 256): the last hidden state, linear, ReLU, L2."""
        x = mels
        batch, steps, _ = mels.shape
        for w_ih, w_hh, bias in self._layers:
            hidden = w_hh.shape[0]
            gates_in = x @ w_ih + bias
            h = np.zeros((batch, hidden), np.float32)
            c = np.zeros((batch, hidden), np.float32)
            outputs = np.empty((batch, steps, hidden), np.float32)
            for t in range(steps):
                gates = gates_in[:, t] + h @ w_hh
                i, f, g, o = np.split(gates, 4, axis=1)  # PyTorch's gate order
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                outputs[:, t] = h
            x = outputs
        raw = np.maximum(h @ self._linear_w + self._linear_b, 0.0)
        result: np.ndarray = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)
        return result

    def embed(self, waveforms: Sequence[np.ndarray]) -> np.ndarray:
        """One embedding per waveform: the normalised mean of its partials' embeddings."""
        partials: list[np.ndarray] = []
        owners: list[int] = []
        for index, waveform in enumerate(waveforms):
            audio = _normalise_volume(np.asarray(waveform, dtype=np.float32))
            frame_count = int(np.ceil((audio.shape[0] + 1) / _HOP))
            starts = partial_starts(frame_count)
            needed = (starts[-1] + _PARTIAL_FRAMES) * _HOP
            if needed > audio.shape[0]:
                audio = np.pad(audio, (0, needed - audio.shape[0]))
            mels = mel_frames(audio, self._filters)
            for start in starts:
                partials.append(mels[start : start + _PARTIAL_FRAMES])
                owners.append(index)
        if not partials:
            return np.zeros((0, self.dimension), np.float32)
        # The LSTM's small matrix products run many times faster on one BLAS thread than on
        # threads that contend with transcription for the same cores.
        with threadpool_limits(limits=1, user_api="blas"):
            embedded = self._forward(np.stack(partials))
        sums = np.zeros((len(waveforms), self.dimension), np.float32)
        np.add.at(sums, np.asarray(owners), embedded)
        result: np.ndarray = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-9)
        return result


class OnnxEncoder:
    """A user's speaker-embedding model in ONNX: input (batch, samples) at 16 kHz, output
    (batch, dimension). Each waveform is run on its own, so any length works."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        self._session = open_session(path, "speaker model", threads)
        inputs = self._session.get_inputs()
        outputs = self._session.get_outputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 2 or len(outputs[0].shape) != 2:
            raise ModelError(
                f"{path.name}: a speaker model takes (batch, samples) and gives (batch, dim)"
            )
        self._input = inputs[0].name
        dimension = outputs[0].shape[1]
        self.dimension = dimension if isinstance(dimension, int) else 0

    def embed(self, waveforms: Sequence[np.ndarray]) -> np.ndarray:
        rows = [
            np.asarray(
                self._session.run(None, {self._input: np.asarray(w, np.float32)[None, :]})[0][0],
                np.float32,
            )
            for w in waveforms
        ]
        if not rows:
            return np.zeros((0, self.dimension), np.float32)
        stacked = np.stack(rows)
        self.dimension = stacked.shape[1]
        norms = np.maximum(np.linalg.norm(stacked, axis=1, keepdims=True), 1e-9)
        result: np.ndarray = stacked / norms
        return result
