"""``praesent worker``: one process that runs background jobs from the queue, one at a time,
with the models loaded once. Run several (on one machine or many) to analyse in parallel."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from types import FrameType

from dramatiq import Worker

from praesent.engines import load_engines
from praesent.jobs.objects import open_objects
from praesent.jobs.queue import QUEUE_NAME, JobQueue
from praesent.jobs.uploads import UploadJobs
from praesent.settings import Settings
from praesent.store import EventStore, migrate
from praesent.webhooks.relay import relay_thread

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT; a job under way is finished first."""
    engines = load_engines(settings)
    url = settings.effective_database_url
    migrate(url)
    store = EventStore(url, links=settings.links)
    name = f"{socket.gethostname()}:{os.getpid()}"
    jobs = UploadJobs(settings, store, open_objects(settings), engines, name)
    queue = JobQueue(settings)
    queue.set_handler(lambda job_id: jobs.run(job_id, queue.retries_so_far()))
    worker = Worker(queue.broker, queues={QUEUE_NAME}, worker_threads=1)
    # Take one job at a time: a second one fetched ahead would wait here while another worker
    # idles.
    worker.queue_prefetch = 1
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    worker.start()
    # The webhook outbox is delivered here too: a team that runs workers has it delivered
    # while a server restarts.
    relay_thread(store, settings, stop)
    log.info("worker %s is waiting for jobs", name)
    try:
        stop.wait()
        log.info("worker %s stops after the job under way", name)
        worker.stop(timeout=round(settings.job_time_limit_s * 1000))
    finally:
        queue.close()
        store.close()
