"""What a route needs from the request: the context, a session, and the caller.

The session is the request's transaction: committed when the route returns, rolled back
when it raises. The caller comes from ``Authorization: Bearer <token>``; a missing,
unknown or revoked token is 401 (RELIABILITY 25); a route that owns its transactions takes
``StandaloneCallerDep``, authenticated apart from the request's session.
``requires(permission)`` refuses a role that may not use a function with 403
(RELIABILITY 23).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal, authenticate
from wage_guard.context import AppContext
from wage_guard.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False, description="An API token from `wage-guard users add`.")


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


def get_session(request: Request) -> Iterator[Session]:
    """The request's transaction."""
    with get_context(request).transaction() as session:
        yield session


# A stored object's id in a path: bounded by its column (INTEGER or BIGINT) so that no
# database is asked for an impossible one.
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
BigIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
# Text a query compares with a column: no NUL, which PostgreSQL text cannot hold.
NO_NUL = r"^[^\x00]*$"

ContextDep = Annotated[AppContext, Depends(get_context)]
# Ended with the route, before the answer is sent: a client that reads right after a write
# sees it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer token (the API takes no cookie, so no page of another
    site can call it with a signed-in person's session)."""
    token = credentials.credentials if credentials is not None else None
    if not token:
        raise Unauthorized("send an API token: Authorization: Bearer <token>")
    principal = authenticate(session, token=token)
    if principal is None:
        raise Unauthorized("the token is unknown or revoked")
    request.state.principal = principal
    return principal


CallerDep = Annotated[Principal, Depends(get_principal)]


def get_principal_standalone(
    request: Request,
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, authenticated in a short transaction of its own, committed before the
    route runs: for a route that owns its transactions (an import), which must not wait on
    the lock that authenticating takes when it records ``last_used_at``."""
    with context.transaction() as session:
        return get_principal(request, session, credentials)


StandaloneCallerDep = Annotated[Principal, Depends(get_principal_standalone)]


def requires(permission: Permission) -> Callable[[Principal], Principal]:
    """A dependency giving the caller, or 403 when its role may not use ``permission``."""

    def check(principal: CallerDep) -> Principal:
        principal.require(permission)
        return principal

    check.__name__ = f"requires_{permission.value}"
    return check
