"""Benchmark `praesent analyze` against plain faster-whisper on the same long two-channel call.

Both sides run in a fresh child process per measurement, so wall time includes start-up and model
load on both sides, and peak RSS is that child's own (``os.wait4`` returns the rusage of exactly
the child it reaped):

- praesent: ``praesent analyze CALL.wav --channels seller,customer --format json``;
- plain: ``WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
  .transcribe(mono, word_timestamps=True)`` over the mixed-down (mean of both channels) call,
  with the generator consumed fully. No VAD: that is what a plain transcription does.

The call is built from real recordings by ``make_call.py`` into ``.cache/bench/`` and reused;
each side's WER is measured against the texts of the recordings it is built from.

    python bench/bench_analyze.py                 # 10-minute call, both sides, one repeat
    python bench/bench_analyze.py --repeats 3     # medians of three
    python bench/bench_analyze.py --hour          # praesent only, 60-minute call: RSS and RTF
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

# make_call.py is a sibling script, not an installed module; this also works when imported.
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_call import DEFAULT_DATA_DIR, build_call

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CACHE = ROOT / ".cache" / "bench"
# The goals of issue 2.
GOAL_RATIO = 0.8
GOAL_RTF = 0.12
GOAL_HOUR_RSS_BYTES = 1.2e9


@dataclass
class Run:
    """One measured child process."""

    wall_s: float
    # User + system CPU time: less disturbed than wall time when other work shares the cores.
    cpu_s: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr_tail: str
    # What the child reported about itself (parsed JSON on stdout), if anything.
    report: dict[str, Any] = field(default_factory=dict)


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` as a fresh child and return its wall time and its own peak RSS."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        # stderr goes to a file so a chatty child cannot block on a full pipe while we read stdout.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        assert proc.stdout is not None
        out = proc.stdout.read()
        proc.stdout.close()
        # wait4 (not Popen.wait) because it hands back the rusage of this one child.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr_tail = err.read().decode("utf-8", "replace")[-2000:]
    # Linux reports ru_maxrss in KiB (macOS in bytes; this bench targets the Linux server).
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    text = out.decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    run = Run(wall, cpu, peak, proc.returncode, text, stderr_tail)
    if proc.returncode == 0:
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            run.report = parsed
    return run


def default_model_dir() -> tuple[Path, str]:
    """The model praesent would use (a missing one fails with the command that installs it)."""
    from praesent.asr.models import resolve_model_dir
    from praesent.settings import Settings

    return Path(resolve_model_dir(Settings())), "resolved by praesent (Settings().model)"


def praesent_command() -> list[str] | None:
    """The `praesent` console script of this interpreter's environment, else one on PATH."""
    beside = Path(sys.executable).parent / "praesent"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("praesent")
    return [found] if found else None


