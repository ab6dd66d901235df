"""Echo and crosstalk between the two channels of a call, removed before voice activity.

A seller without a headset: the microphone also hears the customer from the speakers, 20-250 ms
late, 10-25 dB down, coloured by the room. Counted as the seller's speech it invents talk time,
overlaps and backchannels, and Whisper writes the customer's words into the seller's transcript.

``EchoGate`` removes from each channel what is the other channel's signal, delayed and filtered,
and keeps what is not (double talk: the seller speaking over the customer stays):

1. The delay: GCC-PHAT (generalised cross-correlation with phase transform) between the channel
   and the other over the last second, every 32 ms while both sound (every 128 ms while the
   delay is steady), 0-250 ms; a peak well above the correlation's spread is echo, a flat
   correlation is none. The delay is tracked over the call (the median of the recent confident
   estimates).
2. The echo's spectrum: the other channel's power spectrum at that delay, with a reverberation
   tail, times the echo path's gain per band. The gain is the minimum, over the last seconds in
   which the other channel spoke, of this channel's power over the other's (minimum statistics:
   frames of pure echo give the gain, frames with the seller's own speech only raise the ratio).
3. A suppression gain per frequency bin (spectral subtraction with overestimation, as residual
   echo suppressors do), applied in a short-time Fourier transform with perfect reconstruction.

A linear echo canceller (speexdsp's, WebRTC's) was the alternative; none installs as a wheel
here, a canceller must converge before it helps and leaves residual echo that a voice-activity
model still hears. numpy's FFT does all the work; there is no per-sample filtering.

The delay is known only some 100 ms after the other side starts to speak; the frames in between
would let its first words through. So while both channels sound and no echo is known yet, the
output waits up to 256 ms for the search (at most 10 s of a call in all), until the search has
run over a second of both sounding without finding echo: a call with a headset waits no
more after its first second of double talk.

Both channels must be pushed in equal lengths; the output lags the input by one window (32 ms),
plus that wait, and is sample-aligned with it: sample i out is sample i in, cleaned.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.fft

from praesent.audio import SAMPLE_RATE
from praesent.audio.echo_delay import ChannelFloor, DelayTracker, EchoHeard

Samples = npt.NDArray[np.float32]

_WINDOW = 512  # 32 ms
_HOP = 256
_BINS = _WINDOW // 2 + 1
_BAND_BINS = 8
_BANDS = (_BINS - 1) // _BAND_BINS  # the last bin (8 kHz) goes with the last band
_UNKNOWN = 1e30  # a band whose ratio was not measured (the other channel was quiet there)


@dataclass(frozen=True, slots=True)
class EchoOptions:
    max_delay_ms: int = 250
    # No path through loudspeakers and a microphone is shorter (device buffers alone take
    # ~10 ms); the same signal on both channels at once is one recording, not echo.
    min_delay_ms: int = 5
    # Cross-correlation over this much audio of both channels, every ``delay_every_ms``.
    delay_window_ms: int = 1000
    delay_every_ms: int = 32
    # Once the delay is steady (the last estimates all agree on it), only every this-many-th
    # search runs: a steady echo path needs no new estimate every 32 ms, and the search's two
    # FFTs were a fifth of a live call's audio work. A disagreeing estimate or one of crosstalk
    # makes it unsteady, and the search runs every time again. (Searching as sparsely on calls
    # without echo found reverberation's reflections as echo: the search stays dense there.)
    steady_search_every: int = 4
    # A correlation peak this many standard deviations above the correlation's spread is echo.
    delay_peak_sigmas: float = 6.0
    # While both channels sound and no echo is known, frames wait this long for the delay
    # search (the other side's first words would pass otherwise), for at most this much of a
    # call in all.
    hold_ms: int = 256
    hold_budget_s: float = 10.0
    # Once the search has run over this much of both channels sounding at once without finding
    # any echo, the call has none (a headset, or the speakers down): double talk is only that,
    # and nothing waits any more. An echo that starts later is still found and removed, after
    # its first ~100 ms. Real echo was found within 4-10 searches (320 ms) on every recording
    # of ``make eval``: a second leaves three times that for weaker echo.
    hold_until_no_echo_ms: int = 1000
    # The echo path's gain is the minimum power ratio over this much of the other's speech:
    # long enough that seconds of double talk do not fill it.
    gain_memory_s: float = 12.0
    gain_percentile: float = 20.0
    # An "echo" no quieter than this is the same recording on both channels, not echo.
    max_echo_gain_db: float = -6.0
    # Reverberation of the room the echo passes through (the tail of the echo estimate).
    reverb_s: float = 0.3
    # Spectral subtraction: remove this multiple of the echo estimate; keep at least this gain.
    overestimate: float = 4.0
    # Under the seller's own voice (double talk) the echo estimate is removed this many times.
    double_talk_overestimate: float = 2.0
    floor_gain: float = 0.0
    echo_frame_kept: float = 0.1
    # A frame whose coherence with the other channel is above this is echo only.
    echo_coherence: float = 0.5
    coherence_smoothing: float = 0.7
    # Frames at least this coherent with the other channel teach the echo path's level.
    related_coherence: float = 0.15
    # A frame no louder than the echo path lets the other channel through, plus this, is echo.
    echo_margin_db: float = 7.5
    # The echo is *heard* (the live warning; the gate does not use it) once the delay was found
    # again, with the echo 6-30 dB below its source, in this many separate seconds of the other
    # channel's sound within ``heard_within_s`` of it. One window's correlation peak can be
    # chance (a voice starting while the other talks); an echo comes back with every sentence.
    heard_seconds: int = 3
    heard_within_s: float = 10.0
    min_echo_gain_db: float = -30.0
    # The echo is gone (a headset, the speakers turned down) once the other channel sounded this
    # long without its echo found here again.
    echo_cleared_s: float = 10.0


class _Suppressor:
    """Removes the far channel's echo from the near channel, one STFT frame at a time."""

    def __init__(self, options: EchoOptions) -> None:
        self._options = options
        memory = max(1, round(options.gain_memory_s * SAMPLE_RATE / _HOP))
        self._ratios = np.full((memory, _BANDS), _UNKNOWN)
        self._next = 0
        self._seen = 0
        self._tail = 10 ** (-6 * _HOP / SAMPLE_RATE / options.reverb_s)  # 60 dB over reverb_s
        self._echo = np.zeros(_BINS)
        self._loudest = np.zeros(_BANDS)
        self._near_smooth = np.zeros(_BANDS)
        self._echo_smooth = np.zeros(_BANDS)
        self._max_gain = 10 ** (options.max_echo_gain_db / 10)
        self._cross = np.zeros(_BINS, dtype=np.complex128)
        self._broadband = _BroadbandGate(options)
        self._gain: npt.NDArray[np.float64] | None = None
        self._gain_at = 0
        self._path: npt.NDArray[np.float64] | None = None  # the echo path's gain per bin
        self._near_power = np.zeros(_BINS)
        self._far_power = np.zeros(_BINS)

    def gains(
        self, near_spectrum: npt.NDArray[np.complex128], far_spectrum: npt.NDArray[np.complex128]
    ) -> npt.NDArray[np.float64]:
        """Per-bin gains for one frame of this channel, given the other's frame at the delay."""
        near = np.abs(near_spectrum) ** 2
        far_delayed = np.abs(far_spectrum) ** 2
        self._echo = np.maximum(far_delayed, self._echo * self._tail)
        # Coherence between the two over the last few frames: near 1 where this channel is the
        # other's sound passed through a filter, low where a voice of its own dominates.
        a = self._options.coherence_smoothing
        self._cross = a * self._cross + (1 - a) * near_spectrum * np.conj(far_spectrum)
        self._near_power = a * self._near_power + (1 - a) * near
        self._far_power = a * self._far_power + (1 - a) * far_delayed
        near_bands = _bands(near)
        echo_bands = _bands(self._echo)
        self._near_smooth = 0.5 * self._near_smooth + 0.5 * near_bands
        self._echo_smooth = 0.5 * self._echo_smooth + 0.5 * echo_bands
        self._loudest = np.maximum(self._loudest, self._echo_smooth)
        active = (self._echo_smooth > 1e-3 * self._loudest) & (self._echo_smooth > 1e-12)
        mostly_active = np.count_nonzero(active) > 0.25 * _BANDS
        if mostly_active:
            ratio = np.where(
                active, self._near_smooth / np.maximum(self._echo_smooth, 1e-20), _UNKNOWN
            )
            self._ratios[self._next] = ratio
            self._next = (self._next + 1) % self._ratios.shape[0]
            self._seen += 1
        if self._seen == 0:
            return np.ones(_BINS)
        # The minimum statistics move slowly: refreshed every fourth measured frame.
        if self._gain is None or self._seen - self._gain_at >= 4:
            self._refresh_gain()
        if self._path is None:
            return np.ones(_BINS)
        # An echo is quieter than what it echoes: a frame as loud as the other channel's is
        # a voice of its own, or the same recording on both channels (crosstalk, not echo).
        near_total, echo_total = float(near.sum()), float(self._echo.sum())
        if near_total > self._max_gain * echo_total:
            # Double talk: the seller's own voice with the echo under it. The echo is taken out
            # of it too: left in, it changes what the voice activity model hears seconds later
            # (Silero's recurrent state remembers), which moved the seller's onsets by 0.2 s.
            return np.asarray(
                np.clip(
                    1.0
                    - self._options.double_talk_overestimate
                    * self._path
                    * self._echo
                    / np.maximum(near, 1e-20),
                    0.0,
                    1.0,
                ),
                dtype=np.float64,
            )
        coherence = self.coherence()
        if mostly_active and coherence > self._options.echo_coherence:
            return np.zeros(_BINS)
        if self._broadband.echo_only(
            near_total, echo_total, related=coherence > self._options.related_coherence
        ):
            return np.zeros(_BINS)
        echo = self._path * self._echo
        gains = np.clip(
            1.0 - self._options.overestimate * echo / np.maximum(near, 1e-20),
            self._options.floor_gain,
            1.0,
        )
        # A frame that keeps little of its energy was echo with a residue: all of it goes.
        kept = float(np.dot(gains**2, near)) / max(near_total, 1e-20)
        if kept < self._options.echo_frame_kept:
            return np.zeros(_BINS)
        return np.asarray(gains, dtype=np.float64)

    def _refresh_gain(self) -> None:
        """The echo path's gain per bin from the measured power ratios; None where it is not
        echo (nothing measured, or no quieter than its source)."""
        filled = self._ratios[: min(self._seen, self._ratios.shape[0])]
        # The percentile's "lower" value, without np.percentile's overhead.
        k = int(self._options.gain_percentile / 100 * (filled.shape[0] - 1))
        gain = np.partition(filled, k, axis=0)[k]
        self._gain = gain
        self._gain_at = self._seen
        self._path = None
        # Unknown bands take the median of the known ones; a gain near 0 dB is no echo.
        known = gain < _UNKNOWN
        if not known.any():
            return
        gain = np.where(known, gain, float(np.median(gain[known])))
        if float(np.median(gain)) <= self._max_gain:
            self._path = _unbands(gain)

    def coherence(self) -> float:
        """Magnitude-squared coherence over 250 Hz-4 kHz, weighted by this channel's power."""
        band = slice(8, 129)
        near = self._near_power[band]
        coherence = np.abs(self._cross[band]) ** 2 / np.maximum(near * self._far_power[band], 1e-30)
        return float(np.sum(coherence * near) / max(float(np.sum(near)), 1e-30))


