"""Uploads as background jobs, with real processes: two `praesent worker` and two `praesent
serve` behind Caddy (the deploy Caddyfile's proxy settings) on this machine's PostgreSQL and
Redis, real recordings, the real model. 8 uploads through the proxy are each done once with
the result `praesent analyze` gives; a worker killed with SIGKILL in the middle of a job
leaves it to the other worker, which finishes it once; with PostgreSQL gone and back between two
jobs (the processes' connections cut), the server says it is not ready meanwhile, nothing stored
is lost and the next job is done. The processes log JSON lines, as deployed; a worker's lines
during a job carry its id."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import func, make_url, select

from praesent.analysis import AnalysisRequest, parse_channels
from praesent.store import EventStore, JobRecord, migrate
from praesent.store.models import Session
from tests.analyses import Analyses
from tests.live_server import Relay, ServerProcess, WorkerProcess
from tests.proxy import caddy, wait_for
from tests.store.conftest import postgres_schema
from tests.support import json_log_lines, shared

REDIS_URL = os.environ.get("PRAESENT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
# A guard against a hung job, not a measurement.
JOB_DEADLINE_S = 600.0


@dataclass(frozen=True)
class Upload:
    path: Path
    fields: dict[str, str]

    def request(self) -> AnalysisRequest:
        """What `praesent analyze` builds from the same options."""
        mono = self.fields.get("mono") == "true"
        return AnalysisRequest(
            channel_roles=() if mono else parse_channels(self.fields.get("channels", "")),
            mono=mono,
            language=self.fields.get("language", "auto"),
        )


@dataclass
class Cluster:
    store: EventStore
    servers: list[ServerProcess]
    proxy: str  # the address every request goes to
    workers: list[WorkerProcess]
    uploads_dir: Path
    database_relay: Relay
    names: dict[int, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def uploads(phonecall_stereo: Path) -> dict[str, Upload]:
    return {
        "phonecall": Upload(phonecall_stereo, {"channels": "seller,customer", "language": "en"}),
        "stereo": Upload(
            shared("en-stereo-2ch/stereo_diarization.wav"), {"channels": "customer,seller"}
        ),
        "jfk": Upload(shared("en-jfk/jfk.flac"), {"mono": "true", "diarizer": "none"}),
        "de": Upload(shared("de-read-1spk/test_de.wav"), {"mono": "true", "diarizer": "none"}),
    }


@pytest.fixture(scope="module")
def references(uploads: dict[str, Upload], analyses: Analyses) -> dict[str, dict[str, Any]]:
    return {name: analyses(u.path, u.request()) for name, u in uploads.items()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    queue = redis.Redis.from_url(REDIS_URL)
    try:
        queue.flushdb()  # this test's own Redis database: no message of an earlier run
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required and unreachable: {exc}")
    with postgres_schema("praesent_jobs") as url:
        root = tmp_path_factory.mktemp("jobs")
        uploads_dir = root / "uploads"
        # The processes reach PostgreSQL through a relay that can be cut (a restart, as they
        # see it); the test's own store goes direct.
        database = make_url(url)
        relay = Relay(database.port or 5432).restore()
        env = {
            "PRAESENT_DATABASE_URL": database.set(port=relay.port).render_as_string(
                hide_password=False
            ),
            "PRAESENT_REDIS_URL": REDIS_URL,
            # A killed worker's job goes back after 5 s without heartbeats (60 s by default).
            "PRAESENT_QUEUE_HEARTBEAT_S": "5",
            # One directory that every process sees: the object store of one machine.
            "PRAESENT_UPLOADS_DIR": str(uploads_dir),
            # As deployed: JSON lines that name the job (test_worker_logs_name_the_job).
            "PRAESENT_LOG_FORMAT": "json",
        }
        migrate(url)
        workers = [WorkerProcess(root / f"worker-{i}", **env).spawn() for i in (1, 2)]
        servers = []
        for i in (1, 2):
            (root / f"serve-{i}").mkdir()
            servers.append(ServerProcess(root / f"serve-{i}", **env))
        store = EventStore(url)
        try:
            # Both replicas ready before the proxy's first health check, and taken in turn: with
            # least_conn, uploads sent one after another tie at no connections and Caddy picks
            # at random (all 8 on one replica once in 128 runs), and a replica that was still
            # starting at that check gets nothing for the next 5 s.
            for server in servers:
                server.start()
                wait_for(f"{server.http}/readyz")
            ports = [server.port for server in servers]
            with caddy(root / "proxy", ports, lb_policy="round_robin") as port:
                proxy = f"http://127.0.0.1:{port}"
                wait_for(f"{proxy}/readyz")
                for worker in workers:
                    worker.wait_ready()
                yield Cluster(store, servers, proxy, workers, uploads_dir, relay)
        finally:
            for worker in workers:
                if worker.process is not None:
                    worker.stop()
            for server in servers:
                if server.process is not None and server.process.poll() is None:
                    server.stop()
            store.close()
            queue.close()
            relay.cut()


def _post(cluster: Cluster, upload: Upload) -> str:
    response = httpx.post(
        f"{cluster.proxy}/v1/jobs",
        files={"file": (upload.path.name, upload.path.read_bytes())},
        data=upload.fields,
        timeout=60,
    )
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "queued" and job["attempts"] == 0
    assert response.headers["location"] == f"/v1/jobs/{job['id']}"
    return str(job["id"])


def _finished(cluster: Cluster, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_DEADLINE_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = httpx.get(f"{cluster.proxy}/v1/jobs/{job_id}", timeout=30).json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.5)
    pytest.fail(f"job {job_id} not finished after {JOB_DEADLINE_S} s")


def _no_audio_left(cluster: Cluster) -> None:
    """The worker deletes an upload's audio just after it stores the job as done; the API may
    answer "done" in between."""
    deadline = time.monotonic() + 10
    while (left := list(cluster.uploads_dir.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == []


def _same_analysis(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Talk times and every word with its times, as `praesent analyze` gives them."""
    assert got["duration_s"] == want["duration_s"]
    assert got["language"] == want["language"]
    assert got["mode"] == want["mode"]
    if want["mode"] == "channels":
        for role in ("seller", "customer"):
            assert got["roles"][role]["talk_s"] == pytest.approx(
                want["roles"][role]["talk_s"], abs=0.01
            )
        assert got["seller_share"] == want["seller_share"]
    else:
        assert got["speech_s"] == pytest.approx(want["speech_s"], abs=0.01)
    assert got["segments"] == want["segments"]
    assert got["utterances"] == want["utterances"]
    assert sum(len(u["words"]) for u in got["utterances"]) > 0


