"""The scan over the API: the loaded rule pack, the recorded runs, and a scan started in the
background for a caller (RULES.md, "Lifecycle of an alert"; RELIABILITY 9).

One scan at a time is decided in the database, by the running rows of ``scan_runs``, and not
by a claim of ``jobs/claims.py``: a claim is unique per job and date and a succeeded claim is
final, so a claim of manual scans would allow one of them per date, ever; and it would not see
the scans that the scheduler and the command line run, which record a running row like any
scan. The check is made in the very transaction that commits the new run as running, under a
lock that every writer of ``scan_runs`` waits for (PostgreSQL: ``SHARE ROW EXCLUSIVE`` on the
table, which conflicts with itself and with every insert and update of it; SQLite: the
database's one write lock), so two starts, in any worker or process, never both pass it.

A run still running ``scan.lease_minutes`` after it started is taken for abandoned (its process
stopped without recording the end): the next start marks it failed instead of waiting for it,
and a run of the API that was in fact still alive stops at its next commit.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from wage_guard.config import ScanSettings
from wage_guard.db import utcnow
from wage_guard.errors import Conflict, DomainError, InvalidInput, NotFound
from wage_guard.masking import describe_error
from wage_guard.scan.model import LadderStep, Mode
from wage_guard.scan.orm import ScanRun
from wage_guard.scan.rules import LoadedRule, load_rules
from wage_guard.scan.schemas import ScanSummary
from wage_guard.scan.service import run_scan

log = logging.getLogger(__name__)

# How long a request waits for its scan's run to be recorded before it gives up.
START_TIMEOUT = 60.0


class RunStatus(StrEnum):
    """How a run stands: ``running`` until it ends ``succeeded``, ``partial`` (some rules
    failed) or ``failed``."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class ScanNotStarted(DomainError):
    """The scan could not be started: the database failed or stayed locked."""

    status_code = 503
    code = "unavailable"


class RunAbandoned(Exception):
    """The run was taken for abandoned and marked failed by another start: it must stop."""


class RuleRead(BaseModel):
    """A rule of the loaded pack: its check, titles, mode, level ladder and parameters."""

    id: str
    check: str
    title_zh: str
    title_en: str
    description: str
    mode: Mode
    ladder: list[LadderStep]
    params: dict[str, Any]


class RuleList(BaseModel):
    """Every rule of the loaded pack, by id."""

    items: list[RuleRead]
    total: int


class RuleCounts(BaseModel):
    """One rule's outcome in a run, without its timings and traceback."""

    mode: Mode
    found: int
    new: int
    updated: int
    resolved: int
    held: int
    failed: bool


class ScanRunRead(BaseModel):
    """A scan run: who started it, how it ended, and each finished rule's counts."""

    id: int
    as_of: date
    trigger: str
    requested_by: str | None
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    rules: list[str]
    rule_counts: dict[str, RuleCounts]
    error: str | None


class ScanRunList(BaseModel):
    """One page of scan runs, newest first, and how many there are."""

    items: list[ScanRunRead]
    total: int
    limit: int
    offset: int


def load_pack(scan: ScanSettings) -> list[LoadedRule]:
    """The configured rule pack (``scan.rule_dirs``, ``scan.replace_shipped_rules``)."""
    return load_rules(scan.rule_dirs, replace_shipped=scan.replace_shipped_rules)


def list_rules(rules: list[LoadedRule]) -> RuleList:
    items = [
        RuleRead(
            id=rule.id,
            check=rule.check.name,
            title_zh=rule.rule.title_zh,
            title_en=rule.rule.title_en,
            description=rule.rule.description.strip(),
            mode=rule.rule.mode,
            ladder=rule.rule.ladder,
            params=rule.params.model_dump(mode="json"),
        )
        for rule in rules
    ]
    return RuleList(items=items, total=len(items))


def select_rules(rules: list[LoadedRule], rule_ids: list[str] | None) -> list[LoadedRule]:
    """The rules named, in the pack's order (all of them for None); an unknown or disabled
    rule is refused."""
    if rule_ids is None:
        return rules
    by_id = {rule.id: rule for rule in rules}
    unknown = [rule_id for rule_id in dict.fromkeys(rule_ids) if rule_id not in by_id]
    if unknown:
        raise InvalidInput(f"unknown rule {', '.join(unknown)} (known: {', '.join(by_id)})")
    disabled = [r for r in dict.fromkeys(rule_ids) if by_id[r].rule.mode is Mode.DISABLED]
    if disabled:
        raise InvalidInput(f"rule {', '.join(disabled)} is disabled")
    return [rule for rule in rules if rule.id in rule_ids]


def run_read(run: ScanRun) -> ScanRunRead:
    finished = run.finished_at
    return ScanRunRead(
        id=run.id,
        as_of=run.as_of,
        trigger=run.trigger,
        requested_by=run.requested_by,
        status=RunStatus(run.status),
        started_at=run.started_at,
        finished_at=finished,
        duration_seconds=(
            round((finished - run.started_at).total_seconds(), 3) if finished else None
        ),
        rules=list(run.rules),
        rule_counts={
            rule_id: RuleCounts(
                mode=stats["mode"],
                found=stats.get("found", 0),
                new=stats.get("new", 0),
                updated=stats.get("updated", 0),
                resolved=stats.get("resolved", 0),
                held=stats.get("held", 0),
                failed=bool(stats.get("error")),
            )
            for rule_id, stats in run.rule_stats.items()
        },
        error=run.error,
    )


