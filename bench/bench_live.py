"""Benchmark the live socket: event latency, transcript latency, concurrent calls and a peer.

Starts a real ``praesent serve`` in a subprocess (its own temporary data directory, the models
where ``praesent serve`` finds them, ``base`` int8) and streams calls built by ``make_call.py``
into ``WS /v1/live`` in real time, the way a capture client does: each frame leaves when its
audio has been "recorded". Every figure is taken on the client's clock:

(a) event latency: activity / interruption / backchannel, from sending the frame whose end reaches
    the event's ``heard_s`` (the audio the server had when it decided) to receiving the event;
(b) final-transcript latency: from sending the frame that holds the utterance's ``end_s`` to
    receiving its final ``transcript`` event (the VAD's and the joiner's waiting included), with
    the WER of those transcripts on the phone call (English), for live speech-to-text now and as
    before its scheduler and the steps since (``BEFORE_STT``: one utterance per decode, a final
    only once its utterance closed, previews with the call's model, Whisper's whole window, the
    beam for English), each on its own server in the same run;
    and on the longer call with language ``auto`` (the first ones provisional, in the best guess);
(c) concurrency: N simultaneous two-channel calls, with transcripts (now and as before) and
    analytics only; a level
    holds when every call finishes, no call's ASR lag grows (the last minute's max ``asr_lag_s``
    at most the first minute's + 2 s) and the event latency p95 stays at or below 1 s.
    Analytics only is searched three times, each on its own server: as calls are decided now
    (audio once per ``PRAESENT_LIVE_TICK_MS``, 200 ms, on worker threads, in rounds that share
    one inference of voice activity), with voice activity per call as before the rounds
    (``PRAESENT_LIVE_VAD_BATCH=false``) and per message (tick 0, on the event loop), with the
    server's CPU time per second of call beside each level and the latency of speech edges also
    from their own time (``at_s``: what a tick adds shows);
(d) the peer: WhisperLive (faster_whisper backend, the same ``base`` directory, int8, CPU) in a
    virtual environment of the benchmark's own, fed the same phone call mixed to mono in real
    time; its completed-segment latency and WER against the call's STM beside ours.

    python bench/bench_live.py                  # the default run, about 20 minutes
    python bench/bench_live.py --quick          # a smoke run, a few minutes
    python bench/bench_live.py --analytics-only # (c) analytics only, the three servers
    python bench/bench_live.py --json out.json --asr-workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import websockets
from websockets.asyncio.client import ClientConnection, connect

from praesent.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_call import DEFAULT_DATA_DIR, PHONECALL_SKIP_S, SAMPLE_RATE, build_call

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench"
MODELS_DIR = Settings().model_root  # where `praesent serve` finds them (the checkout's models/)
STM = DEFAULT_DATA_DIR / "en-phonecall-2spk" / "sample.stm"
CORE_TYPES = ("activity", "interruption", "backchannel")
# The phone call after make_call's skip: one repetition of the real conversation.
PHONECALL_S = 30.0 - PHONECALL_SKIP_S
PEER_VENV = CACHE / "whisperlive-venv"
# glibc's own arena count: with any MALLOC_* setting praesent leaves the allocator as glibc sets it
# up, handing freed memory back (praesent/launch.py).
MEMORY_HANDED_BACK = {"MALLOC_ARENA_MAX": str(8 * (os.cpu_count() or 1))}
# Live speech-to-text as it was before the scheduler and every step since: one utterance per
# decode, a final only once its utterance closed, previews with the call's own model, Whisper's
# whole 30 s window, the beam for every language, freed memory handed back.
BEFORE_STT = {
    "PRAESENT_LIVE_BATCH": "false",
    "PRAESENT_LIVE_SPECULATE": "false",
    "PRAESENT_PREVIEW_MODEL": "",
    "PRAESENT_LIVE_ENCODER_MIN_S": "30",
    "PRAESENT_LIVE_GREEDY_LANGUAGES": "",
    **MEMORY_HANDED_BACK,
}
# Each step of BEFORE_STT alone, to see what it does by itself.
ONE_STEP_OFF = {
    "no batching": {"PRAESENT_LIVE_BATCH": "false"},
    "no speculation": {"PRAESENT_LIVE_SPECULATE": "false"},
    "no tiny.en": {"PRAESENT_PREVIEW_MODEL": ""},
    "memory handed back": MEMORY_HANDED_BACK,
    # Finals and previews with Whisper's whole 30 s window, padding and all (asr/transcriber.py).
    "whole encoder window": {"PRAESENT_LIVE_ENCODER_MIN_S": "30"},
    # English finals with the beam (PRAESENT_BEAM_SIZE), not greedy.
    "English beam": {"PRAESENT_LIVE_GREEDY_LANGUAGES": ""},
}
# Analytics-only calls each deciding on their own, Silero per call and channel, as before ticked
# calls shared one inference of voice activity per round.
UNBATCHED_VAD = {"PRAESENT_LIVE_VAD_BATCH": "false"}
PEER_VERSION = "0.10.0"
TORCH_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
# What WhisperLive's server and faster_whisper backend import. The package's full requirement
# list also pulls CUDA libraries, OpenVINO, torchaudio (pinned to another torch) and PyAudio
# (built against PortAudio headers), none of which a CPU server run touches.
PEER_PACKAGES = (
    "faster-whisper==1.2.0",
    "fastapi",
    "uvicorn",
    "websockets",
    "numpy<2.5",
    "onnxruntime",
    "av",
    "scipy",
    "requests",
)


# --------------------------------------------------------------------------------------------
# statistics


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return math.nan
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value * 1000:.0f} ms"


def secs(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f} s"


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} on {os.cpu_count()} cores"


# --------------------------------------------------------------------------------------------
# calls


def cached_call(minutes: float, *, phonecall_only: bool = False, seed: int = 0) -> Path:
    """A call from make_call.py, built once into .cache/bench/ and reused."""
    kind = "phonecall" if phonecall_only else "call"
    path = CACHE / f"{kind}-{minutes:g}m-seed{seed}.wav"
    if not path.exists():
        build_call(path, minutes, seed, interleave=not phonecall_only)
    return path


def read_frames(path: Path, frame_ms: int) -> list[bytes]:
    """The call's interleaved s16le PCM cut into frames of ``frame_ms``."""
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16 kHz 16-bit PCM")
        data = wav.readframes(wav.getnframes())
        step = SAMPLE_RATE * frame_ms // 1000 * 2 * wav.getnchannels()
    return [data[i : i + step] for i in range(0, len(data), step)]