def _sessions(store: EventStore) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Session)).scalar_one())


def _uploads_taken(server: ServerProcess) -> int:
    """How many uploads the replica answered with 202, from its JSON access log lines."""
    lines = server.log.read_text().splitlines()
    return sum('"POST /v1/jobs HTTP/1.1" 202' in json.loads(line)["message"] for line in lines)


def _job(cluster: Cluster, job_id: str) -> JobRecord:
    job = cluster.store.jobs.get(job_id)
    assert job is not None
    return job


def test_uploads_are_analysed_once_each_as_analyze_does(
    cluster: Cluster, uploads: dict[str, Upload], references: dict[str, dict[str, Any]]
) -> None:
    started = time.monotonic()
    # 8 uploads, two of each recording: more jobs than workers, and each recording on both.
    ids = {(name, n): _post(cluster, upload) for n in range(2) for name, upload in uploads.items()}
    finished = {key: _finished(cluster, job_id) for key, job_id in ids.items()}
    print(f"{len(ids)} jobs on 2 workers in {time.monotonic() - started:.1f} s")
    for (name, _n), job in finished.items():
        assert job["status"] == "done", (name, job["error"])
        assert job["attempts"] == 1, name  # no worker ran it twice
        assert job["progress"] == 1.0 and job["error"] is None
        _same_analysis(job["analysis"], references[name])
        record = cluster.store.get_session(job["session_id"])
        assert record is not None and record.status == "finished"
        assert record.analysis == job["analysis"] and record.title == uploads[name].path.name
        report = httpx.get(f"{cluster.proxy}{job['report_url']}?format=json", timeout=30)
        assert report.status_code == 200, report.text
    assert len({job["session_id"] for job in finished.values()}) == len(ids)
    assert _sessions(cluster.store) == len(ids)
    # The proxy spread the uploads over both replicas.
    taken = [_uploads_taken(server) for server in cluster.servers]
    print(f"uploads taken by each replica: {taken}")
    assert sum(taken) == len(ids) and min(taken) > 0, taken
    workers = {_job(cluster, job_id).worker for job_id in ids.values()}
    print(f"workers used: {sorted(w or '-' for w in workers)}")
    # Each upload was deleted after its analysis (the server keeps no audio by default).
    _no_audio_left(cluster)


