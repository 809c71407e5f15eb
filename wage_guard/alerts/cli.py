"""``wage-guard alerts``: the inspectors' queue of warnings (预警), each alert's evidence and
history, and the actions of the lifecycle (RULES.md, "Lifecycle of an alert").

Every command opens its own transaction; a refused action prints why and exits 1. The
service (and pandas) are imported by the commands, not when the command line starts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from wage_guard.alerts.schemas import ACKNOWLEDGE_DAYS, MAX_SNOOZE_DAYS, Action
from wage_guard.console import app_context, refusals, stdout_console

if TYPE_CHECKING:
    pass

alerts_app = typer.Typer(help="List, read and act on warnings (预警).", no_args_is_help=True)

LEVEL_STYLES = {"red": "red", "orange": "dark_orange", "yellow": "yellow", "green": "green"}
# Alert tables carry messages: wider than the other commands' when written to a pipe.
PIPED_WIDTH = 160
UNTIL_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def console() -> Console:
    """Standard output at the terminal's width, or ``PIPED_WIDTH`` when it is no terminal."""
    return stdout_console(PIPED_WIDTH)


def styled(level: str) -> str:
    return f"[{LEVEL_STYLES.get(level, 'default')}]{level}[/]"


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@alerts_app.command("list")
def list_command(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(
            help="open, acknowledged, snoozed, resolved, dismissed, or active (the default: "
            "not closed), closed, all; repeat for several."
        ),
    ] = None,
    level: Annotated[
        list[str] | None, typer.Option(help="red, orange or yellow; repeat for several.")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Only this rule id.")] = None,
    project: Annotated[str | None, typer.Option(help="Only this project code.")] = None,
    district: Annotated[str | None, typer.Option(help="Only this district.")] = None,
    month_from: Annotated[str | None, typer.Option(help="Wage months from YYYY-MM.")] = None,
    month_to: Annotated[str | None, typer.Option(help="Wage months up to YYYY-MM.")] = None,
    text: Annotated[str | None, typer.Option(help="Search messages and project names.")] = None,
    sort: Annotated[str, typer.Option(help="risk, newest, oldest or last_seen.")] = "risk",
    limit: Annotated[int, typer.Option(help="At most this many alerts.")] = 100,
    offset: Annotated[int, typer.Option(help="Skip this many first.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
) -> None:
    """List alerts, riskiest first: by default every alert not yet closed."""
    from wage_guard.alerts.service import list_alerts

    context = app_context(ctx)
    with refusals(), context.transaction() as session:
        alerts, total = list_alerts(
            session,
            status=status,
            level=level,
            rule=rule,
            project=project,
            district=district,
            month_from=month_from,
            month_to=month_to,
            text=text,
            sort=sort,
            limit=limit,
            offset=offset,
        )
    if as_json:
        typer.echo(
            json.dumps([a.model_dump(mode="json") for a in alerts], ensure_ascii=False, indent=2)
        )
        return
    zone = ZoneInfo(context.settings.scan.time_zone)
    table = Table(box=box.SIMPLE_HEAD, caption=f"{len(alerts)} of {total} alerts")
    for column in ("id", "level", "status", "project", "district", "rule", "subject"):
        table.add_column(column, no_wrap=True)
    table.add_column("arrears", justify="right", no_wrap=True)
    table.add_column("workers", justify="right", no_wrap=True)
    table.add_column("first seen", no_wrap=True)
    table.add_column("message", overflow="fold")
    for alert in alerts:
        table.add_row(
            str(alert.id),
            styled(alert.level),
            alert.status,
            alert.project_code,
            alert.district,
            alert.rule,
            alert.subject or "",
            "" if alert.arrears is None else f"{alert.arrears:,}",
            "" if alert.workers_affected is None else str(alert.workers_affected),
            _local(alert.first_seen, zone),
            alert.message_zh,
        )
    console().print(table)


def _evidence_tables(evidence: dict[str, Any]) -> list[Table]:
    """The evidence as a two-column table, and each list of records in it (the workers
    involved, say) as a table of its own."""
    main = Table("evidence", "value", box=box.SIMPLE_HEAD, title="Evidence", title_justify="left")
    listed: list[Table] = []
    for key, value in evidence.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for record in value for k in record))
            sub = Table(*columns, box=box.SIMPLE_HEAD, title=key, title_justify="left")
            for record in value:
                sub.add_row(*(_plain(record.get(column)) for column in columns))
            listed.append(sub)
            main.add_row(key, f"{len(value)} (below)")
        else:
            main.add_row(key, _plain(value))
    return [main, *listed]


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@alerts_app.command("show")
def show_command(
    ctx: typer.Context,
    alert_id: Annotated[int, typer.Argument(metavar="ID", help="The alert's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the alert as JSON.")] = False,
) -> None:
    """Show one alert: what it says, the evidence that made it fire, and its full history."""
    from wage_guard.alerts.service import get_alert

    context = app_context(ctx)
    with refusals(), context.transaction() as session:
        alert = get_alert(session, alert_id=alert_id)
    if as_json:
        typer.echo(alert.model_dump_json(indent=2))
        return
    zone = ZoneInfo(context.settings.scan.time_zone)
    out = console()
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for label, value in (
        ("alert", f"{alert.id} (version {alert.version})"),
        ("level", styled(alert.level)),
        ("status", alert.status + (f" until {_local(alert.until, zone)}" if alert.until else "")),
        ("rule", alert.rule),
        ("project", f"{alert.project_code} {alert.project_name} ({alert.district})"),
        ("subject", alert.subject or "the project"),
        ("arrears", "" if alert.arrears is None else f"{alert.arrears:,} yuan"),
        ("workers", "" if alert.workers_affected is None else str(alert.workers_affected)),
        ("first seen", _local(alert.first_seen, zone)),
        ("last seen", _local(alert.last_seen, zone)),
        ("closed", _local(alert.closed_at, zone)),
        ("fingerprint", alert.fingerprint),
        ("message", alert.message_zh),
        ("", alert.message_en),
    ):
        head.add_row(label, value)
    out.print(head)
    for table in _evidence_tables(alert.evidence):
        out.print(table)
    history = Table(box=box.SIMPLE_HEAD, title="History", title_justify="left")
    for column in ("at", "by", "event", "status", "level"):
        history.add_column(column, no_wrap=True)
    history.add_column("reason", overflow="fold")
    for event in alert.events:
        history.add_row(
            _local(event.at, zone),
            event.actor,
            event.action,
            _change(event.from_status, event.to_status),
            _change(event.from_level, event.to_level),
            event.reason or "",
        )
    out.print(history)


