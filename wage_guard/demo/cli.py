"""``wage-guard demo``: generate a synthetic region and load it."""

import typer

demo_app = typer.Typer(help="Generate a realistic dataset and run wage_guard on it.")
