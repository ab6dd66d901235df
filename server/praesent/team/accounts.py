"""Issuing credentials: a user with a first token, a new token, a password. The store is passed
in; the secret leaves here once and only its hash is kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from praesent.errors import InputError
from praesent.store import PeopleStore, TokenRecord, UserRecord
from praesent.store.people import check_role
from praesent.team.access import SCOPES, scopes_for
from praesent.team.credentials import (
    TOKEN_PREFIX,
    hash_password,
    hash_secret,
    new_secret,
)
from praesent.team.passwords import password_problem


class BadScopeError(InputError):
    code = "bad_scope"


class WeakPasswordError(InputError):
    code = "weak_password"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    record: TokenRecord
    token: str  # shown once, never stored


def issue_token(
    people: PeopleStore,
    user: UserRecord,
    name: str,
    scopes: Iterable[str] | None = None,
    within: frozenset[str] | None = None,
    expires_in: timedelta | None = None,
) -> IssuedToken:
    """``within``: the scopes of the credential that asks (a token cannot mint a wider one);
    None for the CLI, which holds the database. No scopes named: all those it may give.
    ``expires_in``: None, it never expires."""
    role_scopes = scopes_for(user.role)
    allowed = role_scopes if within is None else role_scopes & within
    wanted = frozenset(scopes) if scopes is not None else allowed
    unknown = wanted - set(SCOPES)
    if unknown:
        raise BadScopeError(f"unknown scope(s): {', '.join(sorted(unknown))}")
    if not wanted <= role_scopes:
        excess = ", ".join(sorted(wanted - role_scopes))
        raise BadScopeError(f"a {user.role} cannot hold: {excess}")
    if not wanted <= allowed:
        excess = ", ".join(sorted(wanted - allowed))
        raise BadScopeError(f"this credential lacks the scope(s) it would give: {excess}")
    if not wanted:
        raise BadScopeError("a token needs at least one scope")
    token = new_secret(TOKEN_PREFIX)
    expires_at = None if expires_in is None else datetime.now(UTC) + expires_in
    record = people.create_token(user.id, name, sorted(wanted), hash_secret(token), expires_at)
    return IssuedToken(record, token)


def checked_password_hash(password: str, email: str) -> str:
    """The hash of a new password for the account of ``email``, or WeakPasswordError."""
    problem = password_problem(password, [email])
    if problem is not None:
        raise WeakPasswordError(problem)
    return hash_password(password)


def create_user_with_token(
    people: PeopleStore,
    email: str,
    role: str,
    team_names: Sequence[str],
    password: str | None = None,
    token_expires_in: timedelta | None = None,
) -> tuple[UserRecord, IssuedToken]:
    password_hash = checked_password_hash(password, email) if password is not None else None
    user = people.create_user(email, check_role(role), team_names, password_hash=password_hash)
    issued = issue_token(people, user, "created with the user", expires_in=token_expires_in)
    return user, issued


def token_lifetime(days: int | None, default_days: int) -> timedelta | None:
    """A new token's lifetime: ``days`` when given (0: never), else the server's default."""
    chosen = default_days if days is None else days
    return None if chosen == 0 else timedelta(days=chosen)
