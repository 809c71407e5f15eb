"""``wage-guard demo``: the whole demo on its own SQLite file, ending with working tokens."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from wage_guard.app import create_app
from wage_guard.cli import app
from wage_guard.config import Settings
from wage_guard.context import AppContext


def test_demo_prints_tokens_that_open_the_api(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--as-of", "2026-11-20", "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    tokens = {line.split()[0]: line.rsplit(" ", 1)[-1] for line in lines[-2:]}
    assert set(tokens) == {"demo-inspector", "demo-contractor"}

    context = AppContext(Settings(database_url=f"sqlite:///{out / 'wage_guard.db'}"))
    with TestClient(create_app(context)) as client:
        seen = {}
        for name, token in tokens.items():
            answer = client.get(
                "/api/v1/alerts?limit=500", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200
            seen[name] = {item["project_code"] for item in answer.json()["items"]}
    context.close()
    assert seen["demo-contractor"]
    assert seen["demo-contractor"] < seen["demo-inspector"]
