"""``wage-guard scan`` and ``wage-guard rules``: run the risk scan, list and validate the rules.

The scan's modules (and pandas) are imported by the commands that need them, not when the
command line starts.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table

from wage_guard.config import Settings
from wage_guard.console import app_context, err_console, stdout_console
from wage_guard.masking import mask_ids_in_text

if TYPE_CHECKING:
    from wage_guard.scan.model import LadderStep
    from wage_guard.scan.rules import LoadedRule
    from wage_guard.scan.schemas import ScanSummary

rules_app = typer.Typer(help="List and validate the rule pack.", no_args_is_help=True)

# Most severe first, as inspectors read them.
LEVEL_STYLES = {"red": "red", "orange": "dark_orange", "yellow": "yellow"}


def _fail(message: str, code: int) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {message}", markup=True)
    return typer.Exit(code)


def _rule_pack(settings: Settings, extra: list[Path] | None = None) -> list[LoadedRule]:
    """The configured pack (``scan.rule_dirs``, ``scan.replace_shipped_rules``) and ``extra``
    folders; a wrong rule ends the command with every error found."""
    from wage_guard.scan.rules import RuleError, load_rules

    try:
        return load_rules(
            [*settings.scan.rule_dirs, *(extra or [])],
            replace_shipped=settings.scan.replace_shipped_rules,
        )
    except RuleError as exc:
        for error in exc.errors:
            err_console.print(f"[red]error:[/red] {error}", markup=True)
        raise _fail(f"{len(exc.errors)} error(s) in the rule pack", 1) from exc


def _select(rules: list[LoadedRule], rule_ids: list[str]) -> list[LoadedRule]:
    """The rules named on the command line, in the pack's order."""
    from wage_guard.scan.model import Mode

    by_id = {rule.id: rule for rule in rules}
    unknown = [rule_id for rule_id in rule_ids if rule_id not in by_id]
    if unknown:
        raise _fail(f"unknown rule {', '.join(unknown)} (known: {', '.join(by_id)})", 2)
    disabled = [rule_id for rule_id in rule_ids if by_id[rule_id].rule.mode is Mode.DISABLED]
    if disabled:
        raise _fail(f"rule {', '.join(disabled)} is disabled", 2)
    return [rule for rule in rules if rule.id in rule_ids]


def scan_command(
    ctx: typer.Context,
    as_of: Annotated[
        datetime | None,
        typer.Option(
            "--as-of",
            formats=["%Y-%m-%d"],
            help="Scan as of this date (YYYY-MM-DD); default today in scan.time_zone.",
        ),
    ] = None,
    rule_ids: Annotated[
        list[str] | None,
        typer.Option("--rule", help="Run only this rule (repeat for several); default all."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Scan the data and raise, update or resolve warnings. Exits 1 unless every rule ran."""
    from wage_guard.scan.service import run_scan

    context = app_context(ctx)
    rules = _rule_pack(context.settings)
    if rule_ids:
        rules = _select(rules, rule_ids)
    day = as_of.date() if as_of else _today(context.settings)
    try:
        summary = run_scan(context.engine, as_of=day, rules=rules, trigger="cli")
    except Exception as exc:
        raise _fail(f"the scan failed: {mask_ids_in_text(str(exc))}", 1) from exc
    if as_json:
        typer.echo(summary.model_dump_json(indent=2))
    else:
        print_summary(summary)
    if summary.status != "succeeded":
        raise typer.Exit(1)


def _today(settings: Settings) -> date:
    return datetime.now(ZoneInfo(settings.scan.time_zone)).date()


def print_summary(summary: ScanSummary) -> None:
    """One row per rule: its findings per level, what the alert store did, how long it took
    and, for a failed rule, the kind of error, given in full below the table."""
    table = Table(
        title=f"Scan {summary.run_id} as of {summary.as_of}: {summary.status}",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("rule", overflow="fold")
    for level, style in LEVEL_STYLES.items():
        table.add_column(level, justify="right", style=style, no_wrap=True)
    for column in ("found", "new", "updated", "resolved", "held", "seconds"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("error", style="red", no_wrap=True)
    for rule_id, stats in summary.rules.items():
        counts = (stats.found, stats.new, stats.updated, stats.resolved, stats.held)
        table.add_row(
            rule_id if stats.mode == "active" else f"{rule_id} ({stats.mode})",
            *(str(stats.levels.get(level, 0)) for level in LEVEL_STYLES),
            *(str(count) for count in counts),
            f"{stats.seconds:.2f}",
            stats.error.split(":", 1)[0].rsplit(".", 1)[-1] if stats.error else "",
        )
    stdout_console().print(table)
    for rule_id, stats in summary.rules.items():
        if stats.error:
            err_console.print(f"[red]{rule_id} failed:[/red] {stats.error}", markup=True)


@rules_app.command("list")
def rules_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rules as JSON.")] = False,
) -> None:
    """List the rules: id, check, mode, titles, level ladder and parameters."""
    rules = _rule_pack(app_context(ctx).settings)
    if as_json:
        listing = [
            {
                "id": rule.id,
                "check": rule.check.name,
                "mode": rule.rule.mode.value,
                "title_zh": rule.rule.title_zh,
                "title_en": rule.rule.title_en,
                "ladder": [step.model_dump(exclude_none=True) for step in rule.rule.ladder],
                "params": rule.params.model_dump(mode="json"),
                "file": str(rule.path),
            }
            for rule in rules
        ]
        typer.echo(json.dumps(listing, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(rules)} rules")
    for column in ("id", "check", "mode"):
        table.add_column(column, no_wrap=True)
    table.add_column("title")
    for column in ("ladder", "params"):
        table.add_column(column, no_wrap=True)
    for rule in rules:
        params = rule.params.model_dump(mode="json")
        table.add_row(
            rule.id,
            rule.check.name,
            rule.rule.mode.value,
            f"{rule.rule.title_zh}\n{rule.rule.title_en}",
            "\n".join(_describe_step(step) for step in rule.rule.ladder),
            "\n".join(f"{name}={json.dumps(value)}" for name, value in params.items()),
        )
    stdout_console().print(table)


def _describe_step(step: LadderStep) -> str:
    for name, sign in (("at_least", ">="), ("above", ">"), ("below", "<"), ("at_most", "<=")):
        value = getattr(step, name)
        if value is not None:
            return f"{step.level} when {sign} {value:g}"
    return step.level


@rules_app.command("validate")
def rules_validate(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(help="A folder of rules to check along with the configured pack."),
    ] = None,
) -> None:
    """Load the configured rule pack, and FOLDER with it: OK with the count, or every error."""
    rules = _rule_pack(app_context(ctx).settings, [folder] if folder else None)
    stdout_console().print(f"OK: {len(rules)} rules")
