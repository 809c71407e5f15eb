"""Prometheus metrics of the API: requests by route and status, and their latency.

Each app has a registry of its own (tests build many apps). The route is its template
(``/api/v1/alerts/{alert_id}``), never the raw path, so that the labels stay few and carry
no identifiers.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RequestMetrics:
    """The request counter and latency histogram of one app."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "wage_guard_http_requests",
            "HTTP requests answered, by method, route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "wage_guard_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The path template of the route that matches the request, or ``unmatched``."""
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", ()):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


def included_template(scope: Scope, route: Any) -> str:
    """The template of the matched ``route`` with the prefix its router was included under
    (FastAPI hands the router's own route, whose path may lack it): the part of the request's
    path before the part the route's own pattern matches."""
    path, template = scope["path"], str(route.path)
    pattern = getattr(route, "path_regex", None)
    if pattern is None or pattern.match(path):
        return template
    for index in range(1, len(path)):
        if path[index] == "/" and pattern.match(path[index:]):
            return path[:index] + template
    return template


class MetricsMiddleware:
    """Counts and times every HTTP request (a pure ASGI middleware: no body buffering)."""

    def __init__(self, app: ASGIApp, *, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = (
                included_template(scope, route)
                if getattr(route, "path", None)
                else route_template(scope)
            )
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)
