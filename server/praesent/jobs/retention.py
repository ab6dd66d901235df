"""The retention job: delete every session older than its seller's team period (with its event
log, transcript and analysis), and strip transcripts where a team keeps figures only."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from praesent.store import EventStore, SessionQuery
from praesent.team.retention import expiry_cutoff, keeps_transcripts, retention_days

log = logging.getLogger(__name__)
# How long the webhook delivery log keeps what was delivered or given up.
WEBHOOK_LOG_DAYS = 30


@dataclass(frozen=True, slots=True)
class RetentionResult:
    sessions_deleted: int
    transcripts_dropped: int

    def fields(self) -> dict[str, int]:
        return {
            "sessions_deleted": self.sessions_deleted,
            "transcripts_dropped": self.transcripts_dropped,
        }


def run_retention(store: EventStore, default_days: int, now: datetime) -> RetentionResult:
    deleted = 0
    dropped = 0
    for user in store.people.list_users():
        cutoff = expiry_cutoff(now, retention_days(user.teams, default_days))
        expired = store.list_sessions(query=SessionQuery(owner_id=user.id, started_before=cutoff))
        deleted += store.delete_sessions([s.id for s in expired if s.status != "live"])
        if not keeps_transcripts(user.teams):
            for record in store.list_sessions(query=SessionQuery(owner_id=user.id)):
                if record.status != "live" and not (record.analysis or {}).get(
                    "transcript_dropped"
                ):
                    store.drop_transcripts(record.id)
                    dropped += 1
    # The outbox would grow for ever: finished deliveries leave the log after a while.
    store.webhooks.prune(now - timedelta(days=WEBHOOK_LOG_DAYS))
    if deleted or dropped:
        log.info("retention: %d session(s) deleted, %d transcript(s) dropped", deleted, dropped)
    return RetentionResult(deleted, dropped)
