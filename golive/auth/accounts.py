"""People, API tokens and dashboard sessions: one function per action, each
taking the acting person and deciding here whether they may.

- **Passwords** are hashed with argon2id (argon2-cffi). A wrong name and a wrong
  password get the same answer, in the same time.
- **Login throttling.** After :data:`FREE_FAILURES` failed logins in a row from
  one client address, logins of that name from that address are locked for
  30 s, doubling with each further failure up to :data:`MAX_LOCK`. The lock
  always expires, and it holds only for the address the guesses come from: a
  person guessing an admin's password elsewhere never locks the admin out
  where they are. ``golive user unlock`` (on the machine) lifts every lock of a
  name at once. A successful login from an address resets its count.
- **API tokens** (``glv_<id>_<secret>``) are random, shown once, and only the
  SHA-256 of the secret is stored (a 256-bit secret needs no slow hash). A token
  carries a site role of at most its creator's and its user's; it always
  expires and can be revoked. A token acts with the lower of its role and its
  user's role now, so demoting a person demotes their tokens.
- **Sessions** (the dashboard) last :data:`SESSION_TTL`; the cookie holds a
  random id and the table its SHA-256, beside the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from golive.auth.principal import SITE_ROLES, Actor, Principal, at_least, permit, site_role
from golive.clock import Clock, SystemClock
from golive.errors import ActionError, AuthError, ForbiddenError, InputError, NotFoundError

__all__ = ["Accounts", "NewToken", "TokenRow", "UserRow"]

FREE_FAILURES = 5
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
SESSION_TTL = timedelta(hours=12)
MAX_TOKEN_LIFE = timedelta(days=366)
MIN_PASSWORD = 12
TOKEN_PREFIX = "glv_"  # noqa: S105 - the public prefix of every token, not a secret


@dataclass(frozen=True)
class UserRow:
    name: str
    role: str
    disabled: bool
    has_password: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class TokenRow:
    id: str
    user: str
    role: str
    label: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


@dataclass(frozen=True)
class NewToken:
    row: TokenRow
    secret: str
    """The whole token, shown once: it is not stored anywhere."""


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _opt(value: datetime | None) -> datetime | None:
    return None if value is None else _utc(value)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


_HASHER: Any = None


def _hasher() -> Any:
    global _HASHER  # noqa: PLW0603 - built once: argon2's parameters are fixed per process
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()
    return _HASHER


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against when the name is unknown, so both cost the same."""
    if not _DUMMY:
        _DUMMY.append(_hasher().hash(secrets.token_urlsafe(16)))
    return _DUMMY[0]


def check_password_text(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"a password needs at least {MIN_PASSWORD} characters", location="password")
    if len(password) > 1024:
        raise InputError("a password has at most 1024 characters", location="password")
    return password


def _check_name(name: str) -> str:
    value = name.strip()
    if not value or len(value) > 200 or any(c.isspace() or ord(c) < 32 for c in value):
        raise InputError(f"not a user name: {name!r} (no spaces, 1-200 characters)", location="NAME")
    return value


