"""Windows: which apps record and play, from WASAPI's audio sessions (IAudioSessionManager2 on
the default capture and render endpoints, through pycaw). Written against Microsoft's documented
API and NOT tested on this project's machines (Linux).

A session in AudioSessionStateActive on the capture endpoint is an app recording the microphone;
on the render endpoint an app playing. The call's sound is the default speaker's WASAPI loopback
(SoundCard), everything the computer plays: per-process loopback capture
(ActivateAudioInterfaceAsync with AUDIOCLIENT_ACTIVATION_TYPE_PROCESS_LOOPBACK, Windows 10 2004+)
is not used yet.
"""

from __future__ import annotations

import os
from typing import Any

from praesent.agent.detect import CallApp, Snapshot, Stream
from praesent.capture.sources import LoopbackReader, Reader, SoundDeviceReader

_ACTIVE = 1  # AudioSessionState.AudioSessionStateActive


def _process_name(pid: int) -> str | None:
    import psutil

    try:
        return str(psutil.Process(pid).name())
    except (psutil.Error, OSError):
        return None


def _active_sessions(device: Any) -> list[Stream]:
    """The sessions of one endpoint that are active now, as streams named by their process."""
    from comtypes import CLSCTX_ALL
    from pycaw.pycaw import IAudioSessionControl2, IAudioSessionManager2

    manager = device.Activate(IAudioSessionManager2._iid_, CLSCTX_ALL, None)
    manager = manager.QueryInterface(IAudioSessionManager2)
    sessions = manager.GetSessionEnumerator()
    streams = []
    for index in range(sessions.GetCount()):
        control = sessions.GetSession(index).QueryInterface(IAudioSessionControl2)
        if control.GetState() != _ACTIVE:
            continue
        pid = int(control.GetProcessId())
        if pid in (0, os.getpid()):  # 0: the system sounds session
            continue
        name = _process_name(pid)
        streams.append(Stream(names=(name,) if name else (), pid=pid, handle=str(pid)))
    return streams


class WasapiWatcher:
    def __init__(self) -> None:
        import comtypes

        comtypes.CoInitialize()

    def snapshot(self) -> Snapshot:
        import comtypes
        from pycaw.pycaw import AudioUtilities

        comtypes.CoInitialize()  # each worker thread joins COM's apartment once
        microphone = AudioUtilities.GetMicrophone()
        speakers = AudioUtilities.GetSpeakers()
        recording = _active_sessions(microphone) if microphone is not None else []
        playing = _active_sessions(speakers) if speakers is not None else []
        return Snapshot(recording=tuple(recording), playing=tuple(playing))

    def close(self) -> None:
        return None


class WindowsPlatform:
    def watcher(self) -> WasapiWatcher:
        return WasapiWatcher()

    def app_output(self, app: CallApp) -> Reader:
        return LoopbackReader(None)

    def microphone(self, device: str | None) -> Reader:
        return SoundDeviceReader(device)