def _change(before: str | None, after: str | None) -> str:
    if before == after:
        return before or ""
    return f"{before or ''} → {after or ''}".strip()


def _act(
    ctx: typer.Context,
    *,
    alert_id: int,
    action: Action,
    reason: str,
    by: str,
    until: datetime | None,
    version: int | None,
) -> None:
    from wage_guard.alerts.service import act

    context = app_context(ctx)
    zone = ZoneInfo(context.settings.scan.time_zone)
    when = None if until is None else until.replace(tzinfo=until.tzinfo or zone)
    with refusals(), context.transaction() as session:
        alert = act(
            session,
            alert_id=alert_id,
            action=action,
            reason=reason,
            actor=by,
            until=when,
            expected_version=version,
        )
        status, held_until, new_version = alert.status, alert.until, alert.version
    suffix = f" until {_local(held_until, zone)}" if held_until else ""
    typer.echo(f"alert {alert_id}: {status}{suffix} (version {new_version})")


ReasonOption = Annotated[str, typer.Option("--reason", help="Why (required, kept in history).")]
ByOption = Annotated[str, typer.Option("--by", help="Who is acting (kept in history).")]
IdArgument = Annotated[int, typer.Argument(metavar="ID", help="The alert's id.")]
VersionOption = Annotated[
    int | None,
    typer.Option("--version", help="Refuse if the alert is no longer at this version."),
]


def _command(action: Action, with_until: str | None) -> Callable[..., None]:
    """A command for ``action``; ``with_until`` is the help of its ``--until``, if it has one."""
    if with_until is None:

        def command(
            ctx: typer.Context,
            alert_id: IdArgument,
            reason: ReasonOption,
            by: ByOption,
            version: VersionOption = None,
        ) -> None:
            _act(
                ctx,
                alert_id=alert_id,
                action=action,
                reason=reason,
                by=by,
                until=None,
                version=version,
            )

        return command

    def command_until(
        ctx: typer.Context,
        alert_id: IdArgument,
        reason: ReasonOption,
        by: ByOption,
        until: datetime | None = typer.Option(
            None, "--until", formats=UNTIL_FORMATS, help=with_until
        ),
        version: VersionOption = None,
    ) -> None:
        _act(
            ctx,
            alert_id=alert_id,
            action=action,
            reason=reason,
            by=by,
            until=until,
            version=version,
        )

    return command_until


_HELD = (
    f"in scan.time_zone; a date alone means its first minute; at most {MAX_SNOOZE_DAYS} days ahead."
)
for name, action, summary, until_help in (
    (
        "ack",
        Action.ACKNOWLEDGE,
        "Acknowledge: being verified (核查中); back to open when the date passes.",
        f"Until when (default {ACKNOWLEDGE_DAYS} days), {_HELD}",
    ),
    (
        "snooze",
        Action.SNOOZE,
        "Snooze until a date, then back to open.",
        f"Until when (required), {_HELD}",
    ),
    ("resolve", Action.RESOLVE, "Resolve (销号): the arrears are settled.", None),
    ("dismiss", Action.DISMISS, "Dismiss as a false positive; fires again if it grows.", None),
    ("comment", Action.COMMENT, "Add a comment to the history.", None),
    ("reopen", Action.REOPEN, "Reopen a resolved or dismissed alert.", None),
):
    alerts_app.command(name, help=summary)(_command(action, until_help))
