"""The audio threads' own CPU per second of an analytics-only live call, in one process.

No server and no sockets: ``--calls`` two-channel one-minute calls (make_call.py's) are fed in
50 ms messages to their ``CallState`` as the live endpoint does, with 200 ms ticks; every call due
at a message decides in one round (``decide_together``, one inference of voice activity), or on
its own where the tree has no rounds. This tree and an earlier commit (``--baseline``) alternate,
each in a process of its own, ``--runs`` times; printed: CPU (user + system) per second of call.
With ``--profile`` the current tree once under cProfile, its costliest functions. With
``--echo`` the seller's microphone also hears the customer from the speakers (-18 dB, 60 ms,
``degrade.echo``): the echo gate's delay search runs whenever the customer speaks.

    python bench/bench_live_audio.py --baseline a8f7c42 --calls 50 --seconds 30 --runs 2
    python bench/bench_live_audio.py --baseline 841aecb --echo
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import baseline_tree
from bench_live import CACHE, ROOT, cached_call, read_frames

from praesent.evaluation import degrade

FRAME_MS = 50
TICK_SAMPLES = 3200

# Run in the tree's own process (its ``server/`` first on the path): prints the ms per call-s.
_CHILD = f"""
import cProfile, pstats, sys, time, wave
from praesent.audio.vad import SileroVad
from praesent.live.protocol import StreamFormat
try:
    from praesent.live.call_state import CallState
except ImportError:  # trees before CallState had a module of its own
    from praesent.live.session import CallState

path, calls, seconds, profile = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
with wave.open(path, "rb") as wav:
    data = wav.readframes(wav.getnframes())
step = 16000 * {FRAME_MS} // 1000 * 4
messages = [data[i : i + step] for i in range(0, len(data), step)]
messages = messages[: int(seconds * 1000 / {FRAME_MS})]
vad = SileroVad()
try:
    from praesent.audio.vad_batch import BatchedVad
    from praesent.live.rounds import decide_together
    batched = BatchedVad()
    decide = lambda due: decide_together(batched, due)
except ImportError:
    decide = lambda due: [state.flush() for state in due]
stream = StreamFormat(16000, ("seller", "customer"))
states = [CallState(vad, stream, "en", None, {TICK_SAMPLES}) for _ in range(calls)]

def run():
    for message in messages:
        due = [state for state in states if state.buffer_pcm(message)]
        if due:
            decide(due)

started = time.process_time()
if profile == "True":
    profiler = cProfile.Profile()
    profiler.runcall(run)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
else:
    run()
print((time.process_time() - started) * 1000 / (calls * len(messages) * {FRAME_MS} / 1000))
"""


def ms_per_call_s(tree: Path, call: Path, calls: int, seconds: float, profile: bool) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(call), str(calls), str(seconds), str(profile)],
        env={**os.environ, "PYTHONPATH": str(tree / "server")},
        check=True,
        capture_output=True,
        text=True,
    )
    if profile:
        print(done.stderr)
    return float(done.stdout.strip().splitlines()[-1])


def with_echo(call: Path) -> Path:
    """``call`` with the customer's echo in the seller's channel, written once beside it."""
    path = call.with_name(f"{call.stem}-echo.wav")
    if path.exists():
        return path
    with wave.open(str(call), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    echoed = degrade.echo((pcm.T / 32768).astype(np.float32), -18, 60)
    out = np.clip(np.round(echoed.T * 32768), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(16_000)
        wav.writeframes(out.tobytes())
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="the earlier commit (none: this tree alone)")
    parser.add_argument("--calls", type=int, default=50, help="calls (default 50)")
    parser.add_argument("--seconds", type=float, default=30.0, help="of each call (default 30)")
    parser.add_argument("--runs", type=int, default=2, help="runs (default 2)")
    parser.add_argument("--profile", action="store_true", help="cProfile this tree once")
    parser.add_argument(
        "--echo", action="store_true", help="the seller's channel hears the customer's echo"
    )
    args = parser.parse_args()
    call = with_echo(cached_call(1.0)) if args.echo else cached_call(1.0)
    read_frames(call, FRAME_MS)  # checks the format
    trees = {"now": ROOT}
    if args.baseline:
        trees[f"@{args.baseline}"] = baseline_tree(args.baseline, CACHE)
    if args.profile:
        ms_per_call_s(ROOT, call, args.calls, args.seconds, True)
    results: dict[str, list[float]] = {label: [] for label in trees}
    for index in range(args.runs):
        for label, tree in trees.items():
            figure = ms_per_call_s(tree, call, args.calls, args.seconds, False)
            results[label].append(figure)
            print(f"[{index + 1}/{args.runs}] {label}: {figure:.2f} ms CPU per call-s", flush=True)
    medians = {label: statistics.median(figures) for label, figures in results.items()}
    line = ", ".join(f"{label} {median:.2f} ms" for label, median in medians.items())
    if args.baseline:
        line += f" ({medians[f'@{args.baseline}'] / medians['now']:.2f}x)"
    print(f"{args.calls} calls, median of {args.runs}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
