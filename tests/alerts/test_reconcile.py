"""Reconciling a rule's findings with its alerts (RULES.md lifecycle 1-3 and 5;
RELIABILITY 1-4 and 6)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.alerts.support import RULE, T0, finding, findings, snapshot, table
from wage_guard.alerts.orm import Alert, AlertEvent
from wage_guard.alerts.service import ReconcileCounts, act, fingerprint, reconcile
from wage_guard.scan.orm import ScanRun


def run(
    session: Session,
    codes: dict[int, str],
    *rows: dict[str, object],
    at: timedelta = timedelta(0),
    rule: str = RULE,
    scan_run_id: int | None = None,
) -> ReconcileCounts:
    counts = reconcile(
        session,
        rule_id=rule,
        findings=findings(*rows),
        project_codes=codes,
        scan_run_id=scan_run_id,
        now=T0 + at,
    )
    session.commit()
    return counts


def alerts(session: Session) -> list[Alert]:
    session.expire_all()
    return list(session.scalars(sa.select(Alert).order_by(Alert.id)))


def test_fingerprint_names_rule_project_and_subject() -> None:
    assert fingerprint("wages_unpaid", "P1", "2025-01") == "wages_unpaid:P1:2025-01"
    assert fingerprint("rights_board_missing", "P1", None) == "rights_board_missing:P1:-"


def test_a_finding_creates_an_open_alert_with_its_evidence(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    scan = ScanRun(as_of=T0.date())
    session.add(scan)
    session.flush()
    counts = run(session, codes, finding(project_ids["P1"], arrears=123456), scan_run_id=scan.id)
    assert counts == ReconcileCounts(found=1, new=1, updated=0, unchanged=0, resolved=0, held=0)
    (alert,) = alerts(session)
    assert alert.status == "open"
    assert alert.fingerprint == alert.open_key == "wages_unpaid:P1:2025-01"
    assert alert.first_seen == alert.last_seen == T0
    assert alert.arrears == Decimal("1234.56")
    assert alert.workers_affected == 3
    assert alert.evidence == {"month": "2025-01", "arrears": "1234.56", "workers_owed": 3}
    assert alert.version == 1
    (event,) = table(session, AlertEvent)
    assert (event["action"], event["actor"], event["to_status"], event["to_level"]) == (
        "created",
        "system",
        "open",
        "orange",
    )
    assert event["scan_run_id"] == scan.id


def test_reliability_1_the_same_findings_again_move_only_last_seen(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    rows = [
        finding(project_ids["P1"], "2025-01"),
        finding(project_ids["P1"], None, level="red", arrears=None, workers=None),
        finding(project_ids["P2"], "2025-02", level="yellow"),
    ]
    run(session, codes, *rows)
    act(session, alert_id=1, action="acknowledge", reason="核查中", actor="王科长", now=T0)
    session.commit()
    before = snapshot(session)
    counts = run(session, codes, *rows, at=timedelta(days=1))
    assert counts == ReconcileCounts(found=3, new=0, updated=0, unchanged=3, resolved=0, held=0)
    assert snapshot(session) == before
    assert {a.last_seen for a in alerts(session)} == {T0 + timedelta(days=1)}
    assert [a.fingerprint for a in alerts(session)] == [
        "wages_unpaid:P1:2025-01",
        "wages_unpaid:P1:-",
        "wages_unpaid:P2:2025-02",
    ]


def test_a_changed_level_updates_the_alert_and_records_an_event_without_a_version(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    run(session, codes, finding(project_ids["P1"], level="yellow", arrears=1000))
    counts = run(
        session, codes, finding(project_ids["P1"], level="red", arrears=90000), at=timedelta(1)
    )
    assert (counts.updated, counts.new) == (1, 0)
    (alert,) = alerts(session)
    assert (alert.level, alert.arrears, alert.version) == ("red", Decimal("900.00"), 1)
    assert alert.evidence["arrears"] == "900.00"
    assert "900.00" in alert.message_en
    events = table(session, AlertEvent)
    assert [(e["action"], e["from_level"], e["to_level"]) for e in events] == [
        ("created", None, "yellow"),
        ("level_changed", "yellow", "red"),
    ]


def test_changed_evidence_at_the_same_level_updates_without_an_event(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    run(session, codes, finding(project_ids["P1"], workers=3))
    counts = run(session, codes, finding(project_ids["P1"], workers=4), at=timedelta(1))
    assert (counts.updated, counts.unchanged) == (1, 0)
    (alert,) = alerts(session)
    assert alert.workers_affected == 4
    assert alert.evidence["workers_owed"] == 4
    assert len(table(session, AlertEvent)) == 1


def test_reliability_2_the_database_refuses_a_second_open_alert_per_fingerprint(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    run(session, codes, finding(project_ids["P1"]))
    (first,) = alerts(session)
    session.add(
        Alert(
            rule_id=RULE,
            project_id=project_ids["P1"],
            subject="2025-01",
            fingerprint=first.fingerprint,
            open_key=first.fingerprint,
            level="red",
            status="open",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_the_conditions_gone_are_resolved_by_the_system(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    run(
        session, codes, finding(project_ids["P1"], "2025-01"), finding(project_ids["P1"], "2025-02")
    )
    act(
        session,
        alert_id=2,
        action="snooze",
        reason="等待拨付",
        actor="王科长",
        until=T0 + timedelta(days=3),
        now=T0,
    )
    session.commit()
    counts = run(session, codes, at=timedelta(days=1))
    assert counts == ReconcileCounts(found=0, new=0, updated=0, unchanged=0, resolved=2, held=0)
    for alert in alerts(session):
        assert (alert.status, alert.open_key, alert.closed_at) == (
            "resolved",
            None,
            T0 + timedelta(days=1),
        )
    resolved = [e for e in table(session, AlertEvent) if e["action"] == "auto_resolved"]
    assert [(e["alert_id"], e["from_status"], e["actor"]) for e in resolved] == [
        (1, "open", "system"),
        (2, "snoozed", "system"),
    ]


def test_reliability_3_a_rule_not_reconciled_resolves_nothing(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    """The scan calls ``reconcile`` only for rules that completed: another rule's run, or
    none at all, leaves this rule's alerts open."""
    run(session, codes, finding(project_ids["P1"]))
    run(session, codes, rule="attendance_missing", at=timedelta(days=1))
    (alert,) = alerts(session)
    assert alert.status == "open"
    assert alert.last_seen == T0


