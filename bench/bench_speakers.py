"""Speaker attribution's cost on a one-channel call.

The two-channel call of ``make_call.py`` (real recordings) is mixed down to one channel. Measured,
each in a fresh child process:

1. attribution alone (decode + segmentation + embeddings + clustering), its real-time factor:
   goal <= 0.05 on 2 cores, i.e. it adds at most half of transcription's cost;
2. ``praesent analyze FILE --mono`` as a user runs it: wall time and peak RSS
   (goal <= 1.2 GB on a 1-hour call with ``--hour``).

    python bench/bench_speakers.py             # the 10-minute call
    python bench/bench_speakers.py --hour      # the 1-hour call (transcription takes a while)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import DEFAULT_CACHE, load_mixdown, measure, praesent_command
from make_call import build_call

GOAL_RTF = 0.05
GOAL_RSS_BYTES = 1.2e9


def mono_call(minutes: float, cache: Path) -> Path:
    target = cache / f"call-{minutes:g}m-mono.wav"
    if target.is_file():
        return target
    stereo = build_call(cache / f"call-{minutes:g}m.wav", minutes)
    pcm = np.clip(np.round(load_mixdown(stereo) * 32768), -32768, 32767).astype(np.int16)
    partial = target.with_suffix(".partial.wav")
    with wave.open(str(partial), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16_000)
        handle.writeframes(pcm.tobytes())
    partial.rename(target)
    return target


def attribution_worker(path: Path) -> int:
    """Child side: decode and attribute, print what was found as one JSON object."""
    from praesent.audio.decode import iter_blocks
    from praesent.settings import Settings
    from praesent.speakers.attribution import (
        AttributionOptions,
        SpeakerAttribution,
        load_speaker_models,
    )

    models = load_speaker_models(Settings())
    start = time.perf_counter()
    attribution = SpeakerAttribution.embedded(models, AttributionOptions())
    samples = 0
    for block in iter_blocks(path):
        attribution.push(np.ascontiguousarray(block.mean(axis=0), dtype=np.float32))
        samples += block.shape[1]
    call = attribution.finish()
    elapsed = time.perf_counter() - start
    report = {"audio_s": samples / 16_000, "elapsed_s": elapsed, "talk_s": call.talk_s()}
    sys.stdout.write(json.dumps(report) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hour", action="store_true", help="the 1-hour call")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--skip-analyze", action="store_true", help="attribution alone")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        return attribution_worker(args.worker)
    minutes = 60.0 if args.hour else args.minutes
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    call = mono_call(minutes, args.cache_dir)
    run = measure([sys.executable, __file__, "--worker", str(call)])
    if run.returncode != 0:
        sys.stderr.write(run.stderr_tail)
        return 1
    audio_s = run.report["audio_s"]
    rtf = run.report["elapsed_s"] / audio_s
    talk = ", ".join(f"S{i + 1} {s:.0f} s" for i, s in enumerate(run.report["talk_s"]))
    print(f"attribution, {minutes:g}-minute mono call ({audio_s:.0f} s): {talk}")
    print(
        f"  wall {run.report['elapsed_s']:.1f} s, RTF {rtf:.3f} (CPU {run.cpu_s / audio_s:.3f})"
        f", peak RSS {run.peak_rss_bytes / 1e6:.0f} MB  goal RTF <= {GOAL_RTF}: "
        f"{'met' if rtf <= GOAL_RTF else 'missed'}"
    )
    if args.skip_analyze:
        return 0
    command = praesent_command() or [sys.executable, "-m", "praesent"]
    full = measure([*command, "analyze", str(call), "--mono", "--language", "en"])
    if full.returncode != 0:
        sys.stderr.write(full.stderr_tail)
        return 1
    speakers = len(full.report.get("speakers", []))
    rss_ok = full.peak_rss_bytes <= GOAL_RSS_BYTES
    print(
        f"praesent analyze --mono: wall {full.wall_s:.1f} s, RTF {full.wall_s / audio_s:.3f}, "
        f"{speakers} speakers, peak RSS {full.peak_rss_bytes / 1e6:.0f} MB  "
        f"goal <= {GOAL_RSS_BYTES / 1e9:.1f} GB: {'met' if rss_ok else 'missed'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