def frame_index(audio_s: float, frame_s: float) -> int:
    """The frame whose end first reaches ``audio_s`` (the frame that holds that instant)."""
    return max(0, math.ceil(round(audio_s / frame_s, 6)) - 1)


# --------------------------------------------------------------------------------------------
# the praesent server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def cpu_s(self) -> float:
        """The server process's CPU time so far (user + system, all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def praesent_server(
    asr_workers: int,
    tick_ms: int | None = None,
    extra_env: dict[str, str] | None = None,
    cpus: str | None = None,
) -> Iterator[Server]:
    """A real ``praesent serve`` with a throw-away data directory (``tick_ms``: its
    PRAESENT_LIVE_TICK_MS, None: the default; ``extra_env``: more settings; ``cpus``: the
    server runs on these cores only, ``taskset -c``, while the calls are sent from any)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="praesent-bench-") as tmp:
        env = {
            **os.environ,
            "PRAESENT_DATA_DIR": tmp,
            "PRAESENT_MODELS_DIR": str(MODELS_DIR),
            "PRAESENT_ASR_WORKERS": str(asr_workers),
            "PRAESENT_MODEL": "base",
            "PRAESENT_COMPUTE_TYPE": "int8",
        }
        if tick_ms is not None:
            env["PRAESENT_LIVE_TICK_MS"] = str(tick_ms)
        env.update(extra_env or {})
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            pinned = ["taskset", "-c", cpus] if cpus else []
            proc = subprocess.Popen(
                [*pinned, sys.executable, "-m", "praesent", "serve", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_http(f"http://127.0.0.1:{port}/healthz", proc, log)
                yield Server(f"ws://127.0.0.1:{port}", proc.pid)
            finally:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"the server did not answer {url} within {timeout_s:.0f} s")


# --------------------------------------------------------------------------------------------
# one live call, as a capture client streams it


@dataclass
class CallRun:
    frame_s: float
    sent: list[float] = field(default_factory=list)  # monotonic send time of each frame
    events: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    finished: bool = False
    error: str = ""
    # How far the sender itself fell behind the audio clock (a busy client would skew figures).
    max_send_late_s: float = 0.0
    stop_to_final_s: float = math.nan

    def latencies(self, types: Sequence[str], key: str) -> list[float]:
        out: list[float] = []
        for received, event in self.events:
            if event.get("type") not in types or key not in event:
                continue
            index = frame_index(float(event[key]), self.frame_s)
            if index < len(self.sent):
                out.append(received - self.sent[index])
        return out

    def lag_window_max(self, first: bool, window_s: float = 60.0) -> float:
        """The largest ``asr_lag_s`` of the balance events in the first or the last minute."""
        points = [
            (float(e["heard_s"]), float(e.get("asr_lag_s", 0.0)))
            for _, e in self.events
            if e.get("type") == "balance" and "heard_s" in e
        ]
        if not points:
            return 0.0
        end = points[-1][0]
        # On a call shorter than two windows they would overlap and hide any growth.
        window_s = min(window_s, end / 2)
        chosen = [
            lag
            for heard, lag in points
            if (heard <= window_s if first else heard >= end - window_s)
        ]
        return max(chosen, default=0.0)

    def transcripts(self) -> list[dict[str, Any]]:
        return [e for _, e in self.events if e.get("type") == "transcript"]


async def stream_call(
    url: str,
    frames: Sequence[bytes],
    frame_ms: int,
    *,
    transcribe: bool,
    language: str,
    delay_s: float = 0.0,
) -> CallRun:
    """Stream ``frames`` in real time; every frame leaves when its audio would be captured."""
    run = CallRun(frame_ms / 1000)
    await asyncio.sleep(delay_s)
    try:
        # No permessage-deflate: compressing a frame costs the sender ~0.4 ms (0.8 of a core
        # for 100 calls), which would be taken from the server's two cores.
        async with connect(
            url + "/v1/live", max_size=None, open_timeout=60, compression=None
        ) as ws:
            start = {
                "type": "start",
                "sample_rate": SAMPLE_RATE,
                "sample_format": "s16le",
                "channels": ["seller", "customer"],
                "language": language,
                "title": "bench",
                "transcribe": transcribe,
            }
            await ws.send(json.dumps(start))
            receiver = asyncio.create_task(_receive(ws, run))
            began = time.monotonic()
            for index, frame in enumerate(frames):
                due = began + (index + 1) * run.frame_s
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                else:
                    run.max_send_late_s = max(run.max_send_late_s, -wait)
                if receiver.done():
                    break
                await ws.send(frame)
                run.sent.append(time.monotonic())
            stopped = time.monotonic()
            await ws.send(json.dumps({"type": "stop"}))
            await receiver
            run.stop_to_final_s = time.monotonic() - stopped
    except (OSError, websockets.exceptions.WebSocketException) as error:
        run.error = f"{type(error).__name__}: {error}"
    return run


async def _receive(ws: ClientConnection, run: CallRun) -> None:
    async for message in ws:
        event: dict[str, Any] = json.loads(message)
        run.events.append((time.monotonic(), event))
        if event.get("type") == "final":
            run.finished = True
            return
        if event.get("type") == "error":
            run.error = str(event.get("message"))
            return


# --------------------------------------------------------------------------------------------
# (a) and (b): one call in real time


def latency_figures(run: CallRun) -> dict[str, Any]:
    core = run.latencies(CORE_TYPES, "heard_s")
    finals = run.latencies(("transcript",), "end_s")
    return {
        "core_events": len(core),
        "core_p50_s": pct(core, 50),
        "core_p95_s": pct(core, 95),
        "core_max_s": max(core, default=math.nan),
        "finals": len(finals),
        "final_p50_s": pct(finals, 50),
        "final_p95_s": pct(finals, 95),
        "final_max_s": max(finals, default=math.nan),
        "asr_lag_max_s": max(
            (float(e.get("asr_lag_s", 0)) for _, e in run.events if e.get("type") == "balance"),
            default=0.0,
        ),
        "send_late_max_s": run.max_send_late_s,
        "stop_to_final_s": run.stop_to_final_s,
        "finished": run.finished,
        "error": run.error,
    }


# --------------------------------------------------------------------------------------------
# (c): N calls at once


def concurrency_level(runs: Sequence[CallRun], transcribe: bool) -> dict[str, Any]:
    core = [x for run in runs for x in run.latencies(CORE_TYPES, "heard_s")]
    # Speech edges from their own time: the voice activity's fixed wait plus what a tick adds.
    since = [x for run in runs for x in run.latencies(("activity",), "at_s")]
    finals = [x for run in runs for x in run.latencies(("transcript",), "end_s")]
    first = [run.lag_window_max(True) for run in runs]
    last = [run.lag_window_max(False) for run in runs]
    growing = sum(1 for a, b in zip(first, last, strict=True) if b > a + 2.0)
    failed = [run.error or "no final message" for run in runs if not run.finished]
    core_p95 = pct(core, 95)
    holds = not failed and not growing and not math.isnan(core_p95) and core_p95 <= 1.0
    return {
        "calls": len(runs),
        "transcribe": transcribe,
        "holds": holds,
        "failed": len(failed),
        "first_error": failed[0] if failed else "",
        "lag_growing_calls": growing,
        "lag_first_min_max_s": max(first, default=0.0),
        "lag_last_min_max_s": max(last, default=0.0),
        "core_p50_s": pct(core, 50),
        "core_p95_s": core_p95,
        "since_event_p50_s": pct(since, 50),
        "since_event_p95_s": pct(since, 95),
        "final_p50_s": pct(finals, 50) if transcribe else math.nan,
        "final_p95_s": pct(finals, 95) if transcribe else math.nan,
        "send_late_max_s": max((run.max_send_late_s for run in runs), default=0.0),
        "stop_to_final_max_s": max((run.stop_to_final_s for run in runs), default=math.nan),
    }


async def run_many(
    url: str, frames: Sequence[bytes], frame_ms: int, calls: int, transcribe: bool
) -> list[CallRun]:
    # Spread the starts over one frame so the calls' frames do not all arrive in one burst.
    spread = frame_ms / 1000 / calls
    return list(
        await asyncio.gather(
            *(
                stream_call(
                    url,
                    frames,
                    frame_ms,
                    transcribe=transcribe,
                    language="en",
                    delay_s=i * spread,
                )
                for i in range(calls)
            )
        )
    )


def climb(
    server: Server,
    frames: Sequence[bytes],
    frame_ms: int,
    levels: Sequence[int],
    transcribe: bool,
    start: int,
    label: str = "",
) -> list[dict[str, Any]]:
    """Try ``start`` first; climb while a level holds, step down while it fails."""
    order = sorted(levels)
    index = order.index(start) if start in order else 0
    tried: dict[int, dict[str, Any]] = {}
    step = 0
    while 0 <= index < len(order) and order[index] not in tried:
        calls = order[index]
        began, cpu = time.monotonic(), server.cpu_s()
        runs = asyncio.run(run_many(server.url, frames, frame_ms, calls, transcribe))
        result = concurrency_level(runs, transcribe)
        result["wall_s"] = time.monotonic() - began
        call_s = calls * len(frames) * frame_ms / 1000
        result["server_cpu_ms_per_call_s"] = (server.cpu_s() - cpu) / call_s * 1000
        result["load"] = load_average()
        tried[calls] = result
        mode = label or ("transcripts" if transcribe else "analytics")
        print(
            f"  {mode:11} N={calls:<4} holds={result['holds']!s:5} "
            f"core p95 {ms(result['core_p95_s'])}, "
            f"server {result['server_cpu_ms_per_call_s']:.1f} ms CPU/call-s, lag first/last "
            f"{result['lag_first_min_max_s']:.1f}/{result['lag_last_min_max_s']:.1f} s, "
            f"failed {result['failed']} ({result['load']})",
            flush=True,
        )
        direction = 1 if result["holds"] else -1
        if step and direction != step:
            break  # the boundary is found
        step = direction
        index += direction
    return [tried[n] for n in sorted(tried)]


def largest_holding(results: Sequence[dict[str, Any]]) -> int:
    return max((r["calls"] for r in results if r["holds"]), default=0)


# --------------------------------------------------------------------------------------------
# WER against the phone call's STM


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def phonecall_reference(repeats: int) -> str:
    """The STM's words of each repetition of the phone call in a phonecall-only call."""
    words: list[str] = []
    lines = [line.split(maxsplit=5) for line in STM.read_text(encoding="utf-8").splitlines()]
    segments = [(float(f[3]), f[5]) for f in lines if len(f) == 6 and not f[0].startswith(";")]
    for _ in range(repeats):
        words += [text for start, text in sorted(segments) if start >= PHONECALL_SKIP_S - 0.05]
    return normalise(" ".join(words))


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(reference, normalise(hypothesis) or "<empty>"))


