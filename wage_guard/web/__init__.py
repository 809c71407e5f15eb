"""The pages: server-rendered, Chinese first, over the same services, scopes and masking as
the API, signed in with an API token held in a signed session cookie."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from wage_guard.context import AppContext
from wage_guard.imports.upload import UploadLimitMiddleware

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "wage_guard_session"
SESSION_DAYS = 7


class PageSessionMiddleware(SessionMiddleware):
    """Starlette's signed session cookie, for the pages only: the API (``/api/``) takes no
    cookie, so its requests are passed on untouched."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def install(app: FastAPI, context: AppContext) -> None:
    """Add the pages, their static files, the session cookie and the upload limit to ``app``.

    The session is signed with ``server.secret_key``; when that is empty, with a key made
    for this process, so sessions end when the server restarts.
    """
    from wage_guard.web.router import router

    settings = context.settings.server
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    limit = int(context.settings.imports.max_file_mb * 1024 * 1024)
    app.add_middleware(UploadLimitMiddleware, limit=limit, prefixes=("/imports",))
    app.add_middleware(
        PageSessionMiddleware,
        secret_key=settings.secret_key or secrets.token_urlsafe(48),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_DAYS * 86400,
        same_site="lax",
        https_only=settings.https,
    )
