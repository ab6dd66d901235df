"""The fused voice activity (``praesent.audio.fused``): fitted on a training split, scored on a
held-out one against Silero alone.

The two splits share no speaker, recording, noise clip or room:

- training: the VoiceBank-DEMAND pairs of speaker p232 with bus, café and living-room noise
  (noisy and clean file each, against ``speech_segments.tsv``), and two calls built from other
  recordings (``en-read``: JFK and the stereo file; ``de-train``: FLEURS 003-005 and Thorsten)
  clean and in the room conditions of ``rooms`` made of training material only: the bus and
  café noise clips, babble of p232, the typing room and the sports hall;
- held-out: the phone call and ``de-read`` of its first four German recordings (the calls of
  docs/accuracy.md), clean and in the room conditions made of the other material: the kitchen,
  office and public-square clips, babble of p257, the living room and the seminar room; and the
  pairs of p257 with office and public-square noise.

    python -m praesent.evaluation.fusion fit [--data ../shared/data]      # writes fusion.json
    python -m praesent.evaluation.fusion held-out [--data ../shared/data] [--markdown]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from praesent.analysis import analysis_from_events, call_facts
from praesent.audio import SAMPLE_RATE
from praesent.audio.channel import ChannelListener
from praesent.audio.echo import EchoGate
from praesent.audio.fused import (
    COEFFICIENTS,
    FEATURES,
    FusedSpeech,
    Fusion,
    SegmentationOptions,
    SegmentationSpeech,
)
from praesent.audio.vad import FRAME_SAMPLES, SileroVad, SpeechEdge, SpeechTracker, VadOptions
from praesent.core.conversation import Conversation
from praesent.evaluation.activity import Interval, activity_score
from praesent.evaluation.corpus import (
    BuiltCall,
    clip_call,
    english_clips,
    german_clips,
    phonecall,
    read_audio,
)
from praesent.evaluation.degrade import Condition
from praesent.evaluation.rooms import OTHER_ROOMS, room_conditions, room_material
from praesent.evaluation.scoring import run_eval
from praesent.settings import Settings

Floats = npt.NDArray[np.float32]
_BLOCK = 8 * SAMPLE_RATE  # as the file analysis decodes
_HELD_OUT_GERMAN = 4  # recordings of de-read, as docs/accuracy.md


@dataclass(frozen=True, slots=True)
class Split:
    pair_speaker: str
    pair_noises: tuple[str, ...]  # noise environments of pairs.tsv
    noise_clips: tuple[str, ...]
    babble_from: str
    rooms: dict[str, str] | None  # None: the rooms of ``make eval``


TRAINING = Split(
    "p232",
    ("bus", "cafe", "living"),
    ("vbd_bus_p232_005_residual", "vbd_cafe_p232_006_residual"),
    "p232_",
    OTHER_ROOMS,
)
HELD_OUT = Split(
    "p257",
    ("office", "psquare"),
    (
        "speechcommands_doing_the_dishes_30s",
        "vbd_office_p257_038_residual",
        "vbd_psquare_p232_062_residual",
    ),
    "p257_",
    None,
)


def conditions(data: Path, split: Split) -> tuple[Condition, ...]:
    material = room_material(data, split.noise_clips, split.babble_from, split.rooms)
    clean = Condition("clean", lambda c: c.astype(np.float32, copy=True))
    return (clean, *room_conditions(material))


def calls(data: Path, split: Split) -> list[BuiltCall]:
    german = german_clips(data)
    if split is HELD_OUT:
        return [phonecall(data), clip_call("de-read", "de", german[:_HELD_OUT_GERMAN])]
    return [
        clip_call("en-read", "en", english_clips(data)),
        clip_call("de-train", "de", german[_HELD_OUT_GERMAN:]),
    ]


@dataclass(frozen=True, slots=True)
class Pair:
    id: str
    noise: str
    snr_db: float
    noisy: Floats
    clean: Floats
    speech: list[Interval]  # role "speech"


def pairs(data: Path, split: Split) -> list[Pair]:
    folder = data / "noisy-speech"
    segments: dict[str, list[Interval]] = {}
    with (folder / "speech_segments.tsv").open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            segments.setdefault(row["id"], []).append(
                ("speech", float(row["start_s"]), float(row["end_s"]))
            )
    found = []
    with (folder / "pairs.tsv").open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["speaker"] == split.pair_speaker and row["noise_env"] in split.pair_noises:
                found.append(
                    Pair(
                        row["id"],
                        row["noise_env"],
                        float(row["snr_db"]),
                        read_audio(folder / row["noisy"]).mean(axis=0),
                        read_audio(folder / row["clean"]).mean(axis=0),
                        segments[row["id"]],
                    )
                )
    return found


def frame_labels(speech: Sequence[Interval], frames: int) -> Floats:
    """1 for each 32 ms frame at least half covered by reference speech."""
    covered = np.zeros(frames * FRAME_SAMPLES, bool)
    for _, start_s, end_s in speech:
        covered[round(start_s * SAMPLE_RATE) : round(end_s * SAMPLE_RATE)] = True
    labels: Floats = (covered.reshape(frames, FRAME_SAMPLES).mean(axis=1) >= 0.5).astype(np.float32)
    return labels


def _blocks(samples: Floats, size: int = _BLOCK) -> Iterator[Floats]:
    for begin in range(0, samples.shape[0], size):
        yield samples[begin : begin + size]


def channel_features(
    vad: SileroVad, model: SegmentationSpeech, options: SegmentationOptions, samples: Floats
) -> Floats:
    """The fusion's features of every 32 ms frame of one channel, as ``ChannelListener``
    computes them."""
    zeros, ones = (0.0,) * len(FEATURES), (1.0,) * len(FEATURES)
    placeholder = Fusion(zeros, 0.0, zeros, ones, 0.5, 0.3, options)  # only its features count
    listener = ChannelListener(vad, fused=FusedSpeech(model, placeholder))
    stream = listener.second_opinion
    assert stream is not None
    stream.recorded = []
    for block in _blocks(samples):
        listener.push(block)
    listener.finish()
    return np.concatenate(stream.recorded)


@dataclass(slots=True)
class Example:
    name: str
    features: Floats
    speech: list[Interval]  # role "speech"
    duration_s: float


def training_examples(
    data: Path, vad: SileroVad, model: SegmentationSpeech, options: SegmentationOptions
) -> list[Example]:
    examples: list[Example] = []

    def add(name: str, samples: Floats, speech: list[Interval]) -> None:
        values = channel_features(vad, model, options, samples.astype(np.float32))
        examples.append(Example(name, values, speech, samples.shape[0] / SAMPLE_RATE))

    for pair in pairs(data, TRAINING):
        add(f"{pair.id} noisy", pair.noisy, pair.speech)
        add(f"{pair.id} clean", pair.clean, pair.speech)
    for call in calls(data, TRAINING):
        for condition in conditions(data, TRAINING):
            audio = condition.apply(call.audio)
            for index, role in enumerate(("seller", "customer")):
                speech = [("speech", t.start_s, t.end_s) for t in call.turns if t.speaker == role]
                add(f"{call.name} {condition.name} {role}", audio[index], speech)
    return examples


def fit_logistic(
    x: Floats, y: Floats, l2: float = 1e-3, steps: int = 50
) -> tuple[Floats, float, Floats, Floats]:
    """Weights, bias, feature mean and scale of an L2-regularised logistic regression (Newton's
    method on standardised features)."""
    mean = x.mean(axis=0)
    scale = np.maximum(x.std(axis=0), 1e-6)
    z = np.concatenate([(x - mean) / scale, np.ones((x.shape[0], 1), np.float32)], axis=1)
    z = z.astype(np.float64)
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2 * x.shape[0])
    penalty[-1] = 0.0  # not the bias
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w)))
        gradient = z.T @ (p - y) + penalty * w
        hessian = (z * (p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.max(np.abs(step))) < 1e-8:
            break
    return w[:-1].astype(np.float32), float(w[-1]), mean, scale


def tracked(probabilities: Floats, options: VadOptions, duration_s: float) -> list[Interval]:
    """Speech intervals the tracker makes of frame probabilities."""
    tracker = SpeechTracker(options)
    edges = tracker.push(probabilities) + tracker.finish(round(duration_s * SAMPLE_RATE))
    return _intervals("speech", edges)


def _intervals(role: str, edges: Sequence[SpeechEdge]) -> list[Interval]:
    starts = [e.sample for e in edges if e.kind == "start"]
    stops = [e.sample for e in edges if e.kind == "stop"]
    return [(role, a / SAMPLE_RATE, b / SAMPLE_RATE) for a, b in zip(starts, stops, strict=True)]


def choose_thresholds(examples: list[Example], fusion: Fusion) -> tuple[float, float]:
    """The tracker's thresholds with the best speech-activity F1 pooled over ``examples``."""
    probabilities = [fusion.probabilities(e.features) for e in examples]
    best = (-1.0, 0.5, 0.35)
    for threshold in np.arange(0.3, 0.751, 0.05).tolist():
        for gap in (0.05, 0.15, 0.25):
            options = VadOptions(threshold=threshold, neg_threshold=max(0.05, threshold - gap))
            speech = found = matched = 0
            for example, p in zip(examples, probabilities, strict=True):
                run = tracked(p, options, example.duration_s)
                s = activity_score(example.speech, run, example.duration_s, ("speech",))
                speech += s.speech_frames
                found += s.found_frames
                matched += s.matched_frames
            f1 = 2 * matched / (speech + found) if speech + found else 0.0
            if f1 > best[0]:
                best = (f1, round(threshold, 2), round(options.neg_threshold, 2))
    return best[1], best[2]