class _BroadbandGate:
    """Whole frames that are echo only: this channel's level no higher above the other's
    (delayed, with its reverberation) than the echo path lets through, plus a margin. The
    path's level difference is a low percentile of the recent differences where both
    channels sound; the seller's own voice at the microphone is far above it."""

    def __init__(self, options: EchoOptions) -> None:
        self._options = options
        memory = max(1, round(options.gain_memory_s * SAMPLE_RATE / _HOP))
        self._differences: deque[float] = deque(maxlen=memory)
        self._floor_db: float | None = None
        self._loudest_db = -200.0
        self._rise_db = 3.0 * _HOP / SAMPLE_RATE  # the floor follows a louder background slowly
        self._path_db: float | None = None
        self._frames_since = 0

    def echo_only(self, near_power: float, echo_power: float, related: bool) -> bool:
        """``related``: this frame is coherent with the other channel's at the delay; only
        such frames teach the echo path's level (a voice of its own is not)."""
        near_db = 10 * math.log10(max(near_power, 1e-20))
        echo_db = 10 * math.log10(max(echo_power, 1e-20))
        floor = near_db if self._floor_db is None else min(near_db, self._floor_db + self._rise_db)
        self._floor_db = floor
        self._loudest_db = max(self._loudest_db, echo_db)
        if echo_db < self._loudest_db - 40 or echo_db < -150:
            return False  # the other channel is silent: nothing here can be its echo
        if near_db > floor + 6 and related:
            self._differences.append(near_db - echo_db)
        if len(self._differences) < 4:
            return False
        # The path's level moves slowly: its percentile is refreshed every fourth frame.
        if self._path_db is None or self._frames_since >= 4:
            self._path_db = float(np.percentile(np.fromiter(self._differences, float), 30))
            self._frames_since = 0
        self._frames_since += 1
        path_db = self._path_db
        if path_db > self._options.max_echo_gain_db:
            return False
        return bool(near_db < echo_db + path_db + self._options.echo_margin_db)


