# ruff: noqa: RUF001  (the report prints a typographic minus)
"""Helpers for the report tests: numbers shown in the HTML and PDF, tools, synthetic calls."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from praesent.analysis import analysis_from_events
from praesent.core import SAMPLE_RATE, Role, Utterance, Word, analyse_activity

NUMBER = re.compile(r"[−-]?\d+(?::\d{2}){1,2}|[−-]?\d+(?:[.,]\d+)?")


def need(tool: str) -> str:
    """A system tool the report needs; missing, the test FAILS (see install-system-deps.sh)."""
    found = shutil.which(tool)
    if found is None:
        pytest.fail(
            f"{tool} is missing: run scripts/install-system-deps.sh (make test runs it)",
            pytrace=False,
        )
    return found


def parse_number(token: str) -> float:
    token = token.replace("−", "-")
    negative = token.startswith("-")
    token = token.lstrip("-")
    if ":" in token:
        value = 0.0
        for part in token.split(":"):
            value = value * 60 + int(part)
    else:
        value = float(token.replace(",", "."))
    return -value if negative else value


def json_numbers(data: Any) -> set[float]:
    found: set[float] = set()
    if isinstance(data, bool) or data is None:
        return found
    if isinstance(data, int | float):
        found.add(round(float(data), 3))
    elif isinstance(data, dict):
        for value in data.values():
            found |= json_numbers(value)
    elif isinstance(data, list):
        for value in data:
            found |= json_numbers(value)
    return found


def json_texts(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for value in data.values() for text in json_texts(value)]
    if isinstance(data, list):
        return [text for value in data for text in json_texts(value)]
    return []


class ShownNumbers(HTMLParser):
    """Walks the HTML: numbers in ``class="n"`` (with their ``data-v``), free text in
    ``class="q"``, and any digit anywhere else (which must not be)."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, str, str | None]] = []  # tag, class, data-v
        self.numbers: list[tuple[str, float]] = []  # (shown text, data-v)
        self.stray: list[str] = []
        self.visible_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "br", "path", "rect", "line", "circle", "hr", "img"):
            return
        a = dict(attrs)
        self.stack.append((tag, a.get("class") or "", a.get("data-v")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            top = self.stack.pop()[0]
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(tag in ("style", "title") for tag, _, _ in self.stack):
            return
        self.visible_text.append(data)
        for _tag, cls, value in reversed(self.stack):
            if "q" in cls.split():
                return
            if "n" in cls.split():
                assert value is not None
                self.numbers.append((data, float(value)))
                return
        if re.search(r"\d", data):
            self.stray.append(data)


def shown_numbers(html: str) -> ShownNumbers:
    parser = ShownNumbers()
    parser.feed(html)
    return parser


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    tool = need("pdftotext")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return done.stdout.decode("utf-8")


# -- synthetic calls, run through the real conversation core ---------------------------------

_SENTENCES = [
    "We use the system every day.",
    "What matters most to your team?",
    "It works well for the sales people.",
    "Do you already have a budget for this?",
    "The rollout starts in March and takes six weeks.",
    "How do you handle onboarding today?",
    "Can you tell me more about that?",
]


def synthetic_analysis(minutes: float, seed: int = 3, silent: Role | None = None) -> dict[str, Any]:
    """The analysis of a generated call: alternating turns of 2-60 s in bursts, backchannels,
    early and late starts, a transcript; fed through the real core (analyse_activity)."""
    rng = random.Random(seed)
    end = int(minutes * 60 * SAMPLE_RATE)
    segments: list[tuple[Role, int, int]] = []
    utterances: list[Utterance] = []
    t = SAMPLE_RATE
    speaker: Role = "seller"
    while t < end:
        turn_end = t + int(rng.uniform(2, 60) * SAMPLE_RATE)
        last = t
        while t < turn_end and t < end:
            length = int(rng.uniform(0.8, 6) * SAMPLE_RATE)
            stop = min(t + length, end)
            segments.append((speaker, t, stop))
            text = " ".join(rng.choices(_SENTENCES, k=max(1, length // SAMPLE_RATE // 2)))
            parts = text.split()
            step = max(1, (stop - t) // len(parts))
            words = tuple(
                Word(p, t + i * step, t + (i + 1) * step, 0.9) for i, p in enumerate(parts)
            )
            utterances.append(Utterance(speaker, t, stop, text, words))
            if rng.random() < 0.2:
                listener: Role = "customer" if speaker == "seller" else "seller"
                at = t + int(0.5 * (stop - t))
                short = int(0.4 * SAMPLE_RATE)
                segments.append((listener, at, min(at + short, end)))
            last = stop
            t = stop + int(rng.uniform(0.2, 0.9) * SAMPLE_RATE)
        speaker = "customer" if speaker == "seller" else "seller"
        t = max(0, last + int(rng.uniform(-1.5, 1.0) * SAMPLE_RATE))
    if silent is not None:
        segments = [s for s in segments if s[0] != silent]
        utterances = [u for u in utterances if u.role != silent]
    events, _summary = analyse_activity(
        segments, end / SAMPLE_RATE, [u for u in utterances if u.end_sample <= end]
    )
    return analysis_from_events(events, end / SAMPLE_RATE, "en")