def fit(
    data: Path, options: SegmentationOptions, settings: Settings, cache: Path | None = None
) -> Fusion:
    """``cache``: a file that keeps the training features (a refit with other thresholds or
    regularisation does not compute them again)."""
    from praesent.engines import segmentation_speech

    if cache is not None and cache.exists():
        examples = [Example(**item) for item in np.load(cache, allow_pickle=True)["examples"]]
    else:
        model = segmentation_speech(settings)
        examples = training_examples(data, SileroVad(), model, options)
        if cache is not None:
            items = [asdict(e) for e in examples]
            np.savez(cache, examples=np.array(items, dtype=object))
    return fit_examples(examples, options)


def fit_examples(examples: list[Example], options: SegmentationOptions) -> Fusion:
    x = np.concatenate([e.features for e in examples])
    y = np.concatenate([frame_labels(e.speech, e.features.shape[0]) for e in examples])
    weights, bias, mean, scale = fit_logistic(x, y)
    fusion = Fusion(
        tuple(weights.tolist()),
        bias,
        tuple(mean.tolist()),
        tuple(scale.tolist()),
        0.5,
        0.35,
        options,
    )
    threshold, neg_threshold = choose_thresholds(examples, fusion)
    return Fusion(
        fusion.weights, bias, fusion.mean, fusion.scale, threshold, neg_threshold, options
    )


