"""A team server's people and sessions, made through the store, for the team tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from praesent.store import EventStore, StoredEvent, UserRecord
from praesent.team.accounts import issue_token
from praesent.team.credentials import hash_password

PASSWORD = "correct horse battery staple"
# Hashed once: argon2id at 64 MiB takes a while on 2 cores.
PASSWORD_HASH = hash_password(PASSWORD)


@dataclass
class World:
    """Team A: sellers ``ada`` and ``ben``, coach ``cleo``; team B: seller ``dan``; ``eve``
    the admin. ``tokens`` holds each one's personal access token."""

    store: EventStore
    analysis: dict[str, Any]
    users: dict[str, UserRecord] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, store: EventStore, analysis: dict[str, Any]) -> World:
        world = cls(store, analysis)
        people = store.people
        for name in ("A", "B"):
            world.teams[name] = people.create_team(f"Team {name}").id
        for name, role, team in (
            ("ada", "seller", "Team A"),
            ("ben", "seller", "Team A"),
            ("cleo", "coach", "Team A"),
            ("dan", "seller", "Team B"),
            ("eve", "admin", None),
        ):
            user = people.create_user(
                f"{name}@example.com",
                role,
                [team] if team else [],
                password_hash=PASSWORD_HASH,
            )
            world.users[name] = user
            world.tokens[name] = issue_token(people, user, "tests").token
        return world

    def headers(self, name: str | None) -> dict[str, str]:
        return {} if name is None else {"Authorization": f"Bearer {self.tokens[name]}"}

    def session(
        self,
        owner: str,
        shared: bool = False,
        started_at: datetime | None = None,
        title: str | None = None,
        analysis: dict[str, Any] | None = None,
    ) -> str:
        """A finished call of ``owner`` with the real analysis (or ``analysis``) and a short
        log."""
        record = self.store.create_session(
            title or f"call of {owner} {uuid4().hex[:6]}",
            "en",
            customer_informed=True,
            owner_id=self.users[owner].id,
            shared=shared,
            started_at=started_at or datetime.now(UTC) - timedelta(hours=1),
        )
        self.store.append(
            record.id,
            [
                StoredEvent(1, "ready", 0.0, {"session_id": record.id}),
                StoredEvent(2, "transcript", 1.0, {"role": "customer", "text": "hello"}),
            ],
        )
        self.store.finalise(
            record.id,
            "finished",
            self.analysis if analysis is None else analysis,
            record.started_at + timedelta(minutes=30),
        )
        return record.id
