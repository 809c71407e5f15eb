"""What a route needs from the request: the context, a session, and the caller.

The session is the request's transaction: committed when the route returns, rolled back
when it raises. The caller comes from ``Authorization: Bearer <token>``; a missing,
unknown or revoked token is 401 (RELIABILITY 25); a route that owns its transactions takes
``StandaloneCallerDep``, authenticated apart from the request's session.
``requires(permission)`` refuses a role that may not use a function with 403
(RELIABILITY 23). The warning queue, answered far more often than any other route, takes
its caller as a ``PendingCaller`` (a remembered page is found on the event loop; otherwise
the caller is authenticated in the route's own worker thread) and its filters through a
``QueryModel`` (validated once per distinct query string).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar, get_origin

from fastapi import Depends, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from wage_guard.auth.schemas import Permission
from wage_guard.auth.service import Principal, authenticate, remembered_principal
from wage_guard.context import AppContext
from wage_guard.db.changes import Remembered
from wage_guard.errors import Unauthorized

V = TypeVar("V")

_bearer = HTTPBearer(auto_error=False, description="An API token from `wage-guard users add`.")


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's transaction: begun when the route first uses it, committed when the
    route returns, rolled back when it raises. Making a session touches no database, so it
    is made here; ending one that was used is done in a worker thread."""
    session = get_context(request).session_factory()
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


async def _end(session: Session, *, commit: bool) -> None:
    if not session.in_transaction():
        session.close()
        return

    def end() -> None:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        finally:
            session.close()

    await run_in_threadpool(end)


# A stored object's id in a path: bounded by its column (INTEGER or BIGINT) so that no
# database is asked for an impossible one.
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
BigIdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
# Text a query compares with a column: no NUL, which PostgreSQL text cannot hold.
NO_NUL = r"^[^\x00]*$"


async def _context(request: Request) -> AppContext:
    # A coroutine, so that FastAPI does not send it to a worker thread.
    return get_context(request)


ContextDep = Annotated[AppContext, Depends(_context)]
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
# Ended with the route, before the answer is sent: a client that reads right after a write
# sees it.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(request: Request, session: SessionDep, credentials: BearerDep) -> Principal:
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
    request: Request, context: ContextDep, credentials: BearerDep
) -> Principal:
    """The caller, authenticated in a short transaction of its own, committed before the
    route runs: for a route that owns its transactions (an import), which must not wait on
    the lock that authenticating takes when it records ``last_used_at``."""
    with context.transaction() as session:
        return get_principal(request, session, credentials)


StandaloneCallerDep = Annotated[Principal, Depends(get_principal_standalone)]


def requires(permission: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency giving the caller, or 403 when its role may not use ``permission``."""

    async def check(principal: CallerDep) -> Principal:
        principal.require(permission)
        return principal

    check.__name__ = f"requires_{permission.value}"
    return check


@dataclass(frozen=True)
class PendingCaller:
    """A request's caller before authentication, and the permission the route needs: for a
    read-only route answered so often that it first looks for a remembered answer on the
    event loop (``remembered``), and otherwise authenticates and reads in one worker thread
    (``reading``) instead of the three hops ``SessionDep`` and ``requires`` would take. The
    same ``get_principal`` decides whenever the caller is not remembered."""

    request: Request
    context: AppContext
    credentials: HTTPAuthorizationCredentials | None
    permission: Permission

    async def remembered(
        self, values: Remembered[V], key: Callable[[Principal], Hashable]
    ) -> V | None:
        """What ``values`` remembers for this caller under ``key(caller)``, found on the
        event loop with no worker thread and no pooled connection: the change tokens come
        from the context's ``TokenReader``, the caller from ``remembered_principal``
        (403 when its role may not use the route). None when anything is not remembered
        or the tokens could not be read: the route then reads in ``reading()``."""
        token = self.credentials.credentials if self.credentials is not None else None
        if not token:
            return None
        reader = self.context.token_reader
        tokens = await reader.read()
        if tokens is None:
            return None
        principal = remembered_principal(reader.database, tokens, token=token)
        if principal is None:
            return None
        principal.require(self.permission)
        self.request.state.principal = principal
        return values.peek(reader.database, tokens, key(principal))

    @contextmanager
    def reading(self) -> Iterator[tuple[Session, Principal]]:
        """A session and the caller, 401 or 403 before anything is read. Each statement is
        a transaction of its own, as SQLite's reads are anyway: no BEGIN and COMMIT round
        trips to PostgreSQL (recording the token's last use commits at once)."""
        with self.context.session_factory() as session:
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            principal = get_principal(self.request, session, self.credentials)
            principal.require(self.permission)
            yield session, principal


def pending_caller(permission: Permission) -> Callable[..., Awaitable[PendingCaller]]:
    """A dependency giving the caller still to authenticate, needing ``permission``."""

    async def pending(
        request: Request, context: ContextDep, credentials: BearerDep
    ) -> PendingCaller:
        return PendingCaller(request, context, credentials, permission)

    pending.__name__ = f"pending_{permission.value}"
    return pending


M = TypeVar("M", bound=BaseModel)


class QueryModel(Generic[M]):
    """A route's query-string model, validated once per distinct query string: for the
    route answered most often, where FastAPI's field-by-field parsing of a dozen parameters
    costs more than the rest of a remembered answer. Errors are the 422 FastAPI gives (at
    ``query.<name>``); ``openapi`` documents the parameters as FastAPI would, for the route's
    ``openapi_extra``. Query strings are remembered up to ``size``, the oldest forgotten."""

    def __init__(self, model: type[M], *, size: int = 1024) -> None:
        self.model = model
        self.size = size
        self._lists = {
            name
            for name, field in model.model_fields.items()
            if get_origin(field.annotation) is list
        }
        self._parsed: OrderedDict[bytes, M] = OrderedDict()
        self._lock = threading.Lock()

    async def __call__(self, request: Request) -> M:
        raw: bytes = request.scope.get("query_string", b"")
        with self._lock:
            parsed = self._parsed.get(raw)
            if parsed is not None:
                self._parsed.move_to_end(raw)
                return parsed
        params = request.query_params
        values = {
            name: params.getlist(name) if name in self._lists else params[name] for name in params
        }
        try:
            parsed = self.model.model_validate(values)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**error, "loc": ("query", *error["loc"])} for error in exc.errors()]
            ) from None
        with self._lock:
            self._parsed[raw] = parsed
            while len(self._parsed) > self.size:
                self._parsed.popitem(last=False)
        return parsed

    @property
    def openapi(self) -> dict[str, Any]:
        """``{"parameters": [...]}``: each field a query parameter with its schema inline."""
        schema = self.model.model_json_schema()
        definitions = schema.get("$defs", {})

        def inline(node: Any) -> Any:
            if isinstance(node, dict):
                own = {key: inline(value) for key, value in node.items() if key != "$ref"}
                if "$ref" in node:
                    return {**inline(definitions[node["$ref"].rsplit("/", 1)[-1]]), **own}
                return own
            if isinstance(node, list):
                return [inline(value) for value in node]
            return node

        parameters = []
        for name, field_schema in schema["properties"].items():
            described = inline(field_schema)
            parameter: dict[str, Any] = {
                "name": name,
                "in": "query",
                "required": name in schema.get("required", ()),
                "schema": described,
            }
            if "description" in described:
                parameter["description"] = described["description"]
            parameters.append(parameter)
        return {"parameters": parameters}
