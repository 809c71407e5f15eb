"""``wage-guard projects``: projects ranked by risk grade and score (RULES.md, "Project risk
grade"), the order in which inspectors work through them."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from wage_guard.alerts.cli import console, styled
from wage_guard.console import app_context, refusals

projects_app = typer.Typer(help="Projects and their risk grades.", no_args_is_help=True)


@projects_app.command("list")
def list_command(
    ctx: typer.Context,
    sort: Annotated[str, typer.Option(help="risk (red first, highest score) or code.")] = "risk",
    district: Annotated[str | None, typer.Option(help="Only this district.")] = None,
    grade: Annotated[str | None, typer.Option(help="Only red, orange, yellow or green.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many projects.")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List projects with their grade, score and open alerts by level."""
    from wage_guard.projects.service import list_projects

    with refusals(), app_context(ctx).transaction() as session:
        projects, total = list_projects(
            session, sort=sort, district=district, grade=grade, limit=limit, offset=offset
        )
    if as_json:
        typer.echo(
            json.dumps([p.model_dump(mode="json") for p in projects], ensure_ascii=False, indent=2)
        )
        return
    table = Table(box=box.SIMPLE_HEAD, caption=f"{len(projects)} of {total} projects")
    for column in ("code", "name", "district", "contractor", "grade"):
        table.add_column(column, overflow="fold")
    for column in ("score", "red", "orange", "yellow"):
        table.add_column(column, justify="right", no_wrap=True)
    for project in projects:
        table.add_row(
            project.code,
            project.name,
            project.district,
            project.contractor,
            styled(project.risk_grade),
            f"{project.risk_score:.1f}",
            str(project.open_red),
            str(project.open_orange),
            str(project.open_yellow),
        )
    console().print(table)