# --------------------------------------------------------------------------------------------
# (d): the peer, WhisperLive


def ensure_peer_venv() -> tuple[Path | None, str]:
    """WhisperLive's own venv (made on first use); (python, what happened) or (None, why not)."""
    python = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / ".bench-ready"
    if marker.exists():
        return python, marker.read_text(encoding="utf-8")
    steps: list[list[str]] = [[sys.executable, "-m", "venv", str(PEER_VENV)]]
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    if TORCH_WHEEL.exists():
        steps.append([*pip, str(TORCH_WHEEL)])  # CPU torch from disk, not a CUDA download
    else:
        steps.append([*pip, "torch", "--index-url", "https://download.pytorch.org/whl/cpu"])
    steps.append([*pip, f"whisper-live=={PEER_VERSION}", "--no-deps"])
    steps.append([*pip, *PEER_PACKAGES])
    # WhisperLive's VAD fetches Silero's ONNX from GitHub at run time; the silero-vad package
    # ships the same file.
    steps.append([*pip, "silero-vad", "--no-deps"])
    print(f"  setting up {PEER_VENV} (first use)", flush=True)
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None, f"`{' '.join(step[-3:])}` failed: {done.stderr.strip()[-400:]}"
    note = (
        f"whisper-live {PEER_VERSION} with --no-deps, its server's imports "
        f"({', '.join(PEER_PACKAGES)}), CPU torch {TORCH_WHEEL.name.split('-')[1]}"
    )
    marker.write_text(note, encoding="utf-8")
    return python, note


