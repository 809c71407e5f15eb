"""The HTTP application: the API under ``/api/v1`` (and the pages), one error shape for all.

``create_app(context)`` builds it from an ``AppContext``; ``wage-guard serve`` runs it with
uvicorn. Every error, whether the domain's, a validation's or an unknown route's, answers
``{"error": {"code", "message", "details"}}``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from wage_guard import __version__
from wage_guard.context import AppContext
from wage_guard.errors import DomainError, ErrorBody
from wage_guard.imports.upload import UploadLimitMiddleware
from wage_guard.masking import describe_error
from wage_guard.monitoring.collectors import DatabaseMetrics
from wage_guard.monitoring.metrics import MetricsMiddleware, RequestMetrics

API_PREFIX = "/api/v1"
log = logging.getLogger("wage_guard.api")

# Every route may answer these; documented once for all so that each has a model.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "No token, or an unknown or revoked one."},
    403: {"model": ErrorBody, "description": "The caller's role may not use this."},
    404: {"model": ErrorBody, "description": "No such object within the caller's scope."},
    422: {"model": ErrorBody, "description": "A parameter or the body is invalid."},
}
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
}


class Version(BaseModel):
    """The service and its version."""

    name: str
    version: str


def _error(
    status: int, code: str, message: str, details: Any = None, **kwargs: Any
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, **kwargs)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return _error(exc.status_code, exc.code, exc.message, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"location": [str(part) for part in error["loc"]], "message": error["msg"]}
            for error in exc.errors()
        ]
        first = details[0] if details else {"location": [], "message": "invalid request"}
        where = ".".join(first["location"])
        return _error(422, "invalid_input", f"{where}: {first['message']}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error(
            "unhandled error on %s %s: %s", request.method, request.url.path, describe_error(exc)
        )
        return _error(500, "internal_error", "an unexpected error occurred; it has been logged")


def create_app(context: AppContext) -> FastAPI:
    """The application over ``context``. A single-worker server runs the nightly scan in
    itself when ``scan.embed_in_server`` is set."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What the start loaded (modules, routes, the rule pack) lives as long as the
        # process: kept out of the collector's full passes, which would otherwise walk it
        # all, stalling every request in flight for tens of milliseconds.
        gc.collect()
        gc.freeze()
        scheduler = None
        if context.settings.server.workers == 1:
            from wage_guard.jobs.scheduler import start_embedded

            scheduler = start_embedded(context)
        try:
            yield
        finally:
            context.close_token_reader()
            if scheduler is not None:
                scheduler.shutdown(wait=False)

    app = FastAPI(
        title="wage_guard",
        version=__version__,
        summary="Early warning of wage arrears on construction projects (农民工工资支付监控预警).",
        lifespan=lifespan,
        responses=COMMON_ERRORS,
    )
    app.state.context = context
    app.state.registry = CollectorRegistry()
    app.state.request_metrics = RequestMetrics(app.state.registry)
    app.state.database_metrics = DatabaseMetrics(context, app.state.registry)
    _install_error_handlers(app)
    limit = int(context.settings.imports.max_file_mb * 1024 * 1024)
    app.add_middleware(UploadLimitMiddleware, limit=limit, prefixes=(f"{API_PREFIX}/imports",))
    app.add_middleware(MetricsMiddleware, metrics=app.state.request_metrics)

    @app.get(f"{API_PREFIX}/version", response_model=Version, tags=["service"])
    def version() -> Version:
        """The service's name and version (no database, no token)."""
        return Version(name="wage_guard", version=__version__)

    _include_routers(app)
    return app


def _include_routers(app: FastAPI) -> None:
    from wage_guard.alerts.router import router as alerts
    from wage_guard.auth.router import router as auth
    from wage_guard.imports.router import router as imports
    from wage_guard.monitoring.router import router as monitoring
    from wage_guard.projects.router import router as projects
    from wage_guard.scan.router import router as scans
    from wage_guard.web import install as install_pages
    from wage_guard.workers.router import router as workers

    for router in (auth, alerts, projects, workers, imports, scans, monitoring):
        app.include_router(router, prefix=API_PREFIX)
    install_pages(app, app.state.context)


def app_from_environment() -> FastAPI:
    """The app from ``$WAGE_GUARD_CONFIG`` and ``WAGE_GUARD_*`` variables: the factory for
    ``uvicorn --factory wage_guard.app:app_from_environment --workers N``."""
    from wage_guard.config import load_settings

    return create_app(AppContext(load_settings()))
