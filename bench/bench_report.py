"""Benchmark: the coaching report of a 1-hour call (HTML, JSON, PDF).

The call is bench_core's synthetic 1-hour call run through the real conversation core; the
report is then built and rendered several times. Prints medians. Goals on 2 cores: HTML and
JSON under 5 s, PDF (headless Chromium) under 15 s.

    python bench/bench_report.py [--minutes 60] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    import praesent  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent / "server"))

from bench_core import synthetic_call  # noqa: E402

from praesent.analysis import analysis_from_events  # noqa: E402
from praesent.core import SAMPLE_RATE, Conversation  # noqa: E402
from praesent.report import build_report, to_html, to_json, to_pdf  # noqa: E402


def median_s(job: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = job()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    facts, end = synthetic_call(args.minutes)
    conversation = Conversation()
    events = conversation.feed_many(facts) + conversation.finish(end)
    analysis = analysis_from_events(events, end / SAMPLE_RATE, "en")

    build_s, _report = median_s(lambda: build_report(analysis, language="en"), args.runs)
    html_s, html = median_s(lambda: to_html(build_report(analysis, language="en")), args.runs)
    json_s, data = median_s(lambda: to_json(build_report(analysis, language="en")), args.runs)
    pdf_s, pdf = median_s(lambda: to_pdf(build_report(analysis, language="en")), args.runs)
    assert isinstance(html, str) and isinstance(data, str) and isinstance(pdf, bytes)
    print(
        f"report bench: {args.minutes:g}-minute call, {len(analysis['utterances'])} utterances, "
        f"{len(analysis['turns'])} turns, median of {args.runs} runs"
    )
    print(f"  {'step':<22}{'median':>10}{'size':>12}{'goal':>10}  ")
    rows = [
        ("build (model only)", build_s, 0, None),
        ("build + HTML", html_s, len(html.encode()), 5.0),
        ("build + JSON", json_s, len(data.encode()), 5.0),
        ("build + PDF", pdf_s, len(pdf), 15.0),
    ]
    for name, seconds, size, goal in rows:
        verdict = "" if goal is None else ("met" if seconds < goal else "NOT met")
        goal_text = "" if goal is None else f"< {goal:g} s"
        size_text = f"{size / 1024:.0f} KiB" if size else ""
        print(f"  {name:<22}{seconds:>8.3f} s{size_text:>12}{goal_text:>10}  {verdict}")


if __name__ == "__main__":
    main()
