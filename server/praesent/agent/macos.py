"""macOS: which apps record and play, from Core Audio's process objects (macOS 14.2 and later:
kAudioHardwarePropertyProcessObjectList, and per process kAudioProcessPropertyIsRunningInput /
IsRunningOutput, PID and bundle id), read through ctypes. Written against Apple's documented API
and NOT tested on this project's machines (Linux).

Before 14.2 there are no process objects: the default input's
kAudioDevicePropertyDeviceIsRunningSomewhere says that *some* app records, and that app is
reported as ``unknown`` (not a call app unless the seller adds ``--app unknown=unknown``).
The call's sound is read from a loopback device (BlackHole) as ``praesent capture`` does; a Core
Audio process tap (AudioHardwareCreateProcessTap) of only the call app is not used yet.
"""

from __future__ import annotations

import ctypes
import os
from ctypes import byref, c_uint32, c_void_p, sizeof

from praesent.agent.detect import CallApp, Snapshot, Stream
from praesent.capture.sources import LoopbackReader, Reader, SoundDeviceReader


def _code(text: str) -> int:
    """A four-character code as Core Audio's headers spell them."""
    return int.from_bytes(text.encode("ascii"), "big")


SYSTEM_OBJECT = 1  # kAudioObjectSystemObject
SCOPE_GLOBAL = _code("glob")
ELEMENT_MAIN = 0
PROCESS_OBJECT_LIST = _code("prs#")
PROCESS_PID = _code("ppid")
PROCESS_BUNDLE_ID = _code("pbid")
PROCESS_RUNNING_INPUT = _code("piri")
PROCESS_RUNNING_OUTPUT = _code("piro")
DEFAULT_INPUT_DEVICE = _code("dIn ")
DEVICE_RUNNING_SOMEWHERE = _code("gone")
CFSTRING_UTF8 = 0x08000100


class _Address(ctypes.Structure):
    _fields_ = [("selector", c_uint32), ("scope", c_uint32), ("element", c_uint32)]


class CoreAudioWatcher:
    def __init__(self) -> None:
        self._audio = ctypes.CDLL("/System/Library/Frameworks/CoreAudio.framework/CoreAudio")
        self._cf = ctypes.CDLL("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation")
        self._audio.AudioObjectGetPropertyDataSize.restype = ctypes.c_int32
        self._audio.AudioObjectGetPropertyData.restype = ctypes.c_int32

    def _data(self, obj: int, selector: int, out: ctypes._CData, size: int) -> bool:
        address = _Address(selector, SCOPE_GLOBAL, ELEMENT_MAIN)
        length = c_uint32(size)
        status = self._audio.AudioObjectGetPropertyData(
            c_uint32(obj), byref(address), c_uint32(0), None, byref(length), byref(out)
        )
        return bool(status == 0)

    def _u32(self, obj: int, selector: int) -> int | None:
        value = c_uint32(0)
        return value.value if self._data(obj, selector, value, sizeof(value)) else None

    def _bundle(self, obj: int) -> str | None:
        ref = c_void_p(None)
        if not self._data(obj, PROCESS_BUNDLE_ID, ref, sizeof(ref)) or not ref.value:
            return None
        buffer = ctypes.create_string_buffer(512)
        self._cf.CFStringGetCString.restype = ctypes.c_bool
        ok = self._cf.CFStringGetCString(ref, buffer, c_uint32(512), c_uint32(CFSTRING_UTF8))
        self._cf.CFRelease(ref)
        return buffer.value.decode() if ok else None

    def _processes(self) -> list[int] | None:
        address = _Address(PROCESS_OBJECT_LIST, SCOPE_GLOBAL, ELEMENT_MAIN)
        size = c_uint32(0)
        status = self._audio.AudioObjectGetPropertyDataSize(
            c_uint32(SYSTEM_OBJECT), byref(address), c_uint32(0), None, byref(size)
        )
        if status != 0:
            return None  # before macOS 14.2
        ids = (c_uint32 * (size.value // 4))()
        if not self._data(SYSTEM_OBJECT, PROCESS_OBJECT_LIST, ids, size.value):
            return None
        return list(ids)

    def snapshot(self) -> Snapshot:
        processes = self._processes()
        if processes is None:
            return self._device_snapshot()
        recording, playing = [], []
        for obj in processes:
            pid = self._u32(obj, PROCESS_PID)
            if pid is None or pid == os.getpid():
                continue
            bundle = self._bundle(obj)
            # "us.zoom.xos" -> also "xos" and "zoom": the patterns match a bundle's parts.
            names = (bundle, *bundle.split(".")) if bundle else ()
            stream = Stream(names=names, pid=pid, handle=str(pid))
            if self._u32(obj, PROCESS_RUNNING_INPUT):
                recording.append(stream)
            if self._u32(obj, PROCESS_RUNNING_OUTPUT):
                playing.append(stream)
        return Snapshot(recording=tuple(recording), playing=tuple(playing))

    def _device_snapshot(self) -> Snapshot:
        device = self._u32(SYSTEM_OBJECT, DEFAULT_INPUT_DEVICE)
        running = device is not None and self._u32(device, DEVICE_RUNNING_SOMEWHERE)
        unknown = Stream(names=("unknown",))
        return Snapshot(recording=(unknown,) if running else (), playing=(unknown,))

    def close(self) -> None:
        return None


class MacPlatform:
    def watcher(self) -> CoreAudioWatcher:
        return CoreAudioWatcher()

    def app_output(self, app: CallApp) -> Reader:
        return LoopbackReader(None)

    def microphone(self, device: str | None) -> Reader:
        return SoundDeviceReader(device)
