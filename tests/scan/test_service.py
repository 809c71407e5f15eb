"""The scan run: idempotent re-runs, automatic resolution, failing checks, one snapshot, the
guard before each commit (RULES.md "Lifecycle of an alert"; RELIABILITY.md 1, 3, 4, 9)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.scan.builders import load
from tests.scan.scans import (
    AS_OF,
    DATA,
    alerts,
    bad_query,
    clock,
    explode,
    pay,
    rows,
    rule_file,
    use_check,
    variant,
    wages_unpaid,
)
from wage_guard.models import Alert, AlertEvent, ScanRun
from wage_guard.scan import service
from wage_guard.scan.context import ScanContext
from wage_guard.scan.model import CheckParams, Mode, empty_findings
from wage_guard.scan.rules import load_rules
from wage_guard.scan.service import run_scan


def scan_run(engine: sa.Engine, run_id: int) -> ScanRun:
    with Session(engine) as session:
        run = session.get(ScanRun, run_id)
        assert run is not None
        return run


def test_scanning_twice_changes_nothing_but_last_seen(engine: sa.Engine) -> None:
    load(engine, DATA)
    now = clock()
    first = run_scan(engine, as_of=AS_OF, rules=load_rules(), now=now)
    assert first.status == "succeeded"
    assert first.rules["wages_unpaid"].new == 2
    assert first.rules["wages_unpaid"].levels == {"red": 1, "yellow": 1}
    before = rows(engine, Alert.__table__, without=("last_seen",))
    events = rows(engine, AlertEvent.__table__)
    seen = [row["last_seen"] for row in rows(engine, Alert.__table__)]

    second = run_scan(engine, as_of=AS_OF, rules=load_rules(), now=now)

    assert second.status == "succeeded"
    assert {
        rule_id: (stats.new, stats.updated, stats.resolved)
        for rule_id, stats in second.rules.items()
        if (stats.new, stats.updated, stats.resolved) != (0, 0, 0)
    } == {}
    assert rows(engine, Alert.__table__, without=("last_seen",)) == before
    assert rows(engine, AlertEvent.__table__) == events
    later = [row["last_seen"] for row in rows(engine, Alert.__table__)]
    assert all(b > a for a, b in zip(seen, later, strict=True))


def test_fixed_data_resolves_and_a_relapse_opens_a_new_alert(engine: sa.Engine) -> None:
    load(engine, DATA)
    now = clock()
    run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], now=now)

    pay(engine, "P1")
    fixed = run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], now=now)
    assert fixed.rules["wages_unpaid"].resolved == 1
    assert alerts(engine) == [
        ("wages_unpaid", "P1", "2026-01", "red", "resolved"),
        ("wages_unpaid", "P2", "2026-01", "yellow", "open"),
    ]

    pay(engine, "P1", paid_on=None)
    relapse = run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], now=now)
    assert relapse.rules["wages_unpaid"].new == 1
    assert alerts(engine) == [
        ("wages_unpaid", "P1", "2026-01", "red", "open"),
        ("wages_unpaid", "P1", "2026-01", "red", "resolved"),
        ("wages_unpaid", "P2", "2026-01", "yellow", "open"),
    ]


def test_a_failing_check_resolves_nothing_and_the_other_rules_run(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, DATA)
    run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], now=clock())
    pay(engine, "P1")
    use_check(monkeypatch, "test_explodes", explode)
    broken = rule_file(tmp_path, "wages_unpaid", "test_explodes")
    twin = variant(wages_unpaid(), id="wages_unpaid_twin")

    summary = run_scan(engine, as_of=AS_OF, rules=[broken, twin], now=clock())

    assert summary.status == "partial"
    failed = summary.rules["wages_unpaid"]
    assert failed.error == "RuntimeError: check exploded"
    assert failed.traceback and "in explode" in failed.traceback
    assert (failed.found, failed.resolved) == (0, 0)
    assert summary.rules["wages_unpaid_twin"].error is None
    assert summary.rules["wages_unpaid_twin"].new == 1
    # P1 was paid, but the rule that would resolve its alert failed: it stays open.
    assert alerts(engine) == [
        ("wages_unpaid", "P1", "2026-01", "red", "open"),
        ("wages_unpaid", "P2", "2026-01", "yellow", "open"),
        ("wages_unpaid_twin", "P2", "2026-01", "yellow", "open"),
    ]
    run = scan_run(engine, summary.run_id)
    assert run.status == "partial"
    assert run.rule_stats["wages_unpaid"]["error"] == "RuntimeError: check exploded"
    assert run.rules == ["wages_unpaid", "wages_unpaid_twin"]


def test_a_failed_reconciliation_writes_nothing_of_its_rule(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, DATA)
    reconcile = service.reconcile

    def reconcile_then_fail(session: Session, *, rule_id: str, **kwargs: Any) -> Any:
        counts = reconcile(session, rule_id=rule_id, **kwargs)
        if rule_id == "wages_unpaid":
            raise RuntimeError("the alert store gave up")
        return counts

    monkeypatch.setattr(service, "reconcile", reconcile_then_fail)
    twin = variant(wages_unpaid(), id="wages_unpaid_twin")
    summary = run_scan(engine, as_of=AS_OF, rules=[wages_unpaid(), twin], now=clock())
    assert summary.status == "partial"
    assert summary.rules["wages_unpaid"].error == "RuntimeError: the alert store gave up"
    assert [rule_id for rule_id, *_ in alerts(engine)] == ["wages_unpaid_twin"] * 2


def test_a_failed_query_leaves_the_snapshot_usable_for_the_next_rules(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, DATA)
    use_check(monkeypatch, "test_bad_query", bad_query)
    summary = run_scan(
        engine,
        as_of=AS_OF,
        rules=[rule_file(tmp_path, "bad_query", "test_bad_query"), wages_unpaid()],
        now=clock(),
    )
    assert summary.status == "partial"
    assert "no_such_column" in (summary.rules["bad_query"].error or "")
    assert summary.rules["wages_unpaid"].new == 2


def test_a_run_whose_every_rule_fails_has_failed(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_check(monkeypatch, "test_explodes", explode)
    summary = run_scan(
        engine, as_of=AS_OF, rules=[rule_file(tmp_path, "doomed", "test_explodes")], now=clock()
    )
    assert summary.status == "failed"
    assert scan_run(engine, summary.run_id).status == "failed"


def test_monitor_rules_count_and_disabled_rules_do_not_run(engine: sa.Engine) -> None:
    load(engine, DATA)
    monitor = variant(wages_unpaid(), mode=Mode.MONITOR)
    disabled = variant(wages_unpaid(), id="off", mode=Mode.DISABLED)
    summary = run_scan(engine, as_of=AS_OF, rules=[monitor, disabled], now=clock())
    assert list(summary.rules) == ["wages_unpaid"]
    stats = summary.rules["wages_unpaid"]
    assert (stats.mode, stats.found, stats.new) == (Mode.MONITOR, 2, 0)
    assert alerts(engine) == []


def test_every_rule_sees_the_data_as_the_scan_began(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(engine, DATA)
    pay(engine, "P1")
    seen_by_others: list[str] = []

    def meddle(context: ScanContext, params: CheckParams) -> pd.DataFrame:
        with engine.begin() as conn:
            seen_by_others.append(conn.execute(sa.text("SELECT status FROM scan_runs")).scalar())
        pay(engine, "P1", paid_on=None)
        return empty_findings()

    use_check(monkeypatch, "test_meddles", meddle)
    rules = [rule_file(tmp_path, "meddler", "test_meddles"), wages_unpaid()]
    during = run_scan(engine, as_of=AS_OF, rules=rules, now=clock())
    assert seen_by_others == ["running"]
    assert during.rules["wages_unpaid"].found == 1
    after = run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], now=clock())
    assert after.rules["wages_unpaid"].found == 2


def test_the_guard_is_asked_before_every_commit(engine: sa.Engine) -> None:
    load(engine, DATA)
    asked: list[Session] = []
    run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], guard=asked.append, now=clock())
    # The run's start, the rule's reconciliation, the run's end.
    assert len(asked) == 3
    assert all(isinstance(session, Session) for session in asked)


class ClaimLost(Exception):
    pass


def test_a_guard_that_refuses_fails_the_run_and_commits_nothing_more(engine: sa.Engine) -> None:
    load(engine, DATA)
    asked = itertools.count(1)

    def guard(session: Session) -> None:
        if next(asked) > 1:
            raise ClaimLost("another process holds the claim")

    with pytest.raises(ClaimLost):
        run_scan(engine, as_of=AS_OF, rules=[wages_unpaid()], guard=guard, now=clock())

    [run] = rows(engine, ScanRun.__table__)
    assert run["status"] == "failed"
    assert run["error"] == "tests.scan.test_service.ClaimLost: another process holds the claim"
    assert run["rule_stats"] == {}
    assert run["finished_at"] is not None
    assert alerts(engine) == []
