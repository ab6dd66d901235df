"""What the real-world-audio steps cost inside ``praesent analyze``: CPU and wall seconds of the
echo gate, level tracking, the language passes and the transcription (with its retries), timed
around each step in one process, medians of several runs on the same call.

The whole analysis's CPU is beside them; ``bench_analyze.py --baseline REV`` compares whole runs
of two revisions instead.

    python bench/bench_steps.py --minutes 3 --repeats 3
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_call import build_call

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.asr import transcriber
from praesent.audio import echo, level
from praesent.engines import load_engines
from praesent.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
STEPS = ("echo gate", "level", "language", "transcription")

# step -> [CPU s, wall s, calls] of the current run
Totals = dict[str, list[float]]


def timed(owner: type[Any], name: str, step: str, totals: Totals) -> None:
    """Wrap ``owner.name`` so that its CPU and wall time add up under ``step``."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            entry = totals.setdefault(step, [0.0, 0.0, 0.0])
            entry[0] += time.process_time() - cpu
            entry[1] += time.perf_counter() - wall
            entry[2] += 1

    setattr(owner, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "bench")
    args = parser.parse_args(argv)
    call = args.cache_dir / f"call-{args.minutes:g}m-seed0.wav"
    if not call.exists():
        build_call(call, args.minutes)
    engines = load_engines(Settings())
    totals: Totals = {}
    timed(echo.EchoGate, "push", "echo gate", totals)
    timed(echo.EchoGate, "finish", "echo gate", totals)
    timed(level.LevelNormaliser, "apply", "level", totals)
    timed(transcriber.Transcriber, "language_probabilities", "language", totals)
    timed(transcriber.Transcriber, "transcribe_spans", "transcription", totals)
    runs: list[tuple[float, float, Totals, dict[str, Any]]] = []
    for n in range(args.repeats):
        totals.clear()
        cpu, wall = time.process_time(), time.perf_counter()
        result = analyse_file(call, AnalysisRequest(), engines)
        runs.append(
            (
                time.process_time() - cpu,
                time.perf_counter() - wall,
                {k: list(v) for k, v in totals.items()},
                result["asr"],
            )
        )
        print(f"[{n + 1}/{args.repeats}] CPU {runs[-1][0]:.1f} s, wall {runs[-1][1]:.1f} s")
    print(f"call: {args.minutes:g} min two-channel, medians of {args.repeats}")
    print(f"{'step':<16}{'CPU s':>8}{'wall s':>8}{'calls':>8}")
    for step in STEPS:
        values = [run[2].get(step, [0.0, 0.0, 0.0]) for run in runs]
        cpu_s = statistics.median(v[0] for v in values)
        wall_s = statistics.median(v[1] for v in values)
        print(f"{step:<16}{cpu_s:>8.2f}{wall_s:>8.2f}{round(values[-1][2]):>8}")
    print(
        f"{'whole analysis':<16}{statistics.median(r[0] for r in runs):>8.1f}"
        f"{statistics.median(r[1] for r in runs):>8.1f}"
    )
    asr = runs[-1][3]
    print(
        f"language passes {asr['language_passes']}, utterances decoded again {asr['retries']}, "
        f"temperature fallbacks {asr['fallbacks']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
