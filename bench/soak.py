"""Soak: hundreds of live calls and upload jobs through Caddy over two replicas and two workers.

Starts two ``praesent serve`` replicas and two ``praesent worker`` on this machine's PostgreSQL
(a schema of its own, dropped at the end) and Redis (a database of its own, flushed first),
with Caddy in front from ``deploy/Caddyfile`` (its own ``least_conn``, so calls spread over
both replicas). Streams one-minute two-channel analytics-only calls built by ``make_call.py``
through the proxy at ``--speed`` times real time, ``--wave`` calls at once, until ``--calls``
have run; in each wave observers attach through the proxy (``?after=0``) to some calls, some
from the start and some mid-call, and some are dropped mid-call without a close. ``--jobs``
upload jobs (``POST /v1/jobs`` through the proxy) are spread over the waves.

Checks that every call got its ``final`` with status finished and is finished in the store,
that every observer that opened and stayed got every event up to the final, that every job is
done, and that each replica's RSS and open file descriptors after the last wave are within
``--rss-mb`` and ``--fds`` of their values after the first wave; exits 1 if not. Observers whose
handshake was not answered within 10 s are listed beside the handshake times, not failed.
Everything it started is stopped and its schema dropped at the end, on Ctrl-C too; the logs stay
in ``.cache/soak/``.

    python bench/soak.py                           # 300 calls at 10x in waves of 10, 50 jobs
    python bench/soak.py --calls 20 --jobs 4       # a quick try
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import redis
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_jobs import calls as job_calls  # noqa: E402
from make_call import build_call  # noqa: E402
from tests.live_server import ServerProcess, WorkerProcess  # noqa: E402
from tests.proxy import caddy, wait_for  # noqa: E402
from tests.store.conftest import postgres_schema  # noqa: E402

from praesent.analysis import ChannelRole  # noqa: E402
from praesent.live.player import stream_file  # noqa: E402
from praesent.store import EventStore, migrate  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
# The processes' data directories and logs, kept after the run for a look.
WORK = ROOT / ".cache" / "soak"
REDIS_URL = os.environ.get("PRAESENT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
ROLES: tuple[ChannelRole, ...] = ("seller", "customer")
SCRAPE_TOKEN = "soak-scrape"
# Distinct job recordings; beyond these the uploads repeat them.
JOB_SEEDS = 10
# Guards against a hung run, not measurements.
STORE_DEADLINE_S = 120.0
JOBS_DEADLINE_S = 3600.0
# After a wave, before /proc is read: sockets and threads of the wave's last calls close.
SETTLE_S = 2.0
# An observer's opening handshake (websockets' default).
OPEN_TIMEOUT_S = 10.0


@dataclass
class Call:
    index: int
    # None: no observer; "kept": from the start to the final; "late": from mid-call to the
    # final; "dropped": from the start, cut off mid-call.
    observer: str | None
    session_id: str | None = None
    final: dict[str, Any] | None = None
    error: str | None = None
    # The observer's opening handshake through the proxy, or why it did not open.
    attach_s: float | None = None
    attach_error: str | None = None
    # For a kept or late observer: None when it got seq 1..n without a gap, the last the final.
    observer_error: str | None = None


@dataclass
class Sample:
    rss_mb: float
    fds: int


@dataclass
class Soak:
    calls: list[Call] = field(default_factory=list)
    job_ids: list[str] = field(default_factory=list)
    jobs_done: int = 0
    job_errors: list[str] = field(default_factory=list)
    store_errors: list[str] = field(default_factory=list)
    # Per replica: after the first wave, after the last.
    samples: list[list[Sample]] = field(default_factory=lambda: [[], []])
    loads: list[float] = field(default_factory=list)
    waves_s: list[float] = field(default_factory=list)
    calls_s: float = 0.0
    jobs_s: float = 0.0


def sample(pid: int) -> Sample:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB$", status, re.MULTILINE)
    assert found is not None, status
    return Sample(int(found.group(1)) / 1024, len(os.listdir(f"/proc/{pid}/fd")))


def observer_kind(index: int) -> str | None:
    return (None, "kept", "dropped", "late")[index % 4]


async def observe(proxy: str, call: Call, play_s: float) -> None:
    """Follow the call through the proxy as its ``observer`` kind says."""
    url = f"{proxy}/v1/sessions/{call.session_id}/events?after=0"
    if call.observer == "late":
        await asyncio.sleep(play_s / 2)
    began = time.monotonic()
    try:
        socket = await connect(url, max_size=None, open_timeout=OPEN_TIMEOUT_S)
    except TimeoutError:
        call.attach_error = f"no handshake within {OPEN_TIMEOUT_S:g} s"
        return
    except Exception as error:  # noqa: BLE001 - recorded, the soak goes on
        call.attach_error = repr(error)
        return
    call.attach_s = time.monotonic() - began
    if call.observer == "dropped":
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(play_s / 3):
                async for _ in socket:
                    pass
        # Gone without a close frame, as a tab that vanishes.
        socket.transport.abort()
        return
    seqs: list[int] = []
    last: dict[str, Any] = {}
    async with socket:
        async for message in socket:
            last = json.loads(message)
            seqs.append(last["seq"])
            if last["type"] == "final":
                break
    if last.get("type") != "final":
        call.observer_error = f"closed before the final (last {last.get('type')})"
    elif seqs != list(range(1, len(seqs) + 1)):
        call.observer_error = "events missing or repeated"


async def one_call(proxy: str, path: Path, speed: float, play_s: float, call: Call) -> None:
    ready = asyncio.Event()

    def on_event(event: dict[str, Any]) -> None:
        if event.get("type") == "ready" and call.session_id is None:
            call.session_id = event["session_id"]
            ready.set()

    stream = asyncio.create_task(
        stream_file(
            path,
            ROLES,
            proxy,
            speed=speed,
            transcribe=False,
            title=f"soak {call.index}",
            on_event=on_event,
        )
    )
    watcher = None
    if call.observer is not None:
        readied = asyncio.create_task(ready.wait())
        await asyncio.wait([stream, readied], return_when=asyncio.FIRST_COMPLETED)
        readied.cancel()
        if call.session_id is not None:
            watcher = asyncio.create_task(observe(proxy, call, play_s))
    try:
        call.final = await stream
    except Exception as error:  # noqa: BLE001 - recorded, the soak goes on
        call.error = repr(error)
    if watcher is not None:
        try:
            async with asyncio.timeout(STORE_DEADLINE_S):
                await watcher
        except Exception as error:  # noqa: BLE001 - recorded, the soak goes on
            call.observer_error = repr(error)


async def upload(client: httpx.AsyncClient, path: Path, soak: Soak, delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    try:
        response = await client.post(
            "/v1/jobs",
            files={"file": (path.name, path.read_bytes(), "audio/wav")},
            data={"channels": "seller,customer"},
        )
        response.raise_for_status()
        soak.job_ids.append(response.json()["id"])
    except httpx.HTTPError as error:
        soak.job_errors.append(f"upload of {path.name}: {error!r}")


async def wait_finished(store: EventStore, calls: list[Call], soak: Soak) -> None:
    """Until each call's session is stored as finished (the final is sent just before)."""
    waiting = {call.session_id for call in calls if call.session_id is not None}
    deadline = time.monotonic() + STORE_DEADLINE_S
    while waiting and time.monotonic() < deadline:
        for session_id in list(waiting):
            record = await asyncio.to_thread(store.get_session, session_id)
            if record is not None and record.status == "finished":
                waiting.discard(session_id)
        if waiting:
            await asyncio.sleep(0.5)
    soak.store_errors += [
        f"session {session_id} not finished in the store" for session_id in waiting
    ]


