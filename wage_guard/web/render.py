"""Rendering the pages: the templates, what every page is given, and the error pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from wage_guard.auth.schemas import Permission
from wage_guard.deps import get_context
from wage_guard.errors import DomainError, Unauthorized
from wage_guard.web.i18n import evidence_label, language, translator
from wage_guard.web.session import CSRF_FIELD, csrf_token

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
LANG_COOKIE = "lang"
# Pages are never framed by another site, and say so once for all.
PAGE_HEADERS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}


def _money(value: Any) -> str:
    if value is None or value == "":
        return "—"
    try:
        return f"{Decimal(str(value)):,.2f}"
    except ArithmeticError:
        return str(value)


def _cell(value: Any) -> str:
    """An evidence value as a table cell shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return ", ".join(_cell(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_cell(item)}" for key, item in value.items())
    return str(value)


templates.env.filters["money"] = _money
templates.env.filters["cell"] = _cell
templates.env.globals["Permission"] = Permission
templates.env.globals["CSRF_FIELD"] = CSRF_FIELD


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """``name`` rendered for the request's person, in their language."""
    lang = language(request.cookies.get(LANG_COOKIE))
    zone = ZoneInfo(get_context(request).settings.scan.time_zone)

    def when(value: datetime | date | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return value.isoformat()

    def page_url(**changes: Any) -> str:
        """This page's address with some query parameters changed (None: removed)."""
        params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
        for key, value in changes.items():
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            params.extend((key, str(v)) for v in values)
        query = urlencode(params)
        return request.url.path + ("?" + query if query else "")

    t = translator(lang)

    def kind_label(kind: str) -> str:
        """An import kind's title, or the kind itself when it has none."""
        title = t(f"kind_{kind}")
        return kind if title == f"kind_{kind}" else title

    values = {
        "t": t,
        "kind_label": kind_label,
        "label": lambda key: evidence_label(lang, key),
        "lang": lang,
        "principal": getattr(request.state, "principal", None),
        "csrf": csrf_token(request),
        "when": when,
        "page_url": page_url,
        "path": request.url.path,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


_ERROR_TITLES = {403: "forbidden", 404: "not_found", 422: "invalid"}


def error_page(request: Request, status_code: int, message: str) -> Response:
    """The page for a refusal: 404 outside the scope, 403 for the role, 422 for input."""
    title = _ERROR_TITLES.get(status_code, "error")
    return render(
        request,
        "error.html",
        {"status": status_code, "title": title, "message": message},
        status_code=status_code,
    )


def sign_in_url(target: str) -> str:
    return "/sign-in?" + urlencode({"next": target})


class PageRoute(APIRoute):
    """A page: a domain error becomes its error page, a missing sign-in the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Unauthorized:
                request.state.page_failed = True
                target = request.url.path
                if request.method == "GET" and request.url.query:
                    target += "?" + request.url.query
                return RedirectResponse(sign_in_url(target), status_code=303)
            except DomainError as exc:
                request.state.page_failed = True
                return error_page(request, exc.status_code, exc.message)
            except RequestValidationError as exc:
                request.state.page_failed = True
                errors = exc.errors()
                location = ".".join(str(part) for part in errors[0]["loc"]) if errors else ""
                message = f"{location}: {errors[0]['msg']}" if errors else "invalid request"
                return error_page(request, 422, message)

        return page_handler