def wav_duration_s(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def load_mixdown(path: Path) -> npt.NDArray[np.float32]:
    """The call as mono float32 in [-1, 1): the mean of its channels, read in chunks."""
    with wave.open(str(path), "rb") as wav:
        channels, frames = wav.getnchannels(), wav.getnframes()
        mono = np.empty(frames, dtype=np.float32)
        pos = 0
        while pos < frames:
            raw = wav.readframes(1 << 20)
            if not raw:
                break
            block = np.frombuffer(raw, dtype="<i2").reshape(-1, channels)
            mono[pos : pos + len(block)] = block.mean(axis=1, dtype=np.float32) / 32768.0
            pos += len(block)
    return mono[:pos]


def call_reference(call: Path) -> str:
    """What was said in a call built by make_call.py, piece after piece: the reference for WER
    (where two channels overlap, the order of their words may differ from a transcript's)."""
    from bench_live import normalise, phonecall_reference

    manifest = json.loads(call.with_suffix(".json").read_text(encoding="utf-8"))
    tsv = DEFAULT_DATA_DIR / "en-stereo-2ch" / "stereo_diarization.channel_transcripts.tsv"
    stereo = [line.split("\t", 1)[1] for line in tsv.read_text(encoding="utf-8").splitlines()[1:]]
    texts = {
        "en-phonecall-2spk": phonecall_reference(1),
        "en-jfk": (DEFAULT_DATA_DIR / "en-jfk" / "jfk.txt").read_text(encoding="utf-8"),
        "de-read-1spk": (DEFAULT_DATA_DIR / "de-read-1spk" / "test_de.txt").read_text("utf-8"),
        "en-stereo-2ch": " ".join(stereo),
    }
    return normalise(
        " ".join(texts[p["source"]] for p in manifest["pieces"] if p["source"] in texts)
    )


def transcript_wer(reference: str, report: dict[str, Any]) -> float | None:
    """The WER of a side's transcript (praesent's utterances, or plain's text) of the call."""
    from bench_live import wer

    utterances = report.get("utterances")
    if isinstance(utterances, list):
        return wer(reference, " ".join(str(u.get("text", "")) for u in utterances))
    if isinstance(report.get("text"), str):
        return wer(reference, report["text"])
    return None


def plain_worker(args: argparse.Namespace) -> int:
    """Child side of the plain measurement: print what it did as one JSON object."""
    from faster_whisper import WhisperModel

    t0 = time.perf_counter()
    model = WhisperModel(
        str(args.model_dir),
        device="cpu",
        compute_type=args.compute_type,
        cpu_threads=args.cpu_threads,
    )
    t1 = time.perf_counter()
    audio = load_mixdown(args.audio)
    t2 = time.perf_counter()
    segments, info = model.transcribe(
        audio,
        language=None if args.language == "auto" else args.language,
        beam_size=args.beam_size,
        word_timestamps=True,
    )
    n_segments = n_words = n_chars = 0
    texts: list[str] = []
    windows: set[int] = set()
    fallbacks: set[int] = set()
    for segment in segments:  # the generator does the work; consume all of it
        n_segments += 1
        windows.add(segment.seek)
        if segment.temperature:
            fallbacks.add(segment.seek)
        n_words += len(segment.words or [])
        n_chars += len(segment.text)
        texts.append(segment.text)
    t3 = time.perf_counter()
    report = {
        "load_s": t1 - t0,
        "decode_s": t2 - t1,
        "transcribe_s": t3 - t2,
        "language": info.language,
        "duration_s": info.duration,
        "segments": n_segments,
        "words": n_words,
        "chars": n_chars,
        "text": " ".join(texts),
        "asr": {
            "audio_s": info.duration,
            "decodes": 1,
            "windows": len(windows),
            "fallbacks": len(fallbacks),
        },
    }
    print(json.dumps(report))
    return 0


def run_plain(args: argparse.Namespace, call: Path, model_dir: Path) -> Run:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker-plain",
        "--audio",
        str(call),
        "--model-dir",
        str(model_dir),
        "--cpu-threads",
        str(args.cpu_threads),
        "--compute-type",
        args.compute_type,
        "--beam-size",
        str(args.beam_size),
        "--language",
        args.language,
    ]
    return measure(cmd)


def run_praesent(args: argparse.Namespace, call: Path, model_dir: Path) -> Run:
    cli = praesent_command()
    if cli is None:
        return Run(0.0, 0.0, 0, 127, "", "praesent is not installed (pip install -e '.[base]')")
    env = dict(os.environ)
    # The same model and settings as the plain side; Settings reads PRAESENT_* from the env.
    env.update(
        PRAESENT_MODEL=str(model_dir),
        PRAESENT_COMPUTE_TYPE=args.compute_type,
        PRAESENT_CPU_THREADS=str(args.cpu_threads),
        PRAESENT_LANGUAGE=args.language,
    )
    cmd = [*cli, "analyze", str(call), "--channels", "seller,customer", "--format", "json"]
    return measure(cmd, env)


