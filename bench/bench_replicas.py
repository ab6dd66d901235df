"""Benchmark observers across replicas: live event latency on the call's replica and on the other.

Starts two ``praesent serve`` replicas on this machine's PostgreSQL (a schema of its own,
dropped at the end) and Redis (a database of its own, flushed first), streams analytics-only
calls built by ``make_call.py`` in real time, spread over both replicas, and attaches to each
call one observer on the call's own replica and one on the other (whose events come through
Redis). Latency, on the client's clock, of each activity / interruption / backchannel event:
from sending the frame whose end reaches the event's ``heard_s`` to the observer receiving it.
The Redis hop is, per event, the other replica's observer's latency minus the same replica's.

    python bench/bench_replicas.py                 # 50 one-minute calls
    python bench/bench_replicas.py --calls 6 --minutes 0.5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import wave
from pathlib import Path
from typing import Any
from uuid import uuid4

import numpy as np
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from websockets.asyncio.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_call import SAMPLE_RATE, build_call

from praesent.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "bench"
POSTGRES_URL = os.environ.get(
    "PRAESENT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PRAESENT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
CORE_TYPES = ("activity", "interruption", "backchannel")
FRAME_S = 0.05
# seq -> (when it arrived, the event)
Arrivals = dict[int, tuple[float, dict[str, Any]]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_replica(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    log = (data_dir / "serve.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "praesent", "serve", "--port", str(port)],
        env={**env, "PRAESENT_DATA_DIR": str(data_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"a replica exited; see {data_dir / 'serve.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return process, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("a replica did not start")


def read_frames(path: Path) -> list[bytes]:
    with wave.open(str(path)) as wav:
        pcm = wav.readframes(wav.getnframes())
    step = round(FRAME_S * SAMPLE_RATE) * 4  # two channels of s16le
    return [pcm[offset : offset + step] for offset in range(0, len(pcm), step)]


async def observe(socket_: ClientConnection, arrived: Arrivals) -> None:
    async for message in socket_:
        event = json.loads(message)
        if event.get("seq") is not None:
            arrived[event["seq"]] = (time.monotonic(), event)


async def one_call(
    own: int, other: int, frames: list[bytes], delay_s: float
) -> tuple[list[float], list[float], list[float]]:
    await asyncio.sleep(delay_s)
    start = {
        "type": "start",
        "sample_rate": SAMPLE_RATE,
        "sample_format": "s16le",
        "channels": ["seller", "customer"],
        "transcribe": False,
        "title": "bench replicas",
    }
    same: Arrivals = {}
    far: Arrivals = {}
    sent: list[float] = []
    async with connect(f"ws://127.0.0.1:{own}/v1/live", max_size=None) as call:
        await call.send(json.dumps(start))
        session_id = json.loads(await call.recv())["session_id"]
        watchers = []
        for port, arrived in ((own, same), (other, far)):
            observer = await connect(f"ws://127.0.0.1:{port}/v1/sessions/{session_id}/events")
            await observer.recv()  # ``ready`` from the log: subscribed
            watchers.append(asyncio.create_task(observe(observer, arrived)))
        drain = asyncio.create_task(observe(call, {}))
        began = time.monotonic()
        for index, frame in enumerate(frames):
            await call.send(frame)
            sent.append(time.monotonic())
            ahead = (index + 1) * FRAME_S - (time.monotonic() - began)
            if ahead > 0:
                await asyncio.sleep(ahead)
        await call.send(json.dumps({"type": "stop"}))
        await drain
        await asyncio.gather(*watchers)
    same_ms, far_ms, hop_ms = [], [], []
    for seq, (at, event) in same.items():
        if event["type"] not in CORE_TYPES or seq not in far:
            continue
        frame = min(len(sent) - 1, max(0, math.ceil(event["heard_s"] / FRAME_S - 1e-9) - 1))
        same_ms.append((at - sent[frame]) * 1000)
        far_ms.append((far[seq][0] - sent[frame]) * 1000)
        hop_ms.append((far[seq][0] - at) * 1000)
    return same_ms, far_ms, hop_ms


async def run_calls(ports: tuple[int, int], frames: list[bytes], calls: int) -> list[list[float]]:
    # Calls start spread over a few seconds, alternating between the replicas.
    runs = [one_call(ports[i % 2], ports[1 - i % 2], frames, delay_s=i * 0.1) for i in range(calls)]
    results = await asyncio.gather(*runs)
    return [[value for result in results for value in result[k]] for k in range(3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=1.0)
    args = parser.parse_args()
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    call = CACHE / f"call-{args.minutes:g}m-seed0.wav"  # as bench_live.py caches it
    if not call.exists():
        build_call(call, args.minutes, seed=0)
    frames = read_frames(call)
    schema = f"praesent_bench_{uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PRAESENT_")},
        "PRAESENT_DATABASE_URL": url.render_as_string(hide_password=False),
        "PRAESENT_REDIS_URL": REDIS_URL,
        "PRAESENT_LIVE_VOICE_PROFILES": "false",
    }
    # Each replica has a data directory of its own; the models stay where `make` put them.
    env["PRAESENT_MODELS_DIR"] = str(Settings().model_root)
    replicas: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ports = []
            for name in ("a", "b"):
                (Path(tmp) / name).mkdir()
                process, port = start_replica(Path(tmp) / name, env)
                replicas.append(process)
                ports.append(port)
            same, far, hop = asyncio.run(run_calls((ports[0], ports[1]), frames, args.calls))
            for process in replicas:
                process.terminate()
                process.wait(timeout=60)
    finally:
        for process in replicas:
            if process.poll() is None:
                process.kill()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(
        f"observers across replicas: {args.calls} analytics-only calls of {args.minutes:g} min "
        f"over 2 replicas, {len(same)} events, load average {os.getloadavg()[0]:.1f}"
    )
    print("  event latency           p50        p95")
    for name, values in (("same replica", same), ("other replica", far), ("Redis hop", hop)):
        p50, p95 = np.percentile(values, 50), np.percentile(values, 95)
        print(f"  {name:<20} {p50:7.1f} ms {p95:7.1f} ms")


if __name__ == "__main__":
    main()
