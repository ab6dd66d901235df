"""A team's CRM connection: a row of ``webhook_endpoints`` of kind "hubspot" or "salesforce"
(at most one per team), so that its notes share the webhooks' outbox, relay and log. The
token is kept in the clear (it is sent with each request) and never read back by the API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from praesent.store.errors import translate_errors
from praesent.store.models import WebhookEndpoint, utc_now
from praesent.store.webhooks import new_secret

CRM_KINDS = ("hubspot", "salesforce")


@dataclass(frozen=True, slots=True)
class CrmConnection:
    id: str
    team_id: str
    kind: str
    url: str
    created_at: datetime

    def fields(self) -> dict[str, Any]:
        """What the API shows: never the token."""
        found: dict[str, Any] = {
            "team_id": self.team_id,
            "kind": self.kind,
            "created_at": self.created_at.isoformat(),
        }
        if self.kind == "salesforce":
            found["instance_url"] = self.url
        return found


class CrmStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def set_connection(self, team_id: str, kind: str, url: str, token: str) -> CrmConnection:
        """The team's connection, replacing the one it had (whose log stays while the kind
        stays; a new kind starts a new log)."""
        assert kind in CRM_KINDS, kind
        with self._transaction() as db:
            row = self._row(db, team_id)
            if row is not None and row.kind != kind:
                db.delete(row)
                db.flush()
                row = None
            if row is None:
                row = WebhookEndpoint(
                    id=uuid4().hex,
                    team_id=team_id,
                    owner_id=None,
                    secret=new_secret(),  # unused: a CRM request carries the token instead
                    events=["report.ready"],
                    created_at=utc_now(),
                    kind=kind,
                )
                db.add(row)
            row.url = url
            row.token = token
            db.flush()
            return _connection(row)

    def connection(self, team_id: str) -> CrmConnection | None:
        with self._transaction() as db:
            row = self._row(db, team_id)
            return None if row is None else _connection(row)

    def delete_connection(self, team_id: str) -> bool:
        """The connection and its log; notes not yet sent are not sent."""
        stmt = delete(WebhookEndpoint).where(
            WebhookEndpoint.team_id == team_id, WebhookEndpoint.kind.in_(CRM_KINDS)
        )
        with self._transaction() as db:
            return db.connection().execute(stmt).rowcount > 0

    @staticmethod
    def _row(db: OrmSession, team_id: str) -> WebhookEndpoint | None:
        stmt = select(WebhookEndpoint).where(
            WebhookEndpoint.team_id == team_id, WebhookEndpoint.kind.in_(CRM_KINDS)
        )
        return db.scalars(stmt).first()

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        with translate_errors(), self._sessions.begin() as db:
            yield db


def _connection(row: WebhookEndpoint) -> CrmConnection:
    assert row.team_id is not None
    return CrmConnection(row.id, row.team_id, row.kind, row.url, row.created_at)
