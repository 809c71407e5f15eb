"""``wage-guard alerts`` and ``wage-guard projects`` against a real database."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.alerts.support import RULE, T0, finding, findings
from wage_guard.alerts.orm import Alert, AlertEvent
from wage_guard.alerts.service import reconcile, refresh_project_risk
from wage_guard.cli import app

FULL_ID = re.compile(r"\d{17}[\dX]")
MASKED = "120101********0015"


@pytest.fixture
def stored(engine: sa.Engine, project_ids: dict[str, int], codes: dict[int, str]) -> sa.Engine:
    """1: P1 2025-01 red, with the workers in its evidence; 2: P2 2025-02 yellow."""
    red = finding(project_ids["P1"], "2025-01", level="red", arrears=123456, workers=2)
    red["evidence"]["workers"] = [
        {"id_number": MASKED, "name": "工人15", "owed": "600.00"},
        {"id_number": "120101********0023", "name": "工人23", "owed": "634.56"},
    ]
    with Session(engine) as session:
        reconcile(
            session,
            rule_id=RULE,
            findings=findings(red, finding(project_ids["P2"], "2025-02", level="yellow")),
            project_codes=codes,
            scan_run_id=None,
            now=T0,
        )
        refresh_project_risk(session, now=T0 + timedelta(days=1))
        session.commit()
    return engine


def invoke(cli: CliRunner, *args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    assert not FULL_ID.search(result.output)
    return result.exit_code, result.output


def test_list_json_is_one_array_of_alerts(cli: CliRunner, stored: sa.Engine) -> None:
    code, output = invoke(cli, "alerts", "list", "--json")
    assert code == 0, output
    alerts = json.loads(output)
    assert [a["id"] for a in alerts] == [1, 2]
    first = alerts[0]
    assert {
        "id",
        "rule",
        "level",
        "status",
        "project_code",
        "district",
        "subject",
        "fingerprint",
        "first_seen",
        "last_seen",
        "message_zh",
        "message_en",
        "evidence",
        "version",
        "arrears",
        "workers_affected",
    } <= set(first)
    assert (first["rule"], first["level"], first["project_code"], first["subject"]) == (
        RULE,
        "red",
        "P1",
        "2025-01",
    )
    assert first["arrears"] == "1234.56"
    assert first["evidence"]["workers"][0]["id_number"] == MASKED


def test_list_filters_and_shows_a_table(cli: CliRunner, stored: sa.Engine) -> None:
    code, output = invoke(cli, "alerts", "list", "--level", "yellow", "--json")
    assert [a["project_code"] for a in json.loads(output)] == ["P2"]
    code, output = invoke(cli, "alerts", "list", "--district", "和平区")
    assert code == 0, output
    assert "P1" in output and "1,234.56" in output and "P2" not in output
    assert "1 of 1 alerts" in output


def test_a_bad_filter_is_a_clear_error(cli: CliRunner, stored: sa.Engine) -> None:
    code, output = invoke(cli, "alerts", "list", "--level", "purple")
    assert code == 1
    assert "error: unknown level purple" in output


def test_show_gives_evidence_and_history(cli: CliRunner, stored: sa.Engine) -> None:
    code, output = invoke(cli, "alerts", "ack", "1", "--reason", "已约谈总包", "--by", "王科长")
    assert code == 0, output
    code, output = invoke(cli, "alerts", "show", "1")
    assert code == 0, output
    for text in ("wages_unpaid:P1:2025-01", "Evidence", MASKED, "634.56", "History"):
        assert text in output
    assert "created" in output and "acknowledged" in output and "已约谈总包" in output
    code, output = invoke(cli, "alerts", "show", "1", "--json")
    assert [e["actor"] for e in json.loads(output)["events"]] == ["system", "王科长"]
    code, output = invoke(cli, "alerts", "show", "99")
    assert code == 1 and "alert 99 not found" in output


def test_actions_from_the_command_line(cli: CliRunner, stored: sa.Engine) -> None:
    day = date.today() + timedelta(days=3)
    code, output = invoke(
        cli,
        "alerts",
        "snooze",
        "2",
        "--until",
        day.isoformat(),
        "--reason",
        "待拨付",
        "--by",
        "李四",
    )
    assert code == 0, output
    assert f"alert 2: snoozed until {day.isoformat()} 00:00 (version 2)" in output
    with Session(stored) as session:
        alert = session.get(Alert, 2)
        midnight = datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
        assert alert and alert.until == midnight.astimezone(UTC)

    code, output = invoke(cli, "alerts", "resolve", "2", "--reason", "已支付", "--by", "李四")
    assert (code, output.strip()) == (0, "alert 2: resolved (version 3)")
    code, output = invoke(cli, "alerts", "ack", "2", "--reason", "复查", "--by", "李四")
    assert code == 1 and "reopen it first" in output
    code, output = invoke(cli, "alerts", "comment", "2", "--reason", "  ", "--by", "李四")
    assert code == 1 and "a reason is required" in output
    code, output = invoke(
        cli, "alerts", "reopen", "2", "--reason", "工人投诉", "--by", "李四", "--version", "2"
    )
    assert code == 1 and "version 3, not 2" in output
    code, output = invoke(cli, "alerts", "reopen", "2", "--reason", "工人投诉", "--by", "李四")
    assert (code, output.strip()) == (0, "alert 2: open (version 4)")
    code, output = invoke(cli, "alerts", "resolve", "2", "--by", "李四")
    assert code == 2
    with Session(stored) as session:
        actions = session.scalars(
            sa.select(AlertEvent.action).where(AlertEvent.alert_id == 2).order_by(AlertEvent.id)
        ).all()
        assert actions == ["created", "snoozed", "resolved", "reopened"]


def test_projects_by_risk(cli: CliRunner, stored: sa.Engine) -> None:
    code, output = invoke(cli, "projects", "list", "--json")
    assert code == 0, output
    rows = json.loads(output)
    assert [(r["code"], r["risk_grade"], r["open_red"], r["open_yellow"]) for r in rows] == [
        ("P1", "red", 1, 0),
        ("P2", "yellow", 0, 1),
    ]
    code, output = invoke(cli, "projects", "list", "--sort", "code", "--grade", "yellow")
    assert code == 0, output
    assert "河西大厦" in output and "总承包2" in output and "P1" not in output
    code, output = invoke(cli, "projects", "list", "--sort", "name")
    assert code == 1 and "unknown sort" in output