class Accounts:
    """The people, tokens and sessions kept in ``store``'s database."""

    def __init__(self, engine: Any, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        self.touch_due: set[str] = set()
        """Tokens used while authenticated without writing (``touch=False``)."""

    def _now(self) -> datetime:
        return _utc(self.clock.now())

    def _writer(self) -> Any:
        return self.engine.execution_options(golive_write=True)

    # -- people ---------------------------------------------------------------------
    def any_user(self) -> bool:
        from sqlalchemy import func, select

        from golive.store.schema import users

        with self.engine.connect() as conn:
            return bool(conn.execute(select(func.count()).select_from(users)).scalar())

    def add_user(self, name: str, role: str, *, actor: Actor, password: str | None = None) -> UserRow:
        """Add a person. On the machine (a local actor) anyone may: that is how the
        first admin is made. Through the API only an admin may."""
        from sqlalchemy import insert, select

        from golive.store.schema import users

        who = permit(actor, "user.manage")
        name = _check_name(name)
        role = site_role(role)
        hashed = _hasher().hash(check_password_text(password)) if password is not None else None
        with self._writer().begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first():
                raise ActionError(f"user {name} already exists")
            conn.execute(
                insert(users).values(
                    name=name,
                    role=role,
                    password_hash=hashed,
                    disabled=0,
                    created_at=self._now(),
                    created_by=who,
                )
            )
        return self.get_user(name)

    def get_user(self, name: str) -> UserRow:
        from sqlalchemy import select

        from golive.store.schema import users

        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no user {name!r}", location="NAME")
        return _user(row)

    def list_users(self, *, actor: Actor) -> list[UserRow]:
        from sqlalchemy import select

        from golive.store.schema import users

        permit(actor, "user.manage")
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.name))]

    def _update_user(self, name: str, **values: Any) -> UserRow:
        from sqlalchemy import update

        from golive.store.schema import users

        with self._writer().begin() as conn:
            done = conn.execute(update(users).where(users.c.name == name).values(**values)).rowcount
        if not done:
            raise NotFoundError(f"no user {name!r}", location="NAME")
        return self.get_user(name)

    def set_password(self, name: str, password: str, *, actor: Actor, current: str | None = None) -> UserRow:
        """A new password: an admin (or the machine) for anyone; a person signed in
        to the dashboard for themselves, with their current password (never through
        an API token, whose role may be lower than its person's). Their sessions end."""
        if isinstance(actor, Principal) and actor.name == name and not at_least(actor.role, "admin"):
            if actor.via != "session":
                raise ForbiddenError("change your password from a signed-in session, not with an API token")
            stored = self._password_row(name)
            if current is None or stored is None or not _verify(stored, current):
                raise AuthError("the current password is wrong", location="current")
        else:
            permit(actor, "user.manage")
        hashed = _hasher().hash(check_password_text(password))
        row = self._update_user(name, password_hash=hashed)
        self._clear_throttle(name)
        self._end_sessions(name)
        return row

    def set_role(self, name: str, role: str, *, actor: Actor) -> UserRow:
        permit(actor, "user.manage")
        role = site_role(role)
        if role != "admin":
            self._keep_an_admin(name)
        return self._update_user(name, role=role)

    def _password_row(self, name: str) -> str | None:
        from sqlalchemy import select

        from golive.store.schema import users

        with self.engine.connect() as conn:
            value = conn.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()
        return None if value is None else str(value)

    def _keep_an_admin(self, name: str) -> None:
        """Refuse to demote or disable the last enabled admin (the machine can always
        make another: ``golive user add``)."""
        from sqlalchemy import select

        from golive.store.schema import users

        with self.engine.connect() as conn:
            admins = set(
                conn.execute(
                    select(users.c.name).where(users.c.role == "admin", users.c.disabled == 0)
                ).scalars()
            )
        if admins == {name}:
            raise ActionError(f"{name} is the last admin: make another admin first")

    def disable(self, name: str, *, actor: Actor, disabled: bool = True) -> UserRow:
        """Disable (or enable) a person: their sessions end and their tokens stop working."""
        who = permit(actor, "user.manage")
        if disabled and who == name and not (isinstance(actor, Principal) and actor.is_local):
            raise ActionError("you may not disable yourself")
        if disabled:
            self._keep_an_admin(name)
        row = self._update_user(name, disabled=1 if disabled else 0)
        if disabled:
            self._end_sessions(name)
        return row

    def unlock(self, name: str, *, actor: Actor) -> UserRow:
        permit(actor, "user.manage")
        row = self.get_user(name)
        self._clear_throttle(name)
        return row

    # -- login ----------------------------------------------------------------------
    def login(self, name: str, password: str, *, client: str = "local") -> Principal:
        """The person, when the password is theirs and the account is neither
        disabled nor locked for ``client`` (the address the attempt comes from);
        else AuthError, with the same message for a wrong name and a wrong password."""
        from sqlalchemy import select

        from golive.store.schema import login_throttle, users

        now = self._now()
        client = client[:100]
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).first()
            throttle = conn.execute(
                select(login_throttle).where(
                    login_throttle.c.user_name == name[:200], login_throttle.c.client == client
                )
            ).first()
        if throttle is not None and throttle.locked_until is not None and _utc(throttle.locked_until) > now:
            wait = int((_utc(throttle.locked_until) - now).total_seconds()) + 1
            raise AuthError(f"too many failed logins: try again in {wait} s", location="password")
        wrong = AuthError("wrong user name or password", location="password")
        known = row is not None and row.password_hash is not None
        if not _verify(row.password_hash if known else _dummy_hash(), password) or not known:
            self._failed(name[:200], client, now)
            raise wrong
        if row.disabled:
            raise AuthError(f"user {name} is disabled", location="password")
        if throttle is not None:
            self._clear_throttle(name, client)
        return Principal(name=row.name, role=row.role, via="session")

    def _failed(self, name: str, client: str, now: datetime) -> None:
        """Count one more failed login of ``name`` from ``client``, and lock it once
        the count reaches :data:`FREE_FAILURES`. The count is read and raised in
        the one write transaction, so failures at the same time all count."""
        from sqlalchemy import insert, select, update

        from golive.store.schema import login_throttle

        where = (login_throttle.c.user_name == name) & (login_throttle.c.client == client)
        with self._writer().begin() as conn:
            raised = conn.execute(
                update(login_throttle).where(where).values(failures=login_throttle.c.failures + 1)
            ).rowcount
            if not raised:
                conn.execute(
                    insert(login_throttle).values(
                        user_name=name, client=client, failures=1, locked_until=None
                    )
                )
            failures = int(conn.execute(select(login_throttle.c.failures).where(where)).scalar_one())
            if failures >= FREE_FAILURES:
                lock = now + min(FIRST_LOCK * 2 ** min(failures - FREE_FAILURES, 10), MAX_LOCK)
                conn.execute(update(login_throttle).where(where).values(locked_until=lock))

    def _clear_throttle(self, name: str, client: str | None = None) -> None:
        from sqlalchemy import delete

        from golive.store.schema import login_throttle

        where = login_throttle.c.user_name == name
        if client is not None:
            where = where & (login_throttle.c.client == client)
        with self._writer().begin() as conn:
            conn.execute(delete(login_throttle).where(where))

    # -- sessions -------------------------------------------------------------------
    def open_session(self, principal: Principal) -> tuple[str, str]:
        """A new session of ``principal``: (the cookie value, its CSRF token)."""
        from sqlalchemy import insert

        from golive.store.schema import web_sessions

        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._now()
        with self._writer().begin() as conn:
            conn.execute(
                insert(web_sessions).values(
                    id_hash=_sha(session_id),
                    user_name=principal.name,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + SESSION_TTL,
                )
            )
        return session_id, csrf

    def session(self, session_id: str) -> tuple[Principal, str]:
        """The person of a session cookie and the session's CSRF token; AuthError
        when it is unknown, expired, or its person is disabled."""
        with self.engine.connect() as conn:
            row = conn.execute(_session_by_hash(), {"id_hash": _sha(session_id)}).first()
        if row is None or _utc(row.expires_at) <= self._now():
            raise AuthError("not signed in (the session is unknown or expired)")
        return Principal(name=row.name, role=row.role, via="session"), row.csrf

    def close_session(self, session_id: str) -> None:
        from sqlalchemy import delete

        from golive.store.schema import web_sessions

        with self._writer().begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == _sha(session_id)))

    def _end_sessions(self, name: str) -> None:
        from sqlalchemy import delete

        from golive.store.schema import web_sessions

        with self._writer().begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.user_name == name))

    # -- API tokens -----------------------------------------------------------------
    def create_token(
        self,
        user: str,
        *,
        actor: Actor,
        role: str | None = None,
        expires: timedelta = timedelta(days=30),
        label: str = "",
    ) -> NewToken:
        """A new token for ``user`` (admins for anyone; a person for themselves),
        with a role of at most the creator's and the user's (by default, the
        highest of those)."""
        target = self.get_user(user)
        if isinstance(actor, Principal) and actor.via == "token" and not at_least(actor.role, "admin"):
            # a token never mints tokens: a stolen short-lived one would outlive its revocation
            raise ForbiddenError("create API tokens from a signed-in session or on the machine")
        if isinstance(actor, Principal) and not actor.is_local and actor.name == user:
            creator_role = actor.role
        else:
            permit(actor, "token.manage")
            creator_role = actor.role if isinstance(actor, Principal) else "admin"
        creator = actor.name if isinstance(actor, Principal) else actor
        ceiling = min(SITE_ROLES.index(creator_role), SITE_ROLES.index(target.role))
        wanted = site_role(role) if role else SITE_ROLES[ceiling]
        if SITE_ROLES.index(wanted) > ceiling:
            raise ActionError(
                f"a token for {user} may carry at most the role {SITE_ROLES[ceiling]} "
                f"(the lower of {creator}'s and {user}'s), not {wanted}"
            )
        if target.disabled:
            raise ActionError(f"user {user} is disabled")
        if not timedelta(minutes=1) <= expires <= MAX_TOKEN_LIFE:
            raise InputError("a token lives between 1 minute and 366 days", location="--expires")
        from sqlalchemy import insert

        from golive.store.schema import api_tokens

        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = self._now()
        with self._writer().begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    id=token_id,
                    user_name=user,
                    role=wanted,
                    secret_hash=_sha(secret),
                    label=label[:200],
                    created_at=now,
                    created_by=creator,
                    expires_at=now + expires,
                )
            )
        return NewToken(row=self._token(token_id), secret=f"{TOKEN_PREFIX}{token_id}_{secret}")

    def _token(self, token_id: str) -> TokenRow:
        from sqlalchemy import select

        from golive.store.schema import api_tokens

        with self.engine.connect() as conn:
            row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFoundError(f"no token {token_id!r}", location="ID")
        return _token(row)

    def list_tokens(self, *, actor: Actor, user: str | None = None) -> list[TokenRow]:
        """Tokens (never their secrets): every token for an admin, a person's own otherwise."""
        from sqlalchemy import select

        from golive.store.schema import api_tokens

        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        if isinstance(actor, Principal) and not actor.is_local and not at_least(actor.role, "admin"):
            if user not in (None, actor.name):
                permit(actor, "token.manage")
            user = actor.name
        if user is not None:
            query = query.where(api_tokens.c.user_name == user)
        with self.engine.connect() as conn:
            return [_token(r) for r in conn.execute(query)]

    def revoke_token(self, token_id: str, *, actor: Actor) -> TokenRow:
        from sqlalchemy import update

        from golive.store.schema import api_tokens

        row = self._token(token_id)
        if not (isinstance(actor, Principal) and not actor.is_local and actor.name == row.user):
            try:
                permit(actor, "token.manage")
            except ForbiddenError:  # another person's token: as if it did not exist
                raise NotFoundError(f"no token {token_id!r}", location="ID") from None
        if row.revoked_at is not None:
            raise ActionError(f"token {token_id} is already revoked")
        with self._writer().begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=self._now()))
        return self._token(token_id)

    def authenticate_token(self, token: str, *, touch: bool = True) -> Principal:
        """The person a bearer token acts for, with the lower of the token's role
        and the person's role now; AuthError when the token is malformed, unknown,
        expired or revoked, or its person is disabled.

        The token's ``last_used_at`` is written at most once a minute. With
        ``touch=False`` nothing is written (a server authenticating on its event
        loop, where a write could wait for the database's lock): the token is put
        in :attr:`touch_due` instead, and :meth:`touch_token` writes it later."""
        token_id, _, secret = token.removeprefix(TOKEN_PREFIX).partition("_")
        if not token.startswith(TOKEN_PREFIX) or not token_id or not secret:
            raise AuthError("not a golive API token")
        with self.engine.connect() as conn:
            row = conn.execute(_token_by_id(), {"id": token_id}).first()
        if row is None or not hmac.compare_digest(row.secret_hash, _sha(secret)):
            raise AuthError("unknown API token")
        now = self._now()
        if row.revoked_at is not None:
            raise AuthError(f"API token {token_id} is revoked")
        if _utc(row.expires_at) <= now:
            raise AuthError(f"API token {token_id} expired at {_utc(row.expires_at).isoformat()}")
        if row.disabled:
            raise AuthError(f"user {row.user_name} is disabled")
        if row.last_used_at is None or now - _utc(row.last_used_at) > timedelta(minutes=1):
            if touch:
                self.touch_token(token_id)
            else:
                self.touch_due.add(token_id)
        role = SITE_ROLES[min(SITE_ROLES.index(row.role), SITE_ROLES.index(row.user_role))]
        return Principal(name=row.user_name, role=role, via="token", token_id=token_id)

    def touch_token(self, token_id: str) -> None:
        """Record that the token was used now."""
        from sqlalchemy import update

        from golive.store.schema import api_tokens

        self.touch_due.discard(token_id)
        with self._writer().begin() as conn:
            used = update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=self._now())
            conn.execute(used)