def test_reliability_4_a_condition_back_after_resolution_opens_a_new_alert(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    run(session, codes, finding(project_ids["P1"]))
    run(session, codes, at=timedelta(days=1))
    counts = run(session, codes, finding(project_ids["P1"]), at=timedelta(days=2))
    assert counts.new == 1
    old, new = alerts(session)
    assert (old.status, old.closed_at, old.open_key) == ("resolved", T0 + timedelta(1), None)
    assert (new.status, new.first_seen, new.open_key) == (
        "open",
        T0 + timedelta(2),
        old.fingerprint,
    )
    assert [e["action"] for e in table(session, AlertEvent)] == [
        "created",
        "auto_resolved",
        "created",
    ]


def test_reliability_6_a_dismissal_holds_until_arrears_or_workers_grow(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    p1 = project_ids["P1"]
    run(session, codes, finding(p1, arrears=50000, workers=3))
    act(session, alert_id=1, action="dismiss", reason="已核实为重复申报", actor="王科长", now=T0)
    session.commit()
    before = snapshot(session)

    for day, arrears, workers in [(1, 50000, 3), (2, 40000, 2), (3, 50000, 3)]:
        counts = run(
            session, codes, finding(p1, arrears=arrears, workers=workers), at=timedelta(day)
        )
        assert (counts.held, counts.new) == (1, 0)
        assert snapshot(session) == before

    counts = run(session, codes, finding(p1, arrears=50001, workers=3), at=timedelta(days=4))
    assert (counts.held, counts.new) == (0, 1)
    dismissed, again = alerts(session)
    assert (dismissed.status, dismissed.arrears, dismissed.workers_affected) == (
        "dismissed",
        Decimal("500.00"),
        3,
    )
    assert (again.status, again.arrears) == ("open", Decimal("500.01"))
    created = table(session, AlertEvent)[-1]
    assert created["details"] == {"fired_again_after_dismissal_of": dismissed.id}


def test_a_dismissal_fires_again_when_more_workers_are_owed(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    p1 = project_ids["P1"]
    run(session, codes, finding(p1, arrears=50000, workers=3))
    act(session, alert_id=1, action="dismiss", reason="误报", actor="王科长", now=T0)
    session.commit()
    assert run(session, codes, finding(p1, arrears=10000, workers=4), at=timedelta(1)).new == 1


def test_a_resolution_after_a_dismissal_ends_the_hold(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    """Only the latest closed alert of a fingerprint counts: once a later alert was resolved,
    the old dismissal no longer silences the condition."""
    p1 = project_ids["P1"]
    run(session, codes, finding(p1, arrears=50000))
    act(session, alert_id=1, action="dismiss", reason="误报", actor="王科长", now=T0)
    session.commit()
    run(session, codes, finding(p1, arrears=60000), at=timedelta(days=1))
    run(session, codes, at=timedelta(days=2))
    assert run(session, codes, finding(p1, arrears=100), at=timedelta(days=3)).new == 1


def test_findings_the_scan_cannot_place_are_refused(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    p1 = project_ids["P1"]
    with pytest.raises(ValueError, match="same subject twice"):
        run(session, codes, finding(p1), finding(p1))
    with pytest.raises(ValueError, match="without a code"):
        run(session, codes, finding(9999))
    with pytest.raises(ValueError, match="unknown levels"):
        run(session, codes, finding(p1, level="purple"))
    with pytest.raises(ValueError, match="no column"):
        reconcile(
            session,
            rule_id=RULE,
            findings=findings(finding(p1)).drop(columns="level"),
            project_codes=codes,
            scan_run_id=None,
            now=T0,
        )
