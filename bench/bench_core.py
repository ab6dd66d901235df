"""Benchmark: the conversation core on the facts of a 1-hour call (no models).

A synthetic but realistic call: alternating turns of 2-40 s made of speech bursts with breath
pauses, listener backchannels, overlaps at floor changes, one transcribed utterance per burst
arriving 1.5 s after it ends, and a Tick every 100 ms, all in the order a live call delivers
them. Prints the median time over several runs to feed every fact, finish, and summarise.
Goal: under 1 s on one core.

    python bench/bench_core.py [--minutes 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

try:
    import praesent  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from praesent.core import (
    CallSummary,
    Conversation,
    Fact,
    SpeechStarted,
    SpeechStopped,
    Tick,
    Utterance,
    Word,
    summarise,
)
from praesent.core.facts import SAMPLE_RATE, Role, other

SENTENCES = [
    "We use the system every day.",
    "What matters most to your team?",
    "It works well for the sales people.",
    "Do you already have a budget for this?",
    "The rollout starts in March and takes six weeks.",
    "How do you handle onboarding today?",
]
BACKCHANNELS = ["mhm", "yeah", "right", "okay", "I see"]


def synthetic_call(minutes: float, seed: int = 7) -> tuple[list[Fact], int]:
    rng = random.Random(seed)
    end = int(minutes * 60 * SAMPLE_RATE)
    bursts: list[tuple[Role, int, int, str]] = []
    t = last_end = SAMPLE_RATE
    speaker: Role = "seller"
    while t < end:
        turn_end = t + int(rng.uniform(2, 40) * SAMPLE_RATE)
        while t < turn_end:
            length = int(rng.uniform(0.5, 6) * SAMPLE_RATE)
            text = " ".join(rng.choices(SENTENCES, k=max(1, int(length / SAMPLE_RATE / 2))))
            bursts.append((speaker, t, t + length, text))
            if rng.random() < 0.25:  # the listener backchannels
                at = t + int(rng.uniform(0.2, 0.8) * length)
                short = int(rng.uniform(0.2, 0.8) * SAMPLE_RATE)
                bursts.append((other(speaker), at, at + short, rng.choice(BACKCHANNELS)))
            last_end = t + length
            t = last_end + int(rng.uniform(0.2, 1.2) * SAMPLE_RATE)
        speaker = other(speaker)
        # The next turn starts up to 1.2 s early (interruptions, early starts) or after a gap.
        t = last_end + int(rng.uniform(-1.2, 0.8) * SAMPLE_RATE)
    keyed: list[tuple[int, int, Fact]] = []
    open_until: dict[Role, int] = {"seller": -1, "customer": -1}
    for who, start, stop, text in sorted(bursts, key=lambda b: (b[1], b[0])):
        stop = min(stop, end)
        if start >= stop or start <= open_until[who]:
            continue  # keep each role's bursts apart
        open_until[who] = stop
        keyed += [(start, 1, SpeechStarted(who, start)), (stop, 0, SpeechStopped(who, stop))]
        parts = text.split()
        step = (stop - start) // len(parts)
        words = tuple(
            Word(p, start + i * step, start + (i + 1) * step, 0.9) for i, p in enumerate(parts)
        )
        arrival = stop + int(1.5 * SAMPLE_RATE)
        keyed.append((arrival, 2, Utterance(who, start, stop, text, words)))
    for sample in range(SAMPLE_RATE // 10, end + 1, SAMPLE_RATE // 10):
        keyed.append((sample, 3, Tick(sample)))
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [fact for _, _, fact in keyed], end


def run_once(facts: list[Fact], end: int) -> tuple[float, int, CallSummary]:
    started = time.perf_counter()
    conversation = Conversation()
    events = conversation.feed_many(facts)
    events += conversation.finish(end)
    summary = summarise(events, end / SAMPLE_RATE)
    return time.perf_counter() - started, len(events), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    facts, end = synthetic_call(args.minutes)
    activity = sum(isinstance(f, SpeechStarted | SpeechStopped) for f in facts)
    utterances = sum(isinstance(f, Utterance) for f in facts)
    ticks = sum(isinstance(f, Tick) for f in facts)
    times = []
    for _ in range(args.runs):
        seconds, events, summary = run_once(facts, end)
        times.append(seconds)
    median = statistics.median(times)
    print(f"core bench: {args.minutes:g}-minute call, {len(facts)} facts")
    print(f"  activity facts {activity}, utterances {utterances}, ticks {ticks}, events {events}")
    print(
        f"  found: {len(summary.turns)} turns, {len(summary.interruptions)} interruptions, "
        f"{len(summary.backchannels)} backchannels, {len(summary.questions)} seller questions, "
        f"{len(summary.cues)} cues"
    )
    print(f"  runs {args.runs}: " + ", ".join(f"{t:.3f} s" for t in times))
    print(f"  median {median:.3f} s  ({median / (end / SAMPLE_RATE) * 1e3:.2f} ms per audio s)")
    print(f"  goal < 1 s on one core: {'met' if median < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
