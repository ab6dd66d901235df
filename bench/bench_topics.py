"""Benchmark: topic segmentation and summaries over a 1-hour transcript, and the live boundary
delay.

The transcript is built from real text: the phone call's STM utterances (Diane = seller, Sheila =
customer), the other shared transcripts (``../shared/data/*/``: the JFK speech, the German read
sentence, the stereo call's channel lines), and the scripted English and German sales calls of
the topic tests, rotated block by block until an hour is filled; each block opens, every other
time, with a cue phrase. Words last 0.4 s, utterances are 0.4 s apart, each arriving at its end.

Prints medians over several runs of: the segmenter alone (every utterance added, then finished:
segmentation, key phrases and summaries; goal under 2 s on 2 cores); the whole core on the same
facts; and the live boundary delay, the audio time from a new topic's first utterance to the
topic event that ends the one before.

    python bench/bench_topics.py [--minutes 60] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.core.topic_calls import de_call, en_call  # noqa: E402
from tests.core.topic_helpers import Line, script  # noqa: E402

from praesent.core import Conversation, CoreOptions, Utterance  # noqa: E402
from praesent.core.events import Topic  # noqa: E402
from praesent.core.topics import TopicSegmenter  # noqa: E402
from praesent.evaluation.references import parse_stm  # noqa: E402

DATA = Path(os.environ.get("PRAESENT_SHARED_DATA", ROOT.parent / "shared" / "data"))
OPENERS = ["Moving on.", "Next question.", "Kommen wir zum nächsten Punkt.", "Let's talk about it."]


def _blocks() -> list[list[Line]]:
    names = {"Diane": "seller", "Sheila": "customer"}
    phonecall: list[Line] = [
        (names[s.speaker], s.text) for s in parse_stm(DATA / "en-phonecall-2spk" / "sample.stm")
    ]
    jfk = (DATA / "en-jfk" / "jfk.txt").read_text().strip()
    german = (DATA / "de-read-1spk" / "test_de.txt").read_text().strip()
    stereo = [
        line.split("\t", 1)[1]
        for line in (DATA / "en-stereo-2ch" / "stereo_diarization.channel_transcripts.tsv")
        .read_text()
        .splitlines()[1:]
        if "\t" in line
    ]
    others: list[Line] = [("customer", jfk), ("seller", german), ("customer", german)]
    others += [("seller" if i % 2 else "customer", t) for i, t in enumerate(stereo)]
    return [en_call(), phonecall, de_call(), others * 3]


def transcript(minutes: float) -> list[Line]:
    lines: list[Line] = []
    blocks, words, i = _blocks(), 0.0, 0
    while words * 0.4 + len(lines) * 0.4 < minutes * 60:
        block = blocks[i % len(blocks)]
        if i % 2:
            lines.append(("seller", OPENERS[(i // 2) % len(OPENERS)]))
        lines += block
        words += sum(len(x[1].split()) for x in block if not isinstance(x, float | int))
        i += 1
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    s = script(transcript(args.minutes))
    utterances = [f for f in s.facts if isinstance(f, Utterance)]
    words = sum(len(u.text.split()) for u in utterances)
    print(
        f"transcript: {s.duration_s / 60:.1f} min, {len(utterances)} utterances, {words} words, "
        f"{len(s.facts)} facts"
    )
    options = CoreOptions().topics
    seg_times, core_times, n_topics = [], [], 0
    delays: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        segmenter = TopicSegmenter(options, "en")
        found = [t for u in utterances for t in segmenter.add(u)]
        found += segmenter.finish(round(s.duration_s * 16000))
        seg_times.append(time.perf_counter() - started)
        n_topics = len({t.topic_id for t in found})

        started = time.perf_counter()
        conversation = Conversation()
        horizon, delays = 0, []
        for fact in s.facts:
            if not isinstance(fact, Utterance):
                horizon = fact.sample
            for event in conversation.feed(fact):
                if isinstance(event, Topic) and event.reason != "end":
                    delays.append((horizon - event.end_sample) / 16000)
        conversation.finish(round(s.duration_s * 16000))
        core_times.append(time.perf_counter() - started)
    print(f"topics: {n_topics}")
    print(f"segmentation + summaries, median of {args.runs}: {statistics.median(seg_times):.3f} s")
    print(f"whole core (same facts), median of {args.runs}: {statistics.median(core_times):.3f} s")
    print(
        f"live boundary delay: median {statistics.median(delays):.1f} s, "
        f"max {max(delays):.1f} s over {len(delays)} boundaries"
    )


if __name__ == "__main__":
    main()
