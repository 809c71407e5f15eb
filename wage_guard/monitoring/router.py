"""Health and metrics (``/healthz``, ``/metrics``), for load balancers and Prometheus: no token
(RELIABILITY 13). Neither tells more than counts and times."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from wage_guard.deps import ContextDep
from wage_guard.monitoring.health import Health, HealthStatus, check_health

router = APIRouter(tags=["monitoring"])


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database does not answer."}},
)
def healthz(context: ContextDep, response: Response) -> Health:
    """``ok``, ``degraded`` when no scan succeeded within 26 hours, or ``down`` (503) when the
    database does not answer; with the last successful scan."""
    health = check_health(context.engine)
    if health.status is HealthStatus.DOWN:
        response.status_code = 503
    return health


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"schema": {"type": "string"}}},
            "description": "The Prometheus text exposition format.",
        }
    },
)
def metrics(request: Request) -> Response:
    """Requests by route and status and their latency, and the database's figures: scan runs
    by status, the age of the last successful scan, alerts by level and status, import
    batches by kind and status."""
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
