"""``wage-guard users`` and ``wage-guard tokens``: who may call the API, and their tokens.

A token is printed once, alone on the last line of the command's output, and stored only as
its digest (RELIABILITY 25).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich import box
from rich.table import Table

from wage_guard.console import app_context, err_console, refusals, stdout_console

users_app = typer.Typer(help="Create and list the users who call the API.", no_args_is_help=True)
tokens_app = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)


def _when(value: object) -> str:
    return "" if value is None else str(value)[:16]


@users_app.command("add")
def add_user(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user's name (unique).")],
    role: Annotated[
        str,
        typer.Option("--role", help="admin, inspector, contractor or bank.", show_default=False),
    ],
    district: Annotated[
        list[str] | None,
        typer.Option("--district", help="An inspector's district (repeat; none: all)."),
    ] = None,
    credit_code: Annotated[
        list[str] | None,
        typer.Option("--credit-code", help="A contractor's credit code (repeat)."),
    ] = None,
    bank: Annotated[
        list[str] | None, typer.Option("--bank", help="A bank user's bank name (repeat).")
    ] = None,
    can_reveal: Annotated[
        bool, typer.Option("--can-reveal", help="Let an inspector reveal full ID numbers.")
    ] = False,
) -> None:
    """Create a user and print its first API token, alone on the last line."""
    from wage_guard.auth.service import create_user, issue_token

    with refusals(), app_context(ctx).transaction() as session:
        user = create_user(
            session,
            name=name,
            role=role,
            districts=district or [],
            credit_codes=credit_code or [],
            banks=bank or [],
            can_reveal=can_reveal,
        )
        token = issue_token(session, user=user)
    scope = ", ".join(user.districts or user.credit_codes or user.banks) or "all"
    err_console.print(f"created {user.role} {user.name!r} (scope: {scope}); its API token:")
    typer.echo(token)


@users_app.command("list")
def list_users_command(ctx: typer.Context) -> None:
    """List the users with their roles and scopes."""
    from wage_guard.auth.service import list_users

    with refusals(), app_context(ctx).transaction() as session:
        users = list_users(session)
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("id", "name", "role", "scope", "reveal", "created", "disabled"):
        table.add_column(column)
    for user in users:
        scope = ", ".join(user.districts or user.credit_codes or user.banks) or "all"
        table.add_row(
            str(user.id),
            user.name,
            user.role,
            scope,
            "yes" if user.can_reveal or user.role == "admin" else "",
            _when(user.created_at),
            _when(user.disabled_at),
        )
    stdout_console().print(table)


@tokens_app.command("issue")
def issue_command(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user to issue a token for.")],
) -> None:
    """Issue another token for a user and print it, alone on the last line."""
    from wage_guard.auth.service import get_user, issue_token

    with refusals(), app_context(ctx).transaction() as session:
        token = issue_token(session, user=get_user(session, name=name))
    err_console.print(f"new API token of {name!r}:")
    typer.echo(token)


@tokens_app.command("list")
def list_tokens_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
) -> None:
    """List tokens by id and first characters (the tokens themselves are not kept)."""
    from wage_guard.auth.service import get_user, list_tokens, list_users

    with refusals(), app_context(ctx).transaction() as session:
        user = get_user(session, name=name) if name else None
        tokens = list_tokens(session, user=user)
        names = {u.id: u.name for u in list_users(session)}
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("id", "user", "starts with", "created", "last used", "revoked"):
        table.add_column(column)
    for token in tokens:
        table.add_row(
            str(token.id),
            names.get(token.user_id, ""),
            token.prefix + "…",
            _when(token.created_at),
            _when(token.last_used_at),
            _when(token.revoked_at),
        )
    stdout_console().print(table)


@tokens_app.command("revoke")
def revoke_command(
    ctx: typer.Context,
    token_id: Annotated[
        int | None, typer.Argument(metavar="[ID]", help="The token's id (see tokens list).")
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Revoke every token of this user instead.")
    ] = None,
) -> None:
    """Revoke a token by id, or every token of a user; a revoked token gets 401."""
    from wage_guard.auth.service import get_user, revoke_token, revoke_tokens

    if (token_id is None) == (user is None):
        err_console.print("[red]error:[/red] give a token id or --user, not both", markup=True)
        raise typer.Exit(2)
    with refusals(), app_context(ctx).transaction() as session:
        if token_id is not None:
            revoke_token(session, token_id=token_id)
            count = 1
        else:
            count = revoke_tokens(session, user=get_user(session, name=str(user)))
    typer.echo(f"revoked {count} token(s)")