_PEER_SERVER = """
import logging, os, shutil, sys
from pathlib import Path
import silero_vad
home = Path(os.environ["HOME"]) / ".cache" / "whisper-live"
home.mkdir(parents=True, exist_ok=True)
onnx = Path(silero_vad.__file__).parent / "data" / "silero_vad.onnx"
if not (home / "silero_vad.onnx").exists():
    shutil.copy(onnx, home / "silero_vad.onnx")
logging.basicConfig(level=logging.INFO)
from whisper_live.server import TranscriptionServer
TranscriptionServer().run(
    "127.0.0.1", port=int(sys.argv[1]), backend="faster_whisper",
    faster_whisper_custom_model_path=sys.argv[2], single_model=True, max_clients=4,
)
"""


@contextlib.contextmanager
def peer_server(python: Path) -> Iterator[str]:
    port = free_port()
    home = CACHE / "whisperlive-home"  # keeps its cache (the VAD file) inside the benchmark's
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(home), "OMP_NUM_THREADS": "2", "HF_HUB_OFFLINE": "1"}
    log = home / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(python), "-c", _PEER_SERVER, str(port), str(MODELS_DIR / "base")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"WhisperLive exited:\n{log.read_text()[-2000:]}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("WhisperLive did not open its port")
                time.sleep(0.5)
            yield f"ws://127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class PeerRun:
    sent: list[float] = field(default_factory=list)
    completed: dict[float, tuple[float, float, str]] = field(default_factory=dict)
    # The newest text of segments not yet completed: the tail the stream ended on counts for WER.
    pending: dict[float, str] = field(default_factory=dict)
    error: str = ""


