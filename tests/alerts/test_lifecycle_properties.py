"""RELIABILITY 8: random sequences of scans over changing data, human actions, expiry and time
passing keep the alert lifecycle's invariants (RELIABILITY 1-7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.alerts.support import RULE, T0, finding, findings, snapshot, table
from wage_guard.alerts.orm import Alert, AlertEvent
from wage_guard.alerts.schemas import MAX_SNOOZE_DAYS, Action
from wage_guard.alerts.service import (
    CLOSED,
    ReconcileCounts,
    act,
    expire_holds,
    fingerprint,
    reconcile,
)
from wage_guard.db import make_session_factory
from wage_guard.errors import Conflict, DomainError, InvalidInput

# The small fixed set of subjects the random scans choose from: (project code, subject).
SUBJECTS = [("P1", None), ("P1", "2025-01"), ("P1", "2025-02"), ("P2", "2025-01")]

conditions = st.dictionaries(
    st.integers(0, len(SUBJECTS) - 1),
    st.tuples(
        st.sampled_from([10_000, 50_000, 90_000]),
        st.integers(1, 3),
        st.sampled_from(["yellow", "orange", "red"]),
    ),
    max_size=len(SUBJECTS),
)
picks = st.integers(0, 50)
faults = st.sampled_from([None, None, None, "blank", "stale"])


def lifecycle_machine(engine: sa.Engine, project_ids: dict[str, int]) -> type[Any]:
    codes = {project_id: code for code, project_id in project_ids.items()}
    factory = make_session_factory(engine)

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            with engine.begin() as conn:
                conn.execute(sa.delete(AlertEvent))
                conn.execute(sa.delete(Alert))
            self.session = factory()
            self.now = T0
            self.versions: dict[int, int] = {}
            self.history: list[dict[str, Any]] = []

        def teardown(self) -> None:
            self.session.close()

        def alerts(self) -> dict[int, Alert]:
            self.session.expire_all()
            return {a.id: a for a in self.session.scalars(sa.select(Alert))}

        def reconcile(self, rows: list[dict[str, Any]]) -> ReconcileCounts:
            counts = reconcile(
                self.session,
                rule_id=RULE,
                findings=findings(*rows),
                project_codes=codes,
                scan_run_id=None,
                now=self.now,
            )
            self.session.commit()
            return counts

        # -- steps ----------------------------------------------------------------------------

        @rule(found=conditions, repeat=st.booleans())
        def scan(self, found: dict[int, tuple[int, int, str]], repeat: bool) -> None:
            """A scan of the rule over data in which the chosen conditions hold."""
            rows = [
                finding(project_ids[SUBJECTS[i][0]], SUBJECTS[i][1], level=lv, arrears=a, workers=w)
                for i, (a, w, lv) in sorted(found.items())
            ]
            open_before = {a.id: a.open_key for a in self.alerts().values()}
            counts = self.reconcile(rows)
            after = self.alerts()
            wanted = {
                fingerprint(RULE, SUBJECTS[i][0], SUBJECTS[i][1]): value
                for i, value in found.items()
            }
            assert counts.found == len(wanted)
            assert counts.new == len(set(after) - set(open_before))
            held = 0
            for key, (arrears, workers, level) in wanted.items():
                closed = [
                    a
                    for a in after.values()
                    if a.fingerprint == key and a.id in open_before and a.open_key is None
                ]
                latest = max(closed, key=lambda a: (a.closed_at, a.id)) if closed else None
                quiet = (
                    latest is not None
                    and latest.status == "dismissed"
                    and (latest.arrears or 0) >= Decimal(arrears) / 100
                    and (latest.workers_affected or 0) >= workers
                )
                open_ones = [a for a in after.values() if a.open_key == key]
                if open_ones:
                    (alert,) = open_ones
                    assert (alert.level, alert.last_seen) == (level, self.now)
                    assert (alert.arrears, alert.workers_affected) == (
                        Decimal(arrears) / 100,
                        workers,
                    )
                    assert alert.id in open_before or not quiet
                else:
                    assert quiet
                    held += 1
            assert counts.held == held
            for alert_id, open_key in open_before.items():
                if open_key is not None and open_key not in wanted:
                    assert (after[alert_id].status, after[alert_id].closed_at) == (
                        "resolved",
                        self.now,
                    )
            if repeat:
                same = snapshot(self.session)
                self.now += timedelta(minutes=1)
                again = self.reconcile(rows)
                assert (again.new, again.updated, again.resolved) == (0, 0, 0)
                assert snapshot(self.session) == same

        def person_acts(
            self, pick: int, action: Action, days: int | None, fault: str | None
        ) -> None:
            """A person acts on one of the alerts, sometimes without a reason (``fault``
            "blank") or on a version someone else already changed ("stale")."""
            alerts = self.alerts()
            alert = alerts[sorted(alerts)[pick % len(alerts)]]
            version, status = alert.version, alert.status
            until = None if days is None else self.now + timedelta(days=days)
            expected: type[DomainError] | None = None
            if fault == "blank":
                expected = InvalidInput
            elif fault == "stale":
                expected = Conflict
            elif action is Action.REOPEN:
                other_open = any(
                    a.open_key == alert.fingerprint for a in alerts.values() if a.id != alert.id
                )
                if status not in CLOSED or other_open:
                    expected = Conflict
            elif action is not Action.COMMENT:
                missing_date = action is Action.SNOOZE and until is None
                too_far = days is not None and days > MAX_SNOOZE_DAYS
                if status in CLOSED:
                    expected = Conflict
                elif missing_date or too_far:
                    expected = InvalidInput
            try:
                act(
                    self.session,
                    alert_id=alert.id,
                    action=action,
                    reason=" " if fault == "blank" else "核实",
                    actor="王科长",
                    until=until,
                    expected_version=version - 1 if fault == "stale" else version,
                    now=self.now,
                )
                self.session.commit()
                outcome: type[DomainError] | None = None
            except DomainError as exc:
                self.session.rollback()
                outcome = type(exc)
            assert outcome is expected
            changed = self.alerts()[alert.id]
            assert changed.version == (version if expected else version + 1)
            if expected:
                assert changed.status == status

        @precondition(lambda self: bool(self.versions))
        @rule(
            pick=picks,
            action=st.sampled_from([Action.ACKNOWLEDGE, Action.SNOOZE]),
            days=st.none() | st.integers(1, MAX_SNOOZE_DAYS + 5),
            fault=faults,
        )
        def hold(self, pick: int, action: Action, days: int | None, fault: str | None) -> None:
            self.person_acts(pick, action, days, fault)

        @precondition(lambda self: bool(self.versions))
        @rule(pick=picks, action=st.sampled_from([Action.RESOLVE, Action.DISMISS]), fault=faults)
        def close(self, pick: int, action: Action, fault: str | None) -> None:
            self.person_acts(pick, action, None, fault)

        @precondition(lambda self: bool(self.versions))
        @rule(pick=picks, action=st.sampled_from([Action.COMMENT, Action.REOPEN]), fault=faults)
        def follow_up(self, pick: int, action: Action, fault: str | None) -> None:
            self.person_acts(pick, action, None, fault)

        @rule(hours=st.integers(1, 24 * 20))
        def time_passes(self, hours: int) -> None:
            """Time moves on and the holds whose date has passed go back to open."""
            self.now += timedelta(hours=hours)
            expire_holds(self.session, now=self.now)
            self.session.commit()
            for alert in self.alerts().values():
                if alert.status in ("acknowledged", "snoozed"):
                    assert alert.until is not None and alert.until > self.now

        # -- invariants, checked after every step ----------------------------------------------

        @invariant()
        def lifecycle_holds(self) -> None:
            alerts = self.alerts()
            events = table(self.session, AlertEvent)
            self.one_open_alert_per_fingerprint(alerts)
            self.history_is_append_only_and_explains_every_status(alerts, events)
            self.versions_count_human_changes_and_only_increase(alerts, events)

        def one_open_alert_per_fingerprint(self, alerts: dict[int, Alert]) -> None:
            open_keys = [a.open_key for a in alerts.values() if a.open_key is not None]
            assert len(open_keys) == len(set(open_keys))
            for alert in alerts.values():
                closed = alert.status in CLOSED
                assert alert.open_key == (None if closed else alert.fingerprint)
                assert (alert.closed_at is not None) == closed
                assert (alert.until is not None) == (alert.status in ("acknowledged", "snoozed"))

        def history_is_append_only_and_explains_every_status(
            self, alerts: dict[int, Alert], events: list[dict[str, Any]]
        ) -> None:
            assert events[: len(self.history)] == self.history
            self.history = events
            replayed: dict[int, str | None] = {}
            for event in events:
                alert_id, before = event["alert_id"], replayed.get(event["alert_id"])
                if event["action"] == "created":
                    assert before is None and event["to_status"] == "open"
                elif event["to_status"] is None:
                    assert event["action"] == "level_changed" and before is not None
                else:
                    assert event["from_status"] == before
                    if before in CLOSED and event["to_status"] != before:
                        assert event["action"] == "reopened"
                replayed[alert_id] = event["to_status"] or before
                assert isinstance(event["at"], datetime) and event["actor"]
            assert replayed == {alert_id: a.status for alert_id, a in alerts.items()}

        def versions_count_human_changes_and_only_increase(
            self, alerts: dict[int, Alert], events: list[dict[str, Any]]
        ) -> None:
            human: dict[int, int] = {}
            for event in events:
                if event["actor"] != "system":
                    human[event["alert_id"]] = human.get(event["alert_id"], 0) + 1
            for alert_id, alert in alerts.items():
                assert alert.version >= self.versions.get(alert_id, 1)
                assert alert.version == 1 + human.get(alert_id, 0)
                self.versions[alert_id] = alert.version

    return Lifecycle


def test_reliability_8_lifecycle_invariants_hold_under_random_sequences(
    engine: sa.Engine, project_ids: dict[str, int]
) -> None:
    run_state_machine_as_test(
        lifecycle_machine(engine, project_ids),
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None),
    )