def test_a_worker_killed_mid_job_leaves_it_to_the_other(
    cluster: Cluster, uploads: dict[str, Upload], references: dict[str, dict[str, Any]]
) -> None:
    before = _sessions(cluster.store)
    job_id = _post(cluster, uploads["phonecall"])
    deadline = time.monotonic() + JOB_DEADLINE_S
    job = _job(cluster, job_id)
    while not (job.status == "running" and job.progress > 0):
        assert job.status in ("queued", "running"), job
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.1)
        job = _job(cluster, job_id)
    assert job.progress < 1.0 and job.worker is not None
    pid = int(job.worker.rsplit(":", 1)[1])
    [victim] = [w for w in cluster.workers if w.pid == pid]
    [survivor] = [w for w in cluster.workers if w.pid != pid]
    print(f"killed worker {pid} at {job.progress:.0%} of the job")
    assert victim.stop(signal.SIGKILL) == -signal.SIGKILL
    victim.process = None
    killed = time.monotonic()
    finished = _finished(cluster, job_id)
    print(f"done on the other worker {time.monotonic() - killed:.1f} s after the kill")
    assert finished["status"] == "done", finished["error"]
    assert finished["attempts"] == 2
    after = _job(cluster, job_id)
    assert after.worker is not None and after.worker.endswith(f":{survivor.pid}")
    _same_analysis(finished["analysis"], references["phonecall"])
    assert _sessions(cluster.store) == before + 1
    _no_audio_left(cluster)


def test_the_database_gone_and_back_between_two_jobs_loses_nothing(
    cluster: Cluster, uploads: dict[str, Upload], references: dict[str, dict[str, Any]]
) -> None:
    first = _finished(cluster, _post(cluster, uploads["jfk"]))
    assert first["status"] == "done", first["error"]
    before = _sessions(cluster.store)
    cluster.database_relay.cut()
    try:
        for server in cluster.servers:
            down = httpx.get(f"{server.http}/readyz", timeout=30)
            assert down.status_code == 503, down.text
        time.sleep(2.0)
    finally:
        cluster.database_relay.restore()
    deadline = time.monotonic() + 30
    while any(
        httpx.get(f"{server.http}/readyz", timeout=30).status_code != 200
        for server in cluster.servers
    ):
        assert time.monotonic() < deadline, "not ready again after the database came back"
        time.sleep(0.5)
    wait_for(f"{cluster.proxy}/readyz")  # the proxy's health checks see it too
    second = _finished(cluster, _post(cluster, uploads["de"]))
    assert second["status"] == "done", second["error"]
    _same_analysis(second["analysis"], references["de"])
    assert _sessions(cluster.store) == before + 1
    kept = httpx.get(f"{cluster.proxy}/v1/jobs/{first['id']}", timeout=30).json()
    assert kept["status"] == "done" and kept["analysis"] == first["analysis"]


def test_worker_logs_name_the_job(cluster: Cluster, uploads: dict[str, Upload]) -> None:
    job_id = _post(cluster, uploads["jfk"])
    assert _finished(cluster, job_id)["status"] == "done"
    logs = {
        worker.pid: json_log_lines(worker.log.read_text(encoding="utf-8"))
        for worker in cluster.workers
        if worker.process is not None  # a worker killed mid-line is left out
    }
    [lines] = [
        lines
        for lines in logs.values()
        if f"job {job_id}: done" in [line["message"] for line in lines]
    ]
    messages = [line["message"] for line in lines]
    first = messages.index(f"job {job_id}: attempt 1 on {_job(cluster, job_id).worker}")
    during = lines[first : messages.index(f"job {job_id}: done") + 1]
    # Every line while the job ran, the libraries' (faster-whisper's) too.
    assert all(line.get("job_id") == job_id for line in during), during
    assert any(not line["logger"].startswith("praesent.") for line in during), during
    # A line outside any job names none.
    waiting = [line for line in lines if line["message"].endswith("is waiting for jobs")]
    assert waiting and all("job_id" not in line for line in waiting)
    print(
        f"{sum(map(len, logs.values()))} JSON lines of the workers, {len(during)} in job {job_id}"
    )
