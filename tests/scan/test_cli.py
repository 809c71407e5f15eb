"""``wage-guard scan`` and ``wage-guard rules`` from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.scan.builders import load
from tests.scan.scans import DATA, alerts, explode, use_check
from wage_guard.cli import app
from wage_guard.scan import service
from wage_guard.scan.rules import SHIPPED_RULES

SHIPPED = sorted(path.stem for path in SHIPPED_RULES.glob("*.toml"))


def write_rule(folder: Path, name: str, body: str) -> Path:
    """A rule file ``name``.toml in ``folder`` with a valid title and ladder around ``body``."""
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.toml"
    path.write_text(
        f'title_zh = "测试"\ntitle_en = "Test"\n{body}\n[[ladder]]\nlevel = "yellow"\n',
        encoding="utf-8",
    )
    return path


def scan(cli: CliRunner, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``wage-guard scan --json ARGS``: the exit code and the summary."""
    result = cli.invoke(app, ["scan", "--json", *args])
    assert result.stdout, result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def rule_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder configured as ``scan.rule_dirs``; empty until a test writes rules in it."""
    folder = tmp_path / "rules"
    folder.mkdir()
    monkeypatch.setenv("WAGE_GUARD_SCAN__RULE_DIRS", json.dumps([str(folder)]))
    return folder


def test_scan_prints_a_summary_per_rule_and_level(cli: CliRunner, engine: sa.Engine) -> None:
    load(engine, DATA)
    result = cli.invoke(app, ["scan", "--as-of", "2026-03-01", "--rule", "wages_unpaid"])
    assert result.exit_code == 0, result.output
    assert "as of 2026-03-01: succeeded" in result.output
    header = next(line for line in result.output.splitlines() if "rule" in line)
    for column in ("red", "orange", "yellow", "found", "new", "updated", "resolved", "seconds"):
        assert column in header
    [row] = [line.split() for line in result.output.splitlines() if "wages_unpaid" in line]
    # red, orange, yellow, found, new, updated, resolved, held
    assert row[1:9] == ["1", "0", "1", "2", "2", "0", "0", "0"]


def test_scan_runs_the_whole_pack_by_default(cli: CliRunner, engine: sa.Engine) -> None:
    load(engine, DATA)
    code, summary = scan(cli, "--as-of", "2026-03-01")
    assert code == 0, summary
    assert sorted(summary["rules"]) == SHIPPED
    assert {
        rule_id: stats["error"] for rule_id, stats in summary["rules"].items()
    } == dict.fromkeys(SHIPPED)


def test_rule_restricts_the_scan(cli: CliRunner, engine: sa.Engine, rule_dir: Path) -> None:
    load(engine, DATA)
    write_rule(rule_dir, "twin", 'id = "twin"\ncheck = "wages_unpaid"')
    code, summary = scan(cli, "--as-of", "2026-03-01", "--rule", "twin")
    assert code == 0
    assert list(summary["rules"]) == ["twin"]
    assert {rule_id for rule_id, *_ in alerts(engine)} == {"twin"}


def test_an_unknown_rule_is_refused(cli: CliRunner) -> None:
    result = cli.invoke(app, ["scan", "--rule", "wages_unpaid", "--rule", "no_such_rule"])
    assert result.exit_code == 2
    assert "unknown rule no_such_rule" in result.output
    assert "wages_unpaid" in result.output


def test_a_scan_as_of_a_past_date_does_not_see_later_data(
    cli: CliRunner, engine: sa.Engine
) -> None:
    load(
        engine,
        {
            "projects": [{"code": "P1"}],
            "payroll": [
                # January paid late, on April 1st; March not paid at all.
                {
                    "project": "P1",
                    "month": "2026-01",
                    "worker": 1,
                    "paid_on": "2026-04-01",
                },
                {"project": "P1", "month": "2026-03", "worker": 1, "paid": "0"},
            ],
        },
    )
    code, summary = scan(cli, "--as-of", "2026-02-20", "--rule", "wages_unpaid")
    assert code == 0
    assert summary["as_of"] == "2026-02-20"
    assert alerts(engine) == [("wages_unpaid", "P1", "2026-01", "red", "open")]
    scan(cli, "--as-of", "2026-04-20", "--rule", "wages_unpaid")
    assert alerts(engine) == [
        ("wages_unpaid", "P1", "2026-01", "red", "resolved"),
        ("wages_unpaid", "P1", "2026-03", "red", "open"),
    ]


def test_the_default_date_is_today_in_the_configured_time_zone(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAGE_GUARD_SCAN__TIME_ZONE", "Pacific/Kiritimati")
    code, summary = scan(cli, "--rule", "wages_unpaid")
    assert code == 0
    assert summary["as_of"] == datetime.now(ZoneInfo("Pacific/Kiritimati")).date().isoformat()


def test_a_failing_rule_makes_the_scan_partial_and_exit_non_zero(
    cli: CliRunner, engine: sa.Engine, rule_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, DATA)
    use_check(monkeypatch, "test_explodes", explode)
    write_rule(rule_dir, "doomed", 'id = "doomed"\ncheck = "test_explodes"')
    code, summary = scan(cli, "--as-of", "2026-03-01", "--rule", "doomed", "--rule", "wages_unpaid")
    assert code == 1
    assert summary["status"] == "partial"
    assert summary["rules"]["doomed"]["error"] == "RuntimeError: check exploded"
    assert summary["rules"]["wages_unpaid"]["new"] == 2

    result = cli.invoke(app, ["scan", "--as-of", "2026-03-01", "--rule", "doomed"])
    assert result.exit_code == 1
    assert "failed" in result.output
    assert "RuntimeError: check exploded" in result.output


def test_a_scan_that_fails_outside_its_rules_says_so(
    cli: CliRunner, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("risk grades unavailable")

    monkeypatch.setattr(service, "refresh_project_risk", refuse)
    result = cli.invoke(app, ["scan", "--rule", "wages_unpaid"])
    assert result.exit_code == 1
    assert "error: the scan failed: risk grades unavailable" in result.output
    with engine.connect() as conn:
        status, error = conn.execute(sa.text("SELECT status, error FROM scan_runs")).one()
    assert (status, error) == ("failed", "RuntimeError: risk grades unavailable")


def test_a_wrong_rule_pack_stops_the_scan_before_it_starts(
    cli: CliRunner, engine: sa.Engine, rule_dir: Path
) -> None:
    write_rule(rule_dir, "bad", 'id = "bad"\ncheck = "no_such_check"')
    result = cli.invoke(app, ["scan"])
    assert result.exit_code == 1
    assert "unknown check 'no_such_check'" in result.output
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM scan_runs")).scalar() == 0


# -- rules list and validate (no database needed) ------------------------------------------


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("WAGE_GUARD_CONFIG", raising=False)
    return CliRunner()


def test_rules_list_shows_every_rule_with_its_ladder_and_parameters(runner: CliRunner) -> None:
    result = runner.invoke(app, ["rules", "list", "--json"])
    assert result.exit_code == 0, result.output
    listing = {rule["id"]: rule for rule in json.loads(result.stdout)}
    assert sorted(listing) == SHIPPED
    wages = listing["wages_unpaid"]
    assert wages["check"] == "wages_unpaid"
    assert wages["mode"] == "active"
    assert wages["title_en"] == "Wages not paid in full"
    assert wages["ladder"] == [
        {"level": "yellow"},
        {"level": "orange", "at_least": 0.1},
        {"level": "red", "at_least": 0.3},
    ]
    assert wages["params"] == {"red_when_worker_unpaid": True}

    table = runner.invoke(app, ["rules", "list"])
    assert table.exit_code == 0
    assert "orange when >= 0.1" in table.output
    assert "red_when_worker_unpaid=true" in table.output


def test_rules_validate_counts_the_configured_pack(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "validate"])
    assert result.exit_code == 0, result.output
    assert f"OK: {len(SHIPPED)} rules" in result.output

    write_rule(tmp_path / "extra", "twin", 'id = "twin"\ncheck = "wages_unpaid"')
    result = runner.invoke(app, ["rules", "validate", str(tmp_path / "extra")])
    assert result.exit_code == 0, result.output
    assert f"OK: {len(SHIPPED) + 1} rules" in result.output


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('id = "r1"\ncheck = "no_such_check"', "rule 'r1': unknown check 'no_such_check'"),
        (
            'id = "r1"\ncheck = "wages_unpaid"\n[params]\nno_such_param = 1',
            "rule 'r1': parameter no_such_param: unknown key",
        ),
        (
            'id = "r1"\ncheck = "wages_unpaid"\n[params]\nred_when_worker_unpaid = "maybe"',
            "rule 'r1': parameter red_when_worker_unpaid: Input should be a valid boolean",
        ),
        ('id = "wages_unpaid"\ncheck = "wages_unpaid"', "rule 'wages_unpaid': duplicate id"),
    ],
    ids=["unknown check", "unknown parameter", "bad parameter type", "duplicate id"],
)
def test_rules_validate_names_the_file_and_the_rule(
    runner: CliRunner, tmp_path: Path, body: str, message: str
) -> None:
    path = write_rule(tmp_path / "extra", "mine", body)
    result = runner.invoke(app, ["rules", "validate", str(path.parent)])
    assert result.exit_code == 1
    assert f"{path}: {message}" in result.output


def test_rules_validate_reports_every_error_at_once(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "extra"
    first = write_rule(folder, "a", 'id = "twin"\ncheck = "wages_unpaid"')
    second = write_rule(folder, "b", 'id = "twin"\ncheck = "wages_unpaid"')
    third = write_rule(folder, "c", 'id = "c"\ncheck = "no_such_check"')
    result = runner.invoke(app, ["rules", "validate", str(folder)])
    assert result.exit_code == 1
    assert f"{second}: rule 'twin': duplicate id, already defined in {first}" in result.output
    assert f"{third}: rule 'c': unknown check" in result.output
    assert "2 error(s) in the rule pack" in result.output


def test_rules_validate_refuses_a_missing_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["rules", "validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'nowhere'}: not a folder of rules" in result.output
