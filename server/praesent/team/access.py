"""Who may see what: pure decisions over users, sessions and teams (no I/O).

A seller sees their own sessions. A session is visible to the coaches of its seller's teams
only while the seller shares it. Admins manage people and retention and see no session content.
Without accounts (a laptop) the local owner sees the sessions that have no owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from praesent.store.records import Role, UserRecord

Scope = Literal["read", "write", "live", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "live", "admin")


def scopes_for(role: Role) -> frozenset[str]:
    """Every scope a user of this role can hold; a token may carry fewer."""
    base = {"read", "write", "live"}
    return frozenset(base | {"admin"} if role == "admin" else base)


class Rule(StrEnum):
    """The access rule of a route; every route of the API declares one."""

    PUBLIC = "public"  # no credentials (sign-in, health)
    USER = "user"  # anyone signed in; on a laptop without accounts, the local owner
    SESSION_READ = "session-read"  # the session's seller, or its team's coach while shared
    SESSION_OWNER = "session-owner"  # the session's seller only
    TEAM_COACH = "team-coach"  # a coach of the team in the path
    ADMIN = "admin"  # an admin
    # Health probes: no credentials, none read (a probe must not depend on the database).
    PROBE = "probe"
    # Prometheus with the scrape token (PRAESENT_METRICS_TOKEN), or an admin.
    METRICS = "metrics"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who makes a request: a user with the scopes of their credential, or (``user`` None)
    the local owner of a server that has no accounts."""

    user: UserRecord | None
    scopes: frozenset[str]

    @property
    def user_id(self) -> str | None:
        return None if self.user is None else self.user.id

    @property
    def role(self) -> Role | None:
        return None if self.user is None else self.user.role


def local_owner() -> Principal:
    return Principal(user=None, scopes=frozenset(SCOPES) - {"admin"})


Visibility = Literal["owner", "shared", "none"]


def session_visibility(
    principal: Principal,
    owner_id: str | None,
    shared: bool,
    owner_team_ids: frozenset[str],
) -> Visibility:
    """How ``principal`` relates to a session of ``owner_id`` (None: the local owner)."""
    if principal.user is None:
        return "owner" if owner_id is None else "none"
    if owner_id == principal.user.id:
        return "owner"
    if (
        shared
        and principal.user.role == "coach"
        and owner_id is not None
        and principal.user.team_ids & owner_team_ids
    ):
        return "shared"
    return "none"


def coaches_team(principal: Principal, team_id: str) -> bool:
    user = principal.user
    return user is not None and user.role == "coach" and team_id in user.team_ids


def is_admin(principal: Principal) -> bool:
    return principal.user is not None and principal.user.role == "admin"


def scope_for_method(method: str) -> Scope:
    """Reading needs ``read``; anything that changes state needs ``write``."""
    return "read" if method.upper() in ("GET", "HEAD", "OPTIONS") else "write"
