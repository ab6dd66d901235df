"""The `praesent` command's entry point: the C allocator is set up before anything else runs."""

from __future__ import annotations

import ctypes
import os
import platform
import sys

# glibc's mallopt(3) parameters, from malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_ONE_GIB = 1 << 30
# Where any of these is set, the user has chosen the allocator's settings.
_ENV_SETTINGS = ("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def keep_freed_memory() -> bool:
    """Keeps what the process frees for its next allocation instead of handing it back.

    CTranslate2 frees and allocates its attention buffers (tens of MB) at every decoding step.
    glibc maps blocks that large afresh each time and unmaps them when freed, so each 4 KiB page
    of every step costs a page fault: 17 % of a live call's server CPU with transcripts. With
    one arena (every thread's blocks in the main heap, which can grow past a thread arena's
    64 MB), large blocks taken from that heap and no trimming, the memory is reused. Must run
    before any thread starts; glibc on Linux only. True where the settings took."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return False
    if any(name in os.environ for name in _ENV_SETTINGS):
        return False
    mallopt = ctypes.CDLL(None).mallopt
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    settings = ((_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, _ONE_GIB), (_M_TRIM_THRESHOLD, _ONE_GIB))
    return all(mallopt(parameter, value) == 1 for parameter, value in settings)


def main() -> None:
    keep_freed_memory()
    from praesent.cli import main as cli_main  # after the allocator is set

    cli_main()
