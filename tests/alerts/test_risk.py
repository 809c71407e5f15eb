"""The project risk grade and score (RULES.md, "Project risk grade")."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.alerts.support import RULE, T0, finding, findings
from tests.scan.builders import credit_code
from wage_guard.alerts.service import act, reconcile, refresh_project_risk
from wage_guard.errors import InvalidInput
from wage_guard.projects.orm import Project
from wage_guard.projects.service import list_projects


def risk(session: Session) -> dict[str, tuple[str, float]]:
    session.expire_all()
    return {p.code: (p.risk_grade, p.risk_score) for p in session.scalars(sa.select(Project))}


@pytest.fixture
def graded(session: Session, project_ids: dict[str, int], codes: dict[int, str]) -> Session:
    """P1: two orange months of 1,000 yuan (3 workers each) and a red completion alert over
    the same 2,000 yuan; P2: one snoozed yellow alert of 100 yuan and 1 worker, a day newer."""
    p1, p2 = project_ids["P1"], project_ids["P2"]
    reconcile(
        session,
        rule_id=RULE,
        findings=findings(finding(p1, "2025-01"), finding(p1, "2025-02")),
        project_codes=codes,
        scan_run_id=None,
        now=T0,
    )
    reconcile(
        session,
        rule_id="completion_with_arrears",
        findings=findings(finding(p1, None, level="red", arrears=200_000, workers=5)),
        project_codes=codes,
        scan_run_id=None,
        now=T0 + timedelta(hours=1),
    )
    reconcile(
        session,
        rule_id="escrow_shortfall",
        findings=findings(finding(p2, None, level="yellow", arrears=10_000, workers=1)),
        project_codes=codes,
        scan_run_id=None,
        now=T0 + timedelta(days=1),
    )
    act(
        session,
        alert_id=4,
        action="snooze",
        reason="等待拨付",
        actor="王科长",
        until=T0 + timedelta(days=20),
        now=T0 + timedelta(days=1),
    )
    session.commit()
    return session


def test_every_project_is_green_without_open_alerts(
    session: Session, project_ids: dict[str, int]
) -> None:
    refresh_project_risk(session, now=T0)
    session.commit()
    assert risk(session) == {"P1": ("green", 0.0), "P2": ("green", 0.0)}


def test_grade_is_the_worst_open_level_and_score_ranks_inside_it(graded: Session) -> None:
    updated_before = {p.code: p.updated_at for p in graded.scalars(sa.select(Project))}
    refresh_project_risk(graded, now=T0 + timedelta(days=2, hours=3))
    graded.commit()
    # P1: 2,000 yuan counted once (2.0) + 10 x 5 workers + 2 days; P2: 0.1 + 10 + 1 day.
    assert risk(graded) == {"P1": ("red", 54.0), "P2": ("yellow", 11.1)}
    assert {p.code: p.updated_at for p in graded.scalars(sa.select(Project))} == updated_before


def test_closing_the_alerts_brings_the_project_back_to_green(graded: Session) -> None:
    refresh_project_risk(graded, now=T0 + timedelta(days=2))
    for alert_id in (1, 2, 3):
        act(graded, alert_id=alert_id, action="resolve", reason="已支付", actor="王科长")
    refresh_project_risk(graded, now=T0 + timedelta(days=3))
    graded.commit()
    assert risk(graded) == {"P1": ("green", 0.0), "P2": ("yellow", 12.1)}


def test_projects_listed_by_risk_with_open_alerts_by_level(graded: Session) -> None:
    refresh_project_risk(graded, now=T0 + timedelta(days=2))
    graded.commit()
    rows, total = list_projects(graded)
    assert total == 2
    assert [(r.code, r.risk_grade, r.open_red, r.open_orange, r.open_yellow) for r in rows] == [
        ("P1", "red", 1, 2, 0),
        ("P2", "yellow", 0, 0, 1),
    ]
    assert rows[0].contractor == "总承包1" and rows[0].district == "和平区"
    assert [r.code for r in list_projects(graded, grade="yellow")[0]] == ["P2"]
    assert [r.code for r in list_projects(graded, district="和平区")[0]] == ["P1"]
    assert [r.code for r in list_projects(graded, districts_scope=["河西区"])[0]] == ["P2"]
    assert [r.code for r in list_projects(graded, credit_codes_scope=[credit_code(1)])[0]] == ["P1"]
    assert list_projects(graded, districts_scope=[]) == ([], 0)
    assert [r.code for r in list_projects(graded, sort="code", limit=1, offset=1)[0]] == ["P2"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"sort": "name"}, "unknown sort"),
        ({"grade": "purple"}, "unknown grade"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_project_listing_refuses_bad_arguments(
    session: Session, arguments: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        list_projects(session, **arguments)  # type: ignore[arg-type]
