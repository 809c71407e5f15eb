"""Uploads: refused over the configured size before the body is read (FORMATS.md, "Limits"),
and imported with the sender's scope once received.

A declared ``Content-Length`` over the limit is answered 413 at once; a body without one
(chunked) is counted as it arrives and refused as soon as it passes the limit, so that no
oversized body is ever spooled to disk.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import tempfile

from fastapi import UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wage_guard.auth.service import Principal
from wage_guard.context import AppContext
from wage_guard.imports.schemas import ImportReport
from wage_guard.imports.service import import_file

_COPY_BUFFER = 1024 * 1024


class BodyTooLarge(Exception):
    """The body being received has passed the limit."""


def _too_large_body(limit: int) -> bytes:
    message = f"the upload is larger than the limit of {limit / 1024 / 1024:g} MB"
    return json.dumps(
        {"error": {"code": "too_large", "message": message, "details": {"limit_bytes": limit}}}
    ).encode()


class UploadLimitMiddleware:
    """413 for a request to ``prefix`` whose body is over ``limit`` bytes."""

    def __init__(self, app: ASGIApp, *, limit: int, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.limit = limit
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        exceeded = False
        refused = False

        async def counted() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def answer(message: Message) -> None:
            # Whatever the app makes of a body cut short (a parse error), the answer is 413.
            nonlocal refused
            if not exceeded:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(send)

        try:
            await self.app(scope, counted, answer)
        except BodyTooLarge:
            if not refused:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = _too_large_body(self.limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def upload_name(filename: str | None) -> str:
    """The upload's own name without any folder a client sent with it (``/`` or ``\\``)."""
    return re.split(r"[\\/]", filename or "")[-1].strip() or "upload"


def _disk_name(name: str) -> str:
    """``name`` when a file may be stored under it as is, else ``upload`` with its suffix;
    kept so that the import's messages name the file as the submitter knows it."""
    if name not in (".", "..") and "\x00" not in name and len(name.encode()) <= 200:
        return name
    suffix = pathlib.PurePosixPath(name).suffix
    plain = len(suffix) <= 10 and suffix[1:].isascii() and suffix[1:].isalnum()
    return "upload" + (suffix if plain else "")


def import_upload(
    context: AppContext,
    *,
    kind: str,
    upload: UploadFile,
    principal: Principal,
    dry_run: bool = False,
) -> ImportReport:
    """Import a received file as ``principal``: a contractor's rows only for its own
    projects, a bank's only for its own accounts (rows outside are row errors)."""
    codes, banks = principal.credit_codes_scope, principal.banks_scope
    name = upload_name(upload.filename)
    with tempfile.TemporaryDirectory(prefix="wage-guard-upload-") as directory:
        path = pathlib.Path(directory) / _disk_name(name)
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, _COPY_BUFFER)
        return import_file(
            context.engine,
            kind=kind,
            path=path,
            limits=context.settings.imports,
            file_name=name,
            dry_run=dry_run,
            submitted_by=principal.name,
            contractor_credit_codes=set(codes) if codes is not None else None,
            bank_names=set(banks) if banks is not None else None,
        )