async def stream_peer(url: str, frames: Sequence[bytes], frame_ms: int, language: str) -> PeerRun:
    """Stream the mono mix in WhisperLive's protocol: JSON options, then float32 PCM frames."""
    run = PeerRun()
    frame_s = frame_ms / 1000
    try:
        async with connect(url, max_size=None, open_timeout=60) as ws:
            options = {
                "uid": "bench",
                "language": language,
                "task": "transcribe",
                "model": "base",
                "use_vad": True,
                "send_last_n_segments": 10,
                "no_speech_thresh": 0.45,
                "clip_audio": False,
                "same_output_threshold": 10,
            }
            await ws.send(json.dumps(options))
            while "SERVER_READY" not in str(await asyncio.wait_for(ws.recv(), 120)):
                pass
            receiver = asyncio.create_task(_receive_peer(ws, run))
            began = time.monotonic()
            for index, frame in enumerate(frames):
                wait = began + (index + 1) * frame_s - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                await ws.send(frame)
                run.sent.append(time.monotonic())
            # Silence lets its VAD and same-output rule close the last segment, then it ends.
            silence = np.zeros(SAMPLE_RATE * frame_ms // 1000, np.float32).tobytes()
            for _ in range(int(4 / frame_s)):
                await asyncio.sleep(frame_s)
                await ws.send(silence)
            await ws.send(b"END_OF_AUDIO")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(receiver, 15)
            receiver.cancel()
    except (OSError, websockets.exceptions.WebSocketException) as error:
        run.error = f"{type(error).__name__}: {error}"
    return run


async def _receive_peer(ws: ClientConnection, run: PeerRun) -> None:
    async for message in ws:
        data = json.loads(message)
        for segment in data.get("segments", []):
            start = round(float(segment["start"]), 2)
            if segment.get("completed") and start not in run.completed:
                run.completed[start] = (time.monotonic(), float(segment["end"]), segment["text"])
            elif not segment.get("completed"):
                run.pending[start] = segment["text"]


def mono_float_frames(path: Path, frame_ms: int) -> list[bytes]:
    """The two-channel call mixed to mono float32, as WhisperLive's client sends it."""
    with wave.open(str(path), "rb") as wav:
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2)
    mono = np.clip(pcm.astype(np.float32).sum(axis=1) / 32768.0, -1.0, 1.0).astype(np.float32)
    step = SAMPLE_RATE * frame_ms // 1000
    return [mono[i : i + step].tobytes() for i in range(0, len(mono), step)]


