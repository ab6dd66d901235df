"""Audio sources that survive a device that disappears.

Each source reads 16 kHz mono float blocks in its own thread into a bounded buffer. When the device
fails (unplugged, the sound server restarted) the source says so, keeps trying to reopen it every
``retry_s`` and returns silence meanwhile, so the session's audio time keeps running.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
BLOCK = 320  # 20 ms
Samples = npt.NDArray[np.float32]


class Reader(Protocol):
    def read(self) -> Samples: ...
    def close(self) -> None: ...


class Source:
    """A device read in a thread; ``take(n)`` returns exactly ``n`` samples (silence if short)."""

    def __init__(
        self,
        name: str,
        open_reader: Callable[[], Reader],
        say: Callable[[str], None],
        *,
        retry_s: float = 1.0,
        max_buffer_s: float = 0.5,
    ) -> None:
        self.name = name
        self._open = open_reader
        self._say = say
        self._retry_s = retry_s
        self._buffer: deque[Samples] = deque()
        self._buffered = 0
        self._max = int(max_buffer_s * SAMPLE_RATE)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.available = False
        self._thread = threading.Thread(target=self._run, name=f"capture-{name}", daemon=True)

    def start(self) -> Source:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def _run(self) -> None:
        gone_said = False
        while not self._stop.is_set():
            try:
                reader = self._open()
            except Exception as error:  # noqa: BLE001 - any device error means "not there"
                if not gone_said:
                    self._say(f"{self.name}: not available ({error}); sending silence meanwhile")
                    gone_said = True
                self._stop.wait(self._retry_s)
                continue
            if gone_said:
                self._say(f"{self.name}: back")
                gone_said = False
            self.available = True
            try:
                while not self._stop.is_set():
                    self._push(reader.read())
            except Exception as error:  # noqa: BLE001
                self._say(f"{self.name}: lost ({error}); sending silence until it is back")
                gone_said = True
            finally:
                self.available = False
                # Closing a vanished device may fail too.
                with contextlib.suppress(Exception):
                    reader.close()

    def _push(self, block: Samples) -> None:
        with self._lock:
            self._buffer.append(block)
            self._buffered += len(block)
            # Clocks of two devices drift: keep the newest audio, not an ever-growing backlog.
            while self._buffered - len(self._buffer[0]) >= self._max:
                self._buffered -= len(self._buffer.popleft())

    def take(self, count: int) -> Samples:
        out = np.zeros(count, np.float32)
        filled = 0
        with self._lock:
            while filled < count and self._buffer:
                block = self._buffer[0]
                n = min(count - filled, len(block))
                out[filled : filled + n] = block[:n]
                filled += n
                if n == len(block):
                    self._buffer.popleft()
                else:
                    self._buffer[0] = block[n:]
                self._buffered -= n
        return out


class SoundDeviceReader:
    """A microphone through sounddevice (PortAudio)."""

    def __init__(self, device: str | int | None) -> None:
        import sounddevice

        self._stream: Any = sounddevice.InputStream(
            samplerate=SAMPLE_RATE, channels=1, dtype="float32", device=device, blocksize=BLOCK
        )
        self._stream.start()

    def read(self) -> Samples:
        data, _overflowed = self._stream.read(BLOCK)
        samples: Samples = np.asarray(data, np.float32).reshape(-1)
        return samples

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class LoopbackReader:
    """What the computer plays (the call), through SoundCard's loopback of a speaker, or any
    SoundCard microphone (a PulseAudio/PipeWire monitor source, BlackHole on macOS)."""

    def __init__(self, device: str | None) -> None:
        import soundcard

        if device:
            microphone = soundcard.get_microphone(device, include_loopback=True)
        else:
            speaker = soundcard.default_speaker()
            microphone = soundcard.get_microphone(speaker.name, include_loopback=True)
        self._recorder: Any = microphone.recorder(
            samplerate=SAMPLE_RATE, channels=1, blocksize=BLOCK
        )
        self._recorder.__enter__()

    def read(self) -> Samples:
        data = self._recorder.record(numframes=BLOCK)
        samples: Samples = np.asarray(data, np.float32).reshape(len(data), -1).mean(axis=1)
        return samples

    def close(self) -> None:
        self._recorder.__exit__(None, None, None)


def wait_until(predicate: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
