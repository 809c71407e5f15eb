"""What every command shares: the context it was started with, and where it prints."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console

from wage_guard.context import AppContext
from wage_guard.errors import DomainError

# Width of tables written to a file or a pipe (a log, cron mail), where no terminal says how
# wide to be: room for every column.
PIPED_WIDTH = 140

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console(piped_width: int = PIPED_WIDTH) -> Console:
    """Standard output at the terminal's width, or ``piped_width`` when it is no terminal."""
    return Console(highlight=False, width=None if sys.stdout.isatty() else piped_width)


def app_context(ctx: typer.Context) -> AppContext:
    """The context the ``wage-guard`` callback made, found from any sub-command."""
    obj = ctx.find_object(AppContext)
    if obj is None:  # pragma: no cover - the callback always runs first
        raise RuntimeError("settings were not loaded")
    return obj


@contextmanager
def refusals() -> Iterator[None]:
    """Print a domain error as one line on standard error and exit 1."""
    try:
        yield
    except DomainError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", markup=True)
        raise typer.Exit(1) from exc