def peer_figures(run: PeerRun, frame_ms: int, reference: str) -> dict[str, Any]:
    frame_s = frame_ms / 1000
    latencies = [
        received - run.sent[frame_index(end, frame_s)]
        for received, end, _ in run.completed.values()
        if frame_index(end, frame_s) < len(run.sent)
    ]
    last = max(run.completed, default=-1.0)
    tail = [t for start, t in sorted(run.pending.items()) if start > last]
    text = " ".join([*(t for _, (_, _, t) in sorted(run.completed.items())), *tail])
    return {
        "segments": len(run.completed),
        "final_p50_s": pct(latencies, 50),
        "final_p95_s": pct(latencies, 95),
        "wer": wer(reference, text),
        "error": run.error,
    }


# --------------------------------------------------------------------------------------------
# the run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="call length (default 2)")
    parser.add_argument("--frame-ms", type=int, default=50, help="frame length (default 50)")
    parser.add_argument("--asr-workers", type=int, default=1, help="PRAESENT_ASR_WORKERS")
    parser.add_argument(
        "--transcribe-levels", default="1,2,4,6", help="concurrent calls with transcripts"
    )
    parser.add_argument("--transcribe-start", type=int, default=4, help="the level tried first")
    parser.add_argument(
        "--analytics-levels", default="25,50,75,100,150", help="concurrent analytics-only calls"
    )
    parser.add_argument("--analytics-start", type=int, default=100, help="the level tried first")
    parser.add_argument(
        "--peer-repeats", type=int, default=3, help="phone-call repetitions for (d) (default 3)"
    )
    parser.add_argument("--skip-concurrency", action="store_true")
    parser.add_argument(
        "--skip-before",
        action="store_true",
        help="skip the previous configurations (speech-to-text as before, analytics per message)",
    )
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument(
        "--analytics-only",
        action="store_true",
        help="only (c) analytics only: now, with voice activity per call as before rounds "
        "(PRAESENT_LIVE_VAD_BATCH=false) and, unless --skip-before, per message",
    )
    parser.add_argument(
        "--each-step",
        action="store_true",
        help="also each step of live speech-to-text turned off alone (batching, speculation, "
        "the preview model, the fitted window, greedy English finals): the phone call and the "
        "first level with transcripts",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a 1-minute call, one level each, one repetition"
    )
    parser.add_argument(
        "--pin-server",
        metavar="CPUS",
        help="run each server on these cores only (taskset -c, e.g. 0): one core of this machine "
        "stands for a slower machine; the calls are still sent from every core",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes, args.peer_repeats = 1.0, 1
        args.transcribe_levels, args.analytics_levels = "2", "25"
        args.transcribe_start, args.analytics_start = 2, 25
    return args


def levels(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (MODELS_DIR / "base").is_dir():
        print(f"no model at {MODELS_DIR / 'base'}: run `praesent models pull base`")
        return 1
    report: dict[str, Any] = {
        "machine": load_average(),
        "asr_workers": args.asr_workers,
        "call_minutes": args.minutes,
        "server_cpus": args.pin_server or "all",
    }
    call = cached_call(args.minutes)
    frames = read_frames(call, args.frame_ms)
    phone = cached_call(round(args.peer_repeats * PHONECALL_S / 60, 4), phonecall_only=True)
    phone_frames = read_frames(phone, args.frame_ms)
    reference = phonecall_reference(args.peer_repeats)
    print(
        f"praesent live bench: {call.name}, {args.frame_ms} ms frames, base int8, "
        f"asr_workers={args.asr_workers}, server on cores {args.pin_server or 'all'}, "
        f"{load_average()}",
        flush=True,
    )

    # The live speech-to-text now and as before (BEFORE_STT), each on its own server, in turn.
    configurations = [("now", {})] + ([] if args.skip_before else [("before", BEFORE_STT)])
    if args.each_step:
        configurations += list(ONE_STEP_OFF.items())
    if args.analytics_only:
        configurations = []
        with praesent_server(args.asr_workers, cpus=args.pin_server) as server:
            print("(c) analytics only ...", flush=True)
            report["concurrency_analytics"] = climb_analytics(server, frames, args, "analytics")
    for label, extra_env in configurations:
        with praesent_server(args.asr_workers, extra_env=extra_env, cpus=args.pin_server) as server:
            url = server.url
            print(f"(b) {label}: the phone call in real time, English ...", flush=True)
            ours = asyncio.run(
                stream_call(url, phone_frames, args.frame_ms, transcribe=True, language="en")
            )
            texts = " ".join(e["text"] for e in sorted(ours.transcripts(), key=lambda e: e["at_s"]))
            report[f"single_{label}"] = {
                **latency_figures(ours),
                "wer": wer(reference, texts),
                "load": load_average(),
            }
            if label == "now":
                print("(a)+(b) one call in real time, language auto ...", flush=True)
                single = asyncio.run(
                    stream_call(url, frames, args.frame_ms, transcribe=True, language="auto")
                )
                report["latency"] = {**latency_figures(single), "load": load_average()}
            if args.skip_concurrency:
                continue
            print(f"(c) {label}: concurrent calls with transcripts ...", flush=True)
            # A step alone is tried at the first level only.
            one_step = label in ONE_STEP_OFF
            report[f"concurrency_transcribe_{label}"] = climb(
                server,
                frames,
                args.frame_ms,
                [args.transcribe_start] if one_step else levels(args.transcribe_levels),
                True,
                args.transcribe_start,
                f"stt {label}",
            )
            if label == "now":
                report["concurrency_analytics"] = climb_analytics(server, frames, args, "analytics")

    if not args.skip_concurrency:
        # Voice activity per call and channel, as before calls decided in rounds: the same
        # search on its own server, in the same run.
        with praesent_server(
            args.asr_workers, extra_env=UNBATCHED_VAD, cpus=args.pin_server
        ) as one:
            print("(c) analytics only, voice activity per call (unbatched) ...", flush=True)
            report["concurrency_analytics_unbatched"] = climb_analytics(
                one, frames, args, "unbatched"
            )
    if not args.skip_concurrency and not args.skip_before:
        # The same search on a server that decides on every message on its event loop, as
        # before ticks: the gain is the ratio of the two, measured in the same run.
        with praesent_server(args.asr_workers, tick_ms=0, cpus=args.pin_server) as before:
            print("(c) analytics only as before (PRAESENT_LIVE_TICK_MS=0) ...", flush=True)
            report["concurrency_analytics_before"] = climb_analytics(before, frames, args, "before")
    if not args.skip_peer and not args.analytics_only:
        report["peer"] = run_peer(args, reference)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
    return 0


def climb_analytics(
    server: Server, frames: Sequence[bytes], args: argparse.Namespace, label: str
) -> list[dict[str, Any]]:
    levels_ = levels(args.analytics_levels)
    return climb(server, frames, args.frame_ms, levels_, False, args.analytics_start, label)


def run_peer(args: argparse.Namespace, reference: str) -> dict[str, Any]:
    print("(d) WhisperLive on the same phone call ...", flush=True)
    python, note = ensure_peer_venv()
    if python is None:
        print(f"  skipped: WhisperLive cannot be installed here: {note}")
        return {"skipped": note}
    phone = cached_call(round(args.peer_repeats * PHONECALL_S / 60, 4), phonecall_only=True)
    try:
        with peer_server(python) as url:
            run = asyncio.run(
                stream_peer(url, mono_float_frames(phone, args.frame_ms), args.frame_ms, "en")
            )
    except RuntimeError as error:
        print(f"  skipped: {error}")
        return {"skipped": str(error), "install": note}
    return {**peer_figures(run, args.frame_ms, reference), "install": note, "load": load_average()}


def print_report(report: dict[str, Any]) -> None:
    print()
    print(
        f"machine: {report['machine']} at start; asr_workers={report['asr_workers']}; "
        f"server on cores {report.get('server_cpus', 'all')}"
    )
    if "latency" in report:
        print_single(report)
    print_concurrency(report)
    if "peer" in report:
        print_peer(report)


def print_single(report: dict[str, Any]) -> None:
    lat = report["latency"]
    print(
        f"(a) event latency, {lat['core_events']} activity/interruption/backchannel events: "
        f"p50 {ms(lat['core_p50_s'])}, p95 {ms(lat['core_p95_s'])} (goal p95 <= 150 ms)"
    )
    print(
        f"(b) final-transcript latency, {lat['finals']} utterances: "
        f"p50 {secs(lat['final_p50_s'])}, p95 {secs(lat['final_p95_s'])} "
        f"(goal p50 <= 1.0 s, p95 <= 2.0 s); max ASR lag {lat['asr_lag_max_s']:.2f} s; "
        f"{lat['load']}"
    )
    print(
        "(b) final-transcript latency and WER on the phone call (English), live speech-to-text "
        "now beside as before (one utterance per decode, finals only once closed, previews "
        "with the call's model, Whisper's whole window, the beam for English):"
    )
    print(f"    {'':15} {'p50':>8} {'p95':>8} {'WER':>7} {'finals':>7}  load")
    for label in ("now", "before", *ONE_STEP_OFF):
        single = report.get(f"single_{label}")
        if single:
            print(
                f"    {label:15} {secs(single['final_p50_s']):>8} "
                f"{secs(single['final_p95_s']):>8} {single['wer']:>7.3f} {single['finals']:>7}"
                f"  {single['load']}"
            )
    if "single_now" in report and "single_before" in report:
        now, before = report["single_now"], report["single_before"]
        print(
            f"    now / before: p50 {now['final_p50_s'] / before['final_p50_s']:.2f}x "
            f"(goal <= 0.6x), p95 {now['final_p95_s'] / before['final_p95_s']:.2f}x; WER "
            f"{(now['wer'] - before['wer']) * 100:+.1f} points (goal <= +1)"
        )


def print_concurrency(report: dict[str, Any]) -> None:
    minutes = report.get("call_minutes", 0.0)
    for key, label, goal in (
        ("concurrency_transcribe_now", "with transcripts", 4),
        ("concurrency_transcribe_before", "with transcripts as before", 4),
        *(
            (f"concurrency_transcribe_{step}", f"with transcripts, {step}", 4)
            for step in ONE_STEP_OFF
        ),
        ("concurrency_analytics", "analytics only, 200 ms ticks in rounds on threads", 100),
        (
            "concurrency_analytics_unbatched",
            "analytics only, 200 ms ticks, voice activity per call (unbatched)",
            100,
        ),
        ("concurrency_analytics_before", "analytics only as before, per message", 100),
    ):
        if key not in report:
            continue
        print(
            f"(c) concurrent calls {label} ({minutes:g}-minute calls): largest N that holds = "
            f"{largest_holding(report[key])} (goal >= {goal})"
        )
        print(
            f"    {'N':>4} {'holds':>5} {'core p50':>9} {'core p95':>9} {'edge p95':>9} "
            f"{'final p50':>9} {'final p95':>9} {'lag 1st/last min':>16} {'failed':>6} "
            f"{'CPU/call-s':>10}  load"
        )
        for r in report[key]:
            print(
                f"    {r['calls']:>4} {r['holds']!s:>5} {ms(r['core_p50_s']):>9} "
                f"{ms(r['core_p95_s']):>9} {ms(r['since_event_p95_s']):>9} "
                f"{secs(r['final_p50_s']):>9} {secs(r['final_p95_s']):>9} "
                f"{r['lag_first_min_max_s']:>7.1f}/{r['lag_last_min_max_s']:<7.1f} s "
                f"{r['failed']:>6} {r['server_cpu_ms_per_call_s']:>7.1f} ms  {r['load']}"
            )
    if "concurrency_analytics" in report and "concurrency_analytics_before" in report:
        now, before = report["concurrency_analytics"], report["concurrency_analytics_before"]
        cpu_now = min(r["server_cpu_ms_per_call_s"] for r in now)
        cpu_before = min(r["server_cpu_ms_per_call_s"] for r in before)
        print(
            f"    analytics only, now / before: {largest_holding(now)} / "
            f"{largest_holding(before)} calls held; server CPU per second of call "
            f"{cpu_now:.1f} / {cpu_before:.1f} ms (the least over the levels; "
            f"{cpu_before / cpu_now:.2f}x less)"
        )
    if "concurrency_analytics" in report and "concurrency_analytics_unbatched" in report:
        now = {r["calls"]: r for r in report["concurrency_analytics"]}
        unbatched = {r["calls"]: r for r in report["concurrency_analytics_unbatched"]}
        print(
            f"    analytics only, rounds / unbatched: {largest_holding(list(now.values()))} / "
            f"{largest_holding(list(unbatched.values()))} calls held"
        )
        for calls in sorted(set(now) & set(unbatched)):
            a, b = now[calls], unbatched[calls]
            cpu_a, cpu_b = a["server_cpu_ms_per_call_s"], b["server_cpu_ms_per_call_s"]
            print(
                f"    N={calls}: server CPU per second of call {cpu_a:.1f} / {cpu_b:.1f} ms "
                f"({cpu_b / cpu_a:.2f}x less), core p95 {ms(a['core_p95_s'])} / "
                f"{ms(b['core_p95_s'])}"
            )


def print_peer(report: dict[str, Any]) -> None:
    if "peer" in report:
        ours, peer = report["single_now"], report["peer"]
        print("(d) final-transcript latency and WER on the phone call, beside WhisperLive:")
        print(f"    {'':12} {'p50':>8} {'p95':>8} {'WER':>7} {'finals':>7}")
        print(
            f"    {'praesent':12} {secs(ours['final_p50_s']):>8} "
            f"{secs(ours['final_p95_s']):>8} {ours['wer']:>7.3f} {ours['finals']:>7}"
        )
        if "skipped" in peer:
            print(f"    WhisperLive skipped: {peer['skipped']}")
        elif peer:
            print(
                f"    {'WhisperLive':12} {secs(peer['final_p50_s']):>8} "
                f"{secs(peer['final_p95_s']):>8} {peer['wer']:>7.3f} {peer['segments']:>7}"
            )
            ratio = peer["final_p50_s"] / ours["final_p50_s"] if ours["final_p50_s"] else math.nan
            print(f"    WhisperLive p50 / praesent p50 = {ratio:.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
