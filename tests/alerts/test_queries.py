"""Listing and reading alerts: filters, order, pages and the caller's scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tests.alerts.support import RULE, T0, finding, findings
from tests.scan.builders import credit_code
from wage_guard.alerts.service import act, get_alert, list_alerts, reconcile
from wage_guard.errors import InvalidInput, NotFound


@pytest.fixture
def stored(session: Session, project_ids: dict[str, int], codes: dict[int, str]) -> Session:
    """1: P1 2025-01 orange 1,000 yuan; 2: P1 2025-02 red 5,000 yuan; 3: P2 2025-01 yellow
    100 yuan (resolved); 4: P1 rights_board_missing yellow, on the project."""
    p1, p2 = project_ids["P1"], project_ids["P2"]
    reconcile(
        session,
        rule_id=RULE,
        findings=findings(
            finding(p1, "2025-01"),
            finding(p1, "2025-02", level="red", arrears=500_000),
            finding(p2, "2025-01", level="yellow", arrears=10_000),
        ),
        project_codes=codes,
        scan_run_id=None,
        now=T0,
    )
    reconcile(
        session,
        rule_id="rights_board_missing",
        findings=findings(finding(p1, None, level="yellow", arrears=None, workers=None)),
        project_codes=codes,
        scan_run_id=None,
        now=T0 + timedelta(days=1),
    )
    act(session, alert_id=3, action="resolve", reason="已支付", actor="王科长", now=T0)
    session.commit()
    return session


def ids(stored: Session, **filters: object) -> list[int]:
    alerts, total = list_alerts(stored, **filters)  # type: ignore[arg-type]
    assert total >= len(alerts)
    return [a.id for a in alerts]


def test_the_default_list_is_the_open_queue_riskiest_first(stored: Session) -> None:
    alerts, total = list_alerts(stored)
    assert [a.id for a in alerts] == [2, 1, 4]
    assert total == 3
    first = alerts[0]
    assert (first.rule, first.project_code, first.district, first.subject) == (
        RULE,
        "P1",
        "和平区",
        "2025-02",
    )
    assert first.arrears == Decimal("5000.00")
    assert first.fingerprint == "wages_unpaid:P1:2025-02"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "closed"}, [3]),
        ({"status": "all", "sort": "oldest"}, [1, 2, 3, 4]),
        ({"status": ["open", "resolved"], "sort": "newest"}, [4, 3, 2, 1]),
        ({"level": "yellow"}, [4]),
        ({"level": ["red", "orange"]}, [2, 1]),
        ({"rule": "rights_board_missing"}, [4]),
        ({"project": "P2", "status": "all"}, [3]),
        ({"district": "河西区"}, []),
        ({"month_from": "2025-02"}, [2]),
        ({"month_to": "2025-01", "status": "all"}, [1, 3]),
        ({"text": "5000.00"}, [2]),
        ({"text": "和平花园"}, [2, 1, 4]),
        ({"text": "100%_"}, []),
        ({"limit": 1, "offset": 1}, [1]),
        ({"districts_scope": ["河西区"], "status": "all"}, [3]),
        ({"districts_scope": []}, []),
        ({"credit_codes_scope": [credit_code(2)]}, []),
        ({"credit_codes_scope": [credit_code(1)]}, [2, 1, 4]),
    ],
)
def test_filters(stored: Session, filters: dict[str, object], expected: list[int]) -> None:
    assert ids(stored, **filters) == expected


def test_the_total_counts_every_match_beyond_the_page(stored: Session) -> None:
    alerts, total = list_alerts(stored, limit=1)
    assert (len(alerts), total) == (1, 3)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"status": "gone"}, "unknown status"),
        ({"level": "purple"}, "unknown level"),
        ({"month_from": "2025-13"}, "YYYY-MM"),
        ({"sort": "name"}, "unknown sort"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_filters_are_refused(stored: Session, filters: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        list_alerts(stored, **filters)  # type: ignore[arg-type]


def test_an_alert_comes_with_its_history(stored: Session) -> None:
    alert = get_alert(stored, alert_id=3)
    assert (alert.status, alert.project_code) == ("resolved", "P2")
    assert [(e.action, e.actor, e.reason) for e in alert.events] == [
        ("created", "system", None),
        ("resolved", "王科长", "已支付"),
    ]


def test_an_alert_outside_the_callers_scope_is_not_found(stored: Session) -> None:
    assert get_alert(stored, alert_id=1, districts_scope=["和平区"]).id == 1
    with pytest.raises(NotFound):
        get_alert(stored, alert_id=1, districts_scope=["河西区"])
    with pytest.raises(NotFound):
        get_alert(stored, alert_id=1, credit_codes_scope=[credit_code(2)])
    with pytest.raises(NotFound):
        get_alert(stored, alert_id=99)
