"""``wage-guard users`` and ``tokens``: a token printed once, stored as a digest, revocable."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.scan.builders import credit_code
from wage_guard.app import create_app
from wage_guard.auth.service import digest
from wage_guard.cli import app
from wage_guard.config import Settings
from wage_guard.context import AppContext
from wage_guard.models import ApiToken


def _token(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_users_add_prints_a_token_that_is_stored_as_a_digest(
    cli: CliRunner, engine: sa.Engine, settings: Settings
) -> None:
    result = cli.invoke(
        app, ["users", "add", "张三", "--role", "inspector", "--district", "和平区"]
    )
    assert result.exit_code == 0, result.output
    token = _token(result.stdout)
    assert token.startswith("wg_")
    with engine.connect() as conn:
        stored = conn.execute(sa.select(ApiToken.digest, ApiToken.prefix)).all()
    assert stored == [(digest(token), token[:12])]
    with TestClient(create_app(AppContext(settings))) as client:
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["districts"] == ["和平区"]
    assert "triage" in me.json()["permissions"]


def test_revoked_token_gets_401(cli: CliRunner, settings: Settings) -> None:
    added = cli.invoke(
        app, ["users", "add", "c1", "--role", "contractor", "--credit-code", credit_code(1)]
    )
    first = _token(added.stdout)
    second = _token(cli.invoke(app, ["tokens", "issue", "c1"]).stdout)
    assert first != second
    revoked = cli.invoke(app, ["tokens", "revoke", "1"])
    assert revoked.exit_code == 0, revoked.output
    with TestClient(create_app(AppContext(settings))) as client:
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"}).status_code
            == 401
        )
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code
            == 200
        )
        cli.invoke(app, ["tokens", "revoke", "--user", "c1"])
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code
            == 401
        )


def test_users_add_refuses_a_scope_that_does_not_fit_the_role(cli: CliRunner) -> None:
    result = cli.invoke(app, ["users", "add", "c1", "--role", "contractor"])
    assert result.exit_code == 1
    assert "credit-code" in result.stderr
    result = cli.invoke(app, ["users", "add", "b", "--role", "bank", "--district", "和平区"])
    assert result.exit_code == 1
    assert cli.invoke(app, ["users", "add", "x", "--role", "boss"]).exit_code == 1
    ok = cli.invoke(app, ["users", "add", "a", "--role", "admin"])
    assert ok.exit_code == 0
    again = cli.invoke(app, ["users", "add", "a", "--role", "admin"])
    assert again.exit_code == 1
    assert "exists" in again.stderr
