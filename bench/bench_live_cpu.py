"""Server CPU per second of an analytics-only live call: this tree beside an earlier commit.

Both servers run at once, each fed the same number of two-channel one-minute calls in real
time by one client, so other work on the machine weighs on both alike (the machine is shared:
figures of runs taken one after the other differ by more than the changes measured). Prints,
per run and as medians, the milliseconds of CPU (user + system, all threads) each server spent
per second of call, its event loop's share, and the core event latency p95.

    python bench/bench_live_cpu.py --baseline 3da2f88 --calls 25 --runs 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_analyze import baseline_tree
from bench_live import (
    CACHE,
    ROOT,
    Server,
    cached_call,
    concurrency_level,
    load_average,
    praesent_server,
    read_frames,
    run_many,
)

FRAME_MS = 50


def loop_cpu_s(server: Server) -> float:
    """CPU time of the server's main thread: the event loop that serves the sockets."""
    fields = Path(f"/proc/{server.pid}/task/{server.pid}/stat").read_text().rsplit(")", 1)[1]
    parts = fields.split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def one_run(trees: dict[str, Path], calls: int, frames: list[bytes]) -> dict[str, dict[str, Any]]:
    with contextlib.ExitStack() as stack:
        servers = {
            label: stack.enter_context(
                praesent_server(1, extra_env={"PYTHONPATH": str(tree / "server")})
            )
            for label, tree in trees.items()
        }
        before = {label: (s.cpu_s(), loop_cpu_s(s)) for label, s in servers.items()}

        async def all_calls() -> list[Any]:
            return await asyncio.gather(
                *(run_many(s.url, frames, FRAME_MS, calls, False) for s in servers.values())
            )

        runs = dict(zip(servers, asyncio.run(all_calls()), strict=True))
        call_s = calls * len(frames) * FRAME_MS / 1000
        out = {}
        for label, server in servers.items():
            level = concurrency_level(runs[label], False)
            cpu0, loop0 = before[label]
            out[label] = {
                "ms_per_call_s": (server.cpu_s() - cpu0) / call_s * 1000,
                "loop_ms_per_call_s": (loop_cpu_s(server) - loop0) / call_s * 1000,
                "core_p95_s": level["core_p95_s"],
                "failed": level["failed"],
            }
        return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", required=True, help="the earlier commit")
    parser.add_argument("--calls", type=int, default=25, help="calls per server (default 25)")
    parser.add_argument("--runs", type=int, default=2, help="runs (default 2)")
    parser.add_argument("--minutes", type=float, default=1.0, help="call length (default 1)")
    args = parser.parse_args()
    trees = {"now": ROOT, f"@{args.baseline}": baseline_tree(args.baseline, CACHE)}
    frames = read_frames(cached_call(args.minutes), FRAME_MS)
    results: dict[str, list[dict[str, Any]]] = {label: [] for label in trees}
    for index in range(args.runs):
        for label, figures in one_run(trees, args.calls, frames).items():
            results[label].append(figures)
            print(
                f"[{index + 1}/{args.runs}] {label}: {figures['ms_per_call_s']:.2f} ms CPU per "
                f"call-s (event loop {figures['loop_ms_per_call_s']:.2f}), core p95 "
                f"{figures['core_p95_s']:.2f} s, {figures['failed']} failed; {load_average()}",
                flush=True,
            )
    medians = {
        label: statistics.median(r["ms_per_call_s"] for r in runs)
        for label, runs in results.items()
    }
    now, then = medians["now"], medians[f"@{args.baseline}"]
    print(
        f"{args.calls} calls per server, median of {args.runs}: now {now:.2f} ms CPU per "
        f"call-s, @{args.baseline} {then:.2f} ms ({then / now:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
