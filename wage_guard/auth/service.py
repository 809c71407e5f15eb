"""Users, their API tokens and who a request comes from (RELIABILITY 22, 23, 25).

A token is shown once, when issued, and stored only as its SHA-256 digest; a revoked or
unknown token authenticates no one. A caller's scope is what the API filters every query
by: an inspector's districts (none: all), a contractor's credit codes, a bank's names.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wage_guard.auth.orm import AccessLog, ApiToken, User
from wage_guard.auth.schemas import ROLE_PERMISSIONS, Permission, Role
from wage_guard.db import utcnow
from wage_guard.db.changes import ACCESS, Remembered
from wage_guard.errors import Conflict, Forbidden, InvalidInput, NotFound
from wage_guard.identity import credit_code_problem

TOKEN_PREFIX = "wg_"
# ``last_used_at`` is written at most this often, so that reading is not a write each time.
LAST_USED_PRECISION = timedelta(minutes=5)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request, with its role and scope."""

    user_id: int
    name: str
    role: Role
    districts: tuple[str, ...] = ()
    credit_codes: tuple[str, ...] = ()
    banks: tuple[str, ...] = ()
    can_reveal: bool = False

    def can(self, permission: Permission) -> bool:
        if permission is Permission.REVEAL and self.role is not Role.ADMIN:
            return self.can_reveal and permission in ROLE_PERMISSIONS[self.role]
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        """``Forbidden`` unless the caller's role may use ``permission``."""
        if not self.can(permission):
            raise Forbidden(f"the {self.role.value} role may not {permission.value}")

    @property
    def permissions(self) -> list[Permission]:
        return [permission for permission in Permission if self.can(permission)]

    @property
    def districts_scope(self) -> list[str] | None:
        """The districts whose projects the caller sees; None: every district."""
        if self.role is Role.INSPECTOR and self.districts:
            return list(self.districts)
        if self.role is Role.BANK:
            return []
        return None

    @property
    def credit_codes_scope(self) -> list[str] | None:
        """The general contractors whose projects the caller sees; None: every one."""
        return list(self.credit_codes) if self.role is Role.CONTRACTOR else None

    @property
    def banks_scope(self) -> list[str] | None:
        """The banks whose wage accounts the caller may send statements for; None: any."""
        return list(self.banks) if self.role is Role.BANK else None

    @property
    def sees_every_import(self) -> bool:
        """Admins and inspectors read every import; others only their own."""
        return self.role in (Role.ADMIN, Role.INSPECTOR)

    @property
    def imports_submitter(self) -> str | None:
        """Whose imports the caller reads: None for everyone's, else its own name."""
        return None if self.sees_every_import else self.name

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(
            user_id=user.id,
            name=user.name,
            role=Role(user.role),
            districts=tuple(user.districts or ()),
            credit_codes=tuple(user.credit_codes or ()),
            banks=tuple(user.banks or ()),
            can_reveal=bool(user.can_reveal),
        )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(value.strip() for value in values if value.strip()))