def baseline_tree(revision: str, cache: Path) -> Path:
    """praesent as it was at ``revision`` (``git archive`` of the package, its models registry
    and the overlay it serves), run with this venv."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", revision],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    target = cache / f"baseline-{commit}"
    if not (target / "server" / "praesent").is_dir() or not (target / "client").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit, "server", "models", "client"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def run_baseline(args: argparse.Namespace, call: Path, model_dir: Path, tree: Path) -> Run:
    """``praesent analyze`` of an earlier commit, with the same settings as the current side."""
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(tree / "server"),
        PRAESENT_MODEL=str(model_dir),
        PRAESENT_COMPUTE_TYPE=args.compute_type,
        PRAESENT_CPU_THREADS=str(args.cpu_threads),
        PRAESENT_LANGUAGE=args.language,
    )
    cmd = [sys.executable, "-m", "praesent", "analyze", str(call), "--channels"]
    return measure([*cmd, "seller,customer", "--format", "json"], env)


def summarise(name: str, runs: list[Run], duration_s: float) -> dict[str, Any]:
    ok = [r for r in runs if r.returncode == 0]
    if not ok:
        last = runs[-1]
        return {"name": name, "ok": False, "returncode": last.returncode, "error": last.stderr_tail}
    wall = statistics.median(r.wall_s for r in ok)
    return {
        "name": name,
        "ok": len(ok) == len(runs),
        "repeats": len(ok),
        "wall_s": wall,
        "rtf": wall / duration_s,
        "cpu_s": statistics.median(r.cpu_s for r in ok),
        "peak_rss_bytes": int(statistics.median(r.peak_rss_bytes for r in ok)),
        "walls_s": [r.wall_s for r in ok],
        "report": ok[-1].report,
    }


def _words_of_praesent(report: dict[str, Any]) -> int:
    utterances = report.get("utterances") or []
    return sum(len(u.get("words") or []) for u in utterances if isinstance(u, dict))


def print_table(rows: list[dict[str, Any]], duration_s: float, repeats: int) -> None:
    label = "median of " + str(repeats) if repeats > 1 else "one run"
    print(f"\ncall: {duration_s / 60:.1f} min two-channel, {label}")
    print(f"{'':24} {'wall s':>9} {'RTF':>7} {'CPU s':>9} {'peak RSS MB':>12}  notes")
    for row in rows:
        if "wall_s" not in row:
            error = str(row.get("error", "")).strip().splitlines()
            note = error[-1] if error else "failed"
            print(f"{row['name']:24} {'-':>9} {'-':>7} {'-':>9} {'-':>12}  FAILED: {note}")
            continue
        report = row["report"]
        if row["name"].startswith("plain"):
            note = (
                f"load {report.get('load_s', 0):.1f} s, transcribe "
                f"{report.get('transcribe_s', 0):.1f} s, {report.get('words', 0)} words, "
                f"lang {report.get('language')}"
            )
        else:
            note = f"{_words_of_praesent(report)} words, lang {report.get('language')}"
        if row.get("wer") is not None:
            note += f", WER {row['wer']:.1%}"
        print(
            f"{row['name']:24} {row['wall_s']:9.1f} {row['rtf']:7.3f} {row['cpu_s']:9.1f} "
            f"{row['peak_rss_bytes'] / 1e6:12.0f}  {note}"
        )


def print_cost(rows: list[dict[str, Any]]) -> None:
    """What each side's speech-to-text did: the figures that explain a difference in time."""
    print("\nwhat speech-to-text did (last run of each side):")
    for row in rows:
        asr = (row.get("report") or {}).get("asr")
        if not isinstance(asr, dict):
            continue
        parts = [f"audio to the decoder {asr.get('audio_s', 0):.0f} s"]
        if "speech_s" in asr:
            parts.append(f"speech {asr['speech_s']:.0f} s")
        parts.append(f"{asr.get('decodes', 0)} decodes, {asr.get('windows', 0)} windows")
        parts.append(f"{asr.get('fallbacks', 0)} temperature fallbacks")
        if "retries" in asr:
            parts.append(f"{asr['retries']} utterances decoded again, {asr['rejected']} dropped")
            parts.append(f"{asr['language_passes']} language passes")
        print(f"  {row['name']:22} " + ", ".join(parts))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="call length (default 10)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per side; medians if > 1")
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=None,
        help="CTranslate2 Whisper directory for both sides (default: what praesent resolves for "
        "its configured model)",
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--seed", type=int, default=0, help="make_call.py seed (default 0)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--hour", action="store_true", help="praesent only, on a 60-minute call: RSS and RTF"
    )
    parser.add_argument("--plain-only", action="store_true", help="skip the praesent side")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run `praesent analyze` as it was at this git revision, side by side",
    )
    parser.add_argument("--cpu-threads", type=int, default=2)
    parser.add_argument("--compute-type", default="int8")
    # faster-whisper's default beam; keep it equal to what praesent uses.
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--language", default="auto", help="'auto' detects once per call")
    # Internal: the plain faster-whisper child.
    parser.add_argument("--worker-plain", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--audio", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hour and args.plain_only:
        parser.error("--hour measures praesent only; it cannot be combined with --plain-only")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_plain:
        return plain_worker(args)

    minutes = 60.0 if args.hour else args.minutes
    if args.model_dir is not None:
        model_dir, origin = args.model_dir, "--model-dir"
    else:
        model_dir, origin = default_model_dir()
    if not (model_dir / "model.bin").is_file():
        print(f"error: no model.bin in {model_dir} ({origin}); pass --model-dir", file=sys.stderr)
        return 2

    call = args.cache_dir / f"call-{minutes:g}m-seed{args.seed}.wav"
    if call.is_file():
        print(f"reusing {call}")
    else:
        print(f"building {call} from real recordings ...")
        build_call(call, minutes, args.seed)
    duration_s = wav_duration_s(call)
    print(f"model: {model_dir} ({origin})")
    print(
        f"settings: compute_type={args.compute_type} "
        f"cpu_threads={args.cpu_threads} beam_size={args.beam_size} language={args.language} "
        f"word_timestamps=True; machine: {os.cpu_count()} CPUs, {platform.machine()}"
    )

    load_before = os.getloadavg()[0]
    if load_before > 0.5:
        print(f"note: load average {load_before:.1f} before start; wall times will be inflated")
    do_praesent = not args.plain_only
    do_plain = not args.hour
    praesent_runs: list[Run] = []
    plain_runs: list[Run] = []
    baseline_runs: list[Run] = []
    tree = baseline_tree(args.baseline, args.cache_dir) if args.baseline else None
    for i in range(args.repeats):
        # Alternate the sides so slow drift of the machine hits both alike.
        if do_praesent:
            print(f"[{i + 1}/{args.repeats}] praesent analyze ...", flush=True)
            praesent_runs.append(run_praesent(args, call, model_dir))
        if do_plain:
            print(f"[{i + 1}/{args.repeats}] plain faster-whisper ...", flush=True)
            plain_runs.append(run_plain(args, call, model_dir))
        if tree is not None:
            print(f"[{i + 1}/{args.repeats}] praesent analyze at {args.baseline} ...", flush=True)
            baseline_runs.append(run_baseline(args, call, model_dir, tree))

    rows: list[dict[str, Any]] = []
    if do_praesent:
        rows.append(summarise("praesent analyze", praesent_runs, duration_s))
    if tree is not None:
        rows.append(summarise(f"praesent @{tree.name[9:]}", baseline_runs, duration_s))
    if do_plain:
        rows.append(summarise("plain faster-whisper", plain_runs, duration_s))
    reference = call_reference(call)
    for row in rows:
        row["wer"] = transcript_wer(reference, row.get("report") or {}) if "report" in row else None
    print_table(rows, duration_s, args.repeats)
    print_cost(rows)
    load = (load_before, os.getloadavg()[0])
    print(f"load average (1 min) before / after: {load[0]:.1f} / {load[1]:.1f}")

    figures: dict[str, Any] = {
        "call": str(call),
        "duration_s": duration_s,
        "model_dir": str(model_dir),
        "model_origin": origin,
        "settings": {
            "compute_type": args.compute_type,
            "cpu_threads": args.cpu_threads,
            "beam_size": args.beam_size,
            "language": args.language,
        },
        "machine": {"cpus": os.cpu_count(), "arch": platform.machine()},
        "load_average_before_after": load,
        "repeats": args.repeats,
        "results": {row["name"]: {k: v for k, v in row.items() if k != "name"} for row in rows},
    }
    by_name = {row["name"]: row for row in rows}
    ours = by_name.get("praesent analyze", {})
    plain = by_name.get("plain faster-whisper", {})
    print()
    if "wall_s" in ours and "wall_s" in plain:
        ratio = ours["wall_s"] / plain["wall_s"]
        figures["ratio"] = ratio
        print(f"ratio praesent / plain wall time: {ratio:.2f}  (goal <= {GOAL_RATIO}: ", end="")
        print(f"{verdict(ratio <= GOAL_RATIO)})")
    earlier = next((row for row in rows if row["name"].startswith("praesent @")), {})
    if "wall_s" in ours and "wall_s" in earlier:
        print(
            f"praesent now / {earlier['name'][9:]}: wall {ours['wall_s'] / earlier['wall_s']:.2f}"
            f", CPU {ours['cpu_s'] / earlier['cpu_s']:.2f}"
        )
        if "wall_s" in plain:
            figures["ratio_baseline"] = earlier["wall_s"] / plain["wall_s"]
            print(f"ratio {earlier['name']} / plain wall time: {figures['ratio_baseline']:.2f}")
    if "wall_s" in ours:
        rtf_ok = verdict(ours["rtf"] <= GOAL_RTF)
        print(f"praesent RTF: {ours['rtf']:.3f}  (goal <= {GOAL_RTF}: {rtf_ok})")
        if args.hour:
            rss = ours["peak_rss_bytes"]
            print(
                f"praesent peak RSS on 1 h: {rss / 1e9:.2f} GB  (goal <= 1.2 GB: "
                f"{verdict(rss <= GOAL_HOUR_RSS_BYTES)})"
            )

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    failed = [row["name"] for row in rows if not row.get("ok")]
    if failed:
        sys.stdout.flush()
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
