"""``wage-guard scheduler``: the nightly scan and housekeeping, as a process or run once."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from wage_guard.console import app_context
from wage_guard.jobs.claims import JobRun, Outcome, new_owner
from wage_guard.jobs.nightly import catch_up, housekeeping
from wage_guard.jobs.scheduler import run_scheduler


def scheduler_command(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help=(
                "Scan today and the nights missed within the misfire grace, expire old "
                "snoozes and acknowledgements, then exit (for deployments driven by an "
                "outside cron). Exits 1 when a scan or one of its rules failed."
            ),
        ),
    ] = False,
) -> None:
    """Run the nightly scan on scan.cron in scan.time_zone, catching up missed nights at start,
    and housekeeping every 15 minutes, until SIGINT or SIGTERM. Run one per deployment."""
    context = app_context(ctx)
    logging.basicConfig(
        level=context.settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not once:
        run_scheduler(context)
        return
    runs = catch_up(context, owner=new_owner(), include_today=True)
    housekeeping(context)
    for run in runs:
        scan = f", scan run {run.summary.run_id} {run.summary.status}" if run.summary else ""
        typer.echo(f"{run.as_of}: {run.outcome}{scan}" + (f": {run.error}" if run.error else ""))
    if any(_went_wrong(run) for run in runs):
        raise typer.Exit(1)


def _went_wrong(run: JobRun) -> bool:
    if run.outcome in (Outcome.FAILED, Outcome.LOST):
        return True
    return run.summary is not None and run.summary.status != "succeeded"