@dataclass(frozen=True, slots=True)
class Scored:
    f1: float
    talk_error_s: tuple[float, ...]  # per role
    cpu_s: float  # voice activity's CPU time (and the echo gate's, on calls)


def activity_of_call(
    audio: Floats, vad: SileroVad, fused: FusedSpeech | None
) -> tuple[dict[str, Any], float]:
    """The analysis of a two-channel call without its transcript: the file analysis' echo gate,
    voice activity and core; and the CPU seconds it took."""
    began = time.process_time()
    gate = EchoGate()
    listeners = [ChannelListener(vad, fused=fused) for _ in range(2)]
    edges: list[list[SpeechEdge]] = [[], []]
    for begin in range(0, audio.shape[1], _BLOCK):
        heard = gate.push([np.ascontiguousarray(c[begin : begin + _BLOCK]) for c in audio])
        for index, samples in enumerate(heard):
            if samples.shape[0]:
                edges[index] += listeners[index].push(samples)
    for index, samples in enumerate(gate.finish()):
        if samples.shape[0]:
            edges[index] += listeners[index].push(samples)
        edges[index] += listeners[index].finish()
    end = audio.shape[1]
    facts = call_facts([("seller", edges[0]), ("customer", edges[1])], [], end)
    conversation = Conversation(language="en")
    events = conversation.feed_many(facts) + conversation.finish(end)
    result = analysis_from_events(events, end / SAMPLE_RATE, "en")
    return result, time.process_time() - began


def score_call(
    call: BuiltCall, audio: Floats, vad: SileroVad, fused: FusedSpeech | None, directory: Path
) -> Scored:
    result, cpu_s = activity_of_call(audio, vad, fused)
    run = directory / f"{call.name}.json"
    run.write_text(json.dumps(result))
    rttm, _ = call.write_references(directory)
    scores = run_eval(run, rttm, None, {"seller": "seller", "customer": "customer"})
    segments = result.get("segments") or []
    activity = activity_score(
        [(t.speaker, t.start_s, t.end_s) for t in call.turns],
        [(str(s["role"]), float(s["start_s"]), float(s["end_s"])) for s in segments],
        call.duration_s,
        ("seller", "customer"),
    )
    talk = (scores.talk["seller"].error_s, scores.talk["customer"].error_s)
    return Scored(activity.f1, talk, cpu_s)