async def wait_jobs(client: httpx.AsyncClient, soak: Soak) -> None:
    waiting = set(soak.job_ids)
    deadline = time.monotonic() + JOBS_DEADLINE_S
    while waiting and time.monotonic() < deadline:
        for job_id in list(waiting):
            response = await client.get(f"/v1/jobs/{job_id}")
            response.raise_for_status()
            job = response.json()
            if job["status"] == "failed":
                soak.job_errors.append(f"job {job_id} failed: {job['error']}")
            soak.jobs_done += job["status"] == "done"
            if job["status"] in ("done", "failed"):
                waiting.discard(job_id)
        if waiting:
            await asyncio.sleep(1.0)
    soak.job_errors += [f"job {job_id} not done after {JOBS_DEADLINE_S:g} s" for job_id in waiting]


async def run(
    args: argparse.Namespace,
    proxy_port: int,
    replicas: list[ServerProcess],
    workers: list[WorkerProcess],
    store: EventStore,
    call_path: Path,
    job_paths: list[Path],
) -> Soak:
    soak = Soak()
    waves = -(-args.calls // args.wave)
    play_s = args.minutes * 60 / args.speed
    # Job j goes with wave j * waves // jobs, a little after its calls start.
    job_wave = [j * waves // args.jobs for j in range(args.jobs)] if args.jobs else []
    proxy = f"127.0.0.1:{proxy_port}"
    async with httpx.AsyncClient(base_url=f"http://{proxy}", timeout=120) as client:
        began = time.monotonic()
        for wave in range(waves):
            size = min(args.wave, args.calls - wave * args.wave)
            calls = [
                Call(i, observer_kind(i)) for i in range(wave * args.wave, wave * args.wave + size)
            ]
            soak.calls += calls
            mine = [j for j, at in enumerate(job_wave) if at == wave]
            started = time.monotonic()
            await asyncio.gather(
                *(one_call(f"ws://{proxy}", call_path, args.speed, play_s, call) for call in calls),
                *(
                    upload(
                        client,
                        job_paths[j % len(job_paths)],
                        soak,
                        play_s * (k + 1) / (len(mine) + 1),
                    )
                    for k, j in enumerate(mine)
                ),
            )
            wave_s = time.monotonic() - started
            soak.waves_s.append(wave_s)
            await wait_finished(store, calls, soak)
            await asyncio.sleep(SETTLE_S)
            started_here: list[ServerProcess | WorkerProcess] = [*replicas, *workers]
            for process in started_here:
                assert process.process is not None
                if process.process.poll() is not None:
                    raise RuntimeError(f"exited: {process.log}\n{process.log.read_text()[-2000:]}")
            now = [sample(replica.pid) for replica in replicas]
            for at in (0, waves - 1):
                if wave == at:
                    for samples, taken in zip(soak.samples, now, strict=True):
                        samples.append(taken)
            soak.loads.append(os.getloadavg()[0])
            failed = sum(
                call.final is None or call.final.get("status") != "finished" for call in calls
            )
            print(
                f"wave {wave + 1}/{waves}: {size} calls in {wave_s:.1f} s ({failed} failed), "
                f"{len(mine)} uploads; replicas RSS "
                + " / ".join(f"{s.rss_mb:.0f} MB" for s in now)
                + ", fds "
                + " / ".join(str(s.fds) for s in now)
                + f"; load {soak.loads[-1]:.1f}",
                flush=True,
            )
        soak.calls_s = time.monotonic() - began
        await wait_jobs(client, soak)
        soak.jobs_s = time.monotonic() - began
    return soak


def scrape(server: ServerProcess, name: str) -> float:
    metrics = httpx.get(
        f"{server.http}/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}, timeout=10
    ).text
    found = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def report(args: argparse.Namespace, soak: Soak, replicas: list[ServerProcess]) -> bool:
    ok = True
    finished = [
        c for c in soak.calls if c.final is not None and c.final.get("status") == "finished"
    ]
    watched = [c for c in soak.calls if c.observer is not None]
    # Kept and late observers that opened: they must see the whole log to the final.
    observed = [c for c in watched if c.observer != "dropped" and c.attach_s is not None]
    print(
        f"\nsoak: {len(soak.calls)} analytics-only calls of {args.minutes:g} min at "
        f"{args.speed:g}x in waves of {args.wave} through Caddy over 2 replicas, {args.jobs} "
        f"upload jobs of {args.job_seconds:g} s over 2 workers; {os.cpu_count()} CPUs, "
        f"load average after each wave {min(soak.loads):.1f}-{max(soak.loads):.1f} "
        f"(median {statistics.median(soak.loads):.1f})"
    )
    print(
        f"  calls: wall {soak.calls_s:.1f} s, {len(soak.calls) / soak.calls_s * 60:.1f} calls/min "
        f"({len(soak.calls) * args.minutes / soak.calls_s * 60:.1f} min of audio per minute), "
        f"median wave {statistics.median(soak.waves_s):.1f} s from the first frame to the last "
        f"final (the audio takes {args.minutes * 60 / args.speed:g} s to send); jobs done "
        f"{soak.jobs_s:.1f} s after the first call"
    )
    audio = [scrape(replica, "praesent_live_audio_seconds_total") / 60 for replica in replicas]
    print("  call audio per replica: " + " / ".join(f"{minutes:.1f} min" for minutes in audio))
    for when, kinds in (("at the call's start", ("kept", "dropped")), ("mid-call", ("late",))):
        tried = [c for c in watched if c.observer in kinds]
        opened = sorted(c.attach_s for c in tried if c.attach_s is not None)
        if opened:
            print(
                f"  observers {when}: {len(opened)}/{len(tried)} opened through the proxy, "
                f"handshake p50 {statistics.median(opened):.2f} s, "
                f"p95 {opened[round(0.95 * (len(opened) - 1))]:.2f} s, max {opened[-1]:.2f} s"
            )
    for c in watched:
        if c.attach_error is not None:
            print(f"    call {c.index} ({c.observer} observer): {c.attach_error}")
    checks = [
        (
            "calls finalised as finished",
            len(finished),
            len(soak.calls),
            [f"call {c.index}: {c.error or c.final}" for c in soak.calls if c not in finished],
        ),
        (
            "sessions finished in the store",
            len(soak.calls) - len(soak.store_errors),
            len(soak.calls),
            soak.store_errors,
        ),
        (
            "observers with every event to the final",
            sum(c.observer_error is None for c in observed),
            len(observed),
            [f"call {c.index}: {c.observer_error}" for c in observed if c.observer_error],
        ),
        ("jobs done", soak.jobs_done, args.jobs, soak.job_errors),
    ]
    for name, good, total, errors in checks:
        passed = good == total and not errors
        ok &= passed
        print(f"  {'PASS' if passed else 'FAIL'} {name}: {good}/{total}")
        for error in errors[:10]:
            print(f"    {error}")
    for name, (first, last) in zip("AB", soak.samples, strict=True):
        rss, fds = last.rss_mb - first.rss_mb, last.fds - first.fds
        passed = rss <= args.rss_mb and fds <= args.fds
        ok &= passed
        print(
            f"  {'PASS' if passed else 'FAIL'} replica {name}: RSS {first.rss_mb:.1f} -> "
            f"{last.rss_mb:.1f} MB ({rss:+.1f}, limit {args.rss_mb:g}), fds {first.fds} -> "
            f"{last.fds} ({fds:+d}, limit {args.fds})"
        )
    return ok


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def stopped_at_end(process: ServerProcess | WorkerProcess) -> Iterator[None]:
    try:
        yield
    finally:
        popen = process.process
        if popen is not None and popen.poll() is None:
            popen.terminate()
            try:
                popen.wait(timeout=60)
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--wave", type=int, default=10, help="calls at once (default 10)")
    parser.add_argument("--speed", type=float, default=10.0, help="times real time (default 10)")
    parser.add_argument("--minutes", type=float, default=1.0, help="length of each call")
    parser.add_argument("--jobs", type=int, default=50, help="upload jobs (default 50)")
    parser.add_argument("--job-seconds", type=float, default=20.0, help="length of each job's call")
    parser.add_argument("--rss-mb", type=float, default=50.0, help="RSS growth limit per replica")
    parser.add_argument("--fds", type=int, default=20, help="open fd growth limit per replica")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    call_path = CACHE / f"call-{args.minutes:g}m-seed0.wav"  # as bench_live.py caches it
    if not call_path.exists():
        build_call(call_path, args.minutes, seed=0)
    job_paths = job_calls(min(args.jobs, JOB_SEEDS), args.job_seconds)
    queue = redis.Redis.from_url(REDIS_URL)
    queue.flushdb()
    with contextlib.ExitStack() as stack:
        stack.callback(queue.close)
        stack.callback(queue.flushdb)
        url = stack.enter_context(postgres_schema("praesent_soak"))
        shutil.rmtree(WORK, ignore_errors=True)
        root = WORK
        root.mkdir(parents=True)
        migrate(url)
        env = {
            "PRAESENT_DATABASE_URL": url,
            "PRAESENT_REDIS_URL": REDIS_URL,
            "PRAESENT_UPLOADS_DIR": str(root / "uploads"),
            "PRAESENT_LIVE_VOICE_PROFILES": "false",
            "PRAESENT_METRICS_TOKEN": SCRAPE_TOKEN,
        }
        replicas = []
        for name in ("a", "b"):
            (root / name).mkdir()
            replicas.append(ServerProcess(root / name, None, **env))
            stack.enter_context(stopped_at_end(replicas[-1]))
            replicas[-1].start()
        workers = []
        for name in ("worker-1", "worker-2"):
            workers.append(WorkerProcess(root / name, **env))
            stack.enter_context(stopped_at_end(workers[-1]))
            workers[-1].spawn()
        for worker in workers:
            worker.wait_ready()
        # The deploy file's own least_conn: calls spread over both replicas.
        port = stack.enter_context(caddy(root / "proxy", [replica.port for replica in replicas]))
        wait_for(f"http://127.0.0.1:{port}/healthz")
        store = stack.enter_context(EventStore(url))
        soak = asyncio.run(run(args, port, replicas, workers, store, call_path, job_paths))
        ok = report(args, soak, replicas)
        print(f"  logs: {WORK.relative_to(ROOT)}/")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
