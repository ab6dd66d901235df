"""The job queue: Dramatiq on Redis. The queue carries only a job's id; the job's state lives in
the database (``store.jobs``). A message is acknowledged after its job ran; a worker that dies
with it stops sending heartbeats, and the message goes back to the queue for another worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from dramatiq.middleware import CurrentMessage, Middleware, TimeLimitExceeded
from redis.exceptions import RedisError

from praesent import logs
from praesent.errors import InputError, QueueUnavailableError
from praesent.settings import Settings

QUEUE_NAME = "praesent-jobs"
ANALYSE_UPLOAD = "analyse_upload"
# Dramatiq looks for dead workers on a random share of its Redis calls (0.1 % by default, tuned
# for busy queues). Jobs are few and long: look on one call in 20, so a dead worker's job is
# back within seconds of its heartbeat timeout.
_MAINTENANCE_CHANCE = MAINTENANCE_SCALE // 20

Handler = Callable[[str], None]


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class JobLogs(Middleware):
    """The job a worker thread runs is on every line logged meanwhile, Dramatiq's included."""

    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if message.actor_name == ANALYSE_UPLOAD and message.args:
            logs.job_id.set(str(message.args[0]))

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        logs.job_id.set(None)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        logs.job_id.set(None)


class JobQueue:
    """The broker and the analysis actor, the same on the server (which sends) and in a worker
    (which runs the handler it sets)."""

    def __init__(self, settings: Settings) -> None:
        # Dramatiq's Redis broker has no annotations.
        self.broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=settings.redis_url,
            namespace="praesent",
            heartbeat_timeout=_ms(settings.queue_heartbeat_s),
            maintenance_chance=_MAINTENANCE_CHANCE,
        )
        self.broker.add_middleware(CurrentMessage())
        # First, so that it clears the job after the others logged about it (retries).
        self.broker.add_middleware(JobLogs(), before=type(self.broker.middleware[0]))
        self.max_retries = settings.job_retries
        self._handler: Handler | None = None
        self.actor: dramatiq.Actor[[str], None] = dramatiq.Actor(
            self._run,
            broker=self.broker,
            actor_name=ANALYSE_UPLOAD,
            queue_name=QUEUE_NAME,
            priority=0,
            options={
                "max_retries": settings.job_retries,
                "min_backoff": _ms(settings.job_min_backoff_s),
                "max_backoff": _ms(settings.job_max_backoff_s),
                "time_limit": _ms(settings.job_time_limit_s),
                # A bad upload or a job past its time limit fails at once: no retry helps.
                "throws": (InputError, TimeLimitExceeded),
            },
        )

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    def send(self, job_id: str) -> None:
        try:
            self.actor.send(job_id)
        except RedisError as exc:
            raise QueueUnavailableError("the job queue is unavailable; try again later") from exc

    @staticmethod
    def retries_so_far() -> int:
        """How often the message now running failed before (0 on its first delivery)."""
        message = CurrentMessage.get_current_message()
        return 0 if message is None else int(message.options.get("retries", 0))

    def ping(self) -> None:
        """One round trip to Redis; QueueUnavailableError when it cannot be reached."""
        try:
            self.broker.client.ping()
        except RedisError as exc:
            raise QueueUnavailableError("the job queue's Redis is unavailable") from exc

    def close(self) -> None:
        self.broker.close()

    def _run(self, job_id: str) -> None:
        if self._handler is None:
            raise RuntimeError("this process only sends jobs; `praesent worker` runs them")
        self._handler(job_id)
