"""``wage-guard serve``: the API and the pages, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from wage_guard.console import app_context, err_console


def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on [default: server.host].")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to listen on [default: server.port].")
    ] = None,
) -> None:
    """Serve the API (/api/v1, OpenAPI at /docs) and the pages on HOST:PORT."""
    import uvicorn

    from wage_guard.app import create_app
    from wage_guard.db.migrate import current_revision, head_revision

    context = app_context(ctx)
    server = context.settings.server
    if current_revision(context.engine) != head_revision():
        err_console.print(
            "[red]error:[/red] the database is not at the newest schema; "
            "run `wage-guard db upgrade` first",
            markup=True,
        )
        raise typer.Exit(1)
    if server.workers > 1:
        err_console.print(
            "[red]error:[/red] serve runs one worker process; run several behind a proxy "
            "with `uvicorn --factory wage_guard.app:app_from_environment --workers N`",
            markup=True,
        )
        raise typer.Exit(2)
    uvicorn.run(
        create_app(context),
        host=host or server.host,
        port=port or server.port,
        log_level=context.settings.log_level.lower(),
        proxy_headers=True,
    )
