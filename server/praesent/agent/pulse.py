"""Linux: what PulseAudio (or PipeWire's pulse server) says about recording and playback streams,
through ``pulsectl`` (libpulse by ctypes).

Recording streams are source-outputs, playback streams sink-inputs; each carries the app's
``application.name``, ``application.process.binary`` and ``application.process.id``. Monitor
streams (peak meters such as pavucontrol's) and this process's own streams are left out.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import numpy as np

from praesent.agent.detect import CallApp, Snapshot, Stream
from praesent.capture.sources import BLOCK, SAMPLE_RATE, LoopbackReader, Reader, Samples

_CLIENT_NAME = "praesent agent"


def _stream(item: Any) -> Stream | None:
    props: dict[str, str] = dict(item.proplist)
    if props.get("application.id") == "org.PulseAudio.pavucontrol":
        return None
    pid_text = props.get("application.process.id", "")
    pid = int(pid_text) if pid_text.isdigit() else None
    if pid == os.getpid():
        return None
    names = tuple(
        name
        for name in (props.get("application.name"), props.get("application.process.binary"))
        if name
    )
    return Stream(names=names, pid=pid, handle=str(item.index))


class PulseWatcher:
    """One connection to the sound server; ``snapshot()`` lists the streams now."""

    def __init__(self) -> None:
        import pulsectl

        self._pulse = pulsectl.Pulse(_CLIENT_NAME)

    def snapshot(self) -> Snapshot:
        speakers = self._speakers_monitor()
        recording = [
            s
            for item in self._pulse.source_output_list()
            # Recording the speakers' monitor takes the computer's sound, not the microphone.
            if item.source != speakers and (s := _stream(item)) is not None
        ]
        playing = [
            s
            for item in self._pulse.sink_input_list()
            if not item.corked and (s := _stream(item)) is not None
        ]
        return Snapshot(recording=tuple(recording), playing=tuple(playing))

    def _speakers_monitor(self) -> int | None:
        try:
            sink = self._pulse.get_sink_by_name(self._pulse.server_info().default_sink_name)
            monitor = self._pulse.get_source_by_name(sink.monitor_source_name)
        except Exception:  # noqa: BLE001 - no default sink (yet)
            return None
        return int(monitor.index)

    def close(self) -> None:
        self._pulse.close()


class ParecReader:
    """A recording through ``parec`` (libpulse; PipeWire's pulse server too) as 16 kHz mono."""

    def __init__(self, *where: str) -> None:
        parec = shutil.which("parec")
        if parec is None:
            raise OSError("parec is missing (pulseaudio-utils)")
        self._process = subprocess.Popen(
            [
                parec,
                *where,
                "--format=float32le",
                f"--rate={SAMPLE_RATE}",
                "--channels=1",
                "--raw",
                "--latency-msec=40",
                f"--client-name={_CLIENT_NAME}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )

    def read(self) -> Samples:
        assert self._process.stdout is not None
        data = self._process.stdout.read(BLOCK * 4)
        if not data:
            raise OSError("the app's playback stream ended")
        usable = len(data) - len(data) % 4
        samples: Samples = np.frombuffer(data[:usable], dtype="<f4").astype(np.float32)
        return samples

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=5)


class LinuxPlatform:
    """PulseAudio or PipeWire (its pulse server): tested on this project's machines."""

    def watcher(self) -> PulseWatcher:
        return PulseWatcher()

    def app_output(self, app: CallApp) -> Reader:
        """The app's own playback stream where it has one now, else the default speaker's
        monitor (everything the computer plays)."""
        watcher = PulseWatcher()
        try:
            playing = watcher.snapshot().playing
        finally:
            watcher.close()
        handles = [s.handle for s in playing if s.handle is not None and app.matches(s.names)]
        if handles:
            # Only one app's sound: libpulse's monitor of a single playback stream
            # (pa_stream_set_monitor_stream), without moving the app's audio anywhere.
            return ParecReader(f"--monitor-stream={handles[0]}")
        return LoopbackReader(None)

    def microphone(self, device: str | None) -> Reader:
        """The microphone as a recording stream of the sound server itself (the default
        source, or the one named)."""
        return ParecReader(f"--device={device}") if device else ParecReader()
