"""Running a scan: every rule on one snapshot of the data, its findings reconciled with the
alert store, and the run recorded (RULES.md, "Lifecycle of an alert"; RELIABILITY.md 1-3, 9).
"""

from __future__ import annotations

import logging
import sysconfig
import time
import traceback
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wage_guard.alerts.service import reconcile, refresh_project_risk
from wage_guard.db import make_session_factory, utcnow
from wage_guard.masking import describe_error, mask_ids_in_text
from wage_guard.scan.context import WHOLE_TABLE_EXTRACTS, ScanContext
from wage_guard.scan.model import Mode
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.rules import LoadedRule, runnable
from wage_guard.scan.schemas import RuleStats, ScanSummary
from wage_guard.scan.snapshot import read_snapshot

log = logging.getLogger(__name__)

Guard = Callable[[Session], None]

# Connections reading the scan's snapshot beside its main one, each computing the passes over
# the big tables ahead of the checks (``ScanContext.prefetch``).
READ_HELPERS = 1
# Frames of a failed rule's traceback kept in the run's record.
TRACEBACK_FRAMES = 5
# Frames in these folders (the standard library, installed packages) are left out of it.
_LIBRARY_PATHS = tuple({sysconfig.get_path(name) for name in ("stdlib", "purelib", "platlib")})


def run_scan(
    engine: sa.Engine,
    *,
    as_of: date,
    rules: list[LoadedRule],
    trigger: str = "manual",
    requested_by: str | None = None,
    guard: Guard | None = None,
    now: Callable[[], datetime] = utcnow,
) -> ScanSummary:
    """Scan the data as of ``as_of`` with the runnable ``rules`` and record the run.

    The run is committed as ``running`` before any rule runs, so that others see it. Every
    rule is evaluated on the same read snapshot (``READ_HELPERS`` more connections to it
    compute the passes over the big tables meanwhile), and its findings are reconciled with the
    alert store in a commit of its own, so that the write lock is never held while a check
    computes. A rule whose check (or reconciliation) raises is recorded with its error,
    resolves nothing, and the other rules still run. The run ends ``succeeded``, ``partial``
    (some rules failed) or ``failed`` (all of them failed), and the projects' risk grades are
    refreshed.

    ``guard(session)`` is called right before every commit and may raise to forbid it (the
    scheduler's check that it still holds its claim). Its exception, like any failure outside
    a rule, stops the scan: the run is recorded as failed with the error, and the exception
    propagates.
    """
    selected = runnable(rules)
    with make_session_factory(engine)() as session:
        run = ScanRun(
            as_of=as_of,
            trigger=trigger,
            requested_by=requested_by,
            status="running",
            started_at=now(),
            rules=[rule.id for rule in selected],
            rule_stats={},
        )
        session.add(run)
        _commit(session, guard)
        run_id = run.id
        try:
            with read_snapshot(engine, helpers=READ_HELPERS) as snapshot:
                context = ScanContext(snapshot.connection, as_of)
                if snapshot.helpers:
                    context.prefetch(snapshot.helpers, WHOLE_TABLE_EXTRACTS)
                try:
                    codes = context.projects().set_index("project_id")["code"].to_dict()
                    for rule in selected:
                        stats = _run_rule(
                            session, context, rule, codes=codes, run_id=run_id, now=now
                        )
                        run.rule_stats = {**run.rule_stats, rule.id: stats.model_dump(mode="json")}
                        _commit(session, guard)
                finally:
                    context.stop()
            refresh_project_risk(session, now=now())
            run.status = _outcome(run.rule_stats)
            run.finished_at = now()
            _commit(session, guard)
        except BaseException as exc:
            session.rollback()
            error = describe_error(exc)
            log.error("scan run %s failed: %s\n%s", run_id, error, _traceback_summary(exc))
            _record_failure(session, run_id, error=error, at=now())
            raise
        return ScanSummary.from_run(run)


def _outcome(rule_stats: Mapping[str, Any]) -> str:
    """``succeeded`` when every rule ran, ``failed`` when none did, else ``partial``."""
    failures = sum(1 for stats in rule_stats.values() if stats["error"])
    if not failures:
        return "succeeded"
    return "failed" if failures == len(rule_stats) else "partial"


def _commit(session: Session, guard: Guard | None) -> None:
    if guard is not None:
        guard(session)
    session.commit()


def _run_rule(
    session: Session,
    context: ScanContext,
    rule: LoadedRule,
    *,
    codes: Mapping[int, str],
    run_id: int,
    now: Callable[[], datetime],
) -> RuleStats:
    """Evaluate one rule and, in active mode, reconcile its findings in ``session`` (whose
    transaction holds nothing else: the run commits after each rule). A failure is returned
    as the rule's error, with the rule's writes rolled back."""
    mode = rule.rule.mode
    started = time.perf_counter()
    try:
        # A savepoint each, so that a failed query leaves the snapshot usable for the next rule.
        with context.connection.begin_nested():
            findings = rule.evaluate(context)
        levels = {str(k): int(v) for k, v in findings["level"].value_counts().items()}
        if mode is Mode.MONITOR:
            return RuleStats(mode=mode, seconds=_since(started), found=len(findings), levels=levels)
        counts = reconcile(
            session,
            rule_id=rule.id,
            findings=findings,
            project_codes=codes,
            scan_run_id=run_id,
            now=now(),
        )
    except Exception as exc:
        session.rollback()
        error = describe_error(exc)
        trace = _traceback_summary(exc)
        log.error("scan run %s: rule %s failed: %s\n%s", run_id, rule.id, error, trace)
        return RuleStats(mode=mode, seconds=_since(started), error=error, traceback=trace)
    return RuleStats(
        mode=mode,
        seconds=_since(started),
        found=counts.found,
        levels=levels,
        new=counts.new,
        updated=counts.updated,
        unchanged=counts.unchanged,
        resolved=counts.resolved,
        held=counts.held,
    )


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _traceback_summary(exc: BaseException) -> str:
    """Where the rule failed: the last frames of wage_guard's own code (a check, the alert
    store) below this module, then the frame that raised, with ID numbers masked."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]
    own = [f for f in frames if not f.filename.startswith(_LIBRARY_PATHS)]
    kept = own[-TRACEBACK_FRAMES:]
    if frames and frames[-1] not in kept:
        kept = [*kept[1 - TRACEBACK_FRAMES :], frames[-1]]
    return mask_ids_in_text("".join(traceback.format_list(kept)))


def _record_failure(session: Session, run_id: int, *, error: str, at: datetime) -> None:
    """Mark the run failed. Written without the guard: it changes no alert, only says that
    this run did not finish. A database that cannot take even this is logged, and the
    original error is the one that propagates."""
    try:
        session.execute(
            sa.update(ScanRun)
            .where(ScanRun.id == run_id)
            .values(status="failed", error=error, finished_at=at)
        )
        session.commit()
    except sa.exc.SQLAlchemyError:
        log.exception("scan run %s: cannot record its failure", run_id)