# the statements every request runs, built once (building one costs more than running it)
@cache
def _session_by_hash() -> Any:
    from sqlalchemy import bindparam, select

    from golive.store.schema import users, web_sessions

    return (
        select(web_sessions.c.expires_at, web_sessions.c.csrf, users.c.name, users.c.role)
        .join(users, users.c.name == web_sessions.c.user_name)
        .where(web_sessions.c.id_hash == bindparam("id_hash"), users.c.disabled == 0)
    )


@cache
def _token_by_id() -> Any:
    from sqlalchemy import bindparam, select

    from golive.store.schema import api_tokens, users

    return (
        select(api_tokens, users.c.role.label("user_role"), users.c.disabled)
        .join(users, users.c.name == api_tokens.c.user_name)
        .where(api_tokens.c.id == bindparam("id"))
    )


def _verify(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


def _user(row: Any) -> UserRow:
    return UserRow(
        name=row.name,
        role=row.role,
        disabled=bool(row.disabled),
        has_password=row.password_hash is not None,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
    )


def _token(row: Any) -> TokenRow:
    return TokenRow(
        id=row.id,
        user=row.user_name,
        role=row.role,
        label=row.label,
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        expires_at=_utc(row.expires_at),
        revoked_at=_opt(row.revoked_at),
        last_used_at=_opt(row.last_used_at),
    )
