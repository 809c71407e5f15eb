"""People acting on alerts (RULES.md lifecycle 4 and 6; RELIABILITY 5 and 7)."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.alerts.support import RULE, T0, finding, findings, table
from wage_guard.alerts.orm import Alert, AlertEvent
from wage_guard.alerts.service import (
    ACKNOWLEDGE_DAYS,
    MAX_SNOOZE_DAYS,
    act,
    expire_holds,
    reconcile,
)
from wage_guard.db import make_engine
from wage_guard.errors import Conflict, InvalidInput, NotFound


@pytest.fixture
def alert_id(session: Session, project_ids: dict[str, int], codes: dict[int, str]) -> int:
    reconcile(
        session,
        rule_id=RULE,
        findings=findings(finding(project_ids["P1"])),
        project_codes=codes,
        scan_run_id=None,
        now=T0,
    )
    session.commit()
    return session.scalars(sa.select(Alert.id)).one()


def do(session: Session, alert_id: int, action: str, **kwargs: object) -> Alert:
    kwargs = {"reason": "核实情况", "actor": "王科长", "now": T0, **kwargs}
    alert = act(session, alert_id=alert_id, action=action, **kwargs)  # type: ignore[arg-type]
    session.commit()
    return alert


def human_events(session: Session) -> list[dict[str, object]]:
    return [e for e in table(session, AlertEvent) if e["actor"] != "system"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_reliability_5_an_action_needs_a_reason(
    session: Session, alert_id: int, reason: str
) -> None:
    with pytest.raises(InvalidInput, match="reason"):
        do(session, alert_id, "resolve", reason=reason)
    session.rollback()
    assert session.get(Alert, alert_id, populate_existing=True).status == "open"  # type: ignore[union-attr]
    assert human_events(session) == []


def test_an_action_needs_an_actor_and_a_known_verb(session: Session, alert_id: int) -> None:
    with pytest.raises(InvalidInput, match="named"):
        do(session, alert_id, "comment", actor=" ")
    with pytest.raises(InvalidInput, match="unknown action 'escalate'"):
        do(session, alert_id, "escalate")
    with pytest.raises(NotFound):
        do(session, alert_id + 1, "comment")


def test_reliability_5_each_action_is_recorded_with_actor_time_and_reason(
    session: Session, alert_id: int
) -> None:
    alert = do(session, alert_id, "acknowledge", reason="已联系总包", actor="王科长")
    assert (alert.status, alert.version) == ("acknowledged", 2)
    assert alert.until == T0 + timedelta(days=ACKNOWLEDGE_DAYS)
    first = human_events(session)
    later = T0 + timedelta(hours=5)
    alert = do(session, alert_id, "comment", reason="总包承诺周五支付", actor="李四", now=later)
    assert (alert.status, alert.version) == ("acknowledged", 3)
    events = human_events(session)
    assert events[:1] == first
    assert [
        (e["action"], e["actor"], e["at"], e["reason"], e["from_status"], e["to_status"])
        for e in events
    ] == [
        ("acknowledged", "王科长", T0, "已联系总包", "open", "acknowledged"),
        ("commented", "李四", later, "总包承诺周五支付", "acknowledged", "acknowledged"),
    ]
    assert events[0]["details"] == {
        "version": 2,
        "until": (T0 + timedelta(days=ACKNOWLEDGE_DAYS)).isoformat(),
    }


def test_a_snooze_needs_a_date_within_the_limit(session: Session, alert_id: int) -> None:
    with pytest.raises(InvalidInput, match="needs a date"):
        do(session, alert_id, "snooze")
    too_far = T0 + timedelta(days=MAX_SNOOZE_DAYS, seconds=1)
    with pytest.raises(InvalidInput, match=f"at most {MAX_SNOOZE_DAYS} days"):
        do(session, alert_id, "snooze", until=too_far)
    with pytest.raises(InvalidInput, match="future"):
        do(session, alert_id, "snooze", until=T0)
    with pytest.raises(InvalidInput, match="time zone"):
        do(session, alert_id, "snooze", until=datetime(2025, 3, 5))
    with pytest.raises(InvalidInput, match="only to acknowledge and snooze"):
        do(session, alert_id, "resolve", until=T0 + timedelta(days=1))
    limit = T0 + timedelta(days=MAX_SNOOZE_DAYS)
    alert = do(session, alert_id, "snooze", until=limit)
    assert (alert.status, alert.until, alert.version) == ("snoozed", limit, 2)


def test_reliability_5_acknowledgements_and_snoozes_expire(
    session: Session, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    reconcile(
        session,
        rule_id=RULE,
        findings=findings(*(finding(project_ids["P1"], f"2025-0{m}") for m in (1, 2, 3))),
        project_codes=codes,
        scan_run_id=None,
        now=T0,
    )
    session.commit()
    do(session, 1, "acknowledge", until=T0 + timedelta(days=2))
    do(session, 2, "snooze", until=T0 + timedelta(days=1))
    do(session, 3, "snooze", until=T0 + timedelta(days=10))

    assert expire_holds(session, now=T0 + timedelta(hours=23)) == 0
    assert expire_holds(session, now=T0 + timedelta(days=2)) == 2
    session.commit()
    session.expire_all()
    states = {a.id: (a.status, a.until) for a in session.scalars(sa.select(Alert))}
    assert states == {
        1: ("open", None),
        2: ("open", None),
        3: ("snoozed", T0 + timedelta(days=10)),
    }
    expired = [e for e in table(session, AlertEvent) if e["action"] == "expired"]
    assert sorted((e["alert_id"], e["from_status"], e["to_status"]) for e in expired) == [
        (1, "acknowledged", "open"),
        (2, "snoozed", "open"),
    ]
    assert {e["actor"] for e in expired} == {"system"}


def test_resolving_closes_the_alert_and_only_a_comment_or_a_reopen_follow(
    session: Session, alert_id: int
) -> None:
    alert = do(session, alert_id, "resolve", reason="已足额支付（销号）")
    assert (alert.status, alert.open_key, alert.closed_at, alert.version) == (
        "resolved",
        None,
        T0,
        2,
    )
    for action in ("acknowledge", "resolve", "dismiss"):
        with pytest.raises(Conflict, match="reopen it first"):
            do(session, alert_id, action)
    assert do(session, alert_id, "comment").status == "resolved"
    alert = do(session, alert_id, "reopen", reason="工人再次投诉")
    assert (alert.status, alert.open_key, alert.closed_at, alert.version) == (
        "open",
        alert.fingerprint,
        None,
        4,
    )
    with pytest.raises(Conflict, match="only a closed alert"):
        do(session, alert_id, "reopen")


def test_a_reopen_is_refused_while_another_alert_of_the_fingerprint_is_open(
    session: Session, alert_id: int, project_ids: dict[str, int], codes: dict[int, str]
) -> None:
    do(session, alert_id, "resolve")
    reconcile(
        session,
        rule_id=RULE,
        findings=findings(finding(project_ids["P1"])),
        project_codes=codes,
        scan_run_id=None,
        now=T0 + timedelta(days=1),
    )
    session.commit()
    with pytest.raises(Conflict, match="already open"):
        do(session, alert_id, "reopen")


def test_a_dismissed_alert_keeps_its_numbers(session: Session, alert_id: int) -> None:
    alert = do(session, alert_id, "dismiss", reason="误报")
    assert (alert.status, alert.open_key, alert.closed_at) == ("dismissed", None, T0)
    assert (alert.arrears, alert.workers_affected) == (Decimal("1000.00"), 3)


def test_reliability_7_a_stale_version_is_a_conflict(engine: sa.Engine, alert_id: int) -> None:
    with Session(engine) as first, Session(engine) as second:
        seen_by_first = first.get(Alert, alert_id)
        seen_by_second = second.get(Alert, alert_id)
        assert seen_by_first and seen_by_second
        do(first, alert_id, "acknowledge", expected_version=seen_by_first.version)
        with pytest.raises(Conflict, match="version 2, not 1"):
            do(second, alert_id, "dismiss", expected_version=seen_by_second.version)
        second.rollback()
    with Session(engine) as check:
        alert = check.get(Alert, alert_id)
        assert alert and (alert.status, alert.version) == ("acknowledged", 2)


def test_reliability_7_two_people_at_once_one_wins_the_other_conflicts(
    db_url: str, alert_id: int
) -> None:
    """Both read version 1; the second's write waits for the first's commit and then finds
    the version moved, so it is refused rather than written over the first."""
    engines = [make_engine(db_url), make_engine(db_url)]
    first_wrote = threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        with Session(engines[0]) as session:
            act(
                session,
                alert_id=alert_id,
                action="acknowledge",
                reason="核查",
                actor="甲",
                expected_version=1,
                now=T0,
            )
            first_wrote.set()
            time.sleep(0.5)
            session.commit()
            outcome["first"] = "ok"

    def second() -> None:
        first_wrote.wait(10)
        with Session(engines[1]) as session:
            try:
                act(
                    session,
                    alert_id=alert_id,
                    action="dismiss",
                    reason="误报",
                    actor="乙",
                    expected_version=1,
                    now=T0,
                )
                session.commit()
                outcome["second"] = "ok"
            except Conflict:
                session.rollback()
                outcome["second"] = "conflict"

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for engine in engines:
        engine.dispose()
    assert outcome == {"first": "ok", "second": "conflict"}
    check = make_engine(db_url)
    with Session(check) as session:
        alert = session.get(Alert, alert_id)
        assert alert and (alert.status, alert.version) == ("acknowledged", 2)
        assert [e["actor"] for e in human_events(session)] == ["甲"]
    check.dispose()
