"""The ``wage-guard`` command line: one entry for operators, contractors' clerks and inspectors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wage_guard.config import ConfigError, load_settings
from wage_guard.console import app_context, err_console
from wage_guard.context import AppContext

app = typer.Typer(
    name="wage-guard",
    help=(
        "wage_guard watches construction projects' wage payments and warns before wage "
        "arrears (欠薪) happen."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    add_completion=False,
)
db_app = typer.Typer(help="Create or upgrade the database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def main_callback(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Settings file (TOML); default $WAGE_GUARD_CONFIG, else built-in defaults.",
            envvar="WAGE_GUARD_CONFIG",
            show_envvar=False,
        ),
    ] = None,
) -> None:
    """Read the settings once, before any command runs."""
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {exc}", markup=True)
        raise typer.Exit(2) from exc
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


@db_app.command("upgrade")
def db_upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database to the newest schema (creates it when empty)."""
    from wage_guard.db.migrate import current_revision, upgrade

    context = app_context(ctx)
    upgrade(context.engine, revision)
    typer.echo(f"database at revision {current_revision(context.engine)}")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema revision of the database."""
    from wage_guard.db.migrate import current_revision, head_revision

    context = app_context(ctx)
    current = current_revision(context.engine)
    head = head_revision()
    state = "up to date" if current == head else f"behind (head is {head})"
    typer.echo(f"{current or 'empty'}: {state}")


def _register_commands() -> None:
    """Attach the command groups that live beside their domain."""
    from wage_guard.alerts.cli import alerts_app
    from wage_guard.auth.cli import tokens_app, users_app
    from wage_guard.demo.cli import demo_app
    from wage_guard.imports.cli import import_app
    from wage_guard.jobs.cli import scheduler_command
    from wage_guard.projects.cli import projects_app
    from wage_guard.scan.cli import rules_app, scan_command
    from wage_guard.serve import serve_command

    app.add_typer(import_app, name="import")
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(projects_app, name="projects")
    app.add_typer(demo_app, name="demo")
    app.command("scan")(scan_command)
    app.add_typer(rules_app, name="rules")
    app.command("scheduler")(scheduler_command)
    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command("serve")(serve_command)


_register_commands()


def main() -> None:
    """Entry point of the ``wage-guard`` console script."""
    app()