def create_user(
    session: Session,
    *,
    name: str,
    role: str,
    districts: Sequence[str] = (),
    credit_codes: Sequence[str] = (),
    banks: Sequence[str] = (),
    can_reveal: bool = False,
) -> User:
    """A new user. A contractor needs at least one credit code, a bank at least one bank
    name; districts scope only inspectors, and only an inspector may be granted reveal
    (an admin has it already)."""
    name = name.strip()
    if not name:
        raise InvalidInput("a user needs a name")
    try:
        chosen = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}"
        ) from None
    districts, credit_codes, banks = _clean(districts), _clean(credit_codes), _clean(banks)
    codes = [code.upper() for code in credit_codes]
    for code in codes:
        problem = credit_code_problem(code)
        if problem is not None:
            raise InvalidInput(f"credit code {code}: {problem}")
    if chosen is Role.CONTRACTOR and not codes:
        raise InvalidInput("a contractor needs at least one --credit-code")
    if chosen is Role.BANK and not banks:
        raise InvalidInput("a bank needs at least one --bank name")
    if districts and chosen is not Role.INSPECTOR:
        raise InvalidInput("only an inspector is scoped by district")
    if codes and chosen is not Role.CONTRACTOR:
        raise InvalidInput("only a contractor has credit codes")
    if banks and chosen is not Role.BANK:
        raise InvalidInput("only a bank user names banks")
    if can_reveal and chosen is not Role.INSPECTOR:
        raise InvalidInput("only an inspector is granted reveal (an admin has it already)")
    user = User(
        name=name,
        role=chosen.value,
        districts=districts,
        credit_codes=codes,
        banks=banks,
        can_reveal=can_reveal,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(f"a user named {name!r} exists already") from None
    return user


def get_user(session: Session, *, name: str) -> User:
    user = session.execute(sa.select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.execute(sa.select(User).order_by(User.name)).scalars())


def issue_token(session: Session, *, user: User) -> str:
    """A new token for ``user``; only its digest is kept, so this is the one time it is seen."""
    if user.disabled_at is not None:
        raise Conflict(f"user {user.name!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, digest=digest(token), prefix=token[:12]))
    session.flush()
    return token


def list_tokens(session: Session, *, user: User | None = None) -> list[ApiToken]:
    statement = sa.select(ApiToken).order_by(ApiToken.id)
    if user is not None:
        statement = statement.where(ApiToken.user_id == user.id)
    return list(session.execute(statement).scalars())


def revoke_token(session: Session, *, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke one token by its id; it authenticates no one from then on."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.flush()
    return token


def revoke_tokens(session: Session, *, user: User, now: datetime | None = None) -> int:
    """Revoke every live token of ``user``; returns how many."""
    result = session.connection().execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount)


@dataclass
class _Caller:
    """A token's owner as last read, and when the token's use was last recorded."""

    token_id: int
    principal: Principal
    last_used_at: datetime | None


# Callers by token digest, remembered while no user or token changes (``db.changes``).
_CALLERS: Remembered[_Caller | None] = Remembered(ACCESS, capacity=4096)


def _caller(session: Session, token_digest: str) -> _Caller | None:
    row = session.execute(
        sa.select(ApiToken.id, ApiToken.last_used_at, User)
        .join(User, User.id == ApiToken.user_id)
        .where(
            ApiToken.digest == token_digest,
            ApiToken.revoked_at.is_(None),
            User.disabled_at.is_(None),
        )
    ).one_or_none()
    if row is None:
        return None
    token_id, last_used_at, user = row
    return _Caller(token_id=token_id, principal=Principal.of(user), last_used_at=last_used_at)


def authenticate(session: Session, *, token: str, now: datetime | None = None) -> Principal | None:
    """The caller a bearer token belongs to, or None for an unknown, revoked or disabled one."""
    if not _well_formed(token):
        return None
    token_digest = digest(token)
    caller = _CALLERS.get(session, token_digest, lambda: _caller(session, token_digest))
    if caller is None:
        return None
    now = now or utcnow()
    if _last_use_due(caller, now):
        session.execute(
            sa.update(ApiToken).where(ApiToken.id == caller.token_id).values(last_used_at=now)
        )
        caller.last_used_at = now
    return caller.principal


def remembered_principal(
    database: str, tokens: dict[str, str], *, token: str, now: datetime | None = None
) -> Principal | None:
    """The caller ``authenticate`` would give, when it is remembered under the current
    change tokens (read by a ``TokenReader`` of ``database``) and its token's last use needs
    no recording; otherwise None, and ``authenticate`` must decide."""
    if not _well_formed(token):
        return None
    caller = _CALLERS.peek(database, tokens, digest(token))
    if caller is None or _last_use_due(caller, now or utcnow()):
        return None
    return caller.principal


def _well_formed(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) <= 200


def _last_use_due(caller: _Caller, now: datetime) -> bool:
    return caller.last_used_at is None or now - caller.last_used_at >= LAST_USED_PRECISION


def log_access(
    session: Session,
    *,
    principal: Principal,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
    details: dict[str, str] | None = None,
) -> None:
    """Record who saw which personal data, when and why (RELIABILITY 24)."""
    session.add(
        AccessLog(
            user_id=principal.user_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            reason=reason,
            details=details or {},
        )
    )
    session.flush()