def list_runs(session: Session, *, limit: int, offset: int) -> ScanRunList:
    total = session.execute(sa.select(sa.func.count()).select_from(ScanRun)).scalar_one()
    runs = session.scalars(
        sa.select(ScanRun).order_by(ScanRun.id.desc()).limit(limit).offset(offset)
    )
    return ScanRunList(
        items=[run_read(run) for run in runs], total=total, limit=limit, offset=offset
    )


def get_run(session: Session, *, run_id: int) -> ScanSummary:
    run = session.get(ScanRun, run_id)
    if run is None:
        raise NotFound(f"no scan run {run_id}")
    return ScanSummary.from_run(run)


def today(scan: ScanSettings) -> date:
    """Today in ``scan.time_zone`` (RULES.md, "Time")."""
    return datetime.now(ZoneInfo(scan.time_zone)).date()


def start_scan(
    engine: sa.Engine,
    *,
    as_of: date,
    rules: list[LoadedRule],
    requested_by: str,
    stale_after: timedelta,
    threads: set[threading.Thread] | None = None,
    timeout: float = START_TIMEOUT,
) -> ScanRunRead:
    """Start a scan in a thread of its own, with trigger ``api``, and return its run as soon as
    it is recorded as running; ``Conflict`` while another scan runs.

    The thread is in ``threads`` while it runs, for an app to wait for it when it stops. The
    caller must hold no transaction: on SQLite it would hold the write lock the start needs.
    A scan that fails after it started is recorded by ``run_scan`` and logged.
    """
    start = _Start(stale_after)
    running = threads if threads is not None else set()

    def scan() -> None:
        try:
            summary = run_scan(
                engine,
                as_of=as_of,
                rules=rules,
                trigger="api",
                requested_by=requested_by,
                guard=start,
            )
            log.info("scan run %s for %s: %s", summary.run_id, requested_by, summary.status)
        except Exception as exc:
            if not start.fail(exc):
                log.warning("scan as of %s for %s: %s", as_of, requested_by, describe_error(exc))
        finally:
            running.discard(threading.current_thread())

    thread = threading.Thread(target=scan, name=f"scan-{as_of}-{requested_by}", daemon=True)
    running.add(thread)
    thread.start()
    return start.wait(timeout)


class _Start:
    """The guard of a scan started over the API, and what its thread tells the request.

    ``run_scan`` calls the guard right before each commit, the first of which records the
    run as running. That first call locks ``scan_runs``, marks abandoned runs failed, refuses
    while another run is running, and commits the new run itself, so that the request can
    answer with it before the first rule runs. Later calls stop the scan if another start
    has taken it for abandoned.
    """

    def __init__(self, stale_after: timedelta) -> None:
        self.stale_after = stale_after
        self._mutex = threading.Lock()
        self._settled = threading.Event()
        self._given_up = False
        self._run: ScanRunRead | None = None
        self._error: Exception | None = None

    def __call__(self, session: Session) -> None:
        if self._run is None:
            self._begin(session)
        else:
            self._fence(session, self._run.id)

    def _begin(self, session: Session) -> None:
        now = utcnow()
        minutes = int(self.stale_after.total_seconds() // 60)
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("LOCK TABLE scan_runs IN SHARE ROW EXCLUSIVE MODE")
        # On SQLite this update, a write even when it changes nothing, takes the write lock.
        connection.execute(
            sa.update(ScanRun)
            .where(ScanRun.status == RunStatus.RUNNING, ScanRun.started_at < now - self.stale_after)
            .values(
                status=RunStatus.FAILED,
                finished_at=now,
                error=f"abandoned: still running {minutes} minutes after it started",
            )
        )
        other = connection.execute(
            sa.select(ScanRun.id, ScanRun.trigger, ScanRun.as_of).where(
                ScanRun.status == RunStatus.RUNNING
            )
        ).first()
        if other is not None:
            raise Conflict(
                f"scan run {other.id} ({other.trigger}, as of {other.as_of}) is running; "
                "start another when it has finished"
            )
        session.flush()
        # Under the lock, with no other run running, the one running row is the new run.
        run = session.scalars(sa.select(ScanRun).where(ScanRun.status == RunStatus.RUNNING)).one()
        with self._mutex:
            if self._given_up:
                raise ScanNotStarted("the request stopped waiting before the scan started")
            session.commit()
            self._run = run_read(run)
            self._settled.set()

    @staticmethod
    def _fence(session: Session, run_id: int) -> None:
        status = (
            session.connection()
            .execute(sa.select(ScanRun.status).where(ScanRun.id == run_id))
            .scalar_one_or_none()
        )
        if status != RunStatus.RUNNING:
            raise RunAbandoned(f"scan run {run_id} was marked {status} by another start")

    def fail(self, exc: Exception) -> bool:
        """Hand ``exc`` to the waiting request if the run had not started; False if it had."""
        with self._mutex:
            if self._run is not None or self._given_up:
                return False
            self._error = exc
            self._settled.set()
            return True

    def wait(self, timeout: float) -> ScanRunRead:
        self._settled.wait(timeout)
        with self._mutex:
            if self._run is not None:
                return self._run
            error = self._error
            if error is None:
                self._given_up = True
        if error is None:
            raise ScanNotStarted(
                f"the scan did not start within {timeout:g} s: the database is busy"
            )
        if isinstance(error, DomainError):
            raise error
        raise ScanNotStarted(f"the scan did not start: {describe_error(error)}") from error
