"""Benchmark background jobs: analysis jobs per minute with 1 and with 2 `praesent worker`.

Starts one ``praesent serve`` on this machine's PostgreSQL (a schema of its own, dropped at the
end) and Redis (a database of its own, flushed first), with uploads in a directory every process
sees. Builds ``--jobs`` two-channel calls of ``--seconds`` each with ``make_call.py`` (real
recordings, a different seed per call), then runs the same set twice: with 1 worker, then with 2
fresh ones. Each run uploads every call through POST /v1/jobs once the workers wait for jobs,
polls GET /v1/jobs/{id} until all are done, and takes the wall time from the first upload to the
last job's ``finished_at``. A job's duration is its ``started_at`` to ``finished_at``.

    python bench/bench_jobs.py                     # 8 calls of 45 s
    python bench/bench_jobs.py --jobs 4 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_call import build_call  # noqa: E402
from tests.live_server import ServerProcess, WorkerProcess  # noqa: E402
from tests.store.conftest import postgres_schema  # noqa: E402

from praesent.settings import Settings  # noqa: E402
from praesent.store import migrate  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
REDIS_URL = os.environ.get("PRAESENT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
# A guard against a hung run, not a measurement.
RUN_DEADLINE_S = 1800.0


@dataclass(frozen=True)
class Run:
    workers: int
    wall_s: float
    job_s: list[float]
    # The workers' CPU time over the run, all their threads together.
    cpu_s: float
    load: float

    @property
    def jobs_per_min(self) -> float:
        return len(self.job_s) / self.wall_s * 60


def calls(count: int, seconds: float) -> list[Path]:
    paths = []
    for seed in range(count):
        path = CACHE / f"job-{seconds:g}s-seed{seed}.wav"
        if not path.exists():
            build_call(path, seconds / 60, seed=seed)
        paths.append(path)
    return paths


def cpu_s(worker: WorkerProcess) -> float:
    """A process's CPU time so far (user + system, all its threads), from Linux's /proc."""
    fields = Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _at(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def run_jobs(
    workers: int, recordings: list[Path], root: Path, env: dict[str, str], server: ServerProcess
) -> Run:
    redis.Redis.from_url(REDIS_URL).flushdb()
    started = [
        WorkerProcess(root / f"run{workers}-worker{i}", **env).spawn() for i in range(workers)
    ]
    try:
        for worker in started:
            worker.wait_ready()
        load = os.getloadavg()[0]
        cpu_before = sum(cpu_s(worker) for worker in started)
        first_upload = time.time()
        ids = []
        for path in recordings:
            response = httpx.post(
                f"{server.http}/v1/jobs",
                files={"file": (path.name, path.read_bytes(), "audio/wav")},
                data={"channels": "seller,customer"},
                timeout=60,
            )
            response.raise_for_status()
            ids.append(response.json()["id"])
        done: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + RUN_DEADLINE_S
        while len(done) < len(ids):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{len(ids) - len(done)} jobs not done after {RUN_DEADLINE_S} s")
            time.sleep(0.5)
            for job_id in ids:
                if job_id in done:
                    continue
                job = httpx.get(f"{server.http}/v1/jobs/{job_id}", timeout=30).json()
                if job["status"] == "failed":
                    raise RuntimeError(f"job {job_id} failed: {job['error']}")
                if job["status"] == "done":
                    done[job_id] = job
        cpu = sum(cpu_s(worker) for worker in started) - cpu_before
    finally:
        for worker in started:
            if worker.process is not None:
                worker.stop()
    last = max(_at(job["finished_at"]) for job in done.values())
    job_s = [_at(job["finished_at"]) - _at(job["started_at"]) for job in done.values()]
    return Run(workers, last - first_upload, job_s, cpu, load)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8, help="calls uploaded per run (default 8)")
    parser.add_argument("--seconds", type=float, default=45.0, help="length of each call")
    parser.add_argument(
        "--cpu-threads", type=int, help="PRAESENT_CPU_THREADS of each worker (default: its own)"
    )
    args = parser.parse_args()
    recordings = calls(args.jobs, args.seconds)
    redis.Redis.from_url(REDIS_URL).flushdb()
    runs: list[Run] = []
    with postgres_schema("praesent_bench_jobs") as url, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {
            "PRAESENT_DATABASE_URL": url,
            "PRAESENT_REDIS_URL": REDIS_URL,
            # One directory that every process sees: the object store of one machine.
            "PRAESENT_UPLOADS_DIR": str(root / "uploads"),
        }
        if args.cpu_threads is not None:
            env["PRAESENT_CPU_THREADS"] = str(args.cpu_threads)
        migrate(url)
        (root / "server").mkdir()
        server = ServerProcess(root / "server", None, **env).start()
        try:
            for workers in (1, 2):
                runs.append(run_jobs(workers, recordings, root, env, server))
        finally:
            server.stop()
    # The workers see no PRAESENT_* setting of this shell (process_env), only the ones set here.
    threads = args.cpu_threads or Settings.model_fields["cpu_threads"].default
    cpus = len(os.sched_getaffinity(0))
    print(
        f"analysis jobs: {args.jobs} two-channel calls of {args.seconds:g} s "
        f"({args.jobs * args.seconds / 60:.1f} min of audio) per run; {cpus} CPUs, "
        f"{threads} speech-to-text threads per worker"
    )
    print("  workers  jobs   wall s  jobs/min  median job s  worker CPUs busy  load at start")
    for run in runs:
        print(
            f"  {run.workers:7d}  {len(run.job_s):4d}  {run.wall_s:7.1f}  {run.jobs_per_min:8.2f}"
            f"  {statistics.median(run.job_s):12.1f}  {run.cpu_s / run.wall_s:16.2f}"
            f"  {run.load:13.1f}"
        )
    speed_up = runs[1].jobs_per_min / runs[0].jobs_per_min
    print(
        f"  speed-up 2 vs 1 workers: {speed_up:.2f}x "
        f"(bounded by {cpus} CPUs shared with the server and any other work)"
    )


if __name__ == "__main__":
    main()
