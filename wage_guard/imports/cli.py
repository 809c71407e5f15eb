"""``wage-guard import KIND FILE``: the command line of the imports."""

import typer

import_app = typer.Typer(
    help="Import a file of projects, roster, payroll, escrow or minimum wages."
)
