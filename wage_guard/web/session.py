"""Who is signed in to the pages, and the forms' CSRF token.

The session is Starlette's signed cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS)
holding the API token the person signed in with. Every page authenticates that token
again, so a revoked token ends the session at the next click (RELIABILITY 25). Every POST
form carries the session's CSRF token; a POST without it, or with another, is 403.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal, authenticate
from wage_guard.deps import get_context
from wage_guard.errors import Forbidden, Unauthorized

TOKEN_KEY = "token"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"


def page_session(request: Request) -> Iterator[Session]:
    """The page's transaction: committed when the page renders, rolled back when it fails
    (a failure rendered as an error page never reaches here as an exception)."""
    session = get_context(request).session_factory()
    try:
        yield session
        if getattr(request.state, "page_failed", False):
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Function scope: committed before the response is sent, so that the page a redirect leads
# to reads what the form just wrote.
PageSessionDep = Annotated[Session, Depends(page_session, scope="function")]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


async def check_csrf(request: Request) -> None:
    """403 unless the form's CSRF token is the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_KEY)
    if not (isinstance(sent, str) and isinstance(expected, str) and expected):
        raise Forbidden("the form has no valid CSRF token; reload the page and try again")
    if not secrets.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden("the form has no valid CSRF token; reload the page and try again")


CsrfChecked = Depends(check_csrf)


def page_caller(request: Request, session: PageSessionDep) -> Principal:
    """The signed-in person; a missing, unknown or revoked token ends the session."""
    token = request.session.get(TOKEN_KEY)
    principal = authenticate(session, token=token) if isinstance(token, str) else None
    if principal is None:
        request.session.pop(TOKEN_KEY, None)
        raise Unauthorized("sign in")
    request.state.principal = principal
    return principal


PageCaller = Annotated[Principal, Depends(page_caller, scope="function")]


def page_caller_standalone(request: Request) -> Principal:
    """The signed-in person, authenticated in a short transaction of its own: for a page
    that owns its transactions (an upload), which must not wait on the lock taken when
    authenticating records ``last_used_at``."""
    with get_context(request).transaction() as session:
        return page_caller(request, session)


StandalonePageCaller = Annotated[Principal, Depends(page_caller_standalone)]


def page_requires(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """The signed-in person, or the 403 page when the role may not use ``permission``."""

    async def check(principal: PageCaller) -> Principal:
        principal.require(permission)
        return principal

    check.__name__ = f"page_requires_{permission.value}"
    return check


def page_role(permission: Permission) -> Any:
    """``Depends`` on the signed-in person allowed ``permission``, within the page's scope."""
    return Depends(page_requires(permission), scope="function")


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else goes to the home page."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
