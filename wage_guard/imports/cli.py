"""``wage-guard import KIND FILE``: the command line of the imports.

One command per kind of file (FORMATS.md, "The five kinds"). The exit code is 0 when the
file was imported, was already imported, or is valid (``--dry-run``), and 1 when it was
rejected, with every error listed. The import's modules (and pandas) are loaded by the
command that runs, not when the command line starts.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from wage_guard.console import app_context, err_console
from wage_guard.imports.kinds import KINDS, Kind

if TYPE_CHECKING:
    from wage_guard.imports.schemas import ImportReport

import_app = typer.Typer(
    help="Import a file of projects, roster, payroll, escrow or minimum wages.",
    no_args_is_help=True,
)


def _submitter() -> str | None:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return None


@contextmanager
def _progress(kind: Kind) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on standard error when it is a terminal; nothing otherwise."""
    if not err_console.is_terminal:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn(f"importing {kind.name}"),
        TextColumn("{task.completed:,} rows"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(kind.name, total=None)
        yield lambda rows: bar.update(task, completed=rows)


def _summary(report: ImportReport) -> str:
    rows = f"{report.rows:,} row{'s' if report.rows != 1 else ''}"
    if report.status == "imported":
        return (
            f"imported {report.kind} file {report.file} as batch {report.batch_id}: {rows}; "
            f"{report.inserted:,} inserted, {report.replaced:,} replaced, "
            f"{report.unchanged:,} unchanged"
        )
    if report.status == "duplicate":
        return f"{report.file} was already imported as batch {report.batch_id}; nothing was written"
    if report.status == "valid":
        return (
            f"dry run: {report.kind} file {report.file} is valid: {rows}; would insert "
            f"{report.inserted:,}, replace {report.replaced:,} and leave {report.unchanged:,} "
            "unchanged; nothing was written"
        )
    count = len(report.errors)
    batch = f" (batch {report.batch_id})" if report.batch_id is not None else ""
    return (
        f"rejected {report.kind} file {report.file}{batch}: {count:,} "
        f"error{'s' if count != 1 else ''} in {rows}; nothing was imported"
    )


def _print_errors(report: ImportReport, console: Console) -> None:
    """Every error: a table on a terminal, one plain line each otherwise."""
    if console.is_terminal:
        table = Table(box=box.SIMPLE_HEAD)
        for heading in ("row", "column", "code", "value", "message"):
            table.add_column(heading, justify="right" if heading == "row" else "left")
        for error in report.errors:
            table.add_row(
                "file" if error.row is None else str(error.row),
                error.column or "",
                error.code,
                error.value or "",
                error.message,
            )
        console.print(table)
        return
    for error in report.errors:
        where = "file" if error.row is None else f"row {error.row}"
        parts = [where, error.column, error.code, error.value]
        console.print(f"{', '.join(p for p in parts if p)}: {error.message}", soft_wrap=True)


def _command(kind: Kind) -> Callable[..., None]:
    def command(
        ctx: typer.Context,
        file: Annotated[
            Path,
            typer.Argument(
                exists=True, dir_okay=False, readable=True, help="The .csv or .xlsx file."
            ),
        ],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Validate everything, write nothing.")
        ] = False,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the report as one JSON object.")
        ] = False,
    ) -> None:
        from wage_guard.imports.service import import_file

        context = app_context(ctx)
        with _progress(kind) as progress:
            report = import_file(
                context.engine,
                kind=kind.name,
                path=file,
                limits=context.settings.imports,
                dry_run=dry_run,
                submitted_by=_submitter(),
                progress=progress,
            )
        out = Console(highlight=False, markup=False, soft_wrap=True)
        if as_json:
            sys.stdout.write(report.model_dump_json() + "\n")
        else:
            out.print(_summary(report))
            for warning in report.warnings:
                out.print(f"warning: {warning}")
            if report.errors:
                _print_errors(report, out)
        if report.status == "rejected":
            raise typer.Exit(1)

    article = "an" if kind.name[0] in "aeiou" else "a"
    command.__doc__ = (
        f"Import {article} {kind.name} file ({kind.title_zh}); a file with any invalid row "
        "imports nothing and lists every error."
    )
    return command


for _kind in KINDS.values():
    import_app.command(_kind.name)(_command(_kind))