def _bands(power: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.asarray(
        power[: _BANDS * _BAND_BINS].reshape(_BANDS, _BAND_BINS).sum(axis=1) / _BAND_BINS
    )


def _unbands(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.append(np.repeat(values, _BAND_BINS), values[-1])


_ANALYSIS = np.sqrt(np.hanning(_WINDOW + 1)[:_WINDOW])  # periodic: overlap-adds to one


def _frames(samples: Samples, start: int, count: int) -> npt.NDArray[np.float64]:
    """``count`` frames of ``_WINDOW`` samples, ``_HOP`` apart, from ``start`` on."""
    if count <= 0:
        return np.zeros((0, _WINDOW))
    # Each frame is two hops: the halves of consecutive frames side by side.
    halves = samples[start : start + (count + 1) * _HOP].astype(np.float64).reshape(-1, _HOP)
    return np.concatenate([halves[:-1], halves[1:]], axis=1)


class EchoGate:
    """Two channels in, the same two channels out with each one's echo of the other removed."""

    def __init__(self, options: EchoOptions | None = None) -> None:
        self.options = options or EchoOptions()
        self._history = self.options.delay_window_ms * SAMPLE_RATE // 1000
        self._trackers = (DelayTracker(self.options), DelayTracker(self.options))
        self._suppressors = (_Suppressor(self.options), _Suppressor(self.options))
        self._max_frames = self.options.max_delay_ms * SAMPLE_RATE // 1000 // _HOP + 2
        # Input from padded index ``_base`` on; the stream is padded with one hop of zeros so
        # that its first samples are covered by two frames like every other sample.
        self._input = [np.zeros(_HOP, np.float32), np.zeros(_HOP, np.float32)]
        self._base = 0
        # Frames are searched for echo as they arrive (``_searched``) and cleaned later
        # (``_frame``): while a delay is being found, the frames it will apply to wait.
        self._searched = 0
        self._frame = 0
        self._first = 0  # the frame of ``_windowed[i][0]``
        self._windowed = [np.zeros((0, _WINDOW)), np.zeros((0, _WINDOW))]
        # A frame's spectrum is taken only once an echo's delay needs it (by frame number):
        # on a call without echo, none is.
        self._spectra: list[dict[int, npt.NDArray[np.complex128]]] = [{}, {}]
        self._hold = self.options.hold_ms * SAMPLE_RATE // 1000 // _HOP
        self._hold_left = round(self.options.hold_budget_s * SAMPLE_RATE / _HOP)
        self._sounding = False
        self._sums = [np.zeros(_HOP), np.zeros(_HOP)]
        self._skip = _HOP  # the padding, not yet dropped from the output
        self._received = 0
        self._emitted = 0
        self._every = max(1, self.options.delay_every_ms * SAMPLE_RATE // 1000 // _HOP)
        # Searches over both channels sounding that found no echo, before the hold gives up.
        self._searches_to_no_echo = max(
            1, self.options.hold_until_no_echo_ms * SAMPLE_RATE // 1000 // (self._every * _HOP)
        )
        self._floors = (ChannelFloor(), ChannelFloor())
        self._max_lag = self.options.max_delay_ms * SAMPLE_RATE // 1000
        # Long enough that no lag up to the maximum wraps around; a size scipy's FFT is fast at.
        self._fft_size = scipy.fft.next_fast_len(self._history + self._max_lag + 1, real=True)
        self._heard = (EchoHeard(self.options), EchoHeard(self.options))
        self._skipped = 0  # searches left out in a row (see ``steady_search_every``)
        self.searches = 0  # correlations computed: the gate's largest cost

    @property
    def delays_ms(self) -> tuple[float | None, float | None]:
        """The tracked delay of the other channel's echo in channel 0 and in channel 1."""
        return tuple(  # type: ignore[return-value]
            None if t.delay is None else t.delay * 1000 / SAMPLE_RATE for t in self._trackers
        )

    @property
    def hearing_ms(self) -> tuple[float | None, float | None]:
        """The delay of the other channel's echo in each channel while it is heard there (see
        ``EchoHeard``); None before and once the other sounded ``echo_cleared_s`` without it."""
        return (self._heard[0].delay_ms, self._heard[1].delay_ms)

    def push(self, channels: Sequence[Samples]) -> list[Samples]:
        if len(channels) != 2 or channels[0].shape[0] != channels[1].shape[0]:
            raise ValueError("EchoGate needs two channels of equal length")
        self._received += channels[0].shape[0]
        for index in (0, 1):
            self._input[index] = np.concatenate([self._input[index], channels[index]])
        return self._run(finishing=False)

    def finish(self) -> list[Samples]:
        """The rest of the output, up to the last sample pushed."""
        for index in (0, 1):
            self._input[index] = np.concatenate([self._input[index], np.zeros(_WINDOW, np.float32)])
        out = self._run(finishing=True)
        extra = self._emitted - self._received
        if extra > 0:
            out = [channel[: channel.shape[0] - extra] for channel in out]
            self._emitted = self._received
        return out

    def _run(self, finishing: bool) -> list[Samples]:
        count = (self._input[0].shape[0] + self._base - _WINDOW) // _HOP - self._searched + 1
        count = max(0, count)
        # All new frames windowed at once, not one by one.
        start = self._searched * _HOP - self._base
        for index in (0, 1):
            windowed = _frames(self._input[index], start, count) * _ANALYSIS
            self._windowed[index] = np.concatenate([self._windowed[index], windowed])
        pieces: list[list[npt.NDArray[np.float64]]] = [[], []]
        # Frames are cleaned with the delays known when they were searched; those between two
        # changes of the delays are cleaned together.
        delays = self._delays()
        until = self._frame
        for _ in range(count):
            begin = self._searched * _HOP - self._base
            if self._searched % self._every == 0:
                self._track(begin + _WINDOW)
                if self._delays() != delays:
                    if self._frame < until:
                        self._clean(pieces, until, delays)
                    delays = self._delays()
            self._searched += 1
            # Both channels sound and no echo is known yet: the frames wait (up to
            # ``hold_ms``) for the delay search, so that the other side's first words are
            # removed too. Within a budget per call: a clean call is not held back for long.
            holding = (
                self._sounding
                and self._hold_left > 0
                and all(tracker.delay is None for tracker in self._trackers)
            )
            if holding:
                self._hold_left -= 1
            due = self._searched - self._hold if holding and not finishing else self._searched
            until = max(until, due)
        if finishing:
            until = self._searched
        if self._frame < until:
            self._clean(pieces, until, delays)
        # Keep what the delay search still needs.
        keep_from = max(0, self._searched * _HOP - self._base - self._history)
        if keep_from > 0:
            for index in (0, 1):
                self._input[index] = self._input[index][keep_from:]
            self._base += keep_from
        result = [self._overlap_add(index, pieces[index]) for index in (0, 1)]
        if self._skip and result[0].shape[0]:
            cut = min(self._skip, result[0].shape[0])
            result = [channel[cut:] for channel in result]
            self._skip -= cut
        self._emitted += result[0].shape[0]
        return result

    def _delays(self) -> tuple[int | None, int | None]:
        return (self._trackers[0].delay, self._trackers[1].delay)

    def _clean(
        self,
        pieces: list[list[npt.NDArray[np.float64]]],
        until: int,
        delays: tuple[int | None, int | None],
    ) -> None:
        """Frames ``_frame`` to ``until`` of each channel with the other's echo removed,
        windowed for the overlap-add (analysis and synthesis windows overlap-add to one). The
        ``delays`` hold for all of these frames: frames without an echo's delay to reach
        back along pass through as one block, the others go through the suppressor in order."""
        first, last = self._frame - self._first, until - self._first
        for index in (0, 1):
            delay = delays[index]
            windowed = self._windowed[index]
            # Frames before ``shift`` have no frame of the other channel at the delay.
            shift = last if delay is None else round(delay / _HOP)
            split = min(max(first, shift), last)
            if split > first:
                pieces[index].append(windowed[first:split] * _ANALYSIS)
            if split == last:
                continue
            near = self._spectra_of(index, split, last)
            far = self._spectra_of(1 - index, split - shift, last - shift)
            suppressor = self._suppressors[index]
            gains = np.stack([suppressor.gains(n, f) for n, f in zip(near, far, strict=True)])
            pieces[index].append(np.fft.irfft(near * gains, _WINDOW, axis=1) * _ANALYSIS)
        self._frame = until
        # Frames stay as long as an echo's delay can reach back to them.
        drop = self._frame - self._first - self._max_frames
        if drop > 0:
            for index in (0, 1):
                self._windowed[index] = self._windowed[index][drop:]
                spectra = self._spectra[index]
                for frame in [f for f in spectra if f < self._first + drop]:
                    del spectra[frame]
            self._first += drop

    def _spectra_of(self, index: int, begin: int, end: int) -> npt.NDArray[np.complex128]:
        """The spectra of channel ``index``'s frames ``begin`` to ``end`` (from ``_first``),
        each taken once."""
        spectra = self._spectra[index]
        missing = [o for o in range(begin, end) if self._first + o not in spectra]
        if missing:
            new = np.fft.rfft(self._windowed[index][missing], axis=1)
            spectra.update(zip((self._first + o for o in missing), new, strict=True))
        return np.stack([spectra[self._first + o] for o in range(begin, end)])

    def _overlap_add(self, index: int, pieces: list[npt.NDArray[np.float64]]) -> Samples:
        """Each hop of output: a frame's first half plus the previous frame's second half."""
        if not pieces:
            return np.zeros(0, np.float32)
        frames = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
        carried = np.vstack([self._sums[index][None, :], frames[:-1, _HOP:]])
        self._sums[index] = frames[-1, _HOP:].copy()
        return np.asarray((frames[:, :_HOP] + carried).reshape(-1), dtype=np.float32)

    def _track(self, end: int) -> None:
        begin = max(0, end - self._history)
        if end - begin < self._history // 2:
            return
        # Nothing to learn unless both channels sound above their background (on a clean call
        # only while both speak at once): skip the FFTs.
        last = max(begin, end - _WINDOW * 2)
        first_sounds = self._floors[0].sounding(self._input[0][last:end])
        second_sounds = self._floors[1].sounding(self._input[1][last:end])
        if second_sounds:
            self._heard[0].other_sounded(self._every * _HOP)
        if first_sounds:
            self._heard[1].other_sounded(self._every * _HOP)
        self._sounding = first_sounds and second_sounds
        if not self._sounding:
            return
        steady = any(tracker.steady for tracker in self._trackers)
        if steady and self._skipped + 1 < self.options.steady_search_every:
            self._skipped += 1
            return
        self._skipped = 0
        self.searches += 1
        recent = [self._input[i][begin:end] for i in (0, 1)]
        size = self._fft_size
        both = scipy.fft.rfft(np.stack(recent), size, axis=1)
        spectrum = both[0] * np.conj(both[1])
        spectrum /= np.maximum(np.abs(spectrum), 1e-12)
        full = scipy.fft.irfft(spectrum, size)
        lags = self._max_lag
        # One correlation serves both directions: channel 1's is channel 0's reversed.
        correlation = np.concatenate([full[-lags:], full[: lags + 1]])
        for index, lags_here in enumerate((correlation, correlation[::-1])):
            tracker = self._trackers[index]
            if tracker.update(lags_here) and tracker.delay is not None:
                self._heard[index].found(tracker.delay, recent[index], recent[1 - index])
        if self._hold_left > 0 and all(tracker.delay is None for tracker in self._trackers):
            self._searches_to_no_echo -= 1
            if self._searches_to_no_echo == 0:
                self._hold_left = 0
