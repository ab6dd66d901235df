"""``make eval``: praesent on every shared recording and on degraded versions of it.

For each call (``corpus``) and condition (``degrade``, and the room-like ones of ``rooms``):
the talk-time error per role, the seller-share error, speech-activity F1 per 10 ms frame against
the clean call's reference turns, interruption and backchannel precision/recall/F1 against the
events the core derives from the reference turns, the word error rate, the utterances
speech-to-text rejected as loops, and how many utterances of the output still fail the loop
checks (always 0).

    python -m praesent.evaluation.robustness [--data ../shared/data] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from praesent.analysis import AnalysisRequest, analyse_file
from praesent.asr.quality import failure
from praesent.core.facts import Role
from praesent.engines import Engines, load_engines
from praesent.errors import PraesentError
from praesent.evaluation.activity import ActivityScore, activity_score
from praesent.evaluation.corpus import BuiltCall, all_calls, clip_call, german_clips
from praesent.evaluation.degrade import CONDITIONS, Condition
from praesent.evaluation.rooms import room_conditions, room_material
from praesent.evaluation.scoring import EvalScores, run_eval
from praesent.settings import Settings


@dataclass(frozen=True, slots=True)
class Row:
    call: str
    condition: str
    scores: EvalScores
    activity: ActivityScore
    language: str
    asr_rejected: int
    loops_in_output: int
    seconds: float

    def cells(self) -> list[str]:
        s = self.scores
        share = s.share_error_points
        wer = (s.wer or {}).get("overall")
        return [
            self.call,
            self.condition,
            f"{s.talk['seller'].error_s:.2f}",
            f"{s.talk['customer'].error_s:.2f}",
            "n/a" if share is None else f"{share:.1f}",
            f"{self.activity.f1:.3f}",
            _prf(s.interruptions),
            _prf(s.backchannels),
            "n/a" if wer is None else f"{wer * 100:.1f}",
            self.language,
            str(self.asr_rejected),
            str(self.loops_in_output),
        ]


HEADER = [
    "call",
    "condition",
    "talk err seller s",
    "talk err customer s",
    "share err pts",
    "speech F1",
    "interruptions P/R/F1",
    "backchannels P/R/F1",
    "WER %",
    "lang",
    "asr_rejected",
    "loops in output",
]


def _prf(score: Any) -> str:
    return f"{score.precision:.2f}/{score.recall:.2f}/{score.f1:.2f}"


def loops_in(result: dict[str, Any]) -> int:
    """Utterances of an analysis that still fail the loop checks (compression, repetition)."""
    count = 0
    for utterance in result.get("utterances") or []:
        duration_s = float(utterance["end_s"]) - float(utterance["start_s"])
        reason = failure(str(utterance["text"]), duration_s)
        count += reason is not None and "words in" not in reason
    return count


def analyse_condition(
    call: BuiltCall, condition: Condition, engines: Engines, directory: Path
) -> dict[str, Any]:
    audio = condition.apply(call.audio)
    path = call.write_wav(directory / f"{call.name}.wav", audio)
    roles: tuple[Role, Role] = (
        ("customer", "seller") if condition.swapped else ("seller", "customer")
    )
    return analyse_file(path, AnalysisRequest(channel_roles=roles), engines)


def score(call: BuiltCall, condition: Condition, engines: Engines, directory: Path) -> Row:
    began = time.monotonic()
    result = analyse_condition(call, condition, engines, directory)
    seconds = time.monotonic() - began
    run = directory / f"{call.name}.json"
    run.write_text(json.dumps(result))
    rttm, stm = call.write_references(directory)
    scores = run_eval(run, rttm, stm, {"seller": "seller", "customer": "customer"})
    activity = activity_score(
        [(t.speaker, t.start_s, t.end_s) for t in call.turns],
        [
            (str(s["role"]), float(s["start_s"]), float(s["end_s"]))
            for s in result.get("segments") or []
        ],
        call.duration_s,
        ("seller", "customer"),
    )
    return Row(
        call.name,
        condition.name,
        scores,
        activity,
        str(result["language"]),
        int(result.get("asr_rejected", 0)),
        loops_in(result),
        seconds,
    )


def _line(cells: list[str], widths: list[int], markdown: bool) -> str:
    if markdown:
        return "| " + " | ".join(cells) + " |"
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make eval", description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--calls", help="comma-separated call names (default: all)")
    parser.add_argument("--conditions", help="comma-separated condition names (default: all)")
    parser.add_argument(
        "--german-clips",
        type=int,
        help="build de-read from the first N German recordings only (a shorter run)",
    )
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    args = parser.parse_args(argv)
    try:
        calls = all_calls(args.data)
        if args.german_clips:
            shorter = clip_call("de-read", "de", german_clips(args.data, args.german_clips))
            calls = [shorter if call.name == "de-read" else call for call in calls]
        conditions = [*CONDITIONS, *room_conditions(room_material(args.data))]
        engines = load_engines(Settings())
    except PraesentError as error:
        print(f"praesent: error: {error}", file=sys.stderr)
        return 2
    if args.calls:
        wanted = set(args.calls.split(","))
        calls = [call for call in calls if call.name in wanted]
    if args.conditions:
        names = set(args.conditions.split(","))
        conditions = [c for c in conditions if c.name in names]
    widths = [max(len(h), 12) for h in HEADER]
    print(_line(HEADER, widths, args.markdown))
    if args.markdown:
        print("|" + "---|" * len(HEADER))
    with tempfile.TemporaryDirectory(prefix="praesent-eval-") as temporary:
        for call in calls:
            for condition in conditions:
                # Each row as soon as it is scored: a full run takes a while.
                row = score(call, condition, engines, Path(temporary))
                print(_line(row.cells(), widths, args.markdown), flush=True)
                print(f"{call.name} / {condition.name}: {row.seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
