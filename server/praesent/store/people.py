"""PeopleStore: users, teams, personal access tokens, browser sign-ins, invitations and the
audit log, in the same database as the sessions. Secrets arrive and leave only as hashes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from uuid import uuid4

from sqlalchemy import Engine, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import sessionmaker

from praesent.store.errors import (
    ConflictError,
    InvalidRecordError,
    UnknownRecordError,
    translate_errors,
)
from praesent.store.models import (
    EMAIL_MAX,
    NAME_MAX,
    AccessToken,
    AuditEntry,
    Invitation,
    Membership,
    Team,
    User,
    VoiceSample,
    WebSession,
    utc_now,
)
from praesent.store.records import (
    ROLES,
    AuditRecord,
    InvitationRecord,
    Role,
    TeamRecord,
    TokenRecord,
    UserRecord,
)

# A seller's call language; None leaves it to the server's default.
CALL_LANGUAGES = (None, "auto", "de", "en")


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    if not 3 <= len(value) <= EMAIL_MAX or "@" not in value or "\x00" in value:
        raise InvalidRecordError(f"{email!r} is not an email address")
    return value


def check_role(role: str) -> Role:
    for known in ROLES:
        if known == role:
            return known
    raise InvalidRecordError(f"role must be seller, coach or admin, not {role!r}")


class PeopleStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    # -- teams ----------------------------------------------------------------------------

    def create_team(
        self, name: str, retention_days: int | None = None, keep_transcripts: bool = True
    ) -> TeamRecord:
        name = name.strip()
        if not 1 <= len(name) <= NAME_MAX or "\x00" in name:
            raise InvalidRecordError(f"a team name has 1 to {NAME_MAX} characters")
        _check_retention(retention_days)
        row = Team(
            id=uuid4().hex,
            name=name,
            retention_days=retention_days,
            keep_transcripts=keep_transcripts,
            webhook_transcripts=False,
            send_results_by_default=True,
            created_at=utc_now(),
        )
        try:
            with self._transaction() as db:
                db.add(row)
        except IntegrityError as exc:
            raise ConflictError(f"a team named {name!r} exists already") from exc
        return _team(row)

    def list_teams(self) -> list[TeamRecord]:
        with self._transaction() as db:
            return [_team(row) for row in db.scalars(select(Team).order_by(Team.name))]

    def team(self, team_id: str) -> TeamRecord | None:
        with self._transaction() as db:
            row = db.get(Team, team_id)
            return None if row is None else _team(row)

    def update_team(
        self,
        team_id: str,
        *,
        retention_days: int | None,
        keep_transcripts: bool,
        webhook_transcripts: bool | None = None,
        send_results_by_default: bool | None = None,
    ) -> TeamRecord:
        """Change a team's settings; the webhook ones stay as they are where None."""
        _check_retention(retention_days)
        with self._transaction() as db:
            row = db.get(Team, team_id)
            if row is None:
                raise UnknownRecordError(f"no team {team_id}")
            row.retention_days = retention_days
            row.keep_transcripts = keep_transcripts
            if webhook_transcripts is not None:
                row.webhook_transcripts = webhook_transcripts
            if send_results_by_default is not None:
                row.send_results_by_default = send_results_by_default
            return _team(row)

    def members(self, team_id: str) -> list[UserRecord]:
        stmt = (
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id)
            .order_by(User.email)
        )
        with self._transaction() as db:
            return [self._user(db, row) for row in db.scalars(stmt)]

    # -- users ----------------------------------------------------------------------------

    def any_user(self) -> bool:
        with self._transaction() as db:
            return bool(db.scalar(select(exists().select_from(User))))

    def create_user(
        self,
        email: str,
        role: str,
        team_names: Sequence[str] = (),
        *,
        password_hash: str | None = None,
        oidc_subject: str | None = None,
    ) -> UserRecord:
        with self._transaction() as db:
            return self._create_user(db, email, role, team_names, password_hash, oidc_subject)

    def _create_user(
        self,
        db: OrmSession,
        email: str,
        role: str,
        team_names: Sequence[str],
        password_hash: str | None,
        oidc_subject: str | None = None,
    ) -> UserRecord:
        row = User(
            id=uuid4().hex,
            email=normalise_email(email),
            role=check_role(role),
            password_hash=password_hash,
            oidc_subject=oidc_subject,
            share_by_default=False,
            created_at=utc_now(),
        )
        try:
            with db.begin_nested():
                db.add(row)
                db.flush()
        except IntegrityError as exc:
            raise ConflictError(f"a user with the email {row.email} exists already") from exc
        self._set_teams(db, row.id, team_names)
        return self._user(db, row)

    def user(self, user_id: str) -> UserRecord | None:
        with self._transaction() as db:
            row = db.get(User, user_id)
            return None if row is None else self._user(db, row)

    def user_by_email(self, email: str) -> UserRecord | None:
        with self._transaction() as db:
            row = db.scalar(select(User).where(User.email == email.strip().lower()))
            return None if row is None else self._user(db, row)

    def user_by_oidc(self, subject: str) -> UserRecord | None:
        with self._transaction() as db:
            row = db.scalar(select(User).where(User.oidc_subject == subject))
            return None if row is None else self._user(db, row)

    def password_hash(self, email: str) -> tuple[str, str | None] | None:
        """(user id, stored hash) for a sign-in, or None for an unknown email."""
        with self._transaction() as db:
            found = db.execute(
                select(User.id, User.password_hash).where(User.email == email.strip().lower())
            ).one_or_none()
            return None if found is None else (found[0], found[1])

    def list_users(self) -> list[UserRecord]:
        with self._transaction() as db:
            return [self._user(db, row) for row in db.scalars(select(User).order_by(User.email))]

    def delete_user(self, user_id: str) -> bool:
        """Delete a user and (ON DELETE CASCADE) everything of theirs: sessions, event logs,
        tokens, sign-ins, memberships, their audit log; and their voice profile, kept under the
        user's id or email as the seller's id."""
        with self._transaction() as db:
            email = db.execute(select(User.email).where(User.id == user_id)).scalar()
            if email is None:
                return False
            db.execute(delete(VoiceSample).where(VoiceSample.seller_id.in_((user_id, email))))
            return db.connection().execute(delete(User).where(User.id == user_id)).rowcount == 1

    def set_share_by_default(self, user_id: str, shared: bool) -> None:
        with self._transaction() as db:
            db.execute(update(User).where(User.id == user_id).values(share_by_default=shared))

    def set_call_language(self, user_id: str, language: str | None) -> None:
        if language not in CALL_LANGUAGES:
            raise InvalidRecordError(f"a call language is auto, de or en, not {language!r}")
        with self._transaction() as db:
            db.execute(update(User).where(User.id == user_id).values(call_language=language))

    def set_teams(self, user_id: str, team_names: Sequence[str]) -> None:
        with self._transaction() as db:
            db.execute(delete(Membership).where(Membership.user_id == user_id))
            self._set_teams(db, user_id, team_names)

    def link_oidc(self, user_id: str, subject: str, *, automatic: bool) -> bool:
        """Link a provider's subject to an account that has none (never over another one).
        ``automatic`` (matched by a verified address alone): not to an account with a password
        or the admin role either; their owner or an admin links it. False: not linked;
        ConflictError: another account has this subject."""
        query = update(User).where(User.id == user_id, User.oidc_subject.is_(None))
        if automatic:
            query = query.where(User.password_hash.is_(None), User.role != "admin")
        try:
            with self._transaction() as db:
                return db.connection().execute(query.values(oidc_subject=subject)).rowcount == 1
        except IntegrityError as exc:
            raise ConflictError("another account is linked to this identity") from exc

    # -- personal access tokens -----------------------------------------------------------

    def create_token(
        self,
        user_id: str,
        name: str,
        scopes: Sequence[str],
        token_hash: str,
        expires_at: datetime | None = None,
    ) -> TokenRecord:
        name = name.strip() or "token"
        if len(name) > NAME_MAX:
            raise InvalidRecordError(f"a token name has at most {NAME_MAX} characters")
        row = AccessToken(
            id=uuid4().hex,
            user_id=user_id,
            name=name,
            token_hash=token_hash,
            scopes=" ".join(sorted(set(scopes))),
            created_at=utc_now(),
            last_used_at=None,
            revoked_at=None,
            expires_at=expires_at,
        )
        with self._transaction() as db:
            db.add(row)
        return _token(row)

    def token_owner(self, token_hash: str) -> tuple[UserRecord, frozenset[str]] | None:
        """The user and scopes of a valid (not revoked, not expired) token; marks it used."""
        with self._transaction() as db:
            row = db.scalar(
                select(AccessToken).where(
                    AccessToken.token_hash == token_hash, AccessToken.revoked_at.is_(None)
                )
            )
            if row is None or (row.expires_at is not None and row.expires_at <= utc_now()):
                return None
            row.last_used_at = utc_now()
            user = db.get(User, row.user_id)
            if user is None:
                return None
            return self._user(db, user), frozenset(row.scopes.split())

    def list_tokens(self, user_id: str) -> list[TokenRecord]:
        stmt = (
            select(AccessToken)
            .where(AccessToken.user_id == user_id)
            .order_by(AccessToken.created_at.desc())
        )
        with self._transaction() as db:
            return [_token(row) for row in db.scalars(stmt)]

    def revoke_token(self, user_id: str, token_id: str) -> bool:
        stmt = (
            update(AccessToken)
            .where(
                AccessToken.id == token_id,
                AccessToken.user_id == user_id,
                AccessToken.revoked_at.is_(None),
            )
            .values(revoked_at=utc_now())
        )
        with self._transaction() as db:
            return db.connection().execute(stmt).rowcount == 1

    # -- browser sign-ins -----------------------------------------------------------------

    def create_web_session(
        self, user_id: str, id_hash: str, csrf_token: str, lifetime: timedelta
    ) -> None:
        now = utc_now()
        with self._transaction() as db:
            db.execute(delete(WebSession).where(WebSession.expires_at < now))
            db.add(
                WebSession(
                    id_hash=id_hash,
                    user_id=user_id,
                    csrf_token=csrf_token,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )

    def web_session(self, id_hash: str) -> tuple[UserRecord, str] | None:
        """The user and CSRF token of a browser sign-in that has not expired."""
        with self._transaction() as db:
            row = db.get(WebSession, id_hash)
            if row is None or row.expires_at < utc_now():
                return None
            user = db.get(User, row.user_id)
            return None if user is None else (self._user(db, user), row.csrf_token)

    def end_web_session(self, id_hash: str) -> None:
        with self._transaction() as db:
            db.execute(delete(WebSession).where(WebSession.id_hash == id_hash))

    # -- invitations ----------------------------------------------------------------------

    def create_invitation(
        self,
        email: str,
        role: str,
        team_names: Sequence[str],
        token_hash: str,
        lifetime: timedelta,
    ) -> InvitationRecord:
        now = utc_now()
        row = Invitation(
            token_hash=token_hash,
            email=normalise_email(email),
            role=check_role(role),
            team_names=list(team_names),
            created_at=now,
            expires_at=now + lifetime,
            used_at=None,
        )
        with self._transaction() as db:
            for name in team_names:
                if db.scalar(select(Team.id).where(Team.name == name)) is None:
                    raise UnknownRecordError(f"no team named {name!r}")
            db.add(row)
        return _invitation(row)

    def invitation(self, token_hash: str) -> InvitationRecord | None:
        """An invitation that is unused and not expired."""
        with self._transaction() as db:
            row = db.get(Invitation, token_hash)
            if row is None or row.used_at is not None or row.expires_at < utc_now():
                return None
            return _invitation(row)

    def redeem_invitation(self, token_hash: str, password_hash: str) -> UserRecord | None:
        """Use the invitation once: the user is created with this password, or None when the
        link is used, expired or unknown."""
        now = utc_now()
        claim = (
            update(Invitation)
            .where(
                Invitation.token_hash == token_hash,
                Invitation.used_at.is_(None),
                Invitation.expires_at >= now,
            )
            .values(used_at=now)
        )
        # One transaction: a link that cannot create its account (the email is taken) stays
        # unused.
        with self._transaction() as db:
            if db.connection().execute(claim).rowcount != 1:
                return None
            row = db.get(Invitation, token_hash)
            assert row is not None
            return self._create_user(db, row.email, row.role, row.team_names, password_hash)

    # -- audit ----------------------------------------------------------------------------

    def record_read(self, owner_id: str, actor: UserRecord, session_id: str, action: str) -> None:
        with self._transaction() as db:
            db.add(
                AuditEntry(
                    owner_id=owner_id,
                    actor_id=actor.id,
                    actor_email=actor.email,
                    session_id=session_id,
                    action=action,
                    at=utc_now(),
                )
            )

    def audit_for(self, owner_id: str, limit: int = 1000) -> list[AuditRecord]:
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.owner_id == owner_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        with self._transaction() as db:
            return [_audit(row) for row in db.scalars(stmt)]

    # -- plumbing -------------------------------------------------------------------------

    def _set_teams(self, db: OrmSession, user_id: str, team_names: Sequence[str]) -> None:
        for name in dict.fromkeys(team_names):
            team_id = db.scalar(select(Team.id).where(Team.name == name.strip()))
            if team_id is None:
                raise UnknownRecordError(f"no team named {name!r}")
            db.add(Membership(user_id=user_id, team_id=team_id))

    @staticmethod
    def _user(db: OrmSession, row: User) -> UserRecord:
        teams = db.scalars(
            select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == row.id)
            .order_by(Team.name)
        )
        return UserRecord(
            id=row.id,
            email=row.email,
            role=check_role(row.role),
            share_by_default=row.share_by_default,
            created_at=row.created_at,
            call_language=row.call_language,
            teams=tuple(_team(team) for team in teams),
        )

    @contextmanager
    def _transaction(self) -> Iterator[OrmSession]:
        with translate_errors(), self._sessions.begin() as db:
            yield db


def _check_retention(days: int | None) -> None:
    if days is not None and not 1 <= days <= 36500:
        raise InvalidRecordError("retention is 1 to 36500 days, or none for the default")


def _team(row: Team) -> TeamRecord:
    return TeamRecord(
        id=row.id,
        name=row.name,
        retention_days=row.retention_days,
        keep_transcripts=row.keep_transcripts,
        webhook_transcripts=row.webhook_transcripts,
        send_results_by_default=row.send_results_by_default,
    )


def _token(row: AccessToken) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        scopes=tuple(row.scopes.split()),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
    )


def _audit(row: AuditEntry) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        owner_id=row.owner_id,
        actor_id=row.actor_id,
        actor_email=row.actor_email,
        session_id=row.session_id,
        action=row.action,
        at=row.at,
    )


def _invitation(row: Invitation) -> InvitationRecord:
    return InvitationRecord(
        email=row.email,
        role=check_role(row.role),
        team_names=tuple(row.team_names),
        expires_at=row.expires_at,
    )
