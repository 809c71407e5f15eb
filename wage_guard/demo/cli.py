"""``wage-guard demo``: generate a synthetic region and load it."""

from __future__ import annotations

import time
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer

from wage_guard.config import ScanSettings, Settings
from wage_guard.context import AppContext

demo_app = typer.Typer(
    help="Generate a realistic dataset and run wage_guard on it.",
    invoke_without_command=True,
)


class ScaleName(StrEnum):
    """The sizes of region ``demo generate`` makes."""

    SMALL = "small"
    DISTRICT = "district"
    CITY = "city"


def today(ctx: typer.Context) -> date:
    """Today in the configured time zone (Asia/Shanghai unless set otherwise)."""
    context = ctx.find_object(AppContext)
    zone = context.settings.scan.time_zone if context else ScanSettings().time_zone
    return datetime.now(ZoneInfo(zone)).date()


@demo_app.command("generate")
def generate_command(
    ctx: typer.Context,
    scale: Annotated[
        ScaleName,
        typer.Option(
            help="small: ~60 projects, every rule planted; district: ~1,000 projects; "
            "city: ~8,000 projects."
        ),
    ] = ScaleName.SMALL,
    seed: Annotated[
        int, typer.Option(help="The same seed, scale and date give the same files.")
    ] = 1,
    out: Annotated[
        Path, typer.Option(help="Folder to write the files and manifest.json into.")
    ] = Path("demo-data"),
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="The scan date the data is made for (YYYY-MM-DD); default today.",
        ),
    ] = None,
) -> None:
    """Write a synthetic region's import files, with planted problems, and its manifest."""
    from wage_guard.demo.generate import SCALES, generate

    day = as_of.date() if as_of else today(ctx)
    started = time.perf_counter()
    manifest = generate(SCALES[scale.value], seed=seed, out=out, as_of=day)
    counts = manifest["counts"]
    typer.echo(
        f"{scale.value} region as of {day.isoformat()} (seed {seed}) in {out}: "
        f"{len(manifest['files'])} files, {counts['projects']:,} projects, "
        f"{counts['workers']:,} workers, {counts['roster_rows']:,} roster rows, "
        f"{counts['payroll_rows']:,} payroll rows, {counts['transactions']:,} transactions; "
        f"{len(manifest['planted'])} planted problems, "
        f"{len(manifest['clean_projects'])} clean projects "
        f"({time.perf_counter() - started:.1f} s)"
    )


@demo_app.callback()
def demo_command(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option(help="Folder for the generated files and the demo database.")
    ] = Path("demo-data"),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic region.")] = 1,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of", formats=["%Y-%m-%d"], help="Date of the data and the scan; default today."
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            "--serve/--no-serve", help="Serve the pages and the API on the demo data at the end."
        ),
    ] = True,
    port: Annotated[
        int | None, typer.Option("--port", help="Port to serve on [default: server.port].")
    ] = None,
) -> None:
    """Generate the small region, load it into a fresh SQLite database, scan it, show the
    warnings and the riskiest projects, then serve the pages on 127.0.0.1 with the tokens of
    a demo inspector and a demo contractor."""
    if ctx.invoked_subcommand is not None:
        return
    from wage_guard.demo.run import run_demo

    context = ctx.find_object(AppContext)
    settings = context.settings if context else Settings()
    result = run_demo(
        out=out, seed=seed, as_of=as_of.date() if as_of else today(ctx), settings=settings
    )
    typer.echo("")
    typer.echo("Sign in with these API tokens (also: Authorization: Bearer <token>):")
    for user in result.users:
        typer.echo(f"  {user.name} ({user.role}, {user.scope}): {user.token}")
    if not serve:
        return
    _serve(settings.model_copy(update={"database_url": result.database_url}), port)


def _serve(settings: Settings, port: int | None) -> None:
    """Serve the app on 127.0.0.1 (this machine only) until interrupted."""
    import uvicorn

    from wage_guard.app import create_app

    port = port or settings.server.port
    typer.echo("")
    typer.echo(f"Open http://127.0.0.1:{port}/ (API: http://127.0.0.1:{port}/docs); Ctrl-C stops.")
    context = AppContext(settings)
    try:
        uvicorn.run(create_app(context), host="127.0.0.1", port=port, log_level="warning")
    finally:
        context.close()