def score_channel(
    samples: Floats, speech: list[Interval], vad: SileroVad, fused: FusedSpeech | None
) -> Scored:
    began = time.process_time()
    listener = ChannelListener(vad, fused=fused)
    edges: list[SpeechEdge] = []
    for block in _blocks(samples):
        edges += listener.push(block)
    edges += listener.finish()
    cpu_s = time.process_time() - began
    duration_s = samples.shape[0] / SAMPLE_RATE
    run = _intervals("speech", edges)
    activity = activity_score(speech, run, duration_s, ("speech",))
    talk = abs(sum(b - a for _, a, b in run) - sum(b - a for _, a, b in speech))
    return Scored(activity.f1, (talk,), cpu_s)


@dataclass(frozen=True, slots=True)
class HeldOutRow:
    name: str
    condition: str
    seconds: float
    silero: Scored
    fused: Scored


def held_out(data: Path, fused: FusedSpeech, say: Callable[[HeldOutRow], None]) -> None:
    vad = SileroVad()
    with tempfile.TemporaryDirectory(prefix="praesent-fusion-") as temporary:
        for call in calls(data, HELD_OUT):
            for condition in conditions(data, HELD_OUT):
                audio = condition.apply(call.audio)
                say(
                    HeldOutRow(
                        call.name,
                        condition.name,
                        call.duration_s,
                        score_call(call, audio, vad, None, Path(temporary)),
                        score_call(call, audio, vad, fused, Path(temporary)),
                    )
                )
    for pair in pairs(data, HELD_OUT):
        for kind, samples in (("noisy", pair.noisy), ("clean", pair.clean)):
            say(
                HeldOutRow(
                    pair.id,
                    f"{kind} ({pair.noise} {pair.snr_db:g} dB)" if kind == "noisy" else kind,
                    samples.shape[0] / SAMPLE_RATE,
                    score_channel(samples, pair.speech, vad, None),
                    score_channel(samples, pair.speech, vad, fused),
                )
            )


HEADER = (
    "recording",
    "condition",
    "speech F1 Silero",
    "speech F1 fused",
    "talk err s Silero",
    "talk err s fused",
    "CPU ms/s Silero",
    "CPU ms/s fused",
)


def cells(row: HeldOutRow) -> list[str]:
    def talk(scored: Scored) -> str:
        return " / ".join(f"{e:.2f}" for e in scored.talk_error_s)

    def cpu(scored: Scored) -> str:
        return f"{1000 * scored.cpu_s / row.seconds:.0f}"

    return [
        row.name,
        row.condition,
        f"{row.silero.f1:.3f}",
        f"{row.fused.f1:.3f}",
        talk(row.silero),
        talk(row.fused),
        cpu(row.silero),
        cpu(row.fused),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m praesent.evaluation.fusion")
    parser.add_argument("command", choices=("fit", "held-out"))
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=COEFFICIENTS)
    defaults = SegmentationOptions()
    parser.add_argument("--window-s", type=float, default=defaults.window_s)
    parser.add_argument("--hop-s", type=float, default=defaults.hop_s)
    parser.add_argument("--lookahead-s", type=float, default=defaults.lookahead_s)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--cache", type=Path, help="fit: keep the training features here")
    args = parser.parse_args(argv)
    settings = Settings()
    if args.command == "fit":
        options = SegmentationOptions(args.window_s, args.hop_s, args.lookahead_s)
        fusion = fit(args.data, options, settings, args.cache)
        args.out.write_text(json.dumps(fusion.to_dict(), indent=2) + "\n")
        print(json.dumps(fusion.to_dict(), indent=2))
        return 0
    from praesent.engines import segmentation_speech

    fused = FusedSpeech(segmentation_speech(settings), Fusion.load(args.out))
    if args.markdown:
        print("| " + " | ".join(HEADER) + " |")
        print("|" + "---|" * len(HEADER))
    else:
        print("\t".join(HEADER))

    def say(row: HeldOutRow) -> None:
        line = cells(row)
        print("| " + " | ".join(line) + " |" if args.markdown else "\t".join(line), flush=True)

    held_out(args.data, fused, say)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
